"""Our own 2024-07-30 clients against the emulator: a small lifecycle, capacity, faults, persistence, routing."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from pulumi_ehpc_tasks.emulator.backend_2024 import OUT_OF_STOCK
from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.wire import AsyncEhpcClient2024, EhpcApiError, EhpcClient2024, NotFoundError
from pulumi_ehpc_tasks.wire.retry import RetryConfig
from pulumi_ehpc_tasks.wire.signing import EhpcAuth

from .conftest import FAST
from .helpers import Api, error, wait_for


def client_of(emu: EmulatorHandle) -> EhpcClient2024:
    return EhpcClient2024(endpoint=emu.endpoint, credentials=emu.credentials)


def running_cluster(client: EhpcClient2024, queue: str = "comp") -> str:
    cluster_id = client.create_cluster(cluster_name="wire-demo", queues=[{"QueueName": queue}]).cluster_id
    wait_for(lambda: client.get_cluster(cluster_id).cluster_status == "running" or None)
    return cluster_id


def window() -> tuple[int, int]:
    now = int(time.time())
    return now - 60, now + 60


def test_lifecycle_with_our_client(emu: EmulatorHandle) -> None:
    with client_of(emu) as client:
        cluster_id = running_cluster(client)
        assert client.get_queue(cluster_id, queue_name="comp").queue.queue_name == "comp"
        emu.next_task(action="CreateNodes", duration_s=0.6)
        created = client.create_nodes(cluster_id, queue_name="comp", count=2, hostnames=["n-a", "n-b"])
        start, end = window()
        first = client.list_common_logs(from_=start, to=end, log_request_id=created.request_id).logs
        assert [(log.action, log.status) for log in first] == [("CreateNodes", "InProgress")]
        assert {n.status for n in client.list_nodes(cluster_id).nodes} <= {"uninit", "initing"}
        wait_for(lambda: all(n.status == "running" for n in client.list_nodes(cluster_id).nodes) or None)
        listed = client.list_nodes(cluster_id, hostnames=["n-b"]).nodes
        assert [n.hostname for n in listed] == ["n-b"] and listed[0].id in created.instance_ids
        done = client.list_common_logs(from_=start, to=end, log_request_id=created.request_id, action_status="Finished")
        assert done.total_count == 1

        client.update_nodes(cluster_id, instances=[{"InstanceId": listed[0].id, "KeepAlive": True}])
        assert client.list_nodes(cluster_id, hostnames=["n-b"]).nodes[0].keep_alive is True
        client.update_nodes(cluster_id, instances=[{"InstanceId": listed[0].id, "KeepAlive": False}])

        with pytest.raises(EhpcApiError) as info:
            client.delete_queues(cluster_id, queue_names=["comp"])
        assert info.value.code == "AgentError"
        deleted = client.delete_nodes(cluster_id, instance_ids=created.instance_ids)
        assert deleted.task_id == deleted.request_id
        assert {n.status for n in client.list_nodes(cluster_id).nodes} == {"releasing"}
        wait_for(lambda: client.list_nodes(cluster_id).total_count == 0 or None)
        client.delete_queues(cluster_id, queue_names=["comp"])
        client.update_cluster(cluster_id, deletion_protection=True)
        assert client.get_cluster(cluster_id).deletion_protected
        with pytest.raises(EhpcApiError) as info:
            client.delete_cluster(cluster_id)
        assert (info.value.code, info.value.http_status) == ("InvalidClusterStatus", 403)
        client.update_cluster(cluster_id)  # a full state: omitted DeletionProtection resets to off
        client.delete_cluster(cluster_id)
        with pytest.raises(NotFoundError):
            wait_for(lambda: client.get_cluster(cluster_id) and None)


def test_async_client_and_duplicate_hostnames(emu: EmulatorHandle) -> None:
    async def run() -> None:
        async with AsyncEhpcClient2024(endpoint=emu.endpoint, credentials=emu.credentials) as client:
            created = await client.create_cluster(cluster_name="async-demo", queues=[{"QueueName": "q"}])
            while (await client.get_cluster(created.cluster_id)).cluster_status != "running":
                await asyncio.sleep(0.02)
            await client.create_nodes(created.cluster_id, queue_name="q", count=1, hostnames=["h1"])
            with pytest.raises(EhpcApiError) as info:
                await client.create_nodes(created.cluster_id, queue_name="q", count=1, hostnames=["h1"])
            assert info.value.code == "InvalidParams" and "h1" in info.value.message

    asyncio.run(run())


def test_capacity_leaves_the_shortfall_in_exception() -> None:
    with running_emulator(**FAST, capacity=2) as emu, client_of(emu) as client:
        cluster_id = running_cluster(client)
        with pytest.raises(EhpcApiError) as info:
            client.create_nodes(cluster_id, queue_name="comp", count=4, min_count=3)
        assert info.value.code == "EcsError"  # fewer than MinCount in stock: nothing is created
        assert client.list_nodes(cluster_id).total_count == 0
        ids = client.create_nodes(cluster_id, queue_name="comp", count=3, min_count=1).instance_ids

        def settled() -> dict[str, tuple[str, str]] | None:
            nodes = client.list_nodes(cluster_id).nodes
            states = {n.id: (n.status, n.reason) for n in nodes}
            return states if all(s in ("running", "exception") for s, _ in states.values()) else None

        states = wait_for(settled)
        assert [states[i][0] for i in ids] == ["running", "running", "exception"]
        reason = OUT_OF_STOCK.format(itype="ecs.c7.large", zone="cn-hangzhou-i")
        assert states[ids[2]][1] == reason and states[ids[0]][1] == ""
        listed = client.list_queues(cluster_id).queues[0]
        assert listed.model_extra is not None and listed.model_extra["Nodes"]["ExceptionCounts"] == 1


def test_faults_apply_to_2024_actions(emu: EmulatorHandle) -> None:
    client = EhpcClient2024(endpoint=emu.endpoint, credentials=emu.credentials,
                            retry=RetryConfig(base_delay_s=0.01, max_delay_s=0.02))
    with client:
        emu.fault(action="ListClusters", code="ServiceUnavailable", times=1)
        assert client.list_clusters().total_count == 0  # a read: retried past the fault
        emu.fault(action="CreateCluster", code="InvalidParams", times=1)
        with pytest.raises(EhpcApiError) as info:
            client.create_cluster(cluster_name="faulty")
        assert info.value.code == "InvalidParams"
        assert client.list_clusters().total_count == 0


def test_versions_share_the_endpoint(api: Api, emu: EmulatorHandle) -> None:
    assert api.ok("ListNodes", {"ClusterId": emu.cluster_id})["TotalCount"] >= 0  # 2018 still served
    assert error(api.call("GetCluster", {"ClusterId": emu.cluster_id})) == (404, "InvalidAction.NotFound")
    with client_of(emu) as client, pytest.raises(NotFoundError):
        client.get_cluster(emu.cluster_id)  # a 1.0 cluster is not a 2.0 one
    unsigned = api.http.build_request(
        "POST", "/", headers={"x-acs-action": "ListNodes", "x-acs-version": "2099-01-01"}
    )
    bad = next(EhpcAuth(emu.credentials).auth_flow(unsigned))
    assert error(api.send(bad)) == (400, "InvalidVersion")


def test_2024_state_survives_a_restart_and_old_files_load(tmp_path: Path) -> None:
    state = str(tmp_path / "emulator.sqlite")
    with running_emulator(state_path=state, **FAST) as emu, client_of(emu) as client:
        cluster_id = running_cluster(client)
        emu.next_task(action="CreateNodes", duration_s=1.0)
        created = client.create_nodes(cluster_id, queue_name="comp", count=2)
    with running_emulator(state_path=state, **FAST) as emu, client_of(emu) as client:
        assert client.get_cluster(cluster_id).cluster_status == "running"
        wait_for(lambda: all(n.status == "running" for n in client.list_nodes(cluster_id).nodes) or None)
        start, end = window()
        logs = client.list_common_logs(from_=start, to=end, log_request_id=created.request_id).logs
        assert [log.status for log in logs] == ["Finished"]
    db = sqlite3.connect(state)
    for table in ("cluster2", "queue2", "node2", "oplog2"):  # a file written before 2.0 existed
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()
    with running_emulator(state_path=state, **FAST) as emu, client_of(emu) as client:
        assert client.list_clusters().total_count == 0
        assert httpx.get(f"{emu.endpoint}/_emulator/health").status_code == 200
