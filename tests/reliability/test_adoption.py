"""Existing infrastructure: adoption with no write, refused adoptions that change nothing, and drift made
outside Pulumi that refresh records and the next update converges (or replaces) without a duplicate.
The provider's own methods against a real emulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_ehpc_tasks.provider.adoption import CLAIMS
from pulumi_ehpc_tasks.provider.cluster import ClusterProvider
from tests.emulator.test_provider_adoption import OTHER, URN, _checked, _existing, _provider, _run, _writes

from . import report
from .inproc import world


@pytest.fixture(autouse=True)
def _fresh_claims() -> None:
    CLAIMS.__init__()  # type: ignore[misc]  # one provider process per scenario


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def _compute(emu: Any) -> set[str]:
    return {n["InstanceId"] for n in emu.nodes() if n["Role"].lower() == "compute"}


@pytest.mark.parametrize("way", ["adopt_instance_ids", "adopt_host_name_prefix"])
def test_adoption_writes_nothing_then_the_group_is_managed(way: str) -> None:
    row = report.record("adoption", f"NodeGroup adopts 2 existing nodes by `{way}`, then count 3, then delete",
                        "provider/HTTP", "0 writes at create; +1 AddNodes; delete leaves nothing")
    with world() as w:
        emu = w.emu
        ids = _existing(emu, 2, prefix="legacy-")
        provider = _provider(emu)
        given = {"adopt_instance_ids": ids} if way == "adopt_instance_ids" else {"adopt_host_name_prefix": "legacy-"}
        checked = _checked(provider, {"cluster_id": emu.cluster_id, "count": 2, **given})
        before = _writes(emu)
        created = provider.create(checked.inputs)
        at_create = _delta(before, _writes(emu))
        grown = provider.update(created.id, created.outs, {**checked.inputs, "adopting": False, "count": 3}).outs
        at_scale = _delta(before, _writes(emu))
        provider.delete(created.id, grown)
        left = _compute(emu)
        ok = (not checked.failures and sorted(created.outs["instance_ids"]) == sorted(ids) and at_create == {}
              and at_scale == {"AddNodes": 1} and len(grown["instance_ids"]) == 3 and not left)
        row.finish(f"writes at create {at_create or 0}; after scale {at_scale}; {len(left)} left",
                   duplicates=max(0, at_scale.get("AddNodes", 0) - 1), leaks=len(left), ok=ok)
    assert ok, row.outcome


@pytest.mark.parametrize(("name", "given", "prop"), [
    ("ids-not-in-cluster", {"adopt_instance_ids": ["i-nosuchnode"], "count": 1}, "adopt_instance_ids"),
    ("prefix-matches-nothing", {"adopt_host_name_prefix": "nomatch-", "count": 1}, "adopt_host_name_prefix"),
    ("count-differs", {"adopt_host_name_prefix": "legacy-", "count": 5}, "count"),
    ("no-such-cluster", {"cluster_id": "ehpc-hz-nosuchclu", "adopt_host_name_prefix": "legacy-", "count": 1},
     "cluster_id"),
    ("held-by-another-group", {"count": 1}, "adopt_instance_ids"),
])
def test_refused_adoptions_change_nothing(name: str, given: dict[str, Any], prop: str) -> None:
    row = report.record("adoption", f"refused adoption: {name}", "provider/check",
                        f"check failure naming `{prop}`; 0 writes")
    with world() as w:
        emu = w.emu
        _existing(emu, 1, prefix="legacy-")
        provider = _provider(emu)
        if name == "held-by-another-group":
            first = provider.check({}, {"cluster_id": emu.cluster_id, "count": 1, "urn": OTHER})
            holder = provider.create(first.inputs)
            provider.diff(holder.id, holder.outs, holder.outs)  # the engine diffs the holder first
            given = {**given, "adopt_instance_ids": holder.outs["instance_ids"]}
        before = _writes(emu)
        failures = _checked(provider, {"cluster_id": emu.cluster_id, **given}).failures or []
        wrote = _delta(before, _writes(emu))
        said = "; ".join(f"{f.property}: {f.reason}" for f in failures)
        ok = [f.property for f in failures] == [prop] and not wrote
        row.finish(f"{said[:140] or 'accepted!'}; writes {wrote or 0}", ok=ok)
    assert ok, row.outcome


def test_drift_gone_and_stopped_nodes_converge_in_place() -> None:
    row = report.record("drift", "of 3 nodes, 1 deleted and 1 stopped outside Pulumi; refresh; update",
                        "provider/HTTP", "refresh records both; update adds 1 and starts 1, nothing else")
    with world() as w:
        emu = w.emu
        provider = _provider(emu)
        checked = provider.check({}, {"cluster_id": emu.cluster_id, "count": 3, "urn": URN})
        created = provider.create(checked.inputs)
        _a, b, c = created.outs["instance_ids"]
        _run(emu, "StopNodes", [b])
        _run(emu, "DeleteNodes", [c])
        outs = provider.read(created.id, created.outs).outs
        kinds = sorted(f["property"] for f in outs["drift"])
        before = _writes(emu)
        updated = provider.update(created.id, outs, checked.inputs).outs
        wrote = _delta(before, _writes(emu))
        live = _compute(emu)
        ok = kinds == ["exists", "running"] and wrote == {"AddNodes": 1, "StartNodes": 1} \
            and set(updated["instance_ids"]) == live and len(live) == 3
        row.finish(f"drift {kinds}; update wrote {wrote}; {len(live)} nodes", duplicates=max(0, len(live) - 3),
                   leaks=len(live - set(updated["instance_ids"])), ok=ok)
        provider.delete(created.id, updated)
    assert ok, row.outcome


def test_drift_of_instance_type_replaces_on_that_property() -> None:
    row = report.record("drift", "a node's instance type changed outside Pulumi; refresh; diff",
                        "provider/HTTP", "refresh records it; the diff replaces on `instance_type`")
    with world() as w:
        emu = w.emu
        provider = _provider(emu)
        checked = provider.check({}, {"cluster_id": emu.cluster_id, "count": 1, "urn": URN})
        created = provider.create(checked.inputs)
        [a] = created.outs["instance_ids"]
        emu.admin.patch(f"/_emulator/nodes/{a}", json={"InstanceType": "ecs.g7.large"}).raise_for_status()
        outs = provider.read(created.id, created.outs).outs
        replaces = provider.diff(created.id, outs, checked.inputs).replaces
        ok = replaces == ["instance_type"]
        row.finish(f"diff replaces {replaces}", ok=ok)
        provider.delete(created.id, outs)
    assert ok, row.outcome


def test_a_cluster_is_adopted_with_no_write() -> None:
    row = report.record("adoption", "Cluster adopts the existing cluster by `adopt_cluster_id`",
                        "provider/HTTP", "0 writes; the state holds the cluster's id and status")
    with world() as w:
        emu = w.emu
        provider = _provider(emu, ClusterProvider)
        urn = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:Cluster::hpc"
        checked = provider.check({}, {"urn": urn, "name": "emulator-demo", "adopt_cluster_id": emu.cluster_id})
        before = _writes(emu)
        created = provider.create(checked.inputs)
        wrote = _delta(before, _writes(emu))
        ok = not checked.failures and created.id == emu.cluster_id and not wrote and created.outs.get("status")
        row.finish(f"id {created.id}, status {created.outs.get('status')}; writes {wrote or 0}", ok=bool(ok))
    assert ok, row.outcome
