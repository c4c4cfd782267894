"""The dynamic resources stack programs declare. Inputs are keyword-only and snake_case; outputs
are declared as typed `pulumi.Output` attributes so programs and IDEs see them.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource
from pulumi.resource import create_urn

from .nodegroup import NodeGroupProvider

__all__ = ["NodeGroup"]

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
        props: dict[str, Any] = {"cluster_id": cluster_id, "count": count, **inputs}
        # The provider never sees its URN (the Python host drops it), yet needs it for progress in the
        # resource's row and for deterministic ClientTokens; compute it here, where it is known.
        props["urn"] = create_urn(resource_name, f"pulumi-python:{self._resource_type_name}", parent=opts.parent)
        for name in _NODE_GROUP_OUTPUTS:
            props.setdefault(name, None)
        super().__init__(NodeGroupProvider(), resource_name, props, opts)
