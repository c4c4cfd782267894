"""The dynamic resources stack programs declare. Inputs are an Args object (`NodeGroupArgs`) or keyword
arguments (`NodeGroupArgsDict`), checked at construction as far as their values are known; outputs are
declared as typed `pulumi.Output` attributes so programs and IDEs see them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, overload

import pulumi
from pulumi.dynamic import Resource
from pulumi.resource import create_urn
from pydantic import BaseModel, ValidationError
from typing_extensions import Unpack

from .args import (
    ClusterArgs,
    ClusterArgsDict,
    NodeGroupArgs,
    NodeGroupArgsDict,
    TaskWaitArgs,
    TaskWaitArgsDict,
    args_values,
)
from .cluster import ClusterInputs, ClusterProvider
from .inputs import NodeGroupInputs, failures_of
from .nodegroup import NodeGroupProvider
from .taskwait import TaskWaitInputs, TaskWaitProvider

__all__ = ["Cluster", "InvalidInputsError", "NodeGroup", "TaskWait", "resource_inputs"]


class InvalidInputsError(pulumi.RunError, ValueError):
    """Inputs E-HPC would refuse, found when the resource is declared (before any preview or API call)."""

    def __init__(self, kind: str, resource_name: str, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        # The wording of the engine's own check failures, so both read alike.
        super().__init__("\n".join(f"{kind} resource '{resource_name}': property {prop} has a problem: {reason}"
                                   for prop, reason in failures))


def _known(value: Any) -> bool:
    if isinstance(value, (pulumi.Output, Awaitable)):
        return False
    if isinstance(value, Mapping):
        return all(_known(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_known(v) for v in value)
    return True


def _check_known(kind: str, resource_name: str, model: type[BaseModel], inputs: Mapping[str, Any]) -> None:
    """Validate the inputs whose values are known now; the rest `check` validates at preview."""
    known = {k: v for k, v in inputs.items() if _known(v)}
    try:
        model.model_validate(known)
    except ValidationError as exc:
        failures = [(f.property, f.reason) for f in failures_of(exc)
                    if f.property.split(".")[0] not in set(inputs) - set(known)]
        if failures:
            raise InvalidInputsError(kind, resource_name, failures) from None


def resource_inputs(
    kind: str, resource_name: str, args_type: type, model: type[BaseModel], args: tuple[Any, ...],
    kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], pulumi.ResourceOptions]:
    """(inputs, opts) from `Resource(name, args, opts)` or `Resource(name, opts, **inputs)`, checked."""
    rest = dict(kwargs)
    opts = rest.pop("opts", None)
    given = rest.pop("args", None)
    positional = list(args)
    if positional and isinstance(positional[0], (args_type, Mapping)):
        given = positional.pop(0)
    if positional:
        opts = positional.pop(0)
    if positional or (opts is not None and not isinstance(opts, pulumi.ResourceOptions)):
        raise TypeError(f"{kind}({resource_name!r}, ...): expected ({args_type.__name__}, ResourceOptions) "
                        "or (ResourceOptions, **inputs)")
    inputs = args_values(given, rest)
    _check_known(kind, resource_name, model, inputs)
    return inputs, opts or pulumi.ResourceOptions()


def _props(
    cls: type[Resource], resource_name: str, opts: pulumi.ResourceOptions, outputs: tuple[str, ...],
    inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Inputs plus declared outputs (as None) plus the resource's own URN.

    The provider never sees its URN (the Python host drops it), yet needs it for progress in the
    resource's row and for deterministic ClientTokens; it is computed here, where it is known.
    """
    props: dict[str, Any] = {k: v for k, v in inputs.items() if v is not None}
    props["urn"] = urn_of(cls, resource_name, opts)
    for name in outputs:
        props.setdefault(name, None)
    return props


def urn_of(cls: type[Resource], resource_name: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str | None]:
    """The URN the engine will give this resource (computed in the program: the provider never sees it),
    without a dependency on the parent: a child depending on its own parent (a component such as
    NodePool) would be a cycle."""
    urn = create_urn(resource_name, f"pulumi-python:{cls._resource_type_name}", parent=opts.parent)
    return pulumi.Output(set(), urn.future(), urn.is_known(), urn.is_secret())


def _outputs(cls: type) -> tuple[str, ...]:
    """The declared outputs of a resource class: its `pulumi.Output[...]` annotations."""
    return tuple(name for name, note in cls.__annotations__.items() if str(note).startswith("pulumi.Output"))


class NodeGroup(Resource, module="ehpc", name="NodeGroup"):
    """Compute nodes of one shape in an E-HPC cluster; `pulumi up` returns when AddNodes is done.

    ## Example usage
    ```python
    group = NodeGroup("compute", cluster_id="ehpc-hz-FYUr32xxxx", count=4, instance_type="ecs.c7.large")
    # or: NodeGroup("compute", NodeGroupArgs(cluster_id=..., count=4))
    pulumi.export("instances", group.instances)
    ```
    The inputs are `NodeGroupArgs`' properties (docs/reference.md lists them with their rules).
    """

    instance_ids: pulumi.Output[list[str]]
    """Instance ids of the nodes this group holds."""
    instances: pulumi.Output[list[dict[str, str]]]
    """`instance_id`, `ip`, `hostname`, `role` of each node."""
    failed_count: pulumi.Output[int]
    """How many of `count` could not be added (PartialFail with partial_failure='accept')."""
    errors: pulumi.Output[list[dict[str, str]]]
    """Errors the last AddNodes task reported (`code`, `message`, `instance_id`)."""
    task_id: pulumi.Output[str]
    """The last task the group waited for."""
    task_type: pulumi.Output[str]
    """Its TaskType (e.g. `AddComputes`)."""
    task_status: pulumi.Output[str]
    """Its final status as ListTasks spells it (`Success`, `PartialFail`, ...)."""
    steps: pulumi.Output[dict[str, int]]
    """Its `current` and `total` steps."""
    cluster_id: pulumi.Output[str]
    """The cluster (the input)."""
    count: pulumi.Output[int]
    """The requested count (the input; after a refresh that found nodes gone, how many are left)."""
    drift: pulumi.Output[list[dict[str, Any]]]
    """What the last refresh found changed outside Pulumi: `instance_id`, `property` (`exists`, `running`,
    `instance_type`, `image_id`), `expected`, `actual`; empty after create and update."""

    @overload
    def __init__(self, resource_name: str, args: NodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[NodeGroupArgsDict]
    ) -> None:
        ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        siblings = kwargs.pop("_pool_siblings", None)  # NodePool's, on its first shard (prelaunch.py)
        inputs, opts = resource_inputs("NodeGroup", resource_name, NodeGroupArgs, NodeGroupInputs, args, kwargs)
        props = _props(NodeGroup, resource_name, opts, _outputs(NodeGroup), inputs)
        if siblings:
            props["pool_siblings"] = siblings
        super().__init__(NodeGroupProvider(), resource_name, props, opts)


class Cluster(Resource, module="ehpc", name="Cluster"):
    """An E-HPC cluster; `pulumi up` returns when CreateCluster's task is done.

    ## Example usage
    ```python
    cluster = Cluster("hpc", name="hpc-dev", vpc_id="vpc-xxx", vswitch_id="vsw-xxx", zone_id="cn-hangzhou-k",
                      os_tag="CentOS_7.6_64", compute_count=2, password=config.require_secret("rootPassword"))
    ```
    The inputs are `ClusterArgs`' properties; `password` is always stored as a secret.
    """

    cluster_id: pulumi.Output[str]
    """The new cluster's id."""
    instances: pulumi.Output[list[dict[str, str]]]
    """The nodes CreateCluster's task reported (`instance_id`, `ip`, `hostname`, `role`)."""
    status: pulumi.Output[str | None]
    """The cluster's status as of the last refresh."""
    task_id: pulumi.Output[str]
    """The last task the cluster waited for."""
    task_type: pulumi.Output[str]
    """Its TaskType (e.g. `CreateCluster`)."""
    task_status: pulumi.Output[str]
    """Its final status as ListTasks spells it."""
    steps: pulumi.Output[dict[str, int]]
    """Its `current` and `total` steps."""

    @overload
    def __init__(self, resource_name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[ClusterArgsDict]
    ) -> None:
        ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs("Cluster", resource_name, ClusterArgs, ClusterInputs, args, kwargs)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["password"]))
        if inputs.get("password") is not None:
            inputs["password"] = pulumi.Output.secret(inputs["password"])
        props = _props(Cluster, resource_name, opts, _outputs(Cluster), inputs)
        super().__init__(ClusterProvider(), resource_name, props, opts)


class TaskWait(Resource, module="ehpc", name="TaskWait"):
    """Wait on a task issued elsewhere (by TaskId) and expose the final task.

    The inputs are `TaskWaitArgs`' properties.
    """

    task_type: pulumi.Output[str]
    """The task's TaskType."""
    task_status: pulumi.Output[str]
    """Its final status as ListTasks spells it."""
    steps: pulumi.Output[dict[str, int]]
    """Its `current` and `total` steps."""
    instances: pulumi.Output[list[dict[str, str]]]
    """The instances its result lists."""
    errors: pulumi.Output[list[dict[str, str]]]
    """The errors it reported."""
    request: pulumi.Output[dict[str, Any]]
    """The request that started it."""

    @overload
    def __init__(self, resource_name: str, args: TaskWaitArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[TaskWaitArgsDict]
    ) -> None:
        ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs("TaskWait", resource_name, TaskWaitArgs, TaskWaitInputs, args, kwargs)
        props = _props(TaskWait, resource_name, opts, _outputs(TaskWait), inputs)
        super().__init__(TaskWaitProvider(), resource_name, props, opts)
