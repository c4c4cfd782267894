"""ACTIONS: the registry of E-HPC operations, one row per Action; every layer derives from it.

A row says how the Action travels (request/response models, API version, method), how safe it is to
repeat (`Keying`), which ListTasks `TaskType` its task shows, and what a finished task does to the
nodes and the cluster it targets. The clients' methods, the retry contract, the waiter's per-type
tuning, the providers' lookups and the emulator's handler and effect tables all come from here (or are
checked against it by `tests/unit/test_registry.py`, which fails when a layer misses an action).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import cluster_models as c
from . import models as m
from . import task_models as t
from ._base import WireRequest, WireResponse

__all__ = [
    "ACTIONS",
    "ACTION_BY_TASK_TYPE",
    "API_2018",
    "ActionSpec",
    "Effect",
    "Keying",
    "Target",
    "TaskType",
    "snake_case",
]

class TaskType(str, enum.Enum):
    """Known ListTasks `TaskType` values, each the task of one row below. `TaskInfo.task_type` stays a plain
    str so new ones survive."""

    CREATE_CLUSTER = "CreateCluster"
    START_CLUSTER = "StartCluster"
    STOP_CLUSTER = "StopCluster"
    DELETE_CLUSTER = "DeleteCluster"
    ADD_COMPUTES = "AddComputes"
    START_COMPUTES = "StartComputes"
    RESET_COMPUTE = "ResetCompute"
    STOP_COMPUTES = "StopComputes"
    DELETE_COMPUTES = "DeleteComputes"


API_2018 = "2018-04-12"
"""E-HPC 1.0: ListTasks-based operations."""


def snake_case(action: str) -> str:
    """`AddNodes` → `add_nodes` (the same rule names client methods and emulator handlers)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


class Keying(str, enum.Enum):
    """How safe an Action is to send again after an answer that may or may not have been applied."""

    READ = "read"
    """Read-only: always safe to repeat."""
    CLIENT_TOKEN = "client_token"
    """A write that accepts ClientToken: a retry with the same token is idempotent."""
    UNKEYED = "unkeyed"
    """A write without a token: never re-sent blindly; the caller reads state to resolve it."""


class Target(str, enum.Enum):
    """What a write operates on."""

    NODES = "nodes"
    """Listed compute nodes of a cluster (`InstanceIds`), or new ones (AddNodes)."""
    CLUSTER = "cluster"
    """The whole cluster and every node in it."""


@dataclass(frozen=True)
class Effect:
    """What a finished task does to its target (node or cluster `Status`; "" = it is gone)."""

    on_success: str
    on_failure: str | None
    """Status after a failure; None = back to the status before the task."""
    creates: bool = False
    """The task brings new nodes into being (its `Result.Instances` lists them)."""
    observable: bool = True
    """The success status differs from the status before, so node state shows whether it ran
    (false for ResetNodes: reset nodes are running before and after)."""
    in_progress: str | None = None
    """Status the target shows while the task runs (None = unchanged)."""


@dataclass(frozen=True)
class ActionSpec:
    """One E-HPC Action: how it travels, how safe it is to repeat, what its task does."""

    name: str
    request: type[WireRequest]
    response: type[WireResponse]
    keying: Keying
    task_type: TaskType | None = None
    """The TaskType its task shows in ListTasks (None: answers synchronously)."""
    target: Target | None = None
    effect: Effect | None = None
    """What the finished task does to each targeted node (cluster writes: to every node)."""
    cluster_effect: Effect | None = None
    """What the finished task does to the cluster's own status (cluster writes only)."""
    api_version: str = API_2018
    method: str = "GET"  # every 2018 action is a GET with the parameters in the query string

    @property
    def is_async(self) -> bool:
        """Answers with a TaskId to poll in ListTasks."""
        return self.task_type is not None

    @property
    def read_only(self) -> bool:
        return self.keying is Keying.READ

    @property
    def client_token(self) -> bool:
        """Accepts ClientToken, so a retry with the same token is idempotent."""
        return self.keying is Keying.CLIENT_TOKEN

    @property
    def idempotent(self) -> bool:
        """Safe to re-send after an ambiguous failure (the request may have been applied)."""
        return self.keying is not Keying.UNKEYED

    @property
    def method_name(self) -> str:
        return snake_case(self.name)


_K, _T, _E = Keying, Target, Effect
_ROWS = (
    ActionSpec("AddNodes", m.AddNodesRequest, m.AddNodesResponse, _K.CLIENT_TOKEN, TaskType.ADD_COMPUTES,
               _T.NODES, _E("running", "", creates=True, in_progress="initing")),
    ActionSpec("DeleteNodes", m.DeleteNodesRequest, m.DeleteNodesResponse, _K.UNKEYED, TaskType.DELETE_COMPUTES,
               _T.NODES, _E("", None, in_progress="releasing")),
    ActionSpec("StartNodes", m.StartNodesRequest, m.StartNodesResponse, _K.UNKEYED, TaskType.START_COMPUTES,
               _T.NODES, _E("running", None)),
    ActionSpec("StopNodes", m.StopNodesRequest, m.StopNodesResponse, _K.UNKEYED, TaskType.STOP_COMPUTES,
               _T.NODES, _E("stopped", None)),
    ActionSpec("ResetNodes", m.ResetNodesRequest, m.ResetNodesResponse, _K.UNKEYED, TaskType.RESET_COMPUTE,
               _T.NODES, _E("running", "exception", observable=False, in_progress="initing")),
    ActionSpec("CreateCluster", c.CreateClusterRequest, c.CreateClusterResponse, _K.CLIENT_TOKEN,
               TaskType.CREATE_CLUSTER, _T.CLUSTER, _E("running", "", creates=True, in_progress="initing"),
               _E("running", "exception", in_progress="creating")),
    ActionSpec("DeleteCluster", c.DeleteClusterRequest, c.DeleteClusterResponse, _K.UNKEYED,
               TaskType.DELETE_CLUSTER, _T.CLUSTER, _E("", None, in_progress="releasing"),
               _E("", None, in_progress="releasing")),
    ActionSpec("StartCluster", c.StartClusterRequest, c.StartClusterResponse, _K.UNKEYED,
               TaskType.START_CLUSTER, _T.CLUSTER, _E("running", None), _E("running", None)),
    ActionSpec("StopCluster", c.StopClusterRequest, c.StopClusterResponse, _K.UNKEYED,
               TaskType.STOP_CLUSTER, _T.CLUSTER, _E("stopped", None), _E("stopped", None)),
    ActionSpec("ListTasks", t.ListTasksRequest, t.ListTasksResponse, _K.READ),
    ActionSpec("ListNodes", m.ListNodesRequest, m.ListNodesResponse, _K.READ),
    ActionSpec("DescribeCluster", c.DescribeClusterRequest, c.DescribeClusterResponse, _K.READ),
    ActionSpec("ListClusters", c.ListClustersRequest, c.ListClustersResponse, _K.READ),
)

ACTIONS: Mapping[str, ActionSpec] = MappingProxyType({row.name: row for row in _ROWS})
ACTION_BY_TASK_TYPE: Mapping[str, ActionSpec] = MappingProxyType(
    {row.task_type.value: row for row in _ROWS if row.task_type is not None}
)
"""TaskType (as ListTasks spells it) → the Action whose task it is."""
