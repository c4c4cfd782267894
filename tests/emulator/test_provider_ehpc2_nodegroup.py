"""The E-HPC 2.0 node group's provider methods in-process against the emulator over HTTP (API 2024-07-30):
creation awaited to `running`, the partial-failure policies, scaling, keep-alive, delete, and creates
retried after a crash or a lost answer adopting what exists instead of adding twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle
from pulumi_ehpc_tasks.provider.ehpc2 import NodeGroup2Error, NodeGroupProvider
from pulumi_ehpc_tasks.provider.ehpc2.hostnames import host_name
from pulumi_ehpc_tasks.provider.settings import ProviderSettings
from pulumi_ehpc_tasks.wire import EhpcClient2024, NotFoundError

from .helpers import wait_for

URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc2:NodeGroup::g"


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[EhpcClient2024]:
    with EhpcClient2024(endpoint=emu.endpoint, credentials=emu.credentials) as c:
        yield c


@pytest.fixture
def cluster(client: EhpcClient2024) -> str:
    cluster_id = client.create_cluster(cluster_name="ng2", queues=[{"QueueName": "comp"}]).cluster_id
    wait_for(lambda: client.get_cluster(cluster_id).cluster_status == "running" or None)
    return cluster_id


def provider(emu: EmulatorHandle, client: EhpcClient2024) -> NodeGroupProvider:
    p = NodeGroupProvider()
    p._settings = ProviderSettings(endpoint=emu.endpoint, _client_2024=client)  # type: ignore[attr-defined]
    return p


def checked(p: NodeGroupProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = p.check({}, props)
    assert not result.failures
    return {**result.inputs, "urn": URN}


def creates(emu: EmulatorHandle) -> int:
    return int(emu.stats()["requests"].get("CreateNodes", 0))


def live(client: EhpcClient2024, cluster_id: str) -> dict[str, str]:
    return {n.id: n.status for n in client.list_nodes(cluster_id).nodes}


def test_create_scale_keep_alive_delete(emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 3})
    outs = p.create(props).outs
    assert len(outs["instance_ids"]) == 3 and outs["failed_instances"] == [] and outs["failed_count"] == 0
    assert set(live(client, cluster).values()) == {"running"}
    names = [i["hostname"] for i in outs["instances"]]
    assert names == [host_name("n", outs["generation"], i) for i in range(3)] and outs["next_index"] == 3
    assert outs["log_status"] == "Finished"

    up = p.update("id", outs, {**props, "count": 5, "keep_alive": True}).outs
    assert len(up["instance_ids"]) == 5 and up["instance_ids"][:3] == outs["instance_ids"]
    assert up["instances"][3]["hostname"] == host_name("n", outs["generation"], 3) and up["next_index"] == 5
    assert all(n.keep_alive for n in client.list_nodes(cluster).nodes)

    down = p.update("id", up, {**props, "count": 2, "keep_alive": True}).outs
    assert down["instance_ids"] == up["instance_ids"][:2]  # the newest went
    assert set(live(client, cluster)) == set(down["instance_ids"])

    p.delete("id", down)
    assert live(client, cluster) == {}


def test_partial_failure_accept_lists_the_failed_with_their_reason(
        emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    emu.next_task(action="CreateNodes", outcome="PartialFail", succeed_count=3)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 4})
    outs = p.create(props).outs
    assert len(outs["instance_ids"]) == 3 and outs["failed_count"] == 1
    [failed] = outs["failed_instances"]
    assert failed["status"] == "exception" and failed["reason"] and failed["instance_id"] not in outs["instance_ids"]
    assert set(live(client, cluster)) == set(outs["instance_ids"])  # the failed node was released
    assert p.diff("id", outs, props).changes  # the next `up` adds the missing node
    again = p.update("id", outs, props).outs
    assert len(again["instance_ids"]) == 4 and again["next_index"] == 5


def test_partial_failure_rollback_leaves_nothing(emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    emu.next_task(action="CreateNodes", outcome="PartialFail", succeed_count=2)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 4, "partial_failure": "rollback"})
    with pytest.raises(NodeGroup2Error, match="2 of 4 nodes reached running"):
        p.create(props)
    assert live(client, cluster) == {}


def test_partial_failure_retry_adds_the_missing(emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    emu.next_task(action="CreateNodes", outcome="PartialFail", succeed_count=1)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 3, "partial_failure": "retry"})
    outs = p.create(props).outs
    assert len(outs["instance_ids"]) == 3 and len(outs["failed_instances"]) == 2 and creates(emu) == 2
    assert set(live(client, cluster).values()) == {"running"}


def test_a_retried_create_adopts_instead_of_adding_twice(
        emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 2})
    first = p.create(props).outs
    # The engine never got the answer (a crash, a lost response): the next `up` creates again.
    again = provider(emu, client).create(props).outs
    assert again["instance_ids"] == first["instance_ids"] and creates(emu) == 1
    assert len(live(client, cluster)) == 2


def test_a_create_whose_answer_was_lost_mid_way_adds_only_the_rest(
        emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 3})
    gen = NodeGroupProvider._generation(p._inputs(props))
    # An earlier attempt's CreateNodes went through for the first name only, its answer lost.
    earlier = client.create_nodes(cluster, queue_name="comp", count=1, hostnames=[host_name("n", gen, 0)])
    outs = p.create(props).outs
    assert len(outs["instance_ids"]) == 3 and earlier.instance_ids[0] in outs["instance_ids"]
    assert len(live(client, cluster)) == 3 and creates(emu) == 2


def test_cluster_gone_deletes_nothing_and_read_forgets(
        emu: EmulatorHandle, client: EhpcClient2024, cluster: str) -> None:
    p = provider(emu, client)
    props = checked(p, {"cluster_id": cluster, "queue_name": "comp", "count": 1})
    outs = p.create(props).outs
    p.delete("id", outs)
    client.delete_queues(cluster, queue_names=["comp"])
    client.delete_cluster(cluster)
    wait_for(lambda: all(c.cluster_id != cluster for c in client.list_clusters().clusters) or None)
    with pytest.raises(NotFoundError):
        client.get_cluster(cluster)
    assert p.read("id", outs).id is None
    p.delete("id", outs)  # nothing left to delete: no error
