"""E-HPC 2.0 (API 2024-07-30, "E-HPC Cluster") resources. The 1.0 (API 2018-04-12) ones are `..` 's: the
two generations' clusters, queues and nodes are different objects behind different operations, so each
has its own module, its own type token (`ehpc2:` vs `ehpc:`) and its own provider classes."""

from .args import NodeGroupArgs, NodeGroupArgsDict
from .inputs import NodeGroup2Inputs
from .nodegroup import NodeGroup2Error, NodeGroupProvider
from .resources import NodeGroup

__all__ = ["NodeGroup", "NodeGroup2Error", "NodeGroup2Inputs", "NodeGroupArgs", "NodeGroupArgsDict",
           "NodeGroupProvider"]
