"""One handler per `ACTIONS_2024` row, named `snake_case(Action)`: read parameters (shrink JSON included),
call the 2.0 backend, render the answer. Every handler runs inside a backend session."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..wire.actions import ACTIONS_2024
from . import render_2024 as render
from .backend_2024 import Backend2024
from .errors import ApiError, invalid_param
from .handlers import Context
from .params import Params
from .state_2024 import Node2, OperationLog

Handler = Callable[[Context], dict[str, Any]]

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9.]{1,15}$")
_CLUSTER_SCALARS = ("ClusterName", "ClusterDescription", "ClusterCategory", "ClusterMode", "ClusterVpcId",
                    "ClusterVSwitchId", "SecurityGroupId", "ResourceGroupId", "ClientVersion")
_CLUSTER_STRUCTS = ("Manager", "ClusterCustomConfiguration")
_CLUSTER_LISTS = ("SharedStorages", "Tags", "AdditionalPackages", "Addons")
_UPDATE_FLAGS = ("DeletionProtection", "EnableScaleOut", "EnableScaleIn")
_UPDATE_NUMBERS = {"MaxCount": (0, 5000), "MaxCoreCount": (0, 100000), "GrowInterval": (0, None),
                   "IdleInterval": (0, None)}


def _v2(ctx: Context) -> Backend2024:
    return ctx.backend.v2


def _missing(name: str) -> ApiError:
    detail = "that is mandatory for processing this request is not supplied."
    return ApiError("MissingParameter", f'The input parameter "{name}" {detail}')


def _ok(ctx: Context, **fields: Any) -> dict[str, Any]:
    return {"RequestId": ctx.request_id, "Success": True, **fields}


def _queue_template(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_param(name, "It must be a JSON object.")
    qname = value.get("QueueName")
    if not isinstance(qname, str) or not _QUEUE_NAME.match(qname):
        raise invalid_param(f"{name}.QueueName", "1-15 letters, digits or '.'.")
    return value


def _text_checked(p: Params, name: str) -> str | None:
    value = p.text(name, max_len=128)
    if value is not None and len(value) < 2:
        raise invalid_param(name, "It must be 2 to 128 characters.")
    return value


def _page(p: Params, default: int, lo: int, hi: int) -> tuple[int, int]:
    return p.num("PageNumber", 1, lo=1), p.num("PageSize", default, lo=lo, hi=hi)


# ---- clusters -------------------------------------------------------------------------------------
def create_cluster(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    settings: dict[str, Any] = {k: v for k in _CLUSTER_SCALARS if (v := p.text(k)) is not None}
    for name in ("ClusterName", "ClusterDescription"):
        _text_checked(p, name)
    settings["DeletionProtection"] = p.flag("DeletionProtection", False)
    settings["IsEnterpriseSecurityGroup"] = p.flag("IsEnterpriseSecurityGroup", False)
    for name, (lo, hi) in _UPDATE_NUMBERS.items():
        if (value := p.integer(name, lo=lo, hi=hi)) is not None:
            settings[name] = value
    for name in _CLUSTER_STRUCTS:
        settings[name] = p.shrink_struct(name)
    for name in _CLUSTER_LISTS:
        settings[name] = p.shrink_list(name, limit=20)
    # Never keep a secret in state: only which credential kinds were given.
    settings["ClusterCredentials"] = {k: True for k in p.shrink_struct("ClusterCredentials")}
    queues = [_queue_template(q, f"Queues.{i}") for i, q in enumerate(p.shrink_list("Queues", limit=8), 1)]
    cluster = _v2(ctx).create_cluster(ctx.request_id, settings, queues)
    # [INF] TaskId = the call's RequestId (true of every help-page example, §4.3).
    return _ok(ctx, ClusterId=cluster.cluster_id, TaskId=ctx.request_id)


def get_cluster(ctx: Context) -> dict[str, Any]:
    cluster = _v2(ctx).cluster(ctx.params.req("ClusterId"))
    return {"RequestId": ctx.request_id, **render.cluster(cluster, ctx.backend.now())}


def list_clusters(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, _v2(ctx)
    ids = set(p.shrink_list("ClusterIds", limit=20))
    names = set(p.shrink_list("ClusterNames", limit=20))
    number, size = _page(p, 10, 10, 100)
    clusters = [c for c in b.clusters_by_age() if (not ids or c.cluster_id in ids) and (not names or c.name in names)]
    now = ctx.backend.now()
    items = [render.cluster_summary(c, b.nodes_of(c.cluster_id), now) for c in clusters[(number - 1) * size:][:size]]
    return {
        "RequestId": ctx.request_id, "TotalCount": len(clusters), "PageNumber": str(number), "PageSize": size,
        # [INF] 1.0 clusters are counted as V1 (same account, §7).
        "EhpcVersionStatistics": {"V1Count": len(ctx.backend.clusters), "V2Count": len(b.clusters_by_age())},
        "Clusters": items,
    }


def delete_cluster(ctx: Context) -> dict[str, Any]:
    _v2(ctx).delete_cluster(ctx.request_id, ctx.params.req("ClusterId"))
    return _ok(ctx, TaskId=ctx.request_id)


def update_cluster(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    cluster_id = p.req("ClusterId")
    fields: dict[str, Any] = {k: v for k in ("ClusterName", "ClusterDescription", "ClientVersion")
                              if (v := _text_checked(p, k) if k != "ClientVersion" else p.text(k)) is not None}
    fields.update({k: p.flag(k, False) for k in _UPDATE_FLAGS if p.text(k) is not None})
    for name, (lo, hi) in _UPDATE_NUMBERS.items():
        if (value := p.integer(name, lo=lo, hi=hi)) is not None:
            fields[name] = value
    for name in ("ClusterCustomConfiguration", "MonitorSpec", "SchedulerSpec"):
        if p.text(name) is not None:
            fields[name] = p.shrink_struct(name)
    _v2(ctx).update_cluster(cluster_id, fields)
    return _ok(ctx)


# ---- nodes ----------------------------------------------------------------------------------------
def create_nodes(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    cluster_id = p.req("ClusterId")
    queue_name = p.req("QueueName")
    count = p.req_num("Count", lo=1, hi=99)
    # [INF] MinCount defaults to 0 (no floor) and may equal Count.
    min_count = p.num("MinCount", 0, lo=0, hi=99)
    if min_count > count:
        raise invalid_param("MinCount", "It must not exceed Count.")
    hostnames = p.shrink_list("Hostnames", limit=99) or None
    if hostnames is not None and len(hostnames) != count:
        raise invalid_param("Hostnames", "It must name exactly Count hosts.")
    nodes = _v2(ctx).create_nodes(
        ctx.request_id, cluster_id, queue_name, count, min_count, p.shrink_struct("ComputeNode"),
        [str(h) for h in hostnames] if hostnames else None, p.text("HostnamePrefix"),
        p.text("HostnameSuffix") or "", p.text("VSwitchId"), p.flag("KeepAlive", False),
    )
    return _ok(ctx, InstanceIds=[n.instance_id for n in nodes])


def delete_nodes(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    ids = [str(i) for i in p.shrink_list("InstanceIds")]
    if not ids:
        raise _missing("InstanceIds")
    _v2(ctx).delete_nodes(ctx.request_id, p.req("ClusterId"), ids)
    return _ok(ctx, TaskId=ctx.request_id)


def list_nodes(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, _v2(ctx)
    b.cluster(p.req("ClusterId"))  # [INF] an unknown (or deleted) cluster is ClusterNotFound, as in GetCluster
    nodes = b.nodes_of(p.req("ClusterId"))
    now = ctx.backend.now()
    filters: dict[str, Callable[[Node2], str]] = {
        "QueueNames": lambda n: n.queue_name,
        "Status": lambda n: n.status(now),
        "Hostnames": lambda n: n.hostname,
        "PrivateIpAddress": lambda n: n.ip,
    }
    for name, attr in filters.items():
        wanted = set(p.shrink_list(name))
        if wanted:
            nodes = [n for n in nodes if attr(n) in wanted]
    # [INF] SortBy any case (`AddedTime`/`addedtime`, `HostName`/`hostname`); PageSize 1-100, default 20.
    if (p.text("SortBy") or "addedtime").lower() == "hostname":
        nodes.sort(key=lambda n: n.hostname)
    if p.text("Sequence") == "Backward":
        nodes.reverse()
    number, size = _page(p, 20, 1, 100)
    chunk = nodes[(number - 1) * size:][:size]
    return {"RequestId": ctx.request_id, "TotalCount": len(nodes), "PageNumber": number, "PageSize": size,
            "Nodes": [render.node(n, now) for n in chunk]}


def update_nodes(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    changes: list[tuple[str, bool]] = []
    for i, item in enumerate(p.shrink_list("Instances"), 1):
        if not isinstance(item, dict) or not isinstance(item.get("InstanceId"), str):
            raise invalid_param(f"Instances.{i}.InstanceId")
        keep = item.get("KeepAlive", False)
        changes.append((item["InstanceId"], keep if isinstance(keep, bool) else str(keep).lower() == "true"))
    if not changes:
        raise _missing("Instances")
    _v2(ctx).update_nodes(p.req("ClusterId"), changes)
    return _ok(ctx)


# ---- queues ---------------------------------------------------------------------------------------
def create_queue(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    queue = _v2(ctx).create_queue(p.req("ClusterId"), _queue_template(p.shrink_struct("Queue"), "Queue"))
    return {"RequestId": ctx.request_id, "Name": queue.name}


def get_queue(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    queue = _v2(ctx).queue(p.req("ClusterId"), p.req("QueueName"))
    return {"RequestId": ctx.request_id, "Queue": render.queue(queue)}


def list_queues(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, _v2(ctx)
    cluster_id = p.req("ClusterId")
    wanted = set(p.shrink_list("QueueNames", limit=8))
    queues = [q for q in b.queues_of(cluster_id) if not wanted or q.name in wanted]
    nodes, now = b.nodes_of(cluster_id), ctx.backend.now()
    return {"RequestId": ctx.request_id, "ClusterId": cluster_id, "TotalCount": len(queues), "PageNumber": 1,
            "PageSize": max(10, len(queues)), "Queues": [render.queue_summary(q, nodes, now) for q in queues]}


def update_queue(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    _v2(ctx).update_queue(p.req("ClusterId"), _queue_template(p.shrink_struct("Queue"), "Queue"))
    return _ok(ctx)


def delete_queues(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    names = [str(n) for n in p.shrink_list("QueueNames")]
    if not names:
        raise _missing("QueueNames")
    _v2(ctx).delete_queues(p.req("ClusterId"), names)
    return _ok(ctx)


# ---- operation logs -------------------------------------------------------------------------------
def list_common_logs(ctx: Context) -> dict[str, Any]:
    p, b = ctx.params, _v2(ctx)
    start, end = p.req_num("From", lo=0), p.req_num("To", lo=0)
    now = ctx.backend.now()
    actions = set(p.shrink_list("ActionName"))
    checks: dict[str, Callable[[OperationLog], str]] = {
        "ClusterId": lambda e: e.cluster_id,
        "LogRequestId": lambda e: e.request_id,
        "ActionStatus": lambda e: e.status(now),
    }
    logs = [e for e in b.logs.values() if start <= int(e.started_at) <= end and (not actions or e.action in actions)]
    for name, attr in checks.items():
        if (value := p.text(name)) is not None:
            logs = [e for e in logs if attr(e) == value]
    logs.sort(key=lambda e: e.started_at, reverse=p.flag("IsReverse", True))
    number, size = _page(p, 20, 1, 100)
    return {"RequestId": ctx.request_id, "Uid": render.UID, "TotalCount": len(logs), "PageNumber": number,
            "PageSize": size, "Logs": [render.log(e, now) for e in logs[(number - 1) * size:][:size]]}


def get_common_log_detail(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    request_id = p.req("LogRequestId")
    start, end = p.req_num("From", lo=0), p.req_num("To", lo=0)
    entry = _v2(ctx).logs.get(request_id)
    if entry is None or not start <= int(entry.started_at) <= end:
        # [INF] no code documented for an unknown log: InvalidParams naming LogRequestId.
        raise invalid_param("LogRequestId", f"No operation log {request_id} in the given time range.")
    detail = render.log_detail(entry, ctx.backend.now(), p.flag("HiddenProcess", True))
    return {"RequestId": ctx.request_id, **detail}


def _handler(name: str) -> Handler:
    own = globals().get(ACTIONS_2024[name].method_name)
    if not callable(own):
        raise LookupError(f"the emulator has no 2024-07-30 handler for {name}")
    return own  # type: ignore[no-any-return]


HANDLERS_2024: dict[str, Handler] = {name: _handler(name) for name in ACTIONS_2024}
"""2024-07-30 Action → handler, for every `ACTIONS_2024` row and nothing else."""
