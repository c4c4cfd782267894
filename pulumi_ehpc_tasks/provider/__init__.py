"""The Pulumi glue: dynamic providers, the resources programs declare, and progress to the engine."""

from .inputs import PartialFailure
from .nodegroup import NodeGroupError, NodeGroupProvider
from .resources import NodeGroup

__all__ = ["NodeGroup", "NodeGroupError", "NodeGroupProvider", "PartialFailure"]
