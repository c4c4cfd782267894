"""A create whose AddNodes task Failed can be retried: the same ClientToken must not replay the old
failure for ever. Provider methods in-process against the emulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_ehpc_tasks.provider.cluster import ClusterError, ClusterProvider
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider
from pulumi_ehpc_tasks.provider.settings import ProviderSettings
from pulumi_ehpc_tasks.waiting import TaskFailedError
from pulumi_ehpc_tasks.wire import EhpcClient

URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:NodeGroup::g"


def _provider(emu: Any) -> NodeGroupProvider:
    provider = NodeGroupProvider()
    client = EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials)
    provider._settings = ProviderSettings(endpoint=emu.endpoint, _client=client)  # type: ignore[attr-defined]
    return provider


def _adds(emu: Any) -> int:
    return int(emu.admin.get("/_emulator/stats").json()["requests"].get("AddNodes", 0))


def test_create_after_a_failed_addnodes_task_adds_nodes(emu: Any) -> None:
    emu.admin.post("/_emulator/next-task", json={"action": "AddNodes", "outcome": "Failed"}).raise_for_status()
    props = {"cluster_id": emu.cluster_id, "count": 2, "urn": URN}
    with pytest.raises(TaskFailedError):
        _provider(emu).create(props)
    assert _adds(emu) == 1

    # The next `pulumi up` (a new provider process) with the same program: same URN, same parameters.
    outs = _provider(emu).create(props).outs
    assert len(outs["instance_ids"]) == 2 and outs["task_status"] == "Success"
    assert _adds(emu) == 3  # the replayed token (its failure recognised), then the next generation

    # And a third run re-attaches to that success instead of adding more (two replayed calls: the old
    # failure, then the success).
    again = _provider(emu).create(props).outs
    assert again["instance_ids"] == outs["instance_ids"] and _adds(emu) == 5
    nodes = [n for n in emu.admin.get("/_emulator/nodes").json()["nodes"] if n["Role"].lower() == "compute"]
    assert sorted(n["InstanceId"] for n in nodes) == sorted(outs["instance_ids"])


def test_create_after_a_partialfail_that_added_nothing_adds_nodes(emu: Any) -> None:
    """A rolled-back PartialFail with no node added, replayed by its ClientToken, is over: the next run
    asks again (the chaos run, seed 1, found `pulumi up` failing for ever on the replay)."""
    emu.admin.post("/_emulator/next-task", json={"action": "AddNodes", "outcome": "PartialFail",
                                                 "succeed_count": 0}).raise_for_status()
    props = {"cluster_id": emu.cluster_id, "count": 1, "urn": URN, "partial_failure": "rollback"}
    with pytest.raises(Exception, match="PartialFail"):
        _provider(emu).create(props)
    assert _adds(emu) == 1

    outs = _provider(emu).create(props).outs
    assert len(outs["instance_ids"]) == 1 and outs["task_status"] == "Success"
    assert _adds(emu) == 3  # the replayed PartialFail (recognised), then the next generation
    nodes = [n for n in emu.admin.get("/_emulator/nodes").json()["nodes"] if n["Role"].lower() == "compute"]
    assert sorted(n["InstanceId"] for n in nodes) == sorted(outs["instance_ids"])


CLUSTER_URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:Cluster::hpc"


@pytest.mark.parametrize("outcome", ["Failed", "PartialFail"])
def test_a_failed_createcluster_leaves_nothing_and_the_next_create_makes_one(emu: Any, outcome: str) -> None:
    """Found by the chaos batch (seeds 8, 23, 40, ...): a create that raises leaves no state, so the cluster
    a Failed/PartialFail CreateCluster made leaked, and a PartialFail replayed by its ClientToken failed
    every later `pulumi up`."""
    client = EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials)
    before = {c.id for c in client.list_clusters().clusters}
    provider = ClusterProvider()
    provider._settings = ProviderSettings(endpoint=emu.endpoint, _client=client)  # type: ignore[attr-defined]
    props = {"name": "chaos", "compute_count": 2, "urn": CLUSTER_URN}
    emu.admin.post("/_emulator/next-task", json={"action": "CreateCluster", "outcome": outcome}).raise_for_status()
    with pytest.raises(ClusterError, match=f"{outcome}.*has been deleted with its instances"):
        provider.create(props)
    assert {c.id for c in client.list_clusters().clusters} == before

    created = provider.create(props)  # the next `pulumi up`: a new cluster, not the replayed failure
    assert created.outs["task_status"] == "Success"
    assert {c.id for c in client.list_clusters().clusters} == before | {created.id}
    assert provider.create(props).id == created.id  # and a third re-attaches to it


def test_a_lost_deletenodes_answer_whose_task_fails_keeps_the_nodes_in_the_state(emu: Any) -> None:
    """Found by the chaos batch (seed 28): after a DeleteNodes answer was lost, nodes on their way out
    counted as deleted, so a scale-down reported success while the task then failed and the node stayed,
    a leak. The update must wait for that task and fail, keeping the group as it was."""
    provider = _provider(emu)
    created = provider.create({"cluster_id": emu.cluster_id, "count": 2, "urn": URN})
    emu.admin.post("/_emulator/faults", json={"action": "DeleteNodes", "drop": "after", "times": 1}
                   ).raise_for_status()
    emu.admin.post("/_emulator/next-task", json={"action": "DeleteNodes", "outcome": "Failed"}).raise_for_status()
    with pytest.raises(TaskFailedError):
        _provider(emu).update(created.id, created.outs, {**created.outs, "count": 1})
    emu.admin.delete("/_emulator/faults").raise_for_status()
    nodes = [n for n in emu.admin.get("/_emulator/nodes").json()["nodes"] if n["Role"].lower() == "compute"]
    assert sorted(n["InstanceId"] for n in nodes) == sorted(created.outs["instance_ids"])

    shrunk = _provider(emu).update(created.id, created.outs, {**created.outs, "count": 1}).outs
    nodes = [n for n in emu.admin.get("/_emulator/nodes").json()["nodes"] if n["Role"].lower() == "compute"]
    assert [n["InstanceId"] for n in nodes] == shrunk["instance_ids"] and len(shrunk["instance_ids"]) == 1


def test_a_failed_cluster_that_could_not_be_deleted_goes_at_the_next_create(emu: Any) -> None:
    """Chaos seed 8: the cleanup DeleteCluster could not run (DescribeCluster refused), so the failed
    cluster stayed; the next `pulumi up` recognises the replayed failure and deletes that cluster first."""
    client = EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials)
    before = {c.id for c in client.list_clusters().clusters}
    provider = ClusterProvider()
    provider._settings = ProviderSettings(endpoint=emu.endpoint, _client=client)  # type: ignore[attr-defined]
    props = {"name": "chaos", "compute_count": 1, "urn": CLUSTER_URN}
    emu.admin.post("/_emulator/next-task", json={"action": "CreateCluster", "outcome": "PartialFail"}
                   ).raise_for_status()
    emu.admin.post("/_emulator/faults", json={"action": "DescribeCluster", "code": "NotAuthorized"}
                   ).raise_for_status()
    with pytest.raises(ClusterError, match=r"failed too.*the next `pulumi up` deletes it"):
        provider.create(props)
    emu.admin.delete("/_emulator/faults").raise_for_status()
    [failed] = {c.id for c in client.list_clusters().clusters} - before

    created = provider.create(props)
    assert created.id != failed and created.outs["task_status"] == "Success"
    assert {c.id for c in client.list_clusters().clusters} == before | {created.id}
