"""E-HPC 2.0 (API 2024-07-30) resources: `from pulumi_ehpc_tasks import ehpc2; ehpc2.NodeGroup(...)`;
component: `ehpc2.NodePool`.

The top-level names of `pulumi_ehpc_tasks` (`NodeGroup`, `Cluster`, ...) are E-HPC 1.0 (API 2018-04-12).
"""

from .provider.ehpc2 import (
    Cluster,
    Cluster2Error,
    ClusterArgs,
    ClusterArgsDict,
    NodeGroup,
    NodeGroup2Error,
    NodeGroupArgs,
    NodeGroupArgsDict,
    NodePool,
    NodePoolArgs,
    NodePoolArgsDict,
    PlacementDict,
    Queue,
    Queue2Error,
    QueueArgs,
    QueueArgsDict,
)

__all__ = [
    "Cluster",
    "Cluster2Error",
    "ClusterArgs",
    "ClusterArgsDict",
    "NodeGroup",
    "NodeGroup2Error",
    "NodeGroupArgs",
    "NodeGroupArgsDict",
    "NodePool",
    "NodePoolArgs",
    "NodePoolArgsDict",
    "PlacementDict",
    "Queue",
    "Queue2Error",
    "QueueArgs",
    "QueueArgsDict",
]
