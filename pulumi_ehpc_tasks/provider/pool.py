"""NodePool: N nodes of one shape across placements, as NodeGroups of at most 99 that wait concurrently.

A reusable component for stack programs: it plans shards deterministically (same count and
placements → same shard names and sizes), so growing the pool resizes the last shard of each
placement and adds shards, never reshuffling nodes between groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import pulumi
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import Unpack

from .args import NodePoolArgs, NodePoolArgsDict, Placement
from .inputs import ADOPT_INPUTS
from .prelaunch import NODE_POOL_TYPE
from .resources import NodeGroup, resource_inputs, urn_of

__all__ = ["MAX_NODES_PER_GROUP", "NodePool", "Placement", "PoolInputs", "Shard", "plan_shards"]

MAX_NODES_PER_GROUP = 99  # AddNodes' Count limit (CreateNodes' in 2.0 too)

P = TypeVar("P")


@dataclass(frozen=True)
class Shard(Generic[P]):
    key: str
    count: int
    placement: P


def plan_shards(count: int, placements: Sequence[P], max_per_group: int = MAX_NODES_PER_GROUP) -> list[Shard[P]]:
    """Spread `count` evenly over `placements` (earlier ones take the remainder), each in groups of at most
    `max_per_group`, filled in order so that a small change touches only the last group of a placement.
    Shared by the 1.0 and the 2.0 NodePool (a placement is whatever the caller's shards need)."""
    if count < 0:
        raise ValueError(f"count must be at least 0, got {count}")
    if not 1 <= max_per_group <= MAX_NODES_PER_GROUP:
        raise ValueError(f"max_per_group must be 1..{MAX_NODES_PER_GROUP}, got {max_per_group}")
    places = list(placements)
    if not places:
        raise ValueError("placements must not be empty (give one default placement instead)")
    shards: list[Shard[P]] = []
    for index, placement in enumerate(places):
        share = count // len(places) + (1 if index < count % len(places) else 0)
        chunk = 0
        while share > 0:
            size = min(share, max_per_group)
            shards.append(Shard(f"p{index}-{chunk}", size, placement))
            share -= size
            chunk += 1
    return shards


class PoolInputs(BaseModel):
    """What NodePool itself takes; the rest goes to each NodeGroup, which checks it."""

    model_config = ConfigDict(extra="allow")

    count: int = Field(ge=0)
    max_per_group: int = Field(default=MAX_NODES_PER_GROUP, ge=1, le=MAX_NODES_PER_GROUP)


def _placement(value: Placement | Mapping[str, Any]) -> Placement:
    if isinstance(value, Placement):
        return value
    unknown = set(value) - {"zone_id", "vswitch_id"}
    if unknown:
        raise ValueError(f"placements: unknown key(s) {sorted(unknown)}; use zone_id and vswitch_id")
    return Placement(zone_id=value.get("zone_id"), vswitch_id=value.get("vswitch_id"))


class NodePool(pulumi.ComponentResource):
    """`count` nodes of one shape in `cluster_id`, across `placements`, exported as one instance list.

    ## Example usage
    ```python
    pool = NodePool("solvers", cluster_id=cluster_id, count=150, instance_type="ecs.c7.2xlarge",
                    placements=[{"zone_id": "cn-hangzhou-j"}, {"zone_id": "cn-hangzhou-k"}])
    pulumi.export("solver_ips", pool.instances.apply(lambda xs: [x["ip"] for x in xs]))
    ```
    The inputs are `NodePoolArgs`' properties; all but cluster_id, count, placements and max_per_group
    go to every NodeGroup.
    """

    instance_ids: pulumi.Output[list[str]]
    """Instance ids of every node of every group."""
    instances: pulumi.Output[list[dict[str, str]]]
    """`instance_id`, `ip`, `hostname`, `role` of every node."""
    failed_count: pulumi.Output[int]
    """How many nodes could not be added, over all groups."""

    @overload
    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[NodePoolArgsDict]
    ) -> None:
        ...

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs("NodePool", name, NodePoolArgs, PoolInputs, args, kwargs)
        super().__init__(NODE_POOL_TYPE, name, None, opts)
        adopting = sorted(ADOPT_INPUTS & set(inputs))
        if adopting:  # every shard would name the same nodes
            raise TypeError(f"NodePool {name!r}: {', '.join(adopting)} is a NodeGroup input; adopt existing "
                            "nodes with a NodeGroup")
        count = inputs.pop("count", None)
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"NodePool {name!r}: count must be a whole number known when the program runs, "
                            f"got {type(count).__name__}")
        placements = [_placement(p) for p in inputs.pop("placements", None) or []] or [Placement()]
        shards = plan_shards(count, placements, inputs.pop("max_per_group", MAX_NODES_PER_GROUP))
        child = pulumi.ResourceOptions(parent=self)

        def shard_inputs(shard: Shard[Placement]) -> dict[str, Any]:
            given = {**inputs, "count": shard.count, "zone_id": shard.placement.zone_id,
                     "vswitch_id": shard.placement.vswitch_id}
            return {k: v for k, v in given.items() if v is not None}

        # The first shard carries the others' inputs: its create issues their AddNodes as well, so that
        # the shards wait together however few creates the engine runs at once (prelaunch.py).
        siblings = [{**shard_inputs(s), "urn": urn_of(NodeGroup, f"{name}-{s.key}", child)} for s in shards[1:]]
        self.groups = [
            NodeGroup(f"{name}-{shard.key}", child, **shard_inputs(shard),  # type: ignore[call-overload]
                      **({"_pool_siblings": siblings} if index == 0 and siblings else {}))
            for index, shard in enumerate(shards)
        ]
        self.instance_ids = pulumi.Output.all(*[g.instance_ids for g in self.groups]).apply(
            lambda lists: [i for ids in lists for i in (ids or [])]
        )
        self.instances = pulumi.Output.all(*[g.instances for g in self.groups]).apply(
            lambda lists: [i for items in lists for i in (items or [])]
        )
        self.failed_count = pulumi.Output.all(*[g.failed_count for g in self.groups]).apply(
            lambda counts: sum(c or 0 for c in counts)
        )
        self.register_outputs(
            {"instance_ids": self.instance_ids, "instances": self.instances, "failed_count": self.failed_count}
        )
