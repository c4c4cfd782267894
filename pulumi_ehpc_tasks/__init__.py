"""pulumi-ehpc-tasks: Alibaba Cloud E-HPC async operations as Pulumi resources that wait for their tasks.

Resources: `NodeGroup`, `Cluster`, `TaskWait`; component: `NodePool`. The wire client, the waiter and
the emulator live in `pulumi_ehpc_tasks.wire`, `.waiting` and `.emulator`.
"""

from .provider import Cluster, NodeGroup, NodeGroupError, NodePool, PartialFailure, Placement, TaskWait

__all__ = ["Cluster", "NodeGroup", "NodeGroupError", "NodePool", "PartialFailure", "Placement", "TaskWait"]
__version__ = "0.1.0"
