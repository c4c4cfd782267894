"""Backend operations, one per API action: validate against state, mutate, start the task.

Each takes already-parsed Python values (the handlers own parameter parsing), uses only the backend's
public methods and returns model objects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..wire.actions import ACTIONS, ActionSpec
from ..wire.task_models import TaskStatus
from .backend import Backend
from .errors import ApiError, invalid_param
from .state import IdempotencyRecord, Node, Task, TaskFailure, TaskRequest


@dataclass
class AddNodesSpec:
    count: int
    min_count: int = 1
    instance_type: str | None = None
    zone_id: str | None = None
    image_id: str | None = None
    host_prefix: str = ""
    host_suffix: str = ""
    create_mode: str = "manual"
    spot_strategy: str = "NoSpot"


def fingerprint(params: dict[str, str]) -> str:
    """Stable digest of the business parameters (ClientToken itself excluded)."""
    body = json.dumps({k: v for k, v in sorted(params.items()) if k != "ClientToken"}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def replay_token(b: Backend, action: str, token: str | None, params: dict[str, str]) -> Task | None:
    """The task a reused ClientToken first started, or None; a mismatch is an error."""
    if not token:
        return None
    record = b.token(f"{action}:{token}")
    if record is None:
        return None
    if record.fingerprint != fingerprint(params):
        raise ApiError(
            "IdempotentParameterMismatch",
            "The request uses the same client token as a previous, but non-identical request.",
        )
    return b.task(record.task_id)


def remember_token(b: Backend, action: str, token: str | None, params: dict[str, str], task: Task) -> None:
    if token:
        key = f"{action}:{token}"
        b.remember_token(IdempotencyRecord(key, fingerprint(params), task.task_id))


def add_nodes(b: Backend, cluster_id: str, spec: AddNodesSpec, request: TaskRequest) -> Task:
    """Create the nodes at once (in the Action's in-progress status) and a task that makes them run."""
    cluster = b.cluster(cluster_id)
    b.check_not_busy(cluster)
    if cluster.status in ("releasing", "creating"):
        raise ApiError("OperationConflict", f"Cluster {cluster_id} is {cluster.status}.")
    itype = spec.instance_type or cluster.compute_instance_type
    zone = spec.zone_id or cluster.zone_id
    free = b.free_capacity(zone, itype)
    errors: list[TaskFailure] = []
    force: TaskStatus | None = None
    if free < spec.min_count:
        made, force = 0, TaskStatus.FAILED
    else:
        made = min(spec.count, free)
        if made < spec.count:
            force = TaskStatus.PARTIAL_FAIL
    if made < spec.count:
        message = (
            f"The resource {itype} in zone {zone} "
            f"is out of stock: {spec.count - made} of {spec.count} nodes could not be created."
        )
        errors.append(TaskFailure("OperationDenied.NoStock", message))
    settings = {"create_mode": spec.create_mode, "spot_strategy": spec.spot_strategy}
    if spec.image_id:
        settings["image_id"] = spec.image_id
    nodes = [
        b.new_node(cluster, "Compute", itype, zone, "uninit", spec.host_prefix, spec.host_suffix, **settings)
        for _ in range(made)
    ]
    b.set_compute_type(cluster, itype)
    return b.start_task(ACTIONS["AddNodes"], cluster, request, nodes, errors=errors, force_outcome=force)


def node_task(b: Backend, spec: ActionSpec, cluster_id: str, ids: list[str], request: TaskRequest) -> Task:
    """A task over listed nodes of a cluster (DeleteNodes, StartNodes, ...)."""
    cluster = b.cluster(cluster_id)
    nodes = b.target_nodes(cluster, ids)
    b.check_not_busy(cluster, nodes)
    return b.start_task(spec, cluster, request, nodes)


@dataclass
class ClusterSpec:
    name: str
    zone_id: str | None = None
    manager_count: int = 1
    login_count: int = 1
    compute_count: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    """Further `Cluster` fields (instance types, scheduler, ...); the rest keep their defaults."""


def create_cluster(b: Backend, spec: ClusterSpec, request: TaskRequest) -> Task:
    """A new cluster whose nodes start with it; computes beyond capacity make it PartialFail."""
    cluster = b.new_cluster(spec.name, "uninit", spec.zone_id, **spec.settings)
    zone, compute_type = cluster.zone_id, cluster.compute_instance_type
    nodes: list[Node] = []
    for role, itype, count in (
        ("Manager", cluster.manager_instance_type, spec.manager_count),
        ("Login", cluster.login_instance_type, spec.login_count),
    ):
        nodes += [b.new_node(cluster, role, itype, zone, "uninit") for _ in range(count)]
    made = min(spec.compute_count, b.free_capacity(zone, compute_type))
    nodes += [b.new_node(cluster, "Compute", compute_type, zone, "uninit") for _ in range(made)]
    errors = []
    if made < spec.compute_count:
        message = f"{spec.compute_count - made} compute nodes of {compute_type} could not be created in {zone}."
        errors.append(TaskFailure("OperationDenied.NoStock", message))
    request.cluster_id = cluster.cluster_id
    force = TaskStatus.PARTIAL_FAIL if errors else None
    return b.start_task(ACTIONS["CreateCluster"], cluster, request, nodes, errors=errors, force_outcome=force)


def cluster_task(b: Backend, spec: ActionSpec, cluster_id: str, request: TaskRequest) -> Task:
    """StartCluster / StopCluster / DeleteCluster: the whole cluster is busy until the task ends."""
    cluster = b.cluster(cluster_id)
    b.check_not_busy(cluster, whole_cluster=True)
    if b.has_open_task(cluster_id):
        raise ApiError("OperationConflict", f"Cluster {cluster_id} has a running task.")
    return b.start_task(spec, cluster, request, b.nodes_of(cluster_id))


def list_tasks(
    b: Backend, cluster_id: str, task_id: str | None, archived: bool, page: int, size: int
) -> tuple[int, list[Task]]:
    """Seed rules: TaskId wins over Archived; Archived=false shows only Processing tasks."""
    now = b.now()
    tasks = b.tasks_of(cluster_id)
    if tasks is None:
        raise ApiError("ClusterNotFound")
    if task_id is not None:
        tasks = [t for t in tasks if t.task_id == task_id]
    elif not archived:
        tasks = [t for t in tasks if t.status_at(now) is TaskStatus.PROCESSING]
    tasks.sort(key=lambda t: t.created_at, reverse=True)  # newest first
    start = (page - 1) * size
    return len(tasks), tasks[start : start + size]


def list_nodes(
    b: Backend,
    cluster_id: str,
    *,
    role: str | None = None,
    status: str | None = None,
    hostname: str | None = None,
    prefix: str | None = None,
    suffix: str | None = None,
    ip: str | None = None,
    sort_by: str | None = None,
    backward: bool = False,
) -> list[Node]:
    b.cluster(cluster_id)
    nodes = b.nodes_of(cluster_id)
    if role:
        if role not in ("Manager", "Login", "Compute"):
            raise invalid_param("Role")
        nodes = [n for n in nodes if n.role == role]
    if status:
        nodes = [n for n in nodes if n.status == status]
    if hostname:
        nodes = [n for n in nodes if hostname in n.hostname]
    if prefix:
        nodes = [n for n in nodes if n.hostname.startswith(prefix)]
    if suffix:
        nodes = [n for n in nodes if n.hostname.endswith(suffix)]
    if ip:
        nodes = [n for n in nodes if n.ip == ip]
    if sort_by == "HostName":
        nodes.sort(key=lambda n: n.hostname)
    if backward:
        nodes.reverse()
    return nodes
