"""The registry of E-HPC operations, one row per (API version, Action); every layer derives from it.

`REGISTRY` is keyed by `(api_version, name)`: API 2018-04-12 (E-HPC 1.0) and 2024-07-30 (E-HPC 2.0) share
several names (CreateCluster, DeleteNodes, ListNodes...). `ACTIONS` is the 2018 view by name, as it always
was, and `ACTIONS_2024` the 2024 one; `registry(version)` gives either, `spec_for(request_type)` the row of a
request model.

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
from . import models_2024 as v2
from . import task_models as t
from ._base import WireRequest, WireResponse

__all__ = [
    "ACTIONS",
    "ACTIONS_2024",
    "ACTION_BY_TASK_TYPE",
    "API_2018",
    "API_2024",
    "REGISTRY",
    "ActionSpec",
    "Effect",
    "Keying",
    "Target",
    "TaskType",
    "registry",
    "snake_case",
    "spec_for",
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
API_2024 = "2024-07-30"
"""E-HPC 2.0 ("E-HPC Cluster"): no ListTasks, no ClientToken; completion is read from resource states and
the operation logs (ListCommonLogs)."""


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
    replaces: str | None = None
    """2024 rows: the 2018 Action this one succeeds (ehpc-2024-api.md §7), e.g. CreateNodes → AddNodes; the
    emulator gives its progress the step shape of that Action's task."""

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


def _v2(name: str, request: type[WireRequest], response: type[WireResponse], keying: Keying,
        target: Target | None = None, effect: Effect | None = None, cluster_effect: Effect | None = None,
        replaces: str | None = None) -> ActionSpec:
    # Every 2024 operation we use is a POST with all parameters in the query (§1.1); none takes ClientToken.
    return ActionSpec(name, request, response, keying, None, target, effect, cluster_effect, API_2024, "POST",
                      replaces)


_ROWS_2024 = (
    _v2("CreateCluster", v2.CreateCluster2024Request, v2.CreateCluster2024Response, _K.UNKEYED, _T.CLUSTER,
        None, _E("running", "exception", creates=True, in_progress="creating"), replaces="CreateCluster"),
    _v2("DeleteCluster", v2.DeleteCluster2024Request, v2.DeleteCluster2024Response, _K.UNKEYED, _T.CLUSTER,
        _E("", None, in_progress="releasing"), _E("", None, in_progress="releasing"), replaces="DeleteCluster"),
    # [INF] answered synchronously (the doc states nothing; Terraform does not wait on it).
    _v2("UpdateCluster", v2.UpdateCluster2024Request, v2.SuccessResponse, _K.UNKEYED, _T.CLUSTER),
    _v2("CreateNodes", v2.CreateNodes2024Request, v2.CreateNodes2024Response, _K.UNKEYED, _T.NODES,
        _E("running", "exception", creates=True, in_progress="initing"), replaces="AddNodes"),
    _v2("DeleteNodes", v2.DeleteNodes2024Request, v2.DeleteNodes2024Response, _K.UNKEYED, _T.NODES,
        _E("", None, in_progress="releasing"), replaces="DeleteNodes"),
    _v2("UpdateNodes", v2.UpdateNodesRequest, v2.SuccessResponse, _K.UNKEYED, _T.NODES),
    _v2("CreateQueue", v2.CreateQueueRequest, v2.CreateQueueResponse, _K.UNKEYED),
    _v2("UpdateQueue", v2.UpdateQueueRequest, v2.SuccessResponse, _K.UNKEYED),
    _v2("DeleteQueues", v2.DeleteQueuesRequest, v2.SuccessResponse, _K.UNKEYED),
    _v2("GetCluster", v2.GetClusterRequest, v2.GetClusterResponse, _K.READ, replaces="DescribeCluster"),
    _v2("ListClusters", v2.ListClusters2024Request, v2.ListClusters2024Response, _K.READ, replaces="ListClusters"),
    _v2("ListNodes", v2.ListNodes2024Request, v2.ListNodes2024Response, _K.READ, replaces="ListNodes"),
    _v2("GetQueue", v2.GetQueueRequest, v2.GetQueueResponse, _K.READ),
    _v2("ListQueues", v2.ListQueuesRequest, v2.ListQueuesResponse, _K.READ),
    _v2("ListCommonLogs", v2.ListCommonLogsRequest, v2.ListCommonLogsResponse, _K.READ, replaces="ListTasks"),
    _v2("GetCommonLogDetail", v2.GetCommonLogDetailRequest, v2.GetCommonLogDetailResponse, _K.READ),
)

REGISTRY: Mapping[tuple[str, str], ActionSpec] = MappingProxyType(
    {(row.api_version, row.name): row for row in (*_ROWS, *_ROWS_2024)}
)
"""Every row, by (API version, Action name)."""


def registry(version: str) -> Mapping[str, ActionSpec]:
    """The rows of one API version, by Action name (KeyError for a version we do not speak)."""
    rows = _BY_VERSION.get(version)
    if rows is None:
        raise KeyError(version)
    return rows


def spec_for(request: type[WireRequest]) -> ActionSpec:
    """The row whose request model is `request`."""
    return _BY_REQUEST[request]


_BY_VERSION: dict[str, Mapping[str, ActionSpec]] = {
    version: MappingProxyType({name: row for (v, name), row in REGISTRY.items() if v == version})
    for version in (API_2018, API_2024)
}
_BY_REQUEST = {row.request: row for row in REGISTRY.values()}
ACTIONS: Mapping[str, ActionSpec] = _BY_VERSION[API_2018]
"""The 2018-04-12 rows by name (what every 1.0 caller uses)."""
ACTIONS_2024: Mapping[str, ActionSpec] = _BY_VERSION[API_2024]
ACTION_BY_TASK_TYPE: Mapping[str, ActionSpec] = MappingProxyType(
    {row.task_type.value: row for row in _ROWS if row.task_type is not None}
)
"""TaskType (as ListTasks spells it) → the Action whose task it is."""
