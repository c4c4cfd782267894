"""The Pulumi glue: dynamic providers, the resources programs declare, the NodePool component."""

from .cluster import ClusterProvider
from .inputs import PartialFailure
from .nodegroup import NodeGroupError, NodeGroupProvider
from .pool import NodePool, Placement, plan_shards
from .resources import Cluster, NodeGroup, TaskWait
from .taskwait import TaskWaitProvider

__all__ = [
    "Cluster",
    "ClusterProvider",
    "NodeGroup",
    "NodeGroupError",
    "NodeGroupProvider",
    "NodePool",
    "PartialFailure",
    "Placement",
    "TaskWait",
    "TaskWaitProvider",
    "plan_shards",
]
