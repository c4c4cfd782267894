"""One function per API action: read parameters, call the backend, render the answer.

Every handler runs under the backend lock, after the backend has been advanced to "now".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import operations as ops
from . import render
from .backend import Backend
from .errors import invalid_param
from .params import Params


@dataclass
class Context:
    backend: Backend
    request_id: str
    params: Params
    action: str

    def task_request(self, cluster_id: str | None) -> dict[str, Any]:
        """What ListTasks shows as `Request` (the seed sample's lower-camel keys, plus the parameters)."""
        return {
            "requestId": self.request_id,
            "uid": "1609982529920000",
            "bid": "26842",
            "clusterId": cluster_id,
            "action": self.action,
            "params": self.params.business(),
        }


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
    replay = ops.replay_token(b, "AddNodes", token, p.business())
    if replay is not None:
        return dict(replay, RequestId=ctx.request_id)
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
    task, ids = ops.add_nodes(b, cluster_id, spec, ctx.task_request(cluster_id))
    body = render.task_started(ctx.request_id, task, instance_ids=ids)
    ops.remember_token(b, "AddNodes", token, p.business(), body)
    return body


def _node_op(op: Callable[[Backend, str, list[str], dict[str, Any]], Any]) -> Handler:
    def handler(ctx: Context) -> dict[str, Any]:
        p = ctx.params
        cluster_id = p.req("ClusterId")
        for name in ("ReleaseInstance", "Sync"):
            p.flag(name, True)
        ids = p.indexed("Instance", "Id")
        task = op(ctx.backend, cluster_id, ids, ctx.task_request(cluster_id))
        return render.task_started(ctx.request_id, task)

    handler.__doc__ = f"{op.__name__}: a node task over Instance.N.Id."
    return handler


delete_nodes = _node_op(ops.delete_nodes)
start_nodes = _node_op(ops.start_nodes)
stop_nodes = _node_op(ops.stop_nodes)
reset_nodes = _node_op(ops.reset_nodes)


def create_cluster(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    name = p.req("Name")
    if not 2 <= len(name) <= 64:
        raise invalid_param("Name", "It must be 2 to 64 characters.")
    token = p.text("ClientToken", max_len=64)
    replay = ops.replay_token(b, "CreateCluster", token, p.business())
    if replay is not None:
        return dict(replay, RequestId=ctx.request_id)
    spec = ops.ClusterSpec(
        name=name,
        zone_id=p.text("ZoneId"),
        manager_type=p.text("EcsOrder.Manager.InstanceType") or "ecs.g6.large",
        manager_count=p.num("EcsOrder.Manager.Count", 1, lo=1, hi=2),
        login_type=p.text("EcsOrder.Login.InstanceType") or "ecs.g6.large",
        login_count=p.num("EcsOrder.Login.Count", 1, lo=0, hi=1),
        compute_type=p.text("EcsOrder.Compute.InstanceType") or "ecs.c7.large",
        compute_count=p.num("EcsOrder.Compute.Count", 0, lo=0, hi=99),
        description=p.text("Description") or "",
        deploy_mode=p.text("DeployMode") or "Standard",
        scheduler_type=p.text("SchedulerType") or "pbs",
        account_type=p.text("AccountType") or "nis",
        os_tag=p.text("OsTag") or "CentOS_7.6_64",
        ha_enable=p.flag("HaEnable", False),
        ecs_charge_type=p.text("EcsChargeType") or "PostPaid",
    )
    cluster, task = ops.create_cluster(b, spec, ctx.task_request(None))
    body = render.task_started(ctx.request_id, task, cluster_id=cluster.cluster_id)
    ops.remember_token(b, "CreateCluster", token, p.business(), body)
    return body


def _cluster_op(action: str) -> Handler:
    def handler(ctx: Context) -> dict[str, Any]:
        cluster_id = ctx.params.req("ClusterId")
        if action == "DeleteCluster":
            ctx.params.flag("ReleaseInstance", True)
        task = ops.cluster_task(ctx.backend, action, cluster_id, ctx.task_request(cluster_id))
        return render.task_started(ctx.request_id, task)

    handler.__doc__ = f"{action}: a cluster-wide task."
    return handler


delete_cluster = _cluster_op("DeleteCluster")
start_cluster = _cluster_op("StartCluster")
stop_cluster = _cluster_op("StopCluster")


def list_tasks(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, ctx.backend
    cluster_id = p.req("ClusterId")
    number = p.num("PageNumber", 1, lo=1, hi=999)
    size = p.num("PageSize", 10, lo=1, hi=50)
    archived = p.flag("Archived", False)
    total, tasks = ops.list_tasks(b, cluster_id, p.text("TaskId"), archived, number, size)
    now = b.clock()
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
    clusters = sorted(b.clusters.values(), key=lambda c: c.created_at)
    chunk = clusters[(number - 1) * size : number * size]
    items = [render.cluster_simple(c, b.nodes_of(c.cluster_id)) for c in chunk]
    return render.page(ctx.request_id, len(clusters), number, size, Clusters={"ClusterInfoSimple": items})


HANDLERS: dict[str, Handler] = {
    "AddNodes": add_nodes,
    "DeleteNodes": delete_nodes,
    "StartNodes": start_nodes,
    "StopNodes": stop_nodes,
    "ResetNodes": reset_nodes,
    "CreateCluster": create_cluster,
    "DeleteCluster": delete_cluster,
    "StartCluster": start_cluster,
    "StopCluster": stop_cluster,
    "ListTasks": list_tasks,
    "ListNodes": list_nodes,
    "DescribeCluster": describe_cluster,
    "ListClusters": list_clusters,
}
READ_ONLY = frozenset({"ListTasks", "ListNodes", "DescribeCluster", "ListClusters"})
