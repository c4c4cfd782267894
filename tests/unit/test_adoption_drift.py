"""The pure parts of adoption (which nodes, the claims between groups) and of drift (what a refresh records)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_ehpc_tasks.provider.adoption import AdoptionError, Claims, adopted_nodes
from pulumi_ehpc_tasks.provider.drift import refreshed
from pulumi_ehpc_tasks.provider.inputs import NodeGroupInputs
from pulumi_ehpc_tasks.wire import NodeInfo


def _node(iid: str, host: str = "compute0", status: str = "running", itype: str = "ecs.c7.large") -> NodeInfo:
    return NodeInfo.model_validate({"Id": iid, "HostName": host, "Status": status, "InstanceType": itype,
                                    "ImageId": "img-1"})


LIVE = {n.id: n for n in (_node("i-a", "gpu-0"), _node("i-b", "gpu-1"), _node("i-c", "cpu-0"))}


def test_adopted_nodes_by_ids_keep_the_given_order_and_by_prefix_the_listing() -> None:
    assert [n.id for n in adopted_nodes(LIVE, "c", 2, ["i-b", "i-a"], None)] == ["i-b", "i-a"]
    assert [n.id for n in adopted_nodes(LIVE, "c", 2, None, "gpu-")] == ["i-a", "i-b"]


@pytest.mark.parametrize(
    ("count", "ids", "prefix", "blamed"),
    [(1, ["i-zz"], None, "adopt_instance_ids"), (1, None, "none-", "adopt_host_name_prefix"),
     (3, ["i-a"], None, "count"), (1, None, "gpu-", "count")],
)
def test_adopted_nodes_blame_the_input(count: int, ids: list[str] | None, prefix: str | None, blamed: str) -> None:
    with pytest.raises(AdoptionError) as err:
        adopted_nodes(LIVE, "c", count, ids, prefix)
    assert err.value.input == blamed


def test_claims_refuse_nodes_another_urn_holds_and_forget_released_ones() -> None:
    claims = Claims()
    claims.note("urn::a", "c", ["i-a", "i-b"])
    assert claims.held_elsewhere("urn::x", "c", ["i-a", "i-c"]) == {"i-a": "urn::a"}
    with pytest.raises(AdoptionError, match="already held"):
        claims.check_free("urn::x", "c", [LIVE["i-a"]], "adopt_instance_ids")
    claims.check_free("urn::a", "c", [LIVE["i-a"]], "adopt_instance_ids")  # its own
    claims.note("urn::a", "c", ["i-b"])  # scaled down: i-a let go
    claims.release("urn::x", "c", ["i-b"])  # not x's: kept
    assert claims.held_elsewhere("urn::x", "c", ["i-a", "i-b"]) == {"i-b": "urn::a"}
    assert claims.has_state("urn::a") and not claims.has_state("urn::x")
    claims.note("urn::y", "c", ["i-c"], from_state=False)  # an adopting check: no state yet
    assert not claims.has_state("urn::y")


def _props(**extra: Any) -> dict[str, Any]:
    instances = [{"instance_id": i, "ip": "", "hostname": "", "role": "compute", "status": "running",
                  "instance_type": "ecs.c7.large", "image_id": "img-1"} for i in ("i-a", "i-b", "i-c")]
    return {"cluster_id": "c", "count": 3, "running": True, "instances": instances,
            "instance_ids": ["i-a", "i-b", "i-c"], **extra}


def test_refresh_without_change_changes_no_input() -> None:
    state = refreshed(_props(), LIVE)
    assert state.changed == {} and state.findings == [] and state.outs["instance_ids"] == ["i-a", "i-b", "i-c"]


def test_refresh_records_gone_stopped_and_changed_type() -> None:
    live = {"i-a": _node("i-a", status="stopped"), "i-b": _node("i-b", itype="ecs.g7.large")}
    state = refreshed(_props(), live)
    assert state.changed == {"count": 2, "running": False, "instance_type": "ecs.g7.large"}
    assert {(f["instance_id"], f["property"]) for f in state.findings} == {
        ("i-c", "exists"), ("i-a", "running"), ("i-b", "instance_type")}
    assert state.outs["instance_ids"] == ["i-a", "i-b"] and state.outs["drift"] == state.findings
    assert [i["status"] for i in state.outs["instances"]] == ["stopped", "running"]
    assert len(state.messages()) == 3
    # The refreshed state parses as inputs (what later calls do with it).
    NodeGroupInputs.model_validate({k: v for k, v in state.outs.items() if k in NodeGroupInputs.model_fields})


def test_refresh_compares_with_the_input_when_set_and_running_false_sees_running_nodes() -> None:
    state = refreshed(_props(image_id="img-2", running=False), LIVE)
    assert state.changed == {"running": True, "image_id": "img-1"}


def test_a_state_from_before_recorded_facts_is_only_recorded() -> None:
    props = _props()
    for inst in props["instances"]:
        del inst["instance_type"], inst["image_id"], inst["status"]
    state = refreshed(props, {**LIVE, "i-a": _node("i-a", itype="ecs.g7.large")})
    assert state.changed == {} and state.outs["instances"][0]["instance_type"] == "ecs.g7.large"


def test_every_node_gone_leaves_count_to_the_diff() -> None:
    state = refreshed(_props(), {})
    assert "count" not in state.changed and state.outs["instance_ids"] == []
