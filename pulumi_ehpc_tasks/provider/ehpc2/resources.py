"""The E-HPC 2.0 resources programs declare (type tokens `ehpc2:...`, so URNs and previews say the generation)."""

from __future__ import annotations

from typing import Any, overload

import pulumi
from pulumi.dynamic import Resource
from typing_extensions import Unpack

from ..resources import _outputs, _props, resource_inputs
from .args import ClusterArgs, ClusterArgsDict, NodeGroupArgs, NodeGroupArgsDict, QueueArgs, QueueArgsDict
from .cluster import ClusterProvider
from .inputs import Cluster2Inputs, NodeGroup2Inputs, Queue2Inputs
from .nodegroup import NodeGroupProvider
from .queue import QueueProvider

__all__ = ["Cluster", "NodeGroup", "Queue"]


class NodeGroup(Resource, module="ehpc2", name="NodeGroup"):
    """Nodes in a queue of an E-HPC 2.0 cluster (API 2024-07-30); `pulumi up` returns when every node is
    `running` (or the partial-failure policy has been applied).

    ## Example usage
    ```python
    from pulumi_ehpc_tasks import ehpc2
    group = ehpc2.NodeGroup("compute", cluster_id=cluster_id, queue_name="comp", count=4)
    ```
    """

    instance_ids: pulumi.Output[list[str]]
    """Instance ids of the nodes this group holds (all `running` when they were added)."""
    instances: pulumi.Output[list[dict[str, str]]]
    """`instance_id`, `hostname`, `ip`, `status` of each node."""
    failed_instances: pulumi.Output[list[dict[str, str]]]
    """The nodes the last create or scale-up saw fail: `instance_id`, `hostname`, `status`, `reason`
    (released since)."""
    failed_count: pulumi.Output[int]
    """How many of `count` the group lacks (a partial failure accepted)."""
    next_index: pulumi.Output[int]
    """The index the next derived host name takes (names are never reused)."""
    generation: pulumi.Output[str]
    """The digest in the host names: of the URN and the inputs CreateNodes fixes."""
    request_id: pulumi.Output[str]
    """The RequestId (operation-log key) of the last CreateNodes waited for."""
    log_status: pulumi.Output[str]
    """Its operation-log status (`Finished`, `Failed`)."""

    @overload
    def __init__(self, resource_name: str, args: NodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[NodeGroupArgsDict]
    ) -> None:
        ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs("ehpc2.NodeGroup", resource_name, NodeGroupArgs, NodeGroup2Inputs, args,
                                       kwargs)
        props = _props(NodeGroup, resource_name, opts, _outputs(NodeGroup), inputs)
        super().__init__(NodeGroupProvider(), resource_name, props, opts)


class Cluster(Resource, module="ehpc2", name="Cluster"):
    """An E-HPC 2.0 cluster; `pulumi up` returns when it is `running`, `destroy` when it is gone."""

    cluster_id: pulumi.Output[str]
    """The cluster's id (`ehpc-...`)."""
    cluster_status: pulumi.Output[str]
    """Its ClusterStatus when last read (`running` after create)."""
    request_id: pulumi.Output[str]
    """The RequestId (operation-log key) of its CreateCluster (`(adopted)` when a retry found it)."""

    @overload
    def __init__(self, resource_name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[ClusterArgsDict]
    ) -> None:
        ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs("ehpc2.Cluster", resource_name, ClusterArgs, Cluster2Inputs, args, kwargs)
        props = _props(Cluster, resource_name, opts, _outputs(Cluster), inputs)
        super().__init__(ClusterProvider(), resource_name, props, opts)


class Queue(Resource, module="ehpc2", name="Queue"):
    """A queue of an E-HPC 2.0 cluster; delete refuses while nodes remain in it."""

    cluster_id: pulumi.Output[str]
    """The cluster (the input)."""
    queue_name: pulumi.Output[str]
    """The queue's name (the input)."""

    @overload
    def __init__(self, resource_name: str, args: QueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ...

    @overload
    def __init__(
        self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Unpack[QueueArgsDict]
    ) -> None:
        ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        inputs, opts = resource_inputs("ehpc2.Queue", resource_name, QueueArgs, Queue2Inputs, args, kwargs)
        props = _props(Queue, resource_name, opts, _outputs(Queue), inputs)
        super().__init__(QueueProvider(), resource_name, props, opts)
