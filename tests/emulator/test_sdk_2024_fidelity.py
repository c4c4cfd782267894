"""Alibaba's official 2024-07-30 SDK (2.4.0) runs cluster, queue and node lifecycles against the emulator,
with V3 (default) and V1 (`signature_algorithm='v2'`) signatures, plus the documented errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle

from .helpers import wait_for

ehpc = pytest.importorskip("alibabacloud_ehpc20240730.client")
models = pytest.importorskip("alibabacloud_ehpc20240730.models")
open_api = pytest.importorskip("alibabacloud_tea_openapi.models")
tea = pytest.importorskip("Tea.exceptions")

ALGORITHMS = pytest.mark.parametrize("algorithm", [None, "v2"], ids=["v3", "v1"])


def sdk_client(emu: EmulatorHandle, algorithm: str | None, secret: str | None = None) -> Any:
    config = open_api.Config(
        access_key_id=emu.credentials.access_key_id,
        access_key_secret=secret or emu.credentials.access_key_secret,
        endpoint=emu.host_port,
        protocol="http",
    )
    if algorithm:
        config.signature_algorithm = algorithm
    return ehpc.Client(config)


def _template() -> Any:
    return models.NodeTemplate(
        instance_type="ecs.c7.large", image_id="centos_7_06_64_20G_alibase_20190711.vhd", enable_ht=True,
        system_disk=models.NodeTemplateSystemDisk(category="cloud_essd", size=40),
    )


def _running_cluster(client: Any) -> str:
    created = client.create_cluster(models.CreateClusterRequest(
        cluster_name="sdk-demo", cluster_category="Standard", cluster_mode="Integrated", cluster_vpc_id="vpc-x",
        cluster_vswitch_id="vsw-x", deletion_protection=False, max_count=100,
        cluster_credentials=models.CreateClusterRequestClusterCredentials(password="Passw0rd!x"),
        manager=models.CreateClusterRequestManager(
            manager_node=_template(),
            scheduler=models.CreateClusterRequestManagerScheduler(type="SLURM", version="22.05.8"),
        ),
    ))
    body = created.body
    assert created.status_code == 200 and body.success is True and body.task_id == body.request_id
    assert client.get_cluster(models.GetClusterRequest(cluster_id=body.cluster_id)).body.cluster_status in (
        "creating", "initing", "running")

    def running() -> Any:
        got = client.get_cluster(models.GetClusterRequest(cluster_id=body.cluster_id)).body
        return got if got.cluster_status == "running" else None

    got = wait_for(running)
    assert got.delete_protection == "false" and got.max_count == "100"  # strings, as the service sends them
    assert got.manager.scheduler.type == "SLURM"
    return str(body.cluster_id)


@ALGORITHMS
def test_official_sdk_2024_lifecycle(emu: EmulatorHandle, algorithm: str | None) -> None:
    client = sdk_client(emu, algorithm)
    cluster_id = _running_cluster(client)
    queue = client.create_queue(models.CreateQueueRequest(
        cluster_id=cluster_id,
        queue=models.QueueTemplate(
            queue_name="comp", compute_nodes=[_template()], v_switch_ids=["vsw-x"], max_count=10
        ),
    ))
    assert queue.body.name == "comp"
    assert client.get_queue(models.GetQueueRequest(cluster_id=cluster_id, queue_name="comp")).body.queue.max_count == 10

    since = int(time.time()) - 5
    created = client.create_nodes(models.CreateNodesRequest(
        cluster_id=cluster_id, queue_name="comp", count=3, compute_node=_template(), keep_alive="false",
    ))
    ids = created.body.instance_ids
    assert len(ids) == 3 and created.body.success is True

    def all_running() -> Any:
        nodes = client.list_nodes(models.ListNodesRequest(
            cluster_id=cluster_id, queue_names=["comp"], page_size=50)).body.nodes
        return nodes if len(nodes) == 3 and all(n.status == "running" for n in nodes) else None

    nodes = wait_for(all_running)
    assert {n.id for n in nodes} == set(ids) and all(n.reason == "" and n.keep_alive is False for n in nodes)
    queues = client.list_queues(models.ListQueuesRequest(cluster_id=cluster_id)).body.queues
    assert queues[0].nodes.running_counts == 3

    logs = client.list_common_logs(models.ListCommonLogsRequest(
        from_=since, to=int(time.time()) + 5, log_request_id=created.body.request_id)).body
    assert logs.total_count == 1
    entry = logs.logs[0]
    assert (entry.action, entry.status, entry.cluster_id) == ("CreateNodes", "Finished", cluster_id)
    detail = client.get_common_log_detail(models.GetCommonLogDetailRequest(
        log_request_id=created.body.request_id, from_=since, to=int(time.time()) + 5, hidden_process=False)).body
    assert detail.action == "CreateNodes" and detail.log_detail
    assert {s.target for stage in detail.log_detail for s in stage.stages} == set(ids)
    assert all(s.status in ("InProgress", "Finished") for stage in detail.log_detail for s in stage.stages)

    protected = ids[0]
    client.update_nodes(models.UpdateNodesRequest(cluster_id=cluster_id, instances=[
        models.UpdateNodesRequestInstances(instance_id=protected, keep_alive=True)]))
    with pytest.raises(tea.TeaException) as info:
        client.delete_nodes(models.DeleteNodesRequest(cluster_id=cluster_id, instance_ids=[protected]))
    assert info.value.code == "InvalidNodeStatus"
    client.update_nodes(models.UpdateNodesRequest(cluster_id=cluster_id, instances=[
        models.UpdateNodesRequestInstances(instance_id=protected, keep_alive=False)]))

    with pytest.raises(tea.TeaException) as info:
        client.delete_queues(models.DeleteQueuesRequest(cluster_id=cluster_id, queue_names=["comp"]))
    assert info.value.code == "AgentError"  # a queue must be empty first

    deleted = client.delete_nodes(models.DeleteNodesRequest(cluster_id=cluster_id, instance_ids=ids))
    assert deleted.body.task_id == deleted.body.request_id
    wait_for(lambda: client.list_nodes(models.ListNodesRequest(cluster_id=cluster_id)).body.total_count == 0 or None)
    client.delete_queues(models.DeleteQueuesRequest(cluster_id=cluster_id, queue_names=["comp"]))
    assert client.list_queues(models.ListQueuesRequest(cluster_id=cluster_id)).body.queues == []

    assert client.delete_cluster(models.DeleteClusterRequest(cluster_id=cluster_id)).body.success is True

    def gone() -> Any:
        try:
            client.get_cluster(models.GetClusterRequest(cluster_id=cluster_id))
        except tea.TeaException as exc:
            return exc
        return None

    err = wait_for(gone)
    assert (err.code, err.statusCode) == ("ClusterNotFound", 404)
    listed = client.list_clusters(models.ListClustersRequest(cluster_ids=[cluster_id])).body
    assert listed.total_count == 0 and listed.page_number == "1"


@ALGORITHMS
def test_official_sdk_2024_partial_capacity_failure(emu: EmulatorHandle, algorithm: str | None) -> None:
    client = sdk_client(emu, algorithm)
    cluster_id = _running_cluster(client)
    client.create_queue(models.CreateQueueRequest(cluster_id=cluster_id, queue=models.QueueTemplate(queue_name="q")))
    emu.next_task(action="CreateNodes", outcome="PartialFail", succeed_count=1)
    since = int(time.time()) - 5
    created = client.create_nodes(models.CreateNodesRequest(cluster_id=cluster_id, queue_name="q", count=3))
    ids = created.body.instance_ids
    assert len(ids) == 3

    def settled() -> Any:
        nodes = client.list_nodes(models.ListNodesRequest(cluster_id=cluster_id)).body.nodes
        return nodes if all(n.status in ("running", "exception") for n in nodes) else None

    nodes = {n.id: n for n in wait_for(settled)}
    assert [nodes[i].status for i in ids] == ["running", "exception", "exception"]
    assert nodes[ids[1]].reason.startswith("NodeInitFailed") and nodes[ids[0]].reason == ""
    log = client.list_common_logs(models.ListCommonLogsRequest(
        from_=since, to=int(time.time()) + 5, log_request_id=created.body.request_id, action_status="Failed")).body
    assert log.total_count == 1 and "NodeInitFailed" in log.logs[0].message
    detail = client.get_common_log_detail(models.GetCommonLogDetailRequest(
        log_request_id=created.body.request_id, from_=since, to=int(time.time()) + 5)).body
    errors = {s.target for stage in detail.log_detail for s in stage.stages if s.log_level == "ERROR"}
    assert errors == {ids[1], ids[2]}


def test_official_sdk_2024_documented_errors(emu: EmulatorHandle) -> None:
    with pytest.raises(tea.TeaException) as info:
        sdk_client(emu, None, secret="wrong-secret").list_clusters(models.ListClustersRequest())
    assert (info.value.code, info.value.statusCode) == ("SignatureDoesNotMatch", 400)
    with pytest.raises(tea.TeaException) as info:
        sdk_client(emu, "v2", secret="wrong-secret").list_clusters(models.ListClustersRequest())
    assert info.value.code == "SignatureDoesNotMatch"

    client = sdk_client(emu, None)
    with pytest.raises(tea.TeaException) as info:
        client.get_cluster(models.GetClusterRequest(cluster_id="ehpc-hz-missing"))
    assert (info.value.code, info.value.statusCode) == ("ClusterNotFound", 404)
    with pytest.raises(tea.TeaException) as info:
        client.create_nodes(models.CreateNodesRequest(cluster_id="ehpc-hz-missing", queue_name="q", count=2))
    assert info.value.code == "ClusterNotFound"

    cluster_id = _running_cluster(client)
    client.create_queue(models.CreateQueueRequest(cluster_id=cluster_id, queue=models.QueueTemplate(queue_name="q")))
    for count in (0, 100):  # Count is 1-99 (§3.6)
        with pytest.raises(tea.TeaException) as info:
            client.create_nodes(models.CreateNodesRequest(cluster_id=cluster_id, queue_name="q", count=count))
        assert (info.value.code, info.value.statusCode) == ("InvalidParams", 400)
        assert "Count" in info.value.message
    assert client.list_nodes(models.ListNodesRequest(cluster_id=cluster_id)).body.total_count == 0
