"""`ehpc2.NodePool` under pulumi mocks: its shards (names, sizes, vswitches, capped min_count), inputs
refused at declaration with the property named (before any resource is registered), and its outputs
joined over the groups."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings

from pulumi_ehpc_tasks import InvalidInputsError, ehpc2
from pulumi_ehpc_tasks.provider.ehpc2 import NodeGroup2Inputs, NodePool2Inputs
from pulumi_ehpc_tasks.provider.ehpc2 import args as a
from pulumi_ehpc_tasks.provider.ehpc2.pool import NODE_POOL2_TYPE
from pulumi_ehpc_tasks.provider.inputs import INTERNAL_INPUTS
from pulumi_ehpc_tasks.provider.pool import plan_shards

BASE: dict[str, Any] = {"cluster_id": "ehpc-hz-abc", "queue_name": "comp"}
TWO = [{"vswitch_id": "vsw-a"}, {"vswitch_id": "vsw-b"}]


class _Mocks(pulumi.runtime.Mocks):
    """Records every registration; a group "creates" `count` nodes, and the one named `*-p1-0` lacks one."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        outs = dict(args.inputs)
        if args.typ.endswith("ehpc2:NodeGroup"):
            short = 1 if args.name.endswith("-p1-0") else 0
            ids = [f"{args.name}-i{k}" for k in range(int(outs["count"]) - short)]
            outs.update(instance_ids=ids, instances=[{"instance_id": i, "hostname": i, "ip": "", "status": "running"}
                                                     for i in ids],
                        failed_instances=[{"instance_id": f"{args.name}-x", "status": "exception", "reason": "r"}]
                        if short else [], failed_count=short)
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}

    def groups(self) -> dict[str, dict[str, Any]]:
        return {r.name: r.inputs for r in self.registered if r.typ.endswith("ehpc2:NodeGroup")}


@pytest.fixture
def mocks() -> Iterator[_Mocks]:
    loop = asyncio.new_event_loop()  # as test_args.py: the mocks need a loop of their own
    asyncio.set_event_loop(loop)
    # And a root stack of their own: set_mocks keeps an earlier test's, whose URN may still be pending on
    # that test's (closed) loop, and these tests await outputs that wait for it.
    settings.ROOT.set(None)
    recorder = _Mocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    yield recorder
    pending = asyncio.all_tasks(loop)  # the component's register_outputs, still in flight
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=10))
    asyncio.set_event_loop(None)
    loop.close()


def _resolve(output: pulumi.Output[Any]) -> Any:
    return asyncio.get_event_loop().run_until_complete(output.future())


def _shards(mocks: _Mocks, *pools: ehpc2.NodePool) -> list[tuple[str, int, str | None]]:
    for pool in pools:
        _resolve(pool.instance_ids)  # known once every group is registered
    # Registrations arrive in any order: by name (p<placement>-<shard>, single digits here).
    return sorted((n, int(i["count"]), i.get("vswitch_id")) for n, i in mocks.groups().items())


def test_shards_split_per_vswitch_in_groups_of_max_per_group(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", **BASE, count=130, max_per_group=40, placements=TWO, instance_type="ecs.c7.large")
    assert len(pool.groups) == 4
    assert _shards(mocks, pool) == [("pool-p0-0", 40, "vsw-a"), ("pool-p0-1", 25, "vsw-a"),
                              ("pool-p1-0", 40, "vsw-b"), ("pool-p1-1", 25, "vsw-b")]
    groups = mocks.groups()
    assert all(g["instance_type"] == "ecs.c7.large" and g["queue_name"] == "comp" for g in groups.values())
    assert not any(k in g for g in groups.values() for k in ("placements", "max_per_group"))
    # Children of the component, whose type token says the generation.
    assert [r.typ for r in mocks.registered if not r.custom] == [NODE_POOL2_TYPE]
    assert all(f"{NODE_POOL2_TYPE}$" in str(_resolve(g.urn)) for g in pool.groups)


def test_growing_keeps_the_shards_and_adds_at_the_end(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", **BASE, count=200, max_per_group=40, placements=TWO)
    assert [(n, c) for n, c, _ in _shards(mocks, pool)] == [("pool-p0-0", 40), ("pool-p0-1", 40), ("pool-p0-2", 20),
                                                      ("pool-p1-0", 40), ("pool-p1-1", 40), ("pool-p1-2", 20)]


def test_without_placements_the_queue_vswitch_and_99_per_group(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", **BASE, count=150)
    assert _shards(mocks, pool) == [("pool-p0-0", 99, None), ("pool-p0-1", 51, None)]


def test_an_odd_count_gives_earlier_placements_the_remainder(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", **BASE, count=7, placements=[*TWO, {"vswitch_id": "vsw-c"}])
    assert _shards(mocks, pool) == [("pool-p0-0", 3, "vsw-a"), ("pool-p1-0", 2, "vsw-b"), ("pool-p2-0", 2, "vsw-c")]


def test_values_not_known_yet_go_to_the_groups(mocks: _Mocks) -> None:
    cluster = pulumi.Output.from_input("ehpc-hz-abc").apply(lambda v: v)
    vswitch = pulumi.Output.from_input("vsw-a").apply(lambda v: v)
    pool = ehpc2.NodePool("pool", cluster_id=cluster, queue_name="comp", count=3, placements=[{"vswitch_id": vswitch}])
    assert _shards(mocks, pool) == [("pool-p0-0", 3, "vsw-a")]
    assert mocks.groups()["pool-p0-0"]["cluster_id"] == "ehpc-hz-abc"


def test_an_args_object_makes_the_same_groups(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", a.NodePoolArgs(**BASE, count=5, placements=TWO))
    assert _shards(mocks, pool) == [("pool-p0-0", 3, "vsw-a"), ("pool-p1-0", 2, "vsw-b")]


def test_min_count_is_capped_per_shard(mocks: _Mocks) -> None:
    known = ehpc2.NodePool("known", **BASE, count=130, max_per_group=40, placements=TWO, min_count=30)
    later = pulumi.Output.from_input(30).apply(lambda v: v)
    unknown = ehpc2.NodePool("later", **BASE, count=130, max_per_group=40, placements=TWO, min_count=later)
    _shards(mocks, known, unknown)
    caps = {n: g["min_count"] for n, g in mocks.groups().items()}
    assert caps == {f"{p}-{s}": m for p in ("known", "later")
                    for s, m in (("p0-0", 30), ("p0-1", 25), ("p1-0", 30), ("p1-1", 25))}


def test_outputs_join_the_groups_in_shard_order(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", **BASE, count=5, max_per_group=2, placements=TWO)
    ids = _resolve(pool.instance_ids)
    assert ids == ["pool-p0-0-i0", "pool-p0-0-i1", "pool-p0-1-i0", "pool-p1-0-i0"]  # p1-0 lacks one
    assert [i["instance_id"] for i in _resolve(pool.instances)] == ids
    assert _resolve(pool.failed_count) == 1
    assert [f["instance_id"] for f in _resolve(pool.failed_instances)] == ["pool-p1-0-x"]


def test_a_pool_of_none_has_no_groups(mocks: _Mocks) -> None:
    pool = ehpc2.NodePool("pool", **BASE, count=0, placements=TWO)
    assert pool.groups == [] and _resolve(pool.instance_ids) == [] and _resolve(pool.failed_count) == 0


LATER = object()  # replaced by a value not known yet


@pytest.mark.parametrize(("given", "prop", "fragment"), [
    ({"count": -1}, "count", "greater than or equal to 0"),
    ({"count": "5"}, "count", "whole number"),
    ({"max_per_group": 0}, "max_per_group", "greater than or equal to 1"),
    ({"max_per_group": 100}, "max_per_group", "less than or equal to 99"),
    ({"placements": []}, "placements", "at least 1"),
    ({"placements": [{"zone_id": "cn-hangzhou-k"}]}, "placements.0.zone_id", "takes no ZoneId"),
    ({"placements": [TWO[0], {"vswitch_id": "vsw-b", "zone_id": "cn-hangzhou-k"}]}, "placements.1.zone_id",
     "the vswitch decides the zone"),
    ({"placements": [{"vswitch_id": LATER, "zone_id": "cn-hangzhou-k"}]}, "placements.0.zone_id", "ZoneId"),
    ({"placements": [{"vswitch_id": LATER, "vswitch": "vsw-a"}]}, "placements.0.vswitch", "unknown input"),
    ({"placements": [{"vswitch_id": "sw-1"}]}, "placements.0.vswitch_id", "pattern"),
    ({"min_count": 11}, "min_count", "must be at most count (10)"),
    ({"vswitch_id": "vsw-a"}, "vswitch_id", "unknown input"),
    ({"zone_id": "cn-hangzhou-k"}, "zone_id", "unknown input"),
    ({"queue_name": "a_b"}, "queue_name", "pattern"),
    ({"hostname_prefix": "Node"}, "hostname_prefix", "pattern"),
    ({"cluster_id": "bad id"}, "cluster_id", "not an E-HPC cluster id"),
])
def test_bad_inputs_raise_at_declaration_naming_the_property(mocks: _Mocks, given: dict[str, Any], prop: str,
                                                             fragment: str) -> None:
    later = pulumi.Output.from_input("vsw-a").apply(lambda v: v)
    if "placements" in given:
        given = {"placements": [{k: later if v is LATER else v for k, v in p.items()} for p in given["placements"]]}
    with pytest.raises(InvalidInputsError) as caught:
        ehpc2.NodePool("pool", **{**BASE, "count": 10, **given})
    assert [p for p, _ in caught.value.failures] == [prop]
    assert fragment in caught.value.failures[0][1]
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(0))
    assert mocks.registered == []  # neither the component nor any group


def test_plan_shards_needs_a_placement() -> None:
    with pytest.raises(ValueError, match="placements must not be empty"):
        plan_shards(3, [])


def test_a_count_not_known_when_the_program_runs_is_refused(mocks: _Mocks) -> None:
    with pytest.raises(TypeError, match="count must be a whole number known when the program runs"):
        ehpc2.NodePool("pool", **BASE, count=pulumi.Output.from_input(3))  # type: ignore[arg-type]


@pytest.mark.parametrize(("args", "as_dict", "model"), [
    (a.NodePoolArgs, a.NodePoolArgsDict, NodePool2Inputs),
    (a.NodeGroupArgs, a.NodeGroupArgsDict, NodeGroup2Inputs),
], ids=["pool", "group"])
def test_args_dict_and_model_name_the_same_inputs(args: type, as_dict: type, model: Any) -> None:
    names = sorted(args.__annotations__)
    assert names == sorted(as_dict.__annotations__) == sorted(n for n in model.model_fields
                                                              if n not in INTERNAL_INPUTS)
    params = inspect.signature(args.__init__).parameters.values()
    required = {p.name for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
    assert required == set(as_dict.__required_keys__) == {n for n, f in model.model_fields.items()
                                                          if f.is_required()}
    assert set(a.PlacementDict.__annotations__) == {"vswitch_id"}
