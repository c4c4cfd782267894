"""E-HPC 2.0 cluster and queue providers in-process against the emulator over HTTP: a cluster awaited to
`running` and until ClusterNotFound, `exception` failing with the log's reason, a retried create adopting
the cluster it made; a queue created, updated, refused delete while nodes remain, deleted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle
from pulumi_ehpc_tasks.provider.ehpc2 import (
    Cluster2Error,
    ClusterProvider,
    NodeGroupProvider,
    Queue2Error,
    QueueProvider,
)
from pulumi_ehpc_tasks.provider.settings import ProviderSettings
from pulumi_ehpc_tasks.wire import EhpcClient2024, NotFoundError

URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc2:Cluster::c"


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[EhpcClient2024]:
    with EhpcClient2024(endpoint=emu.endpoint, credentials=emu.credentials) as c:
        yield c


def provider(kind: type, emu: EmulatorHandle, client: EhpcClient2024) -> Any:
    p = kind()
    p._settings = ProviderSettings(endpoint=emu.endpoint, _client_2024=client)
    return p


def checked(p: Any, props: dict[str, Any]) -> dict[str, Any]:
    result = p.check({}, props)
    assert not result.failures, result.failures
    return {**result.inputs, "urn": URN}


def test_cluster_queue_nodes_lifecycle(emu: EmulatorHandle, client: EhpcClient2024) -> None:
    clusters = provider(ClusterProvider, emu, client)
    props = checked(clusters, {"cluster_name": "life-2", "scheduler_type": "SLURM"})
    made = clusters.create(props)
    assert client.get_cluster(made.id).cluster_status == "running" and made.outs["cluster_status"] == "running"
    # A create retried after a lost answer finds the cluster by its name instead of creating another.
    again = provider(ClusterProvider, emu, client).create(props)
    assert again.id == made.id and emu.stats()["requests"].get("CreateCluster") == 1

    queues = provider(QueueProvider, emu, client)
    qprops = checked(queues, {"cluster_id": made.id, "queue_name": "comp", "max_count": 10})
    queues.create(qprops)
    queues.update("q", qprops, {**qprops, "max_count": 20})
    assert client.get_queue(made.id, queue_name="comp").queue.max_count == 20

    groups = provider(NodeGroupProvider, emu, client)
    gprops = checked(groups, {"cluster_id": made.id, "queue_name": "comp", "count": 2})
    nodes = groups.create({**gprops, "urn": URN.replace("Cluster::c", "NodeGroup::g")}).outs
    with pytest.raises(Queue2Error, match="still has 2 node"):
        queues.delete("q", qprops)
    groups.delete("g", nodes)
    queues.delete("q", qprops)
    assert client.list_queues(made.id).queues == []

    clusters.delete(made.id, made.outs)
    with pytest.raises(NotFoundError):
        client.get_cluster(made.id)  # awaited until gone, not just asked
    assert clusters.read(made.id, made.outs).id is None


def test_cluster_in_exception_fails_with_the_reason(emu: EmulatorHandle, client: EhpcClient2024) -> None:
    emu.next_task(action="CreateCluster", outcome="Failed")
    clusters = provider(ClusterProvider, emu, client)
    with pytest.raises(Cluster2Error, match=r"ended exception: .+") as failed:
        clusters.create(checked(clusters, {"cluster_name": "bad-2"}))
    # The failed stage, from GetCommonLogDetail, beside the log's message.
    assert re.search(r"stage Step\d+ \(CreateCluster\.Step\d+\) failed: ClusterInitFailed", str(failed.value))
    assert emu.stats()["requests"].get("GetCommonLogDetail") == 1


def test_bad_cluster_and_queue_inputs_name_the_property(emu: EmulatorHandle, client: EhpcClient2024) -> None:
    clusters, queues = provider(ClusterProvider, emu, client), provider(QueueProvider, emu, client)
    assert [f.property for f in clusters.check({}, {"cluster_name": "x"}).failures] == ["cluster_name"]
    assert [f.property for f in clusters.check({}, {"cluster_name": "ok-1", "cluster_vpc_id": "v1"}).failures] == [
        "cluster_vpc_id"]
    bad = queues.check({}, {"cluster_id": "ehpc-hz-1", "queue_name": "q", "min_count": 5, "max_count": 2})
    assert [f.property for f in bad.failures] == ["min_count"]
    assert emu.stats()["requests"].get("CreateCluster") is None  # a refused input makes no call
