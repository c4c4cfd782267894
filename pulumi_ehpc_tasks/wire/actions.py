"""ACTIONS: one row per E-HPC Action. The client methods, retry safety and TaskType checks come from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from . import cluster_models as c
from . import models as m
from ._base import WireRequest, WireResponse

__all__ = ["ACTIONS", "ActionSpec", "snake_case"]


def snake_case(action: str) -> str:
    """`AddNodes` → `add_nodes` (the same rule names client methods and emulator handlers)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


@dataclass(frozen=True)
class ActionSpec:
    """How one Action travels and how safe it is to repeat."""

    name: str
    request: type[WireRequest]
    response: type[WireResponse]
    is_async: bool  # answers with a TaskId to poll in ListTasks
    task_type: str | None  # the TaskType that task shows in ListTasks
    client_token: bool  # accepts ClientToken, so a retry with the same token is idempotent
    read_only: bool
    method: str = "GET"  # every action here is a GET with the parameters in the query string

    @property
    def idempotent(self) -> bool:
        """Safe to re-send after an ambiguous failure (the request may have been applied)."""
        return self.read_only or self.client_token

    @property
    def method_name(self) -> str:
        return snake_case(self.name)


_ROWS = (
    ActionSpec("AddNodes", m.AddNodesRequest, m.AddNodesResponse, True, "AddComputes", True, False),
    ActionSpec(
        "DeleteNodes", m.DeleteNodesRequest, m.DeleteNodesResponse, True, "DeleteComputes", False, False
    ),
    ActionSpec("StartNodes", m.StartNodesRequest, m.StartNodesResponse, True, "StartComputes", False, False),
    ActionSpec("StopNodes", m.StopNodesRequest, m.StopNodesResponse, True, "StopComputes", False, False),
    ActionSpec("ResetNodes", m.ResetNodesRequest, m.ResetNodesResponse, True, "ResetCompute", False, False),
    ActionSpec(
        "CreateCluster", c.CreateClusterRequest, c.CreateClusterResponse, True, "CreateCluster", True, False
    ),
    ActionSpec(
        "DeleteCluster", c.DeleteClusterRequest, c.DeleteClusterResponse, True, "DeleteCluster", False, False
    ),
    ActionSpec(
        "StartCluster", c.StartClusterRequest, c.StartClusterResponse, True, "StartCluster", False, False
    ),
    ActionSpec("StopCluster", c.StopClusterRequest, c.StopClusterResponse, True, "StopCluster", False, False),
    ActionSpec("ListTasks", m.ListTasksRequest, m.ListTasksResponse, False, None, False, True),
    ActionSpec("ListNodes", m.ListNodesRequest, m.ListNodesResponse, False, None, False, True),
    ActionSpec(
        "DescribeCluster", c.DescribeClusterRequest, c.DescribeClusterResponse, False, None, False, True
    ),
    ActionSpec("ListClusters", c.ListClustersRequest, c.ListClustersResponse, False, None, False, True),
)

ACTIONS: MappingProxyType[str, ActionSpec] = MappingProxyType({row.name: row for row in _ROWS})
