"""Adoption (NodeGroup `adopt_*`, Cluster `adopt_cluster_id`) with reads only, its bad inputs, and what a
refresh records of changes made outside Pulumi. Provider methods in-process against the emulator over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pulumi_ehpc_tasks.provider.adoption import CLAIMS
from pulumi_ehpc_tasks.provider.cluster import ClusterError, ClusterProvider
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupError, NodeGroupProvider
from pulumi_ehpc_tasks.provider.settings import ProviderSettings
from pulumi_ehpc_tasks.waiting import wait_for_task
from pulumi_ehpc_tasks.wire import ACTIONS, EhpcClient

URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:NodeGroup::adopter"
OTHER = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:NodeGroup::holder"
CLUSTER_URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:Cluster::hpc"


def _client(emu: Any) -> EhpcClient:
    return EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials)


def _provider(emu: Any, cls: type = NodeGroupProvider) -> Any:
    provider = cls()
    provider._settings = ProviderSettings(endpoint=emu.endpoint, _client=_client(emu))
    return provider


def _writes(emu: Any) -> dict[str, int]:
    counts: Mapping[str, int] = emu.admin.get("/_emulator/stats").json()["requests"]
    return {a: n for a, n in counts.items() if a in ACTIONS and not ACTIONS[a].read_only}


def _existing(emu: Any, count: int, prefix: str = "") -> list[str]:
    """Nodes made outside Pulumi (another tool, the console)."""
    client = _client(emu)
    resp = client.add_nodes(cluster_id=emu.cluster_id, count=count, host_name_prefix=prefix or None)
    finished = wait_for_task(client, emu.cluster_id, resp.task_id, timeout_s=30)
    return finished.task.result.instance_ids


def _run(emu: Any, action: str, ids: list[str]) -> None:
    client = _client(emu)
    task = getattr(client, ACTIONS[action].method_name)(cluster_id=emu.cluster_id, instance_ids=ids).task_id
    wait_for_task(client, emu.cluster_id, task, timeout_s=30).raise_for_outcome()


def _checked(provider: Any, news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
    return provider.check(olds or {}, {"urn": URN, **news})


@pytest.fixture(autouse=True)
def _fresh_claims() -> None:
    CLAIMS.__init__()  # type: ignore[misc]  # one provider process per test


def test_admin_changes_a_node_behind_the_apis_back(emu: Any) -> None:
    [iid] = _existing(emu, 1)
    resp = emu.admin.patch(f"/_emulator/nodes/{iid}", json={"InstanceType": "ecs.c7.xlarge", "Status": "stopped"})
    assert resp.status_code == 200 and resp.json()["node"]["InstanceType"] == "ecs.c7.xlarge"
    listed = {n.id: n for n in _client(emu).list_nodes(cluster_id=emu.cluster_id, role="Compute").nodes}
    assert listed[iid].instance_type == "ecs.c7.xlarge" and listed[iid].status == "stopped"
    assert emu.admin.patch("/_emulator/nodes/i-nosuchnode", json={"ImageId": "m-x"}).status_code == 404
    assert emu.admin.patch(f"/_emulator/nodes/{iid}", json={"Zone": "x"}).status_code == 400
    assert emu.admin.patch(f"/_emulator/nodes/{iid}", json={}).status_code == 400


def test_adopting_by_ids_makes_no_write_then_scales_and_deletes_like_a_created_group(emu: Any) -> None:
    ids = _existing(emu, 2)
    provider = _provider(emu)
    before = _writes(emu)
    checked = _checked(provider, {"cluster_id": emu.cluster_id, "count": 2, "adopt_instance_ids": ids})
    assert checked.failures == [] and checked.inputs["adopting"] is True
    created = provider.create(checked.inputs)
    assert _writes(emu) == before  # reads only
    outs = created.outs
    assert outs["instance_ids"] == ids and outs["failed_count"] == 0 and outs["drift"] == []
    assert {i["status"] for i in outs["instances"]} == {"running"} and outs["instances"][0]["hostname"]

    # Later: the adopt inputs are ignored (a change is no diff); count up adds, as for a created group.
    news = {**checked.inputs, "adopt_instance_ids": ids[:1]}
    again = provider.check(checked.inputs, news)
    assert "adopting" not in again.inputs or again.inputs["adopting"] is False
    assert provider.diff(created.id, outs, again.inputs).changes is False
    grown = provider.update(created.id, outs, {**again.inputs, "count": 3}).outs
    assert grown["instance_ids"][:2] == ids and len(grown["instance_ids"]) == 3
    provider.delete(created.id, grown)
    assert [n for n in emu.admin.get("/_emulator/nodes").json()["nodes"] if n["Role"] == "Compute"] == []


def test_adopting_by_host_name_prefix_takes_every_matching_node(emu: Any) -> None:
    mine = _existing(emu, 2, prefix="legacy-")
    _existing(emu, 1)  # not matching
    provider = _provider(emu)
    checked = _checked(provider, {"cluster_id": emu.cluster_id, "count": 2, "adopt_host_name_prefix": "legacy-"})
    assert checked.failures == []
    before = _writes(emu)
    outs = provider.create(checked.inputs).outs
    assert sorted(outs["instance_ids"]) == sorted(mine) and _writes(emu) == before


@pytest.mark.parametrize(
    ("given", "prop", "fragment"),
    [
        ({"adopt_instance_ids": ["i-nosuchnode"], "count": 1}, "adopt_instance_ids", "not a compute node"),
        ({"adopt_host_name_prefix": "nomatch-", "count": 1}, "adopt_host_name_prefix", "no compute node"),
        ({"adopt_host_name_prefix": "compute", "count": 5}, "count", "count must be 1"),
        ({"cluster_id": "ehpc-hz-nosuchclu", "adopt_host_name_prefix": "x", "count": 1}, "cluster_id", "no cluster"),
    ],
)
def test_bad_adoptions_fail_at_check_naming_the_input(
    emu: Any, given: dict[str, Any], prop: str, fragment: str
) -> None:
    _existing(emu, 1)
    before = _writes(emu)
    checked = _checked(_provider(emu), {"cluster_id": emu.cluster_id, **given})
    assert [(f.property, fragment in f.reason) for f in checked.failures] == [(prop, True)], checked.failures
    assert _writes(emu) == before


def test_duplicate_ids_and_both_ways_are_refused_by_the_model(emu: Any) -> None:
    [iid] = _existing(emu, 1)
    provider = _provider(emu)
    twice = _checked(provider, {"cluster_id": emu.cluster_id, "count": 2, "adopt_instance_ids": [iid, iid]})
    assert [f.property for f in twice.failures] == ["adopt_instance_ids"]
    assert "more than once" in twice.failures[0].reason
    both = _checked(provider, {"cluster_id": emu.cluster_id, "count": 1, "adopt_instance_ids": [iid],
                               "adopt_host_name_prefix": "compute"})
    assert [f.property for f in both.failures] == ["adopt_host_name_prefix"]


def test_nodes_another_group_of_the_stack_holds_are_refused_at_check_and_at_create(emu: Any) -> None:
    provider = _provider(emu)
    holder = provider.create(provider.check({}, {"cluster_id": emu.cluster_id, "count": 1, "urn": OTHER}).inputs)
    held = holder.outs["instance_ids"]
    provider.diff(holder.id, holder.outs, holder.outs)  # the engine diffs the holder (declared first): noted
    checked = _checked(provider, {"cluster_id": emu.cluster_id, "count": 1, "adopt_instance_ids": held})
    assert [f.property for f in checked.failures] == ["adopt_instance_ids"]
    assert "holder" in checked.failures[0].reason

    # Values unknown at preview: create refuses before recording anything, and writes nothing.
    before = _writes(emu)
    props = {"urn": URN, "cluster_id": emu.cluster_id, "count": 1, "adopt_instance_ids": held, "adopting": True}
    with pytest.raises(NodeGroupError, match="adopt_instance_ids: already held by another resource"):
        provider.create(props)
    assert _writes(emu) == before


def test_a_replacement_of_an_adopting_group_adds_new_nodes(emu: Any) -> None:
    ids = _existing(emu, 1)
    provider = _provider(emu)
    checked = _checked(provider, {"cluster_id": emu.cluster_id, "count": 1, "adopt_instance_ids": ids})
    outs = provider.create(checked.inputs).outs
    # The engine diffs, then checks the replacement with no old inputs, as if it were new: no adoption then
    # (those nodes are the old group's, which its delete removes).
    news = {"urn": URN, "cluster_id": emu.cluster_id, "count": 1, "adopt_instance_ids": ids,
            "instance_type": "ecs.c7.xlarge"}
    assert provider.diff("x", outs, provider.check(checked.inputs, news).inputs).replaces == ["instance_type"]
    replaced = provider.check({}, news)
    assert replaced.failures == [] and not replaced.inputs.get("adopting")
    new = provider.create(replaced.inputs).outs
    assert not set(new["instance_ids"]) & set(ids)


def test_refresh_records_each_drift_and_the_next_update_converges(emu: Any) -> None:
    provider = _provider(emu)
    checked = provider.check({}, {"cluster_id": emu.cluster_id, "count": 3, "urn": URN})
    created = provider.create(checked.inputs)
    a, b, c = created.outs["instance_ids"]
    _run(emu, "StopNodes", [b])
    _run(emu, "DeleteNodes", [c])
    read = provider.read(created.id, created.outs)
    outs = read.outs
    assert outs["instance_ids"] == [a, b] and outs["count"] == 2 and outs["running"] is False
    assert {i["instance_id"]: i["status"] for i in outs["instances"]} == {a: "running", b: "stopped"}
    assert {(f["instance_id"], f["property"]) for f in outs["drift"]} == {(c, "exists"), (b, "running")}
    assert read.inputs is not None and read.inputs["count"] == 2 and read.inputs["running"] is False

    # The next up: both named in the diff and converged in place: one node added, only `b` started.
    diff = provider.diff(created.id, outs, checked.inputs)
    assert diff.changes is True and diff.replaces == []
    before = _writes(emu)
    updated = provider.update(created.id, outs, checked.inputs).outs
    assert len(updated["instance_ids"]) == 3 and updated["drift"] == []
    assert {k: v - before.get(k, 0) for k, v in _writes(emu).items() if v != before.get(k, 0)} == {
        "AddNodes": 1, "StartNodes": 1}
    statuses = {n["InstanceId"]: n["Status"] for n in emu.admin.get("/_emulator/nodes").json()["nodes"]}
    assert all(statuses[i] == "running" for i in updated["instance_ids"])

    # An instance type (or image) changed outside: refresh records it and the diff replaces on it.
    emu.admin.patch(f"/_emulator/nodes/{a}", json={"InstanceType": "ecs.g7.large"}).raise_for_status()
    outs = provider.read(created.id, updated).outs
    assert outs["instance_type"] == "ecs.g7.large"
    found = [(f["instance_id"], f["property"], f["actual"]) for f in outs["drift"]]
    assert found == [(a, "instance_type", "ecs.g7.large")]
    assert provider.diff(created.id, outs, checked.inputs).replaces == ["instance_type"]
    # A second refresh keeps it (the state holds what the node is).
    second = provider.read(created.id, outs).outs
    assert provider.diff(created.id, second, checked.inputs).replaces == ["instance_type"]


def test_refresh_without_drift_leaves_the_inputs_alone(emu: Any) -> None:
    provider = _provider(emu)
    created = provider.create(provider.check({}, {"cluster_id": emu.cluster_id, "count": 1, "urn": URN}).inputs)
    read = provider.read(created.id, created.outs)
    assert read.inputs is None and read.outs["drift"] == []


def test_adopting_a_cluster_reads_only_and_then_manages_it(emu: Any) -> None:
    provider = _provider(emu, ClusterProvider)
    name = _client(emu).describe_cluster(emu.cluster_id).cluster_info.name
    before = _writes(emu)
    missing = provider.check({}, {"name": name, "adopt_cluster_id": "ehpc-hz-nosuchclu", "urn": CLUSTER_URN})
    assert [f.property for f in missing.failures] == ["adopt_cluster_id"]
    misnamed = provider.check({}, {"name": "other", "adopt_cluster_id": emu.cluster_id, "urn": CLUSTER_URN})
    assert [f.property for f in misnamed.failures] == ["name"]
    with pytest.raises(ClusterError, match="adopt_cluster_id"):
        provider.create({"name": name, "adopt_cluster_id": "ehpc-hz-nosuchclu", "adopting": True})

    checked = provider.check({}, {"name": name, "adopt_cluster_id": emu.cluster_id, "urn": CLUSTER_URN})
    assert checked.failures == [] and checked.inputs["adopting"] is True
    created = provider.create(checked.inputs)
    assert _writes(emu) == before
    assert created.id == emu.cluster_id and created.outs["cluster_id"] == emu.cluster_id
    assert sorted(i["role"] for i in created.outs["instances"]) == ["Login", "Manager"]
    assert created.outs["status"] == "running"
    later = provider.check(checked.inputs, {**checked.inputs, "adopt_cluster_id": "ehpc-hz-elsewhere0"})
    assert provider.diff(created.id, created.outs, later.inputs).changes is False
    # A replacement (checked again with no olds, after the diff) creates a cluster, never adopts this one.
    assert not provider.check({}, {"name": name, "adopt_cluster_id": emu.cluster_id, "urn": CLUSTER_URN,
                                   "description": "changed"}).inputs.get("adopting")
    provider.delete(created.id, created.outs)
    assert _writes(emu).get("DeleteCluster", 0) == before.get("DeleteCluster", 0) + 1
