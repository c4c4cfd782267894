"""`ehpc2.NodePool`: N nodes of one shape in a queue of an E-HPC 2.0 cluster, across vswitches, as
`ehpc2.NodeGroup`s of at most 99 (CreateNodes' limit).

The shards are the 1.0 pool's (`..pool.plan_shards`): deterministic, so growing the pool resizes the last
shard of each placement and adds shards, never moving nodes between groups.

No prelaunch here: the 1.0 pool's first shard issues every shard's AddNodes (prelaunch.py), which is safe
only because a ClientToken makes the sibling's own later AddNodes a no-op. API 2024-07-30 has no
ClientToken, so each shard issues its own CreateNodes when the engine runs its create; shards wait
together only as far as the engine runs them at once (`pulumi up --parallel` ≥ the number of shards).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

import pulumi
from typing_extensions import Unpack

from ..pool import Shard, plan_shards
from ..resources import _check_known, _known, resource_inputs
from .args import NodePoolArgs, NodePoolArgsDict
from .inputs import CREATE_NODES_MAX, NodePool2Inputs
from .resources import NodeGroup

__all__ = ["NODE_POOL2_TYPE", "NodePool"]

NODE_POOL2_TYPE = "ehpc2:index:NodePool"
_KIND = "ehpc2.NodePool"
_POOL_ONLY = ("count", "min_count", "placements", "max_per_group")
"""NodePool2Inputs' own inputs; every other one goes to each group as given."""


def _capped(min_count: Any, size: int) -> Any:
    """A shard's min_count: the pool's, capped at the shard's size. [INF] as the 1.0 group caps it for a
    partial retry (`add_nodes_params`): a pool-wide floor spread over shards has no exact per-shard
    meaning, and CreateNodes refuses a MinCount above Count."""
    if min_count is None:
        return None
    if isinstance(min_count, int):
        return min(min_count, size)
    return pulumi.Output.from_input(min_count).apply(lambda m: None if m is None else min(int(m), size))


class NodePool(pulumi.ComponentResource):
    """`count` nodes in queue `queue_name` of E-HPC 2.0 cluster `cluster_id`, across `placements`
    (vswitches), exported as one instance list.

    ## Example usage
    ```python
    from pulumi_ehpc_tasks import ehpc2
    pool = ehpc2.NodePool("solvers", cluster_id=cluster.cluster_id, queue_name=queue.queue_name, count=150,
                          placements=[{"vswitch_id": "vsw-a"}, {"vswitch_id": "vsw-b"}])
    pulumi.export("solver_ips", pool.instances.apply(lambda xs: [x["ip"] for x in xs]))
    ```
    The inputs are `NodePoolArgs`' properties; all but count, min_count (capped per group), placements and
    max_per_group go to every `ehpc2.NodeGroup` (`<name>-p<placement>-<shard>`). Each group issues its
    own CreateNodes (no prelaunch: 2.0 has no ClientToken), so run `pulumi up --parallel N` with N at
    least the number of groups for them all to wait together.
    """

    instance_ids: pulumi.Output[list[str]]
    """Instance ids of every node of every group."""
    instances: pulumi.Output[list[dict[str, str]]]
    """`instance_id`, `hostname`, `ip`, `status` of every node."""
    failed_instances: pulumi.Output[list[dict[str, str]]]
    """The nodes the groups' last creates or scale-ups saw fail (released since), over all groups."""
    failed_count: pulumi.Output[int]
    """How many nodes the groups lack, over all groups."""
    groups: list[NodeGroup]
    """The groups, in shard order."""

    @overload
    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[NodePoolArgsDict]
    ) -> None:
        ...

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs(_KIND, name, NodePoolArgs, NodePool2Inputs, args, kwargs)
        count = inputs.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"{_KIND} {name!r}: count must be a whole number known when the program runs, "
                            f"got {type(count).__name__}")
        max_per_group = inputs.get("max_per_group", CREATE_NODES_MAX)
        if isinstance(max_per_group, bool) or not isinstance(max_per_group, int):
            raise TypeError(f"{_KIND} {name!r}: max_per_group must be a whole number known when the program "
                            f"runs, got {type(max_per_group).__name__}")
        placements = list(inputs.get("placements") or [{}])
        if not all(isinstance(p, Mapping) for p in placements):
            raise TypeError(f"{_KIND} {name!r}: placements must be dicts such as {{'vswitch_id': 'vsw-...'}}")
        # A placement whose vswitch is not known yet skipped the check above: check what is known of it.
        _check_known(_KIND, name, NodePool2Inputs,
                     {**inputs, "placements": [{k: v for k, v in p.items() if _known(v)} for p in placements]})
        super().__init__(NODE_POOL2_TYPE, name, None, opts)

        shared = {k: v for k, v in inputs.items() if k not in _POOL_ONLY}
        child = pulumi.ResourceOptions(parent=self)

        def shard_inputs(shard: Shard[Mapping[str, Any]]) -> dict[str, Any]:
            given = {**shared, "count": shard.count, "vswitch_id": shard.placement.get("vswitch_id"),
                     "min_count": _capped(inputs.get("min_count"), shard.count)}
            return {k: v for k, v in given.items() if v is not None}

        shards = plan_shards(count, placements, max_per_group)
        self.groups = [NodeGroup(f"{name}-{s.key}", child, **shard_inputs(s)) for s in shards]

        def joined(lists: list[Any]) -> list[Any]:
            return [item for items in lists for item in (items or [])]

        self.instance_ids = pulumi.Output.all(*[g.instance_ids for g in self.groups]).apply(joined)
        self.instances = pulumi.Output.all(*[g.instances for g in self.groups]).apply(joined)
        self.failed_instances = pulumi.Output.all(*[g.failed_instances for g in self.groups]).apply(joined)
        self.failed_count = pulumi.Output.all(*[g.failed_count for g in self.groups]).apply(
            lambda counts: sum(c or 0 for c in counts))
        self.register_outputs({"instance_ids": self.instance_ids, "instances": self.instances,
                               "failed_instances": self.failed_instances, "failed_count": self.failed_count})
