"""The dynamic resources stack programs declare. Inputs are keyword-only and snake_case; outputs
are declared as typed `pulumi.Output` attributes so programs and IDEs see them.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource
from pulumi.resource import create_urn

from .cluster import ClusterProvider
from .nodegroup import NodeGroupProvider
from .taskwait import TaskWaitProvider

__all__ = ["Cluster", "NodeGroup", "TaskWait"]


def _props(
    cls: type[Resource], resource_name: str, opts: pulumi.ResourceOptions, outputs: tuple[str, ...], **inputs: Any
) -> dict[str, Any]:
    """Inputs plus declared outputs (as None) plus the resource's own URN.

    The provider never sees its URN (the Python host drops it), yet needs it for progress in the
    resource's row and for deterministic ClientTokens; it is computed here, where it is known.
    """
    props: dict[str, Any] = {k: v for k, v in inputs.items() if v is not None}
    urn = create_urn(resource_name, f"pulumi-python:{cls._resource_type_name}", parent=opts.parent)
    # The same value without a dependency on the parent: a child depending on its own parent (a
    # component such as NodePool) would be a cycle.
    props["urn"] = pulumi.Output(set(), urn.future(), urn.is_known(), urn.is_secret())
    for name in outputs:
        props.setdefault(name, None)
    return props

_NODE_GROUP_OUTPUTS = (
    "instance_ids",
    "instances",
    "failed_count",
    "errors",
    "task_id",
    "task_type",
    "task_status",
    "steps",
)


class NodeGroup(Resource, module="ehpc", name="NodeGroup"):
    """Compute nodes of one shape in an E-HPC cluster; `pulumi up` returns when AddNodes is done.

    ## Example usage
    ```python
    group = NodeGroup("compute", cluster_id="ehpc-hz-FYUr32xxxx", count=4, instance_type="ecs.c7.large")
    pulumi.export("instances", group.instances)
    ```

    :param cluster_id: the E-HPC cluster to add nodes to.
    :param count: how many nodes (1..99); changing it adds or deletes nodes in place.
    :param partial_failure: `accept` (default), `rollback` or `retry` when AddNodes ends PartialFail.
    :param timeouts: per-operation deadlines, seconds or strings like `"45m"`: `{"create": "1h"}`.
    :param release_instances: release the ECS instances when nodes are deleted (default True).
    Other inputs mirror AddNodes: instance_type, image_id, image_owner_alias, zone_id, vswitch_id,
    min_count, host_name_prefix, host_name_suffix, job_queue, ecs_charge_type, system_disk_type,
    system_disk_size, compute_spot_strategy, compute_spot_price_limit, max_retries.
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
    task_type: pulumi.Output[str]
    task_status: pulumi.Output[str]
    steps: pulumi.Output[dict[str, int]]
    cluster_id: pulumi.Output[str]
    count: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        cluster_id: pulumi.Input[str],
        count: pulumi.Input[int],
        opts: pulumi.ResourceOptions | None = None,
        **inputs: Any,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        props = _props(
            NodeGroup, resource_name, opts, _NODE_GROUP_OUTPUTS, cluster_id=cluster_id, count=count, **inputs
        )
        super().__init__(NodeGroupProvider(), resource_name, props, opts)


_CLUSTER_OUTPUTS = ("cluster_id", "instances", "status", "task_id", "task_type", "task_status", "steps")


class Cluster(Resource, module="ehpc", name="Cluster"):
    """An E-HPC cluster; `pulumi up` returns when CreateCluster's task is done.

    ## Example usage
    ```python
    cluster = Cluster("hpc", name="hpc-dev", vpc_id="vpc-xxx", vswitch_id="vsw-xxx", zone_id="cn-hangzhou-k",
                      os_tag="CentOS_7.6_64", compute_count=2, password=config.require_secret("rootPassword"))
    ```

    :param name: cluster name (2..64 characters).
    :param running: False stops the cluster (StopCluster), True starts it (StartCluster).
    :param release_instances: release E-HPC-created ECS instances on delete (default True).
    :param timeouts: per-operation deadlines, e.g. `{"create": "1h"}`.
    Other inputs mirror CreateCluster: description, deploy_mode, scheduler_type, account_type, os_tag,
    image_id, image_owner_alias, vpc_id, vswitch_id, zone_id, security_group_id, key_pair_name,
    password (always stored as a secret), ecs_charge_type, ha_enable, manager/compute/login_instance_type,
    manager/compute/login_count.
    """

    cluster_id: pulumi.Output[str]
    instances: pulumi.Output[list[dict[str, str]]]
    """The nodes CreateCluster's task reported (`instance_id`, `ip`, `hostname`, `role`)."""
    status: pulumi.Output[str | None]
    task_id: pulumi.Output[str]
    task_type: pulumi.Output[str]
    task_status: pulumi.Output[str]
    steps: pulumi.Output[dict[str, int]]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        password: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **inputs: Any,
    ) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["password"]))
        secret = pulumi.Output.secret(password) if password is not None else None
        props = _props(Cluster, resource_name, opts, _CLUSTER_OUTPUTS, name=name, password=secret, **inputs)
        super().__init__(ClusterProvider(), resource_name, props, opts)


_TASK_WAIT_OUTPUTS = ("task_type", "task_status", "steps", "instances", "errors", "request")


class TaskWait(Resource, module="ehpc", name="TaskWait"):
    """Wait on a task issued elsewhere (by TaskId) and expose the final task.

    :param fail_on_error: raise when the task ends Failed or PartialFail (default True); with False the
        outputs report it instead.
    """

    task_type: pulumi.Output[str]
    task_status: pulumi.Output[str]
    steps: pulumi.Output[dict[str, int]]
    instances: pulumi.Output[list[dict[str, str]]]
    errors: pulumi.Output[list[dict[str, str]]]
    request: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        *,
        cluster_id: pulumi.Input[str],
        task_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        **inputs: Any,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        props = _props(TaskWait, resource_name, opts, _TASK_WAIT_OUTPUTS, cluster_id=cluster_id, task_id=task_id,
                       **inputs)
        super().__init__(TaskWaitProvider(), resource_name, props, opts)
