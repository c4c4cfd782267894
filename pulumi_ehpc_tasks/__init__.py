"""pulumi-ehpc-tasks: Alibaba Cloud E-HPC async operations as Pulumi resources that wait for their tasks."""

from .provider import NodeGroup, NodeGroupError, PartialFailure

__all__ = ["NodeGroup", "NodeGroupError", "PartialFailure"]
__version__ = "0.1.0"
