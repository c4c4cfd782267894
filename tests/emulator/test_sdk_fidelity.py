"""Alibaba's official SDK talks to the emulator with V3 (default) and V1 (`signature_algorithm='v2'`)."""

from __future__ import annotations

import json

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle

from .helpers import wait_for

ehpc = pytest.importorskip("alibabacloud_ehpc20180412.client")
models = pytest.importorskip("alibabacloud_ehpc20180412.models")
open_api = pytest.importorskip("alibabacloud_tea_openapi.models")


def sdk_client(emu: EmulatorHandle, algorithm: str | None) -> object:
    config = open_api.Config(
        access_key_id=emu.credentials.access_key_id,
        access_key_secret=emu.credentials.access_key_secret,
        endpoint=emu.endpoint.split("//", 1)[1],
        protocol="http",
    )
    if algorithm:
        config.signature_algorithm = algorithm
    return ehpc.Client(config)


@pytest.mark.parametrize("algorithm", [None, "v2"], ids=["v3", "v1"])
def test_official_sdk_round_trip(emu: EmulatorHandle, algorithm: str | None) -> None:
    client = sdk_client(emu, algorithm)
    added = client.add_nodes(
        models.AddNodesRequest(
            cluster_id=emu.cluster_id,
            count=2,
            client_token="sdk-token-1",
            compute_enable_ht=True,
            sync=False,
            system_disk_size=40,
        )
    )
    assert added.status_code == 200
    task_id = added.body.task_id
    ids = added.body.instance_ids.instance_id
    assert len(ids) == 2

    def finished() -> object:
        resp = client.list_tasks(models.ListTasksRequest(cluster_id=emu.cluster_id, task_id=task_id, archived=False))
        task = resp.body.tasks[0]
        return task if task.status != "Processing" else None

    task = wait_for(finished)
    assert task.status == "Success" and task.task_type == "AddComputes"
    assert [i["InstanceId"] for i in json.loads(task.result)["Instances"]] == ids
    nodes = client.list_nodes(models.ListNodesRequest(cluster_id=emu.cluster_id, role="Compute", page_size=50))
    assert nodes.body.total_count == 2
    assert {n.id for n in nodes.body.nodes.node_info} == set(ids)
    assert nodes.body.nodes.node_info[0].roles.role == ["Compute"]


def test_official_sdk_error_is_parsed(emu: EmulatorHandle) -> None:
    from Tea.exceptions import TeaException

    client = sdk_client(emu, None)
    with pytest.raises(TeaException) as info:
        client.list_tasks(models.ListTasksRequest(cluster_id="ehpc-hz-missing"))
    assert info.value.code == "ClusterNotFound"
    assert info.value.statusCode == 404
