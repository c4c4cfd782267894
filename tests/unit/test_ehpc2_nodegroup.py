"""E-HPC 2.0 node group: inputs refused at preview with the property named, derived host names, the diff,
and the state waiter's verdicts (waiting/states.py) from listings, with a fake 2024 client."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_ehpc_tasks.provider.ehpc2 import NodeGroup2Inputs, NodeGroupProvider
from pulumi_ehpc_tasks.provider.ehpc2.hostnames import generation, host_name, index_of
from pulumi_ehpc_tasks.provider.inputs import check_inputs
from pulumi_ehpc_tasks.waiting import Outcome
from pulumi_ehpc_tasks.waiting.states import Goal, StateRegistry
from pulumi_ehpc_tasks.wire.models_2024 import (
    CommonLog,
    GetClusterResponse,
    ListCommonLogsResponse,
    ListNodes2024Response,
    V2Node,
)

BASE = {"cluster_id": "ehpc-hz-abc", "queue_name": "comp", "count": 4}


def failures(**given: Any) -> list[tuple[str, str]]:
    model, found = check_inputs(NodeGroup2Inputs, {**BASE, **given})
    assert (model is None) == bool(found)
    return [(f.property, f.reason) for f in found]


@pytest.mark.parametrize(("given", "prop"), [
    ({"count": 0}, "count"), ({"count": 100}, "count"), ({"count": "4"}, "count"),
    ({"min_count": 5}, "min_count"), ({"queue_name": "a_b"}, "queue_name"), ({"queue_name": "q" * 16}, "queue_name"),
    ({"hostname_prefix": "Node"}, "hostname_prefix"), ({"hostname_prefix": "n" * 13}, "hostname_prefix"),
    ({"instance_type": "c7.large"}, "instance_type"), ({"vswitch_id": "sw-1"}, "vswitch_id"),
    ({"partial_failure": "ignore"}, "partial_failure"), ({"keep_alive": "yes"}, "keep_alive"),
    ({"cluster_id": "bad id"}, "cluster_id"), ({"zone": "x"}, "zone"),
])
def test_bad_inputs_name_the_property(given: dict[str, Any], prop: str) -> None:
    assert [p for p, _ in failures(**given)] == [prop]


def test_good_inputs_pass_and_whole_floats_are_counts() -> None:
    assert failures(count=99.0, min_count=99, hostname_prefix="gpu-a", instance_type="ecs.c7.large") == []


def test_host_names_are_deterministic_per_urn_and_creation_inputs() -> None:
    gen = generation("urn:a", {"queue_name": "comp"})
    assert gen == generation("urn:a", {"queue_name": "comp"}) and len(gen) == 8
    assert gen != generation("urn:b", {"queue_name": "comp"}) != generation("urn:a", {"queue_name": "q2"})
    name = host_name("n", gen, 7)
    assert len(host_name("n" * 12, gen, 9999)) <= 32 and index_of(name, "n", gen) == 7
    assert index_of(name, "n", "00000000") is None


def test_diff_replaces_on_creation_inputs_and_scales_in_place() -> None:
    p = NodeGroupProvider()
    olds = {**BASE, "instance_ids": ["i-1", "i-2", "i-3", "i-4"]}
    assert p.diff("id", olds, {**BASE, "count": 6}).replaces == []
    assert p.diff("id", olds, {**BASE, "count": 6}).changes
    assert p.diff("id", olds, {**BASE, "queue_name": "other"}).replaces == ["queue_name"]
    assert not p.diff("id", olds, dict(BASE)).changes
    # A partial failure accepted left 3 of 4: the next `up` adds the missing one.
    assert p.diff("id", {**olds, "instance_ids": ["i-1", "i-2", "i-3"]}, dict(BASE)).changes


class FakeSource:
    """Answers ListNodes from a script of listings, one per tick; counts the calls."""

    def __init__(self, listings: list[list[tuple[str, str]]], log: str = "InProgress") -> None:
        self.listings, self.log, self.calls = listings, log, {"nodes": 0, "logs": 0, "cluster": 0}

    def list_nodes(self, /, cluster_id: str, **filters: Any) -> ListNodes2024Response:
        listing = self.listings[min(self.calls["nodes"], len(self.listings) - 1)]
        self.calls["nodes"] += 1
        nodes = [V2Node(Id=i, Status=s, Reason="no stock" if s == "exception" else "") for i, s in listing]
        return ListNodes2024Response(Nodes=nodes, TotalCount=len(nodes))

    def get_cluster(self, cluster_id: str) -> GetClusterResponse:
        self.calls["cluster"] += 1
        return GetClusterResponse(ClusterId=cluster_id, ClusterStatus="running")

    def list_common_logs(self, /, *, from_: int, to: int, **filters: Any) -> ListCommonLogsResponse:
        self.calls["logs"] += 1
        return ListCommonLogsResponse(Logs=[CommonLog(RequestId="r1", Status=self.log)], TotalCount=1)


def test_a_create_ends_partial_with_the_failed_nodes_and_their_reason() -> None:
    src = FakeSource([[("i-1", "uninit"), ("i-2", "initing")], [("i-1", "running"), ("i-2", "exception")]])
    seen: list[str] = []
    done = StateRegistry(seed=1).wait(src, "c", action="CreateNodes", request_id="r1", goal=Goal.NODES_RUNNING,
                                      instance_ids=["i-1", "i-2"], timeout_s=60,
                                      on_progress=lambda p: seen.append(p.text), )
    assert done.outcome is Outcome.PARTIAL and [n.id for n in done.running] == ["i-1"]
    assert [(n.id, n.reason) for n in done.failed] == [("i-2", "no stock")]
    assert any("1 of 2 nodes running, 1 exception" in t for t in seen)
    # The log is read once, at the tick every node settled (it decides nothing before), and recorded.
    assert src.calls == {"nodes": 2, "logs": 1, "cluster": 0} and done.log_status == "InProgress"


def test_a_delete_ends_when_the_nodes_are_no_longer_listed() -> None:
    src = FakeSource([[("i-1", "releasing")], []])
    done = StateRegistry(seed=1).wait(src, "c", action="DeleteNodes", request_id="r1", goal=Goal.NODES_GONE,
                                      instance_ids=["i-1"], timeout_s=60)
    assert done.outcome is Outcome.SUCCESS and src.calls["nodes"] == 2
    assert src.calls["logs"] == 2  # a Failed log would end a delete at any tick


def test_a_delete_ends_failed_on_a_failed_log_while_nodes_are_listed() -> None:
    src = FakeSource([[("i-1", "releasing")]], log="Failed")
    done = StateRegistry(seed=1).wait(src, "c", action="DeleteNodes", request_id="r1", goal=Goal.NODES_GONE,
                                      instance_ids=["i-1"], timeout_s=60)
    assert done.outcome is Outcome.FAILURE and done.missing == ("i-1",) and src.calls["nodes"] == 1


def test_an_unlisted_node_waits_for_the_log_before_counting_as_failed() -> None:
    src = FakeSource([[("i-1", "running")]], log="Finished")
    done = StateRegistry(seed=1).wait(src, "c", action="CreateNodes", request_id="r1", goal=Goal.NODES_RUNNING,
                                      instance_ids=["i-1", "i-9"], timeout_s=60)
    assert done.outcome is Outcome.PARTIAL and done.missing == ("i-9",)


def test_waits_on_one_cluster_share_each_listing() -> None:
    import threading

    src = FakeSource([[("i-1", "initing"), ("i-2", "initing")], [("i-1", "running"), ("i-2", "running")]])
    registry = StateRegistry(seed=1)
    results: dict[str, Outcome] = {}

    def wait(instance_id: str) -> None:
        done = registry.wait(src, "c", action="CreateNodes", request_id=f"r-{instance_id}",
                             goal=Goal.NODES_RUNNING, instance_ids=[instance_id], timeout_s=60)
        results[instance_id] = done.outcome

    threads = [threading.Thread(target=wait, args=(i,)) for i in ("i-1", "i-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"i-1": Outcome.SUCCESS, "i-2": Outcome.SUCCESS}
    assert src.calls["nodes"] == 2  # two ticks served both waits, not two each
    assert registry.pollers() == []


def test_args_dict_and_model_name_the_same_inputs() -> None:
    from pulumi_ehpc_tasks import ehpc2

    args = set(ehpc2.NodeGroupArgs.__annotations__)
    assert args == set(NodeGroup2Inputs.model_fields) - {"urn"}
    assert set(ehpc2.NodeGroupArgsDict.__annotations__) | {
        k for base in ehpc2.NodeGroupArgsDict.__mro__[1:] for k in getattr(base, "__annotations__", {})} >= args


def test_declaring_a_bad_group_names_the_property() -> None:
    from pulumi_ehpc_tasks import InvalidInputsError, ehpc2

    with pytest.raises(InvalidInputsError, match="property count"):
        ehpc2.NodeGroup("g", cluster_id="ehpc-hz-abc", queue_name="comp", count=120)
