"""pulumi-ehpc-tasks: Alibaba Cloud E-HPC async operations as Pulumi resources that wait for their tasks.

Resources: `NodeGroup`, `Cluster`, `TaskWait`; component: `NodePool`. The wire client, the waiter and
the emulator live in `pulumi_ehpc_tasks.wire`, `.waiting` and `.emulator`.
"""

from .provider import (
    Cluster,
    ClusterArgs,
    ConnectionArgs,
    InvalidInputsError,
    NodeGroup,
    NodeGroupArgs,
    NodeGroupError,
    NodePool,
    NodePoolArgs,
    PartialFailure,
    Placement,
    TaskWait,
    TaskWaitArgs,
)

__all__ = [
    "Cluster",
    "ClusterArgs",
    "ConnectionArgs",
    "InvalidInputsError",
    "NodeGroup",
    "NodeGroupArgs",
    "NodeGroupError",
    "NodePool",
    "NodePoolArgs",
    "PartialFailure",
    "Placement",
    "TaskWait",
    "TaskWaitArgs",
]
__version__ = "0.1.0"
