"""Typed inputs of the resources, in the two forms Pulumi programs use: `NodeGroupArgs(...)` objects
(`@pulumi.input_type`) and plain dicts / keyword arguments (`NodeGroupArgsDict`).

The Args classes hold each property's name, type and description, once; what values are allowed and
the defaults come from the providers' input models (`inputs.py`, which take AddNodes/CreateCluster
rules from the wire models). `tests/unit/test_args.py` checks that the forms and the models agree, and
`scripts/gen_reference.py` builds docs/reference.md from them.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
from typing_extensions import TypedDict, dataclass_transform

__all__ = [
    "ClusterArgs",
    "ClusterArgsDict",
    "ConnectionArgs",
    "ConnectionArgsDict",
    "NodeGroupArgs",
    "NodeGroupArgsDict",
    "NodePoolArgs",
    "NodePoolArgsDict",
    "Placement",
    "PlacementDict",
    "TaskWaitArgs",
    "TaskWaitArgsDict",
    "TimeoutsDict",
]

T = TypeVar("T")


@dataclass_transform(kw_only_default=True)
def _fields(cls: type[T]) -> type[T]:
    """A group of properties that several Args classes share (`@pulumi.input_type` has no inheritance)."""
    return cls


@dataclass_transform(kw_only_default=True)
def _args_type(cls: type[T]) -> type[T]:
    """`@pulumi.input_type`, with the properties of `_fields` bases joined to the class's own."""
    own = dict(inspect.get_annotations(cls))
    for base in cls.__mro__[1:-1]:
        for name, annotation in inspect.get_annotations(base).items():
            own.setdefault(name, annotation)
    cls.__annotations__ = own
    return pulumi.input_type(cls)


class TimeoutsDict(TypedDict, total=False):
    """Per-operation deadlines: seconds, or a string such as `"45s"`, `"30m"`, `"1.5h"` (1 s .. 7 days)."""

    create: pulumi.Input[str | float]
    update: pulumi.Input[str | float]
    delete: pulumi.Input[str | float]


@_args_type
class ConnectionArgs:
    """Where a resource's E-HPC API is and who calls it, when not the stack's (`ehpc:region`, `ehpc:endpoint`,
    the stack-level credentials). The identity is given by reference, never as a secret value: at most one
    base (`profile`, `config_namespace`, `ecs_role_name`; none: the stack-level identity), optionally a role
    to assume from it (`role_arn`, ...) or OIDC federation. Unset `region` and `endpoint`: the stack's."""

    region: str | None = None
    """Region id, e.g. `cn-shanghai`; the endpoint is `https://ehpc.<region>.aliyuncs.com`."""
    endpoint: str | None = None
    """Explicit endpoint (a VPC endpoint, the emulator); with `region` too, the region says where it is."""
    ca_bundle: str | None = None
    """Path of a CA bundle (PEM) to verify the endpoint's and STS's TLS certificates with."""
    profile: str | None = None
    """An Alibaba CLI profile name (`~/.aliyun/config.json`), any of its modes."""
    config_namespace: str | None = None
    """Stack-config namespace holding `<ns>:accessKeyId`, `<ns>:accessKeySecret` (and `<ns>:securityToken`),
    set with `pulumi config set --secret`."""
    ecs_role_name: str | None = None
    """The ECS instance RAM role (metadata service)."""
    role_arn: str | None = None
    """A RAM role to assume, `acs:ram::<uid>:role/<name>` (AssumeRole; AssumeRoleWithOIDC with `oidc_provider_arn`)."""
    role_session_name: str | None = None
    """Session name of the assumed role (2-64 of letters, digits, `.@-_`)."""
    duration_s: int | None = None
    """Lifetime of the assumed role's tokens, 900 .. 43200 s (they are refreshed before they expire)."""
    policy: str | None = None
    """A RAM policy document (JSON) narrowing the assumed role's permissions."""
    external_id: str | None = None
    """The external id the role's trust policy asks for."""
    oidc_provider_arn: str | None = None
    """OIDC provider for AssumeRoleWithOIDC, `acs:ram::<uid>:oidc-provider/<name>` (needs `role_arn`)."""
    oidc_token_file: str | None = None
    """Path of the file holding the OIDC token (RRSA, CI federation); read when credentials are needed."""
    sts_endpoint: str | None = None
    """Where AssumeRole* calls go (default Alibaba's public STS endpoint)."""


class ConnectionArgsDict(TypedDict, total=False):
    """`ConnectionArgs` as a dict."""

    region: str
    endpoint: str
    ca_bundle: str
    profile: str
    config_namespace: str
    ecs_role_name: str
    role_arn: str
    role_session_name: str
    duration_s: int
    policy: str
    external_id: str
    oidc_provider_arn: str
    oidc_token_file: str
    sts_endpoint: str


@dataclass(frozen=True)
class Placement:
    """Where a part of a NodePool goes; both fields optional (the cluster's defaults apply)."""

    zone_id: str | None = None
    vswitch_id: str | None = None


class PlacementDict(TypedDict, total=False):
    """Where a part of a NodePool goes (the cluster's defaults where unset)."""

    zone_id: str
    vswitch_id: str


@_fields
class _Connected:
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict] | None = None
    """Another region, endpoint or identity than the stack's (see `ConnectionArgs`); moving to another region
    replaces, another identity updates in place without an API call."""


@_fields
class _NodeOptions(_Connected):
    instance_type: pulumi.Input[str] | None = None
    """ECS instance type of the nodes, `ecs.<family>.<size>` (default: the cluster's compute type)."""
    image_id: pulumi.Input[str] | None = None
    """Image of the nodes (same OS family and major version as the cluster)."""
    image_owner_alias: pulumi.Input[str] | None = None
    """Who owns `image_id`."""
    min_count: pulumi.Input[int] | None = None
    """AddNodes succeeds only if at least this many of `count` can be added."""
    host_name_prefix: pulumi.Input[str] | None = None
    """Host names of the nodes start with this."""
    host_name_suffix: pulumi.Input[str] | None = None
    """Host names of the nodes end with this."""
    job_queue: pulumi.Input[str] | None = None
    """Scheduler queue the nodes join."""
    ecs_charge_type: pulumi.Input[str] | None = None
    """Billing of the ECS instances."""
    system_disk_type: pulumi.Input[str] | None = None
    """System disk category."""
    system_disk_size: pulumi.Input[int] | None = None
    """System disk size in GiB."""
    compute_spot_strategy: pulumi.Input[str] | None = None
    """Preemptible (spot) instances or not."""
    compute_spot_price_limit: pulumi.Input[str] | None = None
    """Highest hourly price for spot instances (needs compute_spot_strategy='SpotWithPriceLimit')."""
    running: pulumi.Input[bool] | None = None
    """False stops the nodes (StopNodes), True starts them (StartNodes)."""
    reset_trigger: pulumi.Input[str] | None = None
    """Any change of this value re-images the existing nodes (ResetNodes)."""
    partial_failure: pulumi.Input[str] | None = None
    """What to do when AddNodes ends PartialFail: keep what was added and report the rest (`accept`),
    delete what was added and fail (`rollback`), or add the missing nodes again (`retry`)."""
    max_retries: pulumi.Input[int] | None = None
    """How many more AddNodes calls partial_failure='retry' makes."""
    release_instances: pulumi.Input[bool] | None = None
    """Release the ECS instances when nodes are deleted."""
    timeouts: pulumi.Input[TimeoutsDict] | None = None
    """Deadlines of create/update/delete (customTimeouts never reach dynamic providers)."""


@_args_type
class NodeGroupArgs(_NodeOptions):
    """The inputs of a `NodeGroup`."""

    cluster_id: pulumi.Input[str]
    """The E-HPC cluster the nodes belong to."""
    count: pulumi.Input[int]
    """How many nodes; a change adds nodes, or deletes failed then newest nodes, in place."""
    zone_id: pulumi.Input[str] | None = None
    """Zone of the nodes, e.g. `cn-hangzhou-k`."""
    vswitch_id: pulumi.Input[str] | None = None
    """VSwitch of the nodes, `vsw-...`."""
    adopt_instance_ids: pulumi.Input[Sequence[str]] | None = None
    """Take over these existing compute nodes of `cluster_id` instead of adding nodes (reads only; `count`
    must equal how many). Read at create only: a later change is ignored (README, "Adopting")."""
    adopt_host_name_prefix: pulumi.Input[str] | None = None
    """Take over every existing compute node whose host name starts with this, instead of adding nodes
    (reads only; `count` must equal how many match). Read at create only, like `adopt_instance_ids`."""


@_args_type
class NodePoolArgs(_NodeOptions):
    """The inputs of a `NodePool`: `count` nodes over `placements`, as NodeGroups of at most `max_per_group`."""

    cluster_id: pulumi.Input[str]
    """The E-HPC cluster the nodes belong to."""
    count: int
    """How many nodes in all; known when the program runs (it decides the groups)."""
    placements: Sequence[Placement | PlacementDict] | None = None
    """Zones / vswitches to spread the nodes over evenly (default: the cluster's)."""
    max_per_group: int | None = None
    """The largest NodeGroup (1..99, AddNodes' limit)."""


@_args_type
class ClusterArgs(_Connected):
    """The inputs of a `Cluster`. All but `running`, `release_instances` and `timeouts` replace it."""

    name: pulumi.Input[str]
    """Cluster name."""
    description: pulumi.Input[str] | None = None
    """Free text; must not start with http:// or https://."""
    deploy_mode: pulumi.Input[str] | None = None
    """How the manager, login and compute roles are laid out."""
    scheduler_type: pulumi.Input[str] | None = None
    """Job scheduler."""
    account_type: pulumi.Input[str] | None = None
    """User account service."""
    os_tag: pulumi.Input[str] | None = None
    """Operating system image tag, e.g. `CentOS_7.6_64`."""
    image_id: pulumi.Input[str] | None = None
    """Custom image of the nodes."""
    image_owner_alias: pulumi.Input[str] | None = None
    """Who owns `image_id`."""
    vpc_id: pulumi.Input[str] | None = None
    """VPC of the cluster, `vpc-...`."""
    vswitch_id: pulumi.Input[str] | None = None
    """VSwitch of the cluster, `vsw-...`."""
    zone_id: pulumi.Input[str] | None = None
    """Zone of the cluster, e.g. `cn-hangzhou-k`."""
    security_group_id: pulumi.Input[str] | None = None
    """Security group of the nodes."""
    key_pair_name: pulumi.Input[str] | None = None
    """SSH key pair for root (instead of `password`)."""
    password: pulumi.Input[str] | None = None
    """Root password; always stored as a secret."""
    ecs_charge_type: pulumi.Input[str] | None = None
    """Billing of the ECS instances."""
    ha_enable: pulumi.Input[bool] | None = None
    """Two managers in high-availability mode."""
    manager_instance_type: pulumi.Input[str] | None = None
    """ECS type of the manager nodes."""
    manager_count: pulumi.Input[int] | None = None
    """How many manager nodes."""
    compute_instance_type: pulumi.Input[str] | None = None
    """ECS type of the compute nodes."""
    compute_count: pulumi.Input[int] | None = None
    """How many compute nodes CreateCluster adds (a NodeGroup can add more)."""
    login_instance_type: pulumi.Input[str] | None = None
    """ECS type of the login node."""
    login_count: pulumi.Input[int] | None = None
    """How many login nodes."""
    running: pulumi.Input[bool] | None = None
    """False stops the cluster (StopCluster), True starts it (StartCluster)."""
    release_instances: pulumi.Input[bool] | None = None
    """Release the ECS instances E-HPC created when the cluster is deleted."""
    timeouts: pulumi.Input[TimeoutsDict] | None = None
    """Deadlines of create/update/delete."""
    adopt_cluster_id: pulumi.Input[str] | None = None
    """Take over this existing cluster instead of creating one (reads only; `name` must be its name).
    Read at create only: a later change is ignored (README, "Adopting")."""


@_args_type
class TaskWaitArgs(_Connected):
    """The inputs of a `TaskWait`: a task issued elsewhere, awaited until it is terminal."""

    cluster_id: pulumi.Input[str]
    """The cluster the task runs in."""
    task_id: pulumi.Input[str]
    """The task's TaskId."""
    fail_on_error: pulumi.Input[bool] | None = None
    """Fail when the task ends Failed or PartialFail; with False the outputs report it instead."""
    timeouts: pulumi.Input[TimeoutsDict] | None = None
    """Deadline of the wait (`create`)."""


class _NodeOptionsDict(TypedDict, total=False):
    instance_type: pulumi.Input[str]
    image_id: pulumi.Input[str]
    image_owner_alias: pulumi.Input[str]
    min_count: pulumi.Input[int]
    host_name_prefix: pulumi.Input[str]
    host_name_suffix: pulumi.Input[str]
    job_queue: pulumi.Input[str]
    ecs_charge_type: pulumi.Input[str]
    system_disk_type: pulumi.Input[str]
    system_disk_size: pulumi.Input[int]
    compute_spot_strategy: pulumi.Input[str]
    compute_spot_price_limit: pulumi.Input[str]
    running: pulumi.Input[bool]
    reset_trigger: pulumi.Input[str]
    partial_failure: pulumi.Input[str]
    max_retries: pulumi.Input[int]
    release_instances: pulumi.Input[bool]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]


class _NodeGroupOptionsDict(_NodeOptionsDict, total=False):
    zone_id: pulumi.Input[str]
    vswitch_id: pulumi.Input[str]


class _NodeGroupAdoptDict(_NodeGroupOptionsDict, total=False):
    adopt_instance_ids: pulumi.Input[Sequence[str]]
    adopt_host_name_prefix: pulumi.Input[str]


class NodeGroupArgsDict(_NodeGroupAdoptDict):
    """`NodeGroupArgs` as a dict (or as keyword arguments of `NodeGroup`)."""

    cluster_id: pulumi.Input[str]
    count: pulumi.Input[int]


class _NodePoolOptionsDict(_NodeOptionsDict, total=False):
    placements: Sequence[Placement | PlacementDict]
    max_per_group: int


class NodePoolArgsDict(_NodePoolOptionsDict):
    """`NodePoolArgs` as a dict (or as keyword arguments of `NodePool`)."""

    cluster_id: pulumi.Input[str]
    count: int


class _ClusterOptionsDict(TypedDict, total=False):
    description: pulumi.Input[str]
    deploy_mode: pulumi.Input[str]
    scheduler_type: pulumi.Input[str]
    account_type: pulumi.Input[str]
    os_tag: pulumi.Input[str]
    image_id: pulumi.Input[str]
    image_owner_alias: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vswitch_id: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    key_pair_name: pulumi.Input[str]
    password: pulumi.Input[str]
    ecs_charge_type: pulumi.Input[str]
    ha_enable: pulumi.Input[bool]
    manager_instance_type: pulumi.Input[str]
    manager_count: pulumi.Input[int]
    compute_instance_type: pulumi.Input[str]
    compute_count: pulumi.Input[int]
    login_instance_type: pulumi.Input[str]
    login_count: pulumi.Input[int]
    running: pulumi.Input[bool]
    release_instances: pulumi.Input[bool]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]
    adopt_cluster_id: pulumi.Input[str]


class ClusterArgsDict(_ClusterOptionsDict):
    """`ClusterArgs` as a dict (or as keyword arguments of `Cluster`)."""

    name: pulumi.Input[str]


class _TaskWaitOptionsDict(TypedDict, total=False):
    fail_on_error: pulumi.Input[bool]
    timeouts: pulumi.Input[TimeoutsDict]
    connection: pulumi.Input[ConnectionArgs | ConnectionArgsDict]


class TaskWaitArgsDict(_TaskWaitOptionsDict):
    """`TaskWaitArgs` as a dict (or as keyword arguments of `TaskWait`)."""

    cluster_id: pulumi.Input[str]
    task_id: pulumi.Input[str]


def args_values(args: object | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs given as an Args object or as keyword arguments (not both), None values left out."""
    if args is None:
        given = dict(kwargs)
    elif kwargs:
        raise TypeError(f"give either an Args object or keyword arguments, not both (got {sorted(kwargs)})")
    elif isinstance(args, Mapping):
        given = dict(args)
    else:
        given = {name: getattr(args, name) for name in type(args).__annotations__}
    values = {k: v for k, v in given.items() if v is not None}
    if isinstance(values.get("connection"), ConnectionArgs):  # sent as the dict the provider reads
        values["connection"] = args_values(values["connection"], {})
    return values


