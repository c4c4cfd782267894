"""Typed inputs of the E-HPC 2.0 resources: `NodeGroupArgs(...)` and `NodeGroupArgsDict`, as in `..args`."""

from __future__ import annotations

import pulumi
from typing_extensions import TypedDict

from ..args import ConnectionArgs, ConnectionArgsDict, TimeoutsDict, _args_type, _Connected

__all__ = ["NodeGroupArgs", "NodeGroupArgsDict"]


@_args_type
class NodeGroupArgs(_Connected):
    """The inputs of an E-HPC 2.0 `ehpc2.NodeGroup` (API 2024-07-30)."""

    cluster_id: pulumi.Input[str]
    """The E-HPC 2.0 cluster."""
    queue_name: pulumi.Input[str]
    """The queue the nodes are created into (1-15 letters, digits, `.`)."""
    count: pulumi.Input[int]
    """How many nodes (1..99 per CreateNodes); a change adds nodes, or deletes the newest, in place."""
    min_count: pulumi.Input[int] | None = None
    """CreateNodes fails unless at least this many (at most `count`) can be created."""
    instance_type: pulumi.Input[str] | None = None
    """ECS instance type, `ecs.<family>.<size>` (default: the queue's template)."""
    image_id: pulumi.Input[str] | None = None
    """Image of the nodes (default: the queue's template)."""
    vswitch_id: pulumi.Input[str] | None = None
    """VSwitch of the nodes, `vsw-...` (default: the queue's)."""
    hostname_prefix: pulumi.Input[str] | None = None
    """Host names are `<prefix>-<generation>-<index>` (lower-case letters, digits, `-`; at most 12; default `n`)."""
    keep_alive: pulumi.Input[bool] | None = None
    """Deletion protection of the nodes (UpdateNodes KeepAlive); lifted by this group's own deletes only."""
    partial_failure: pulumi.Input[str] | None = None
    """When some nodes end in `exception`: `accept`, `rollback` or `retry` (as the 1.0 NodeGroup)."""
    max_retries: pulumi.Input[int] | None = None
    """How many more CreateNodes calls partial_failure='retry' makes."""
    timeouts: pulumi.Input[TimeoutsDict] | None = None
    """Deadlines of create/update/delete."""


class _NodeGroupOptionsDict(TypedDict, total=False):
    min_count: pulumi.Input[int]
    instance_type: pulumi.Input[str]
    image_id: pulumi.Input[str]
    vswitch_id: pulumi.Input[str]
    hostname_prefix: pulumi.Input[str]
    keep_alive: pulumi.Input[bool]
    partial_failure: pulumi.Input[str]
    max_retries: pulumi.Input[int]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]


class NodeGroupArgsDict(_NodeGroupOptionsDict):
    """`NodeGroupArgs` as a dict (or as keyword arguments of `ehpc2.NodeGroup`)."""

    cluster_id: pulumi.Input[str]
    queue_name: pulumi.Input[str]
    count: pulumi.Input[int]
