"""Typed inputs of the E-HPC 2.0 resources (`XxxArgs(...)` and `XxxArgsDict`), as in `..args`."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from typing_extensions import TypedDict

from ..args import ConnectionArgs, ConnectionArgsDict, TimeoutsDict, _args_type, _Connected, _fields

__all__ = [
    "ClusterArgs",
    "ClusterArgsDict",
    "NodeGroupArgs",
    "NodeGroupArgsDict",
    "NodePoolArgs",
    "NodePoolArgsDict",
    "PlacementDict",
    "QueueArgs",
    "QueueArgsDict",
]


@_fields
class _Node2Options(_Connected):
    instance_type: pulumi.Input[str] | None = None
    """ECS instance type, `ecs.<family>.<size>` (default: the queue's template)."""
    image_id: pulumi.Input[str] | None = None
    """Image of the nodes (default: the queue's template)."""
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


@_args_type
class NodeGroupArgs(_Node2Options):
    """The inputs of an E-HPC 2.0 `ehpc2.NodeGroup` (API 2024-07-30)."""

    cluster_id: pulumi.Input[str]
    """The E-HPC 2.0 cluster."""
    queue_name: pulumi.Input[str]
    """The queue the nodes are created into (1-15 letters, digits, `.`)."""
    count: pulumi.Input[int]
    """How many nodes (1..99 per CreateNodes); a change adds nodes, or deletes the newest, in place."""
    min_count: pulumi.Input[int] | None = None
    """CreateNodes fails unless at least this many (at most `count`) can be created."""
    vswitch_id: pulumi.Input[str] | None = None
    """VSwitch of the nodes, `vsw-...` (default: the queue's)."""


class PlacementDict(TypedDict, total=False):
    """Where a part of an `ehpc2.NodePool` goes: a vswitch (which decides the zone; 2.0 has no zone_id)."""

    vswitch_id: pulumi.Input[str]


@_args_type
class NodePoolArgs(_Node2Options):
    """The inputs of an `ehpc2.NodePool`: `count` nodes over `placements`, as `ehpc2.NodeGroup`s of at most
    `max_per_group`."""

    cluster_id: pulumi.Input[str]
    """The E-HPC 2.0 cluster."""
    queue_name: pulumi.Input[str]
    """The queue every group creates its nodes into."""
    count: int
    """How many nodes in all (0 or more); known when the program runs (it decides the groups)."""
    min_count: pulumi.Input[int] | None = None
    """Each group's CreateNodes fails unless at least this many (capped at the group's size) can be created."""
    placements: Sequence[PlacementDict] | None = None
    """VSwitches to spread the nodes over evenly (default: the queue's)."""
    max_per_group: int | None = None
    """The largest group (1..99, CreateNodes' limit)."""


class _Node2OptionsDict(TypedDict, total=False):
    instance_type: pulumi.Input[str]
    image_id: pulumi.Input[str]
    hostname_prefix: pulumi.Input[str]
    keep_alive: pulumi.Input[bool]
    partial_failure: pulumi.Input[str]
    max_retries: pulumi.Input[int]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]


class _NodeGroupOptionsDict(_Node2OptionsDict, total=False):
    min_count: pulumi.Input[int]
    vswitch_id: pulumi.Input[str]


class NodeGroupArgsDict(_NodeGroupOptionsDict):
    """`NodeGroupArgs` as a dict (or as keyword arguments of `ehpc2.NodeGroup`)."""

    cluster_id: pulumi.Input[str]
    queue_name: pulumi.Input[str]
    count: pulumi.Input[int]


class _NodePoolOptionsDict(_Node2OptionsDict, total=False):
    min_count: pulumi.Input[int]
    placements: Sequence[PlacementDict]
    max_per_group: int


class NodePoolArgsDict(_NodePoolOptionsDict):
    """`NodePoolArgs` as a dict (or as keyword arguments of `ehpc2.NodePool`)."""

    cluster_id: pulumi.Input[str]
    queue_name: pulumi.Input[str]
    count: int


@_args_type
class ClusterArgs(_Connected):
    """The inputs of an E-HPC 2.0 `ehpc2.Cluster` (API 2024-07-30)."""

    cluster_name: pulumi.Input[str]
    """2-128 letters, digits, `-`, `_`; also the key a retried create finds the cluster by."""
    cluster_vpc_id: pulumi.Input[str] | None = None
    """VPC of the cluster, `vpc-...`."""
    cluster_vswitch_id: pulumi.Input[str] | None = None
    """VSwitch of the cluster (in that VPC), `vsw-...`."""
    security_group_id: pulumi.Input[str] | None = None
    """Security group of the cluster."""
    cluster_category: pulumi.Input[str] | None = None
    """`Standard` or `Serverless`."""
    cluster_mode: pulumi.Input[str] | None = None
    """`Integrated`, `Hybrid` or `Custom`."""
    manager_instance_type: pulumi.Input[str] | None = None
    """ECS instance type of the manager node."""
    scheduler_type: pulumi.Input[str] | None = None
    """`SLURM`, `PBS`, `OPENGRIDSCHEDULER`, `LSF_PLUGIN` or `PBS_PLUGIN`."""
    deletion_protection: pulumi.Input[bool] | None = None
    """Refuse DeleteCluster while true (UpdateCluster, in place)."""
    timeouts: pulumi.Input[TimeoutsDict] | None = None
    """Deadlines of create/update/delete."""


class _ClusterOptionsDict(TypedDict, total=False):
    cluster_vpc_id: pulumi.Input[str]
    cluster_vswitch_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    cluster_category: pulumi.Input[str]
    cluster_mode: pulumi.Input[str]
    manager_instance_type: pulumi.Input[str]
    scheduler_type: pulumi.Input[str]
    deletion_protection: pulumi.Input[bool]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]


class ClusterArgsDict(_ClusterOptionsDict):
    """`ClusterArgs` as a dict (or as keyword arguments of `ehpc2.Cluster`)."""

    cluster_name: pulumi.Input[str]


@_args_type
class QueueArgs(_Connected):
    """The inputs of an E-HPC 2.0 `ehpc2.Queue`."""

    cluster_id: pulumi.Input[str]
    """The E-HPC 2.0 cluster."""
    queue_name: pulumi.Input[str]
    """1-15 letters, digits, `.`."""
    instance_type: pulumi.Input[str] | None = None
    """Default ECS instance type of the queue's nodes."""
    vswitch_ids: pulumi.Input[Sequence[str]] | None = None
    """1-5 vswitches of the queue's nodes."""
    hostname_prefix: pulumi.Input[str] | None = None
    """Host-name prefix of nodes the queue scales out (lower-case letters, digits, `-`; at most 32)."""
    enable_scale_out: pulumi.Input[bool] | None = None
    """Let the scheduler add nodes."""
    enable_scale_in: pulumi.Input[bool] | None = None
    """Let the scheduler remove idle nodes."""
    min_count: pulumi.Input[int] | None = None
    """Fewest nodes auto-scaling keeps."""
    max_count: pulumi.Input[int] | None = None
    """Most nodes auto-scaling adds."""
    timeouts: pulumi.Input[TimeoutsDict] | None = None
    """Deadlines of create/update/delete."""


class _QueueOptionsDict(TypedDict, total=False):
    instance_type: pulumi.Input[str]
    vswitch_ids: pulumi.Input[Sequence[str]]
    hostname_prefix: pulumi.Input[str]
    enable_scale_out: pulumi.Input[bool]
    enable_scale_in: pulumi.Input[bool]
    min_count: pulumi.Input[int]
    max_count: pulumi.Input[int]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]


class QueueArgsDict(_QueueOptionsDict):
    """`QueueArgs` as a dict (or as keyword arguments of `ehpc2.Queue`)."""

    cluster_id: pulumi.Input[str]
    queue_name: pulumi.Input[str]
