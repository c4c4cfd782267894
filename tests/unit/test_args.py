"""The typed inputs: Args objects and keyword arguments agree with each other and with the providers'
input models, and what is wrong with known values is refused when the resource is declared (so a unit
test of a stack program with `pulumi.runtime.set_mocks` sees it)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from pulumi_ehpc_tasks import Cluster, ClusterArgs, InvalidInputsError, NodeGroup, NodeGroupArgs, NodePool, TaskWait
from pulumi_ehpc_tasks.provider import args as a
from pulumi_ehpc_tasks.provider.cluster import ClusterInputs
from pulumi_ehpc_tasks.provider.inputs import DEFAULT_TIMEOUTS_S, INTERNAL_INPUTS, NodeGroupInputs
from pulumi_ehpc_tasks.provider.taskwait import TaskWaitInputs

PAIRS = [
    (a.NodeGroupArgs, a.NodeGroupArgsDict, NodeGroupInputs),
    (a.ClusterArgs, a.ClusterArgsDict, ClusterInputs),
    (a.TaskWaitArgs, a.TaskWaitArgsDict, TaskWaitInputs),
    (a.NodePoolArgs, a.NodePoolArgsDict, None),
]


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture(autouse=True)
def _mocks() -> Iterator[None]:
    # The mocks register resources on the current event loop; async tests run before these may have
    # closed theirs and left none, so these tests bring their own.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(_Mocks(), preview=False)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.mark.parametrize(("args", "as_dict", "model"), PAIRS, ids=lambda x: getattr(x, "__name__", ""))
def test_args_class_dict_and_model_name_the_same_inputs(args: type, as_dict: type, model: Any) -> None:
    names = list(args.__annotations__)
    assert sorted(names) == sorted(as_dict.__annotations__)
    params = inspect.signature(args.__init__).parameters.values()
    required = {p.name for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
    assert required == set(as_dict.__required_keys__)
    if model is not None:
        assert sorted(names) == sorted(n for n in model.model_fields if n not in INTERNAL_INPUTS)
        assert {n for n, f in model.model_fields.items() if f.is_required()} == set(as_dict.__required_keys__)


def test_timeouts_dict_has_the_keys_the_model_takes() -> None:
    assert set(a.TimeoutsDict.__annotations__) == set(DEFAULT_TIMEOUTS_S)


def test_every_property_has_a_description() -> None:
    from scripts.gen_reference import property_docs

    for args, _, _ in PAIRS:
        docs = property_docs(args)
        assert set(docs) == set(args.__annotations__), args.__name__
        assert all(docs.values()), args.__name__


def test_args_object_and_keywords_make_the_same_inputs() -> None:
    by_kw = NodeGroup("kw", cluster_id="ehpc-hz-x", count=2, instance_type="ecs.c7.large")
    by_args = NodeGroup("obj", NodeGroupArgs(cluster_id="ehpc-hz-x", count=2, instance_type="ecs.c7.large"))
    assert isinstance(by_kw, NodeGroup) and isinstance(by_args, NodeGroup)
    Cluster("c", ClusterArgs(name="hpc", compute_count=1), pulumi.ResourceOptions(protect=False))
    TaskWait("t", cluster_id="ehpc-hz-x", task_id="T-1", fail_on_error=False)
    with pytest.raises(TypeError, match="not both"):
        NodeGroup("both", NodeGroupArgs(cluster_id="ehpc-hz-x", count=1), count=2)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("make", "prop", "fragment"),
    [
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, instance_typ="ecs.c7.large"),
         "instance_typ", "unknown input"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count="2"), "count", "whole number"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=100), "count", "less than or equal to 99"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, min_count=3), "min_count", "must not exceed"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, instance_type="c7.large"), "instance_type",
         "pattern"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, vswitch_id="vs-1"), "vswitch_id", "pattern"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, zone_id="hangzhou"), "zone_id", "pattern"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, host_name_prefix="Web_"), "host_name_prefix",
         "pattern"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, timeouts={"creat": "1h"}), "timeouts.creat",
         "unknown input"),
        (lambda: Cluster("c", name="hpc", deploy_mode="Huge"), "deploy_mode", "'Standard', 'Simple' or 'Tiny'"),
        (lambda: Cluster("c", ClusterArgs(name="hpc", password="short")), "password", "8-30 characters"),
        (lambda: TaskWait("t", cluster_id="ehpc-hz-x", task_id=""), "task_id", "at least 1"),
        (lambda: NodePool("p", cluster_id="ehpc-hz-x", count=3, instance_type="c7"), "instance_type", "pattern"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=2, adopt_instance_ids=["i-a", "i-a"]),
         "adopt_instance_ids", "more than once"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=1, adopt_instance_ids=["vm-1"]),
         "adopt_instance_ids.0", "pattern"),
        (lambda: NodeGroup("g", cluster_id="ehpc-hz-x", count=1, adopt_instance_ids=["i-a"],
                           adopt_host_name_prefix="gpu-"), "adopt_host_name_prefix", "not both"),
    ],
)
def test_known_bad_inputs_raise_at_declaration(make: Any, prop: str, fragment: str) -> None:
    with pytest.raises(InvalidInputsError) as caught:
        make()
    assert [p for p, _ in caught.value.failures] == [prop]
    assert fragment in caught.value.failures[0][1]
    assert f"property {prop} has a problem" in str(caught.value)


def test_values_not_known_yet_are_left_to_check() -> None:
    later = pulumi.Output.from_input("ehpc-hz-x").apply(lambda v: v)
    NodeGroup("g", cluster_id=later, count=2)  # cluster_id is checked at preview, not here
    with pytest.raises(InvalidInputsError) as caught:
        NodeGroup("g2", cluster_id=later, count=0)
    assert [p for p, _ in caught.value.failures] == ["count"]


def test_node_pool_refuses_adopt_inputs() -> None:
    with pytest.raises(TypeError, match="adopt_instance_ids is a NodeGroup input"):
        NodePool("p", cluster_id="ehpc-hz-x", count=1, adopt_instance_ids=["i-a"])
