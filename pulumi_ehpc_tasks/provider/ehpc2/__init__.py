"""E-HPC 2.0 (API 2024-07-30, "E-HPC Cluster") resources. The 1.0 (API 2018-04-12) ones are the parent
package's: the two generations' clusters, queues and nodes are different objects behind different
operations, so each has its own module, its own type token (`ehpc2:` vs `ehpc:`) and its own providers."""

from .args import (
    ClusterArgs,
    ClusterArgsDict,
    NodeGroupArgs,
    NodeGroupArgsDict,
    NodePoolArgs,
    NodePoolArgsDict,
    PlacementDict,
    QueueArgs,
    QueueArgsDict,
)
from .cluster import Cluster2Error, ClusterProvider
from .inputs import Cluster2Inputs, NodeGroup2Inputs, NodePool2Inputs, Placement2Inputs, Queue2Inputs
from .nodegroup import NodeGroup2Error, NodeGroupProvider
from .pool import NodePool
from .queue import Queue2Error, QueueProvider
from .resources import Cluster, NodeGroup, Queue

__all__ = [
    "Cluster",
    "Cluster2Error",
    "Cluster2Inputs",
    "ClusterArgs",
    "ClusterArgsDict",
    "ClusterProvider",
    "NodeGroup",
    "NodeGroup2Error",
    "NodeGroup2Inputs",
    "NodeGroupArgs",
    "NodeGroupArgsDict",
    "NodeGroupProvider",
    "NodePool",
    "NodePool2Inputs",
    "NodePoolArgs",
    "NodePoolArgsDict",
    "Placement2Inputs",
    "PlacementDict",
    "Queue",
    "Queue2Error",
    "Queue2Inputs",
    "QueueArgs",
    "QueueArgsDict",
    "QueueProvider",
]
