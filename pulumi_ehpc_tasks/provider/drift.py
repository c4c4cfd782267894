"""What `pulumi refresh` finds changed outside Pulumi in a NodeGroup's nodes, and the state that says so.

The refreshed state holds reality: gone nodes leave `instances`, and the inputs a change outside
contradicts take the value found (`count` = the nodes left, `running`, `instance_type`, `image_id`),
so the next `pulumi preview --diff` names the property: `count` and `running` converge in place (add
the missing nodes, start or stop the nodes that differ), `instance_type` and `image_id` replace the
group (only new nodes can have them, as for any change of what AddNodes fixes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..wire import NodeInfo
from ..wire.actions import ACTIONS

__all__ = ["RUNNING", "STOPPED", "Refreshed", "node_facts", "refreshed"]

STOPPED = ACTIONS["StopNodes"].effect.on_success if ACTIONS["StopNodes"].effect else "stopped"
RUNNING = ACTIONS["StartNodes"].effect.on_success if ACTIONS["StartNodes"].effect else "running"
_FIXED = (("instance_type", "instance_type"), ("image_id", "image_id"))  # (input, NodeInfo field)


def node_facts(node: NodeInfo) -> dict[str, str]:
    """What a group's `instances` entry records of a node, besides its id, IP, host name and role."""
    return {"status": node.status.lower(), "instance_type": node.instance_type or "", "image_id": node.image_id or ""}


@dataclass
class Refreshed:
    """A NodeGroup's state after refresh: `outs` (also its inputs when `changed` is not empty)."""

    outs: dict[str, Any]
    changed: dict[str, Any] = field(default_factory=dict)
    """Inputs whose value the refresh replaced by the one found."""
    findings: list[dict[str, Any]] = field(default_factory=list)
    """One per node and property that differs: `instance_id`, `property`, `expected`, `actual`."""

    def messages(self) -> list[str]:
        return [f"{f['instance_id']}: {f['property']} is {f['actual']!r}, the state said {f['expected']!r}"
                for f in self.findings]


def refreshed(props: Mapping[str, Any], live: Mapping[str, NodeInfo]) -> Refreshed:
    """The state `props` as the cluster's live compute nodes `live` show it."""
    recorded: Sequence[dict[str, Any]] = props.get("instances") or []
    findings: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    for inst in recorded:
        node = live.get(inst["instance_id"])
        if node is None:
            findings.append(_finding(inst["instance_id"], "exists", True, False))
            continue
        facts = node_facts(node)
        for name, _attr in _FIXED:
            expected = props.get(name) or inst.get(name)  # the input, else what the node had when recorded
            if expected and facts[name] and facts[name] != expected:
                findings.append(_finding(node.id, name, expected, facts[name]))
        kept.append({**inst, **facts})
    changed: dict[str, Any] = {}
    if len(kept) < len(recorded) and kept:
        changed["count"] = len(kept)  # a count of 0 is no NodeGroup: the diff's own count rule applies
    running = props.get("running", True) is not False
    wrong = [i for i in kept if i["status"] == (STOPPED if running else RUNNING)]
    for inst in wrong:
        findings.append(_finding(inst["instance_id"], "running", running, not running))
    if wrong:
        changed["running"] = not running
    for f in findings:
        if f["property"] in dict(_FIXED):
            changed.setdefault(f["property"], f["actual"])
    outs = {**props, **changed, "instances": kept, "instance_ids": [i["instance_id"] for i in kept],
            "drift": findings}
    return Refreshed(outs, changed, findings)


def _finding(instance_id: str, prop: str, expected: Any, actual: Any) -> dict[str, Any]:
    return {"instance_id": instance_id, "property": prop, "expected": expected, "actual": actual}
