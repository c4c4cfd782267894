"""One handler per registry Action: read parameters, call the operation, render the answer.

An Action's handler is the function named `snake_case(Action)` here; writes without parameters of
their own share the handler of their `Target`. Every handler runs inside a backend session.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..wire.actions import ACTIONS, ActionSpec, Target
from . import operations as ops
from . import render
from .backend import Backend
from .errors import invalid_param
from .params import Params
from .state import TaskRequest


@dataclass
class Context:
    backend: Backend
    request_id: str
    params: Params
    action: str

    @property
    def spec(self) -> ActionSpec:
        return ACTIONS[self.action]

    def task_request(self, cluster_id: str | None) -> TaskRequest:
        return TaskRequest(self.request_id, cluster_id, self.action, self.params.business())


Handler = Callable[[Context], dict[str, Any]]


def add_nodes(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    cluster_id = p.req("ClusterId")
    token = p.text("ClientToken", max_len=64)
    if token is not None and not token.isascii():
        raise invalid_param("ClientToken", "It must be ASCII.")
    count = p.req_num("Count", lo=1, hi=99)
    min_count = p.num("MinCount", 1, lo=1, hi=99)
    if min_count > count:
        raise invalid_param("MinCount", "It must not exceed Count.")
    for name in ("ComputeEnableHt", "AllocatePublicAddress", "Sync"):
        p.flag(name, False)
    b.cluster(cluster_id)
    replay = ops.replay_token(b, ctx.action, token, p.business())
    if replay is not None:
        return render.task_started(ctx.request_id, replay)
    spec = ops.AddNodesSpec(
        count,
        min_count,
        p.text("InstanceType"),
        p.text("ZoneId"),
        p.text("ImageId"),
        p.text("HostNamePrefix") or "",
        p.text("HostNameSuffix") or "",
        p.text("CreateMode") or "manual",
        p.text("ComputeSpotStrategy") or "NoSpot",
    )
    task = ops.add_nodes(b, cluster_id, spec, ctx.task_request(cluster_id))
    ops.remember_token(b, ctx.action, token, p.business(), task)
    return render.task_started(ctx.request_id, task)


def _node_task(ctx: Context) -> dict[str, Any]:
    """Any Target.NODES write over `Instance.N.Id` (DeleteNodes, StartNodes, ...)."""
    p = ctx.params
    cluster_id = p.req("ClusterId")
    for name in ("ReleaseInstance", "Sync"):
        p.flag(name, True)
    ids = p.indexed("Instance", "Id")
    task = ops.node_task(ctx.backend, ctx.spec, cluster_id, ids, ctx.task_request(cluster_id))
    return render.task_started(ctx.request_id, task)


_CLUSTER_SETTINGS = {
    "EcsOrder.Manager.InstanceType": "manager_instance_type",
    "EcsOrder.Login.InstanceType": "login_instance_type",
    "EcsOrder.Compute.InstanceType": "compute_instance_type",
    "Description": "description",
    "DeployMode": "deploy_mode",
    "SchedulerType": "scheduler_type",
    "AccountType": "account_type",
    "OsTag": "os_tag",
    "EcsChargeType": "ecs_charge_type",
}
"""CreateCluster text parameters → the `Cluster` field each sets (unset: the field's default)."""


def create_cluster(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    name = p.req("Name")
    if not 2 <= len(name) <= 64:
        raise invalid_param("Name", "It must be 2 to 64 characters.")
    token = p.text("ClientToken", max_len=64)
    replay = ops.replay_token(b, ctx.action, token, p.business())
    if replay is not None:
        return render.task_started(ctx.request_id, replay)
    given = {field: p.text(param) for param, field in _CLUSTER_SETTINGS.items()}
    spec = ops.ClusterSpec(
        name=name,
        zone_id=p.text("ZoneId"),
        manager_count=p.num("EcsOrder.Manager.Count", 1, lo=1, hi=2),
        login_count=p.num("EcsOrder.Login.Count", 1, lo=0, hi=1),
        compute_count=p.num("EcsOrder.Compute.Count", 0, lo=0, hi=99),
        settings={field: value for field, value in given.items() if value is not None},
    )
    spec.settings["ha_enable"] = p.flag("HaEnable", False)
    task = ops.create_cluster(b, spec, ctx.task_request(None))
    ops.remember_token(b, ctx.action, token, p.business(), task)
    return render.task_started(ctx.request_id, task)


def _cluster_task(ctx: Context) -> dict[str, Any]:
    """Any Target.CLUSTER write over `ClusterId` (StartCluster, DeleteCluster, ...)."""
    cluster_id = ctx.params.req("ClusterId")
    if any(f.alias == "ReleaseInstance" for f in ctx.spec.request.model_fields.values()):
        ctx.params.flag("ReleaseInstance", True)
    task = ops.cluster_task(ctx.backend, ctx.spec, cluster_id, ctx.task_request(cluster_id))
    return render.task_started(ctx.request_id, task)


def list_tasks(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    cluster_id = p.req("ClusterId")
    number = p.num("PageNumber", 1, lo=1, hi=999)
    size = p.num("PageSize", 10, lo=1, hi=50)
    archived = p.flag("Archived", False)
    total, tasks = ops.list_tasks(b, cluster_id, p.text("TaskId"), archived, number, size)
    now = b.now()
    return render.page(ctx.request_id, total, number, size, Tasks=[render.task(t, now) for t in tasks])


def list_nodes(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    cluster_id = p.req("ClusterId")
    number = p.num("PageNumber", 1, lo=1)
    size = p.num("PageSize", 10, lo=1, hi=100)
    status = None
    raw_filter = p.text("Filter")
    if raw_filter:
        try:
            status = json.loads(raw_filter).get("status")
        except (ValueError, AttributeError):
            raise invalid_param("Filter", 'It must be a JSON object like {"status":"running"}.') from None
    sequence = p.text("Sequence") or "Forward"
    if sequence not in ("Forward", "Backward"):
        raise invalid_param("Sequence")
    nodes = ops.list_nodes(
        b,
        cluster_id,
        role=p.text("Role"),
        status=status,
        hostname=p.text("HostName"),
        prefix=p.text("HostNamePrefix"),
        suffix=p.text("HostNameSuffix"),
        ip=p.text("PrivateIpAddress"),
        sort_by=p.text("SortBy"),
        backward=sequence == "Backward",
    )
    chunk = nodes[(number - 1) * size : number * size]
    return render.page(
        ctx.request_id,
        len(nodes),
        number,
        size,
        Nodes={"NodeInfo": [render.node(n, b.region) for n in chunk]},
    )


def describe_cluster(ctx: Context) -> dict[str, Any]:
    b = ctx.backend
    cluster = b.cluster(ctx.params.req("ClusterId"))
    return {
        "RequestId": ctx.request_id,
        "ClusterInfo": render.cluster_info(cluster, b.nodes_of(cluster.cluster_id)),
    }


def list_clusters(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    number = p.num("PageNumber", 1, lo=1)
    size = p.num("PageSize", 10, lo=1, hi=50)
    clusters = b.clusters_by_age()
    chunk = clusters[(number - 1) * size : number * size]
    items = [render.cluster_simple(c, b.nodes_of(c.cluster_id)) for c in chunk]
    return render.page(ctx.request_id, len(clusters), number, size, Clusters={"ClusterInfoSimple": items})


_BY_TARGET: dict[Target, Handler] = {Target.NODES: _node_task, Target.CLUSTER: _cluster_task}


def _handler(spec: ActionSpec) -> Handler:
    own = globals().get(spec.method_name)
    if callable(own):
        return own  # type: ignore[no-any-return]
    if spec.target is None:
        raise LookupError(f"the emulator has no handler {spec.method_name!r} for {spec.name}")
    return _BY_TARGET[spec.target]


HANDLERS: dict[str, Handler] = {name: _handler(spec) for name, spec in ACTIONS.items()}
"""Action → handler, for every registry row and nothing else."""
