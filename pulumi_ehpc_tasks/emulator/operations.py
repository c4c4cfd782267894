"""Backend operations, one per API action: validate against state, mutate, start the task.

Each takes already-parsed Python values (the handlers own parameter parsing) and returns model objects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .backend import Backend
from .errors import ApiError, invalid_param
from .state import FAILED, PARTIAL_FAIL, PROCESSING, Cluster, IdempotencyRecord, Node, Task


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


def replay_token(b: Backend, action: str, token: str | None, params: dict[str, str]) -> dict[str, Any] | None:
    """The original answer for a reused ClientToken, or None; a mismatch is an error."""
    if not token:
        return None
    record = b.tokens.get(f"{action}:{token}")
    if record is None:
        return None
    if record.fingerprint != fingerprint(params):
        raise ApiError(
            "IdempotentParameterMismatch",
            "The request uses the same client token as a previous, but non-identical request.",
        )
    return record.response


def remember_token(
    b: Backend, action: str, token: str | None, params: dict[str, str], response: dict[str, Any]
) -> None:
    if token:
        key = f"{action}:{token}"
        b.tokens[key] = IdempotencyRecord(key, fingerprint(params), response)
        b._mark("token", key)


def _instances(nodes: list[Node]) -> list[dict[str, str]]:
    return [{"InstanceId": n.instance_id, "Ip": n.ip, "Hostname": n.hostname, "role": n.role.lower()} for n in nodes]


def add_nodes(b: Backend, cluster_id: str, spec: AddNodesSpec, request: dict[str, Any]) -> tuple[Task, list[str]]:
    """Create the nodes at once (status `initing`) and a task that makes them `running`."""
    cluster = b.cluster(cluster_id)
    b._check_not_busy(cluster)
    if cluster.status in ("releasing", "creating"):
        raise ApiError("OperationConflict", f"Cluster {cluster_id} is {cluster.status}.")
    itype = spec.instance_type or cluster.compute_instance_type
    zone = spec.zone_id or cluster.zone_id
    free = b.free_capacity(zone, itype)
    now = b.clock()
    errors: list[dict[str, str]] = []
    force: str | None = None
    if free < spec.min_count:
        made, force = 0, FAILED
    else:
        made = min(spec.count, free)
        if made < spec.count:
            force = PARTIAL_FAIL
    if made < spec.count:
        errors.append(
            {
                "Code": "OperationDenied.NoStock",
                "Message": f"The resource {itype} in zone {zone} "
                f"is out of stock: {spec.count - made} of {spec.count} nodes could not be created.",
            }
        )
    nodes = [
        b._new_node(cluster, "Compute", itype, zone, "initing", now, spec.host_prefix, spec.host_suffix)
        for _ in range(made)
    ]
    for n in nodes:
        if spec.image_id:
            n.image_id = spec.image_id
        n.create_mode, n.spot_strategy = spec.create_mode, spec.spot_strategy
    cluster.compute_instance_type = itype  # the SDK docs: later adds default to the last type used
    task = b._start_task("AddNodes", cluster, request, nodes, errors=errors, force_outcome=force)
    task.result_instances = _instances(nodes)
    return task, [n.instance_id for n in nodes]


def _node_task(
    b: Backend,
    action: str,
    cluster_id: str,
    ids: list[str],
    request: dict[str, Any],
    status_now: str | None = None,
) -> Task:
    cluster = b.cluster(cluster_id)
    nodes = b._target_nodes(cluster, ids)
    b._check_not_busy(cluster, nodes)
    task = b._start_task(action, cluster, request, nodes)
    if status_now:
        for n in nodes:
            n.status = status_now
    return task


def delete_nodes(b: Backend, cluster_id: str, ids: list[str], request: dict[str, Any]) -> Task:
    return _node_task(b, "DeleteNodes", cluster_id, ids, request, status_now="releasing")


def start_nodes(b: Backend, cluster_id: str, ids: list[str], request: dict[str, Any]) -> Task:
    return _node_task(b, "StartNodes", cluster_id, ids, request)


def stop_nodes(b: Backend, cluster_id: str, ids: list[str], request: dict[str, Any]) -> Task:
    return _node_task(b, "StopNodes", cluster_id, ids, request)


def reset_nodes(b: Backend, cluster_id: str, ids: list[str], request: dict[str, Any]) -> Task:
    return _node_task(b, "ResetNodes", cluster_id, ids, request, status_now="initing")


@dataclass
class ClusterSpec:
    name: str
    zone_id: str | None = None
    manager_type: str = "ecs.g6.large"
    manager_count: int = 1
    login_type: str = "ecs.g6.large"
    login_count: int = 1
    compute_type: str = "ecs.c7.large"
    compute_count: int = 0
    description: str = ""
    deploy_mode: str = "Standard"
    scheduler_type: str = "pbs"
    account_type: str = "nis"
    os_tag: str = "CentOS_7.6_64"
    ha_enable: bool = False
    ecs_charge_type: str = "PostPaid"


def create_cluster(b: Backend, spec: ClusterSpec, request: dict[str, Any]) -> tuple[Cluster, Task]:
    """A `creating` cluster whose nodes start `initing`; computes beyond capacity make it PartialFail."""
    now = b.clock()
    while True:
        cid = "ehpc-" + b.region.split("-")[-1][:2] + "-" + b._rand(10)
        if cid not in b.clusters:
            break
    zone = spec.zone_id or f"{b.region}-i"
    cluster = Cluster(
        cid,
        spec.name,
        "creating",
        b.region,
        zone,
        now,
        description=spec.description,
        deploy_mode=spec.deploy_mode,
        scheduler_type=spec.scheduler_type,
        account_type=spec.account_type,
        os_tag=spec.os_tag,
        ecs_charge_type=spec.ecs_charge_type,
        manager_instance_type=spec.manager_type,
        login_instance_type=spec.login_type,
        compute_instance_type=spec.compute_type,
        ha_enable=spec.ha_enable,
    )
    b.clusters[cid] = cluster
    b._mark("cluster", cid)
    nodes: list[Node] = []
    for role, itype, count in (
        ("Manager", spec.manager_type, spec.manager_count),
        ("Login", spec.login_type, spec.login_count),
    ):
        nodes += [b._new_node(cluster, role, itype, zone, "initing", now) for _ in range(count)]
    made = min(spec.compute_count, b.free_capacity(zone, spec.compute_type))
    nodes += [b._new_node(cluster, "Compute", spec.compute_type, zone, "initing", now) for _ in range(made)]
    errors = []
    if made < spec.compute_count:
        errors.append(
            {
                "Code": "OperationDenied.NoStock",
                "Message": f"{spec.compute_count - made} compute "
                f"nodes of {spec.compute_type} could not be created in {zone}.",
            }
        )
    request = dict(request, clusterId=cid)
    task = b._start_task(
        "CreateCluster",
        cluster,
        request,
        nodes,
        cluster_level=True,
        errors=errors,
        force_outcome=PARTIAL_FAIL if errors else None,
    )
    task.result_instances = _instances(nodes)
    return cluster, task


def cluster_task(b: Backend, action: str, cluster_id: str, request: dict[str, Any]) -> Task:
    """StartCluster / StopCluster / DeleteCluster: the whole cluster is busy until the task ends."""
    cluster = b.cluster(cluster_id)
    b._check_not_busy(cluster, whole_cluster=True)
    if b.has_open_task(cluster_id):
        raise ApiError("OperationConflict", f"Cluster {cluster_id} has a running task.")
    nodes = b.nodes_of(cluster_id)
    task = b._start_task(action, cluster, request, nodes, cluster_level=True)
    if action == "DeleteCluster":
        cluster.status = "releasing"
        for n in nodes:
            n.status = "releasing"
    return task


def list_tasks(
    b: Backend, cluster_id: str, task_id: str | None, archived: bool, page: int, size: int
) -> tuple[int, list[Task]]:
    """Seed rules: TaskId wins over Archived; Archived=false shows only Processing tasks."""
    now = b.clock()
    known = cluster_id in b.clusters or any(t.cluster_id == cluster_id for t in b.tasks.values())
    if not known:
        raise ApiError("ClusterNotFound")
    tasks = [t for t in b.tasks.values() if t.cluster_id == cluster_id]
    if task_id is not None:
        tasks = [t for t in tasks if t.task_id == task_id]
    elif not archived:
        tasks = [t for t in tasks if t.status_at(now) == PROCESSING]
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
