"""The Pulumi glue: dynamic providers, the resources programs declare, the NodePool component."""

from .args import (
    ClusterArgs,
    ClusterArgsDict,
    ConnectionArgs,
    ConnectionArgsDict,
    NodeGroupArgs,
    NodeGroupArgsDict,
    NodePoolArgs,
    NodePoolArgsDict,
    Placement,
    PlacementDict,
    TaskWaitArgs,
    TaskWaitArgsDict,
    TimeoutsDict,
)
from .cluster import ClusterProvider
from .inputs import PartialFailure
from .nodegroup import NodeGroupError, NodeGroupProvider
from .pool import NodePool, plan_shards
from .resources import Cluster, InvalidInputsError, NodeGroup, TaskWait
from .taskwait import TaskWaitProvider

__all__ = [
    "Cluster",
    "ClusterArgs",
    "ClusterArgsDict",
    "ClusterProvider",
    "ConnectionArgs",
    "ConnectionArgsDict",
    "InvalidInputsError",
    "NodeGroup",
    "NodeGroupArgs",
    "NodeGroupArgsDict",
    "NodeGroupError",
    "NodeGroupProvider",
    "NodePool",
    "NodePoolArgs",
    "NodePoolArgsDict",
    "PartialFailure",
    "Placement",
    "PlacementDict",
    "TaskWait",
    "TaskWaitArgs",
    "TaskWaitArgsDict",
    "TaskWaitProvider",
    "TimeoutsDict",
    "plan_shards",
]
