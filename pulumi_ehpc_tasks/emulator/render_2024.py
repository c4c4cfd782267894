"""Wire shapes of API 2024-07-30: 2.0 state in, JSON-ready dicts out (bare arrays, the exact JSON types
of ehpc-2024-api.md §3, including its strings-where-numbers quirks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .render import iso
from .state_2024 import Cluster2, Node2, OperationLog, Queue2

_CPU = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32}
_CREATING = ("uninit", "initing")
UID = "1234567890123456"  # [INF] the account's uid in logs (the emulator has one account)


def log_time(ts: float) -> str:
    """`yyyy-MM-dd HH:mm:ss` (UTC), the operation logs' format (§3.16)."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _cpu(itype: str) -> int:
    return _CPU.get(itype.rsplit(".", 1)[-1], 2)


def _counts(statuses: list[str], exception_key: str) -> dict[str, int]:
    """Node counts by state; ListClusters calls the exception count AbnormalCounts, ListQueues ExceptionCounts."""
    return {
        "RunningCounts": statuses.count("running"),
        "CreatingCounts": sum(statuses.count(x) for x in _CREATING),
        exception_key: statuses.count("exception"),
    }


def _common(c: Cluster2, now: float) -> dict[str, Any]:
    """What GetCluster and a ListClusters entry both say about a cluster."""
    s = c.settings
    return {
        "ClusterId": c.cluster_id,
        "ClusterName": c.name,
        "ClusterStatus": c.status(now),
        "ClusterCategory": s.get("ClusterCategory", "Standard"),
        "ClusterMode": s.get("ClusterMode", "Integrated"),
        "ClusterCreateTime": iso(c.created_at),
        "ClusterModifyTime": iso(c.modified_at or c.created_at),
        "ClusterVpcId": s.get("ClusterVpcId", ""),
        "ClusterVSwitchId": s.get("ClusterVSwitchId", ""),
        "SecurityGroupId": s.get("SecurityGroupId", ""),
        "ResourceGroupId": s.get("ResourceGroupId", ""),
        "EhpcVersion": "2.0.0",
    }


def cluster(c: Cluster2, now: float) -> dict[str, Any]:
    """GetCluster's body (without RequestId): MaxCount/MaxCoreCount/DeleteProtection as strings."""
    s = c.settings
    manager = s.get("Manager") or {}
    node = manager.get("ManagerNode") or {}
    status = c.status(now)
    service_status = "running" if status == "running" else ("exception" if status == "exception" else "initing")
    return {
        **_common(c, now),
        "ClientVersion": s.get("ClientVersion", "2.1.0"),
        "MaxCount": str(s.get("MaxCount", 500)),
        "MaxCoreCount": str(s.get("MaxCoreCount", 10000)),
        "DeleteProtection": "true" if s.get("DeletionProtection") else "false",
        "EnableScaleOut": bool(s.get("EnableScaleOut", False)),
        "EnableScaleIn": bool(s.get("EnableScaleIn", False)),
        "GrowInterval": int(s.get("GrowInterval", 2)),
        "IdleInterval": int(s.get("IdleInterval", 6)),
        "ClusterCustomConfiguration": s.get("ClusterCustomConfiguration") or {},
        "Manager": {
            "ManagerNode": {
                "InstanceId": "i-mgr" + c.cluster_id.rsplit("-", 1)[-1],
                "InstanceType": node.get("InstanceType", "ecs.c7.xlarge"),
                "InstanceChargeType": node.get("InstanceChargeType", "PostPaid"),
                "ImageId": node.get("ImageId", ""),
                "EnableHt": bool(node.get("EnableHT", True)),
                "SpotStrategy": node.get("SpotStrategy", "NoSpot"),
                "ExpiredTime": "2099-12-31T15:59Z",
            },
            **{
                key: {**{"Type": "", "Version": ""}, **(manager.get(key) or {}), "Status": service_status}
                for key in ("Scheduler", "DirectoryService", "DNS")
            },
        },
    }


def cluster_summary(c: Cluster2, nodes: list[Node2], now: float) -> dict[str, Any]:
    """A ListClusters entry: DeletionProtection bool, MaxCount/MaxCoreCount ints."""
    s = c.settings
    statuses = [n.status(now) for n in nodes]
    return {
        **_common(c, now),
        "ClusterDescription": s.get("ClusterDescription", ""),
        "DeletionProtection": bool(s.get("DeletionProtection", False)),
        "MaxCount": int(s.get("MaxCount", 500)),
        "MaxCoreCount": int(s.get("MaxCoreCount", 10000)),
        "ClusterCredentials": [k for k, w in (("password", "Password"), ("keypair", "KeyPairName"))
                               if w in (s.get("ClusterCredentials") or {})],
        "Nodes": _counts(statuses, "AbnormalCounts"),
    }


def node(n: Node2, now: float) -> dict[str, Any]:
    status = n.status(now)
    cpu = _cpu(n.instance_type)
    return {
        "Id": n.instance_id,
        "Hostname": n.hostname,
        "QueueName": n.queue_name,
        "Status": status,
        "StateInSched": "idle" if status == "running" else "down",
        "Reason": n.reason if status == "exception" else "",
        "KeepAlive": n.keep_alive,
        "HtEnabled": n.ht_enabled,
        "InstanceType": n.instance_type,
        "ImageId": n.image_id,
        "IpAddress": n.ip,
        "PublicIpAddress": "",
        "VpcId": "vpc-bp1emulator0000000001",
        "VSwitchId": n.vswitch_id,
        "ZoneId": n.zone_id,
        "DeploymentSetId": "",
        "SpotStrategy": n.spot_strategy,
        "AddTime": iso(n.added_at),
        "ExpiredTime": "",
        "TotalResources": {"Cpu": cpu, "Gpu": 0, "Memory": cpu * 4},
    }


def queue(q: Queue2) -> dict[str, Any]:
    """GetQueue's `Queue`: the template as last written, plus its times."""
    return {**q.template, "CreateTime": iso(q.created_at), "UpdateTime": iso(q.updated_at)}


def queue_summary(q: Queue2, nodes: list[Node2], now: float) -> dict[str, Any]:
    t = q.template
    mine = [n for n in nodes if n.queue_name == q.name]
    statuses = [n.status(now) for n in mine]
    return {
        "QueueName": q.name,
        "EnableScaleOut": bool(t.get("EnableScaleOut", False)),
        "EnableScaleIn": bool(t.get("EnableScaleIn", False)),
        "MinCount": int(t.get("MinCount", 0)),
        "MaxCount": int(t.get("MaxCount", 0)),
        "MaxCountPerCycle": int(t.get("MaxCountPerCycle", 0)),
        "TotalCores": sum(_cpu(n.instance_type) for n, s in zip(mine, statuses, strict=True) if s == "running"),
        "ComputeNodes": list(t.get("ComputeNodes") or [])[:5],
        "VSwitchIds": list(t.get("VSwitchIds") or [])[:3],
        "CreateTime": iso(q.created_at),
        "UpdateTime": iso(q.updated_at),
        "Nodes": _counts(statuses, "ExceptionCounts"),
    }


def log(entry: OperationLog, now: float) -> dict[str, Any]:
    """A ListCommonLogs entry (all members strings)."""
    status = entry.status(now)
    reasons = sorted({t.reason for t in entry.targets if t.reason})
    return {
        "RequestId": entry.request_id,
        "Action": entry.action,
        "ClusterId": entry.cluster_id,
        "LogType": "Operation",
        "Status": status,
        "Message": "; ".join(reasons) if status == "Failed" else ("ok" if status == "Finished" else ""),
        "OperatorUid": UID,
        # [INF] the targets' ids, comma-separated (the doc's example shows one instance id).
        "Target": ",".join(t.target for t in entry.targets),
        "Time": log_time(entry.started_at),
    }


def log_detail(entry: OperationLog, now: float, hidden_process: bool) -> dict[str, Any]:
    """GetCommonLogDetail (without RequestId): one stage per step that has begun by `now`, each with a start
    line (unless `hidden_process`) and, once it ended, a result line per target; a failed target's result
    is Failed/ERROR with its reason on the last stage. [INF] stage names `Step<N>`, method `<Action>.Step<N>`."""
    stages: list[dict[str, Any]] = []
    begin = entry.started_at
    last = len(entry.stage_ends)
    for index, end in enumerate(entry.stage_ends, 1):
        if begin > now:
            break
        lines: list[dict[str, Any]] = []
        for target in entry.targets:
            line = {"RequestId": entry.request_id, "Method": f"{entry.action}.Step{index}", "Target": target.target}
            if not hidden_process:
                lines.append({**line, "Status": "InProgress", "LogLevel": "INFO", "Message": "started",
                              "Time": log_time(begin)})
            if end <= now:
                failed = index == last and bool(target.reason)
                lines.append({**line, "Status": "Failed" if failed else "Finished",
                              "LogLevel": "ERROR" if failed else "INFO",
                              "Message": target.reason if failed else "ok", "Time": log_time(end)})
        stages.append({"StageName": f"Step{index}", "Stages": lines})
        begin = end
    return {
        "Uid": UID,
        "OperatorUid": UID,
        "Action": entry.action,
        "ClusterId": entry.cluster_id,
        "LogType": "operation",
        "LogDetail": stages,
    }
