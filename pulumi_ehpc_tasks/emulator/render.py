"""The only place wire shapes are built: model objects in, JSON-ready dicts out."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from ..wire.actions import Target
from ..wire.task_models import TaskStatus
from .config import DEFAULT_ACCOUNT_ID
from .errors import ApiError
from .state import Cluster, CreatedInstance, IssuedToken, Node, Task, TaskFailure, TaskRequest
from .sts import Caller, OidcClaims

RECOMMEND = "https://api.aliyun.com/troubleshoot?q={code}&product=EHPC"
_ROLES = {"Manager": ["Scheduler", "Account"], "Login": ["Login"], "Compute": ["Compute"]}
_CPU = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32}


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def error_body(err: ApiError, request_id: str, host: str) -> dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": host,
        "Code": err.code,
        "Message": err.message,
        "Recommend": RECOMMEND.format(code=err.code),
    }


def _instance(i: CreatedInstance) -> dict[str, str]:
    return {"InstanceId": i.instance_id, "Ip": i.ip, "Hostname": i.hostname, "role": i.role.lower()}


def _failure(f: TaskFailure) -> dict[str, str]:
    entry = {"Code": f.code, "Message": f.message}
    if f.instance_id is not None:
        entry["InstanceId"] = f.instance_id
    return entry


def _request(r: TaskRequest) -> dict[str, Any]:
    """The seed sample's lower-camel keys, plus the request's own parameters."""
    return {
        "requestId": r.request_id,
        "uid": DEFAULT_ACCOUNT_ID,
        "bid": "26842",
        "clusterId": r.cluster_id,
        "action": r.action,
        "params": r.params,
    }


def task(t: Task, now: float) -> dict[str, Any]:
    status = t.status_at(now)
    creates = t.spec.effect is not None and t.spec.effect.creates  # the only tasks with a Result payload
    result = json.dumps({"Instances": [_instance(i) for i in t.created]}) if creates else "{}"
    return {
        "TaskId": t.task_id,
        "ClusterId": t.cluster_id,
        "TaskType": t.task_type,
        "Status": status,
        "CurrentStep": t.current_step_at(now),
        "TotalSteps": t.total_steps,
        "Request": json.dumps(_request(t.request)),
        "Result": result,
        "Errors": json.dumps([_failure(f) for f in t.errors]),
    }


def _resources(itype: str) -> dict[str, int]:
    cpu = _CPU.get(itype.rsplit(".", 1)[-1], 2)
    return {"Cpu": cpu, "Gpu": 0, "Memory": cpu * 4}


def node(n: Node, region: str) -> dict[str, Any]:
    return {
        "Id": n.instance_id,
        "HostName": n.hostname,
        "Status": n.status,
        "StateInSched": "free" if n.status == "running" else "down",
        "Roles": {"Role": _ROLES[n.role]},
        "AddTime": iso(n.added_at),
        "CreateMode": n.create_mode,
        "CreatedByEhpc": True,
        "Expired": False,
        "ExpiredTime": "",
        "HtEnabled": True,
        "ImageId": n.image_id,
        "ImageOwnerAlias": "system",
        "InstanceType": n.instance_type,
        "IpAddress": n.ip,
        "PublicIpAddress": "",
        "Location": "PublicCloud",
        "LockReason": "",
        "RegionId": region,
        "ZoneId": n.zone_id,
        "VpcId": "vpc-bp1emulator0000000001",
        "VSwitchId": "vsw-bp1emulator0000000001",
        "SpotStrategy": n.spot_strategy,
        "Version": "2.0.0",
        "TotalResources": _resources(n.instance_type),
        "UsedResources": {"Cpu": 0, "Gpu": 0, "Memory": 0},
    }


def _counts(nodes: list[Node]) -> dict[str, int]:
    return {
        "Total": len(nodes),
        "NormalCount": sum(n.status == "running" for n in nodes),
        "ExceptionCount": sum(n.status == "exception" for n in nodes),
        "OperatingCount": sum(n.status in ("initing", "releasing") for n in nodes),
        "StoppedCount": sum(n.status == "stopped" for n in nodes),
    }


def _cluster_common(c: Cluster) -> dict[str, Any]:
    """Fields DescribeCluster's ClusterInfo and ListClusters' ClusterInfoSimple both carry."""
    return {
        "Id": c.cluster_id,
        "Name": c.name,
        "Description": c.description,
        "Status": c.status,
        "RegionId": c.region_id,
        "ZoneId": c.zone_id,
        "VpcId": c.vpc_id,
        "VSwitchId": c.vswitch_id,
        "CreateTime": iso(c.created_at),
        "DeployMode": c.deploy_mode,
        "SchedulerType": c.scheduler_type,
        "AccountType": c.account_type,
        "OsTag": c.os_tag,
        "BaseOsTag": c.os_tag,
        "ImageId": c.image_id,
        "ImageOwnerAlias": c.image_owner_alias,
    }


def cluster_simple(c: Cluster, nodes: list[Node]) -> dict[str, Any]:
    computes = [n for n in nodes if n.role == "Compute"]
    managers = [n for n in nodes if n.role == "Manager"]
    logins = [n.hostname for n in nodes if n.role == "Login"]
    cpu = sum(_resources(n.instance_type)["Cpu"] for n in computes)
    return {
        **_cluster_common(c),
        "InstanceType": c.compute_instance_type,
        "InstanceChargeType": c.ecs_charge_type,
        "Count": len(nodes),
        "ClientVersion": "2.0.0",
        "EhpcVersion": "2.0.0",
        "HasPlugin": False,
        "IsComputeEss": False,
        "Location": "PublicCloud",
        "LoginNodes": ",".join(logins),
        "NodePrefix": "",
        "NodeSuffix": "",
        "ResourceGroupId": "",
        "ComputeSpotStrategy": "NoSpot",
        "ComputeSpotPriceLimit": 0.0,
        "Computes": _counts(computes),
        "Managers": _counts(managers),
        "TotalResources": {"Cpu": cpu, "Gpu": 0, "Memory": cpu * 4096},
        "UsedResources": {"Cpu": 0, "Gpu": 0, "Memory": 0},
    }


def cluster_info(c: Cluster, nodes: list[Node]) -> dict[str, Any]:
    def ecs(role: str, itype: str) -> dict[str, Any]:
        return {"Count": sum(n.role == role for n in nodes), "InstanceType": itype}

    return {
        **_cluster_common(c),
        "SecurityGroupId": c.security_group_id,
        "HaEnable": c.ha_enable,
        "SchedulerVersion": "19.1.1",
        "SchedulerPreInstall": 1,
        "Domain": "",
        "ImageName": c.os_tag,
        "InitialImage": {"ImageId": c.image_id, "ImageOwnerAlias": c.image_owner_alias, "OsTag": c.os_tag},
        "EcsChargeType": c.ecs_charge_type,
        "Period": "1",
        "PeriodUnit": "Month",
        "AutoRenew": "false",
        "AutoRenewPeriod": "1",
        "ComputeSpotStrategy": "NoSpot",
        "ComputeSpotPriceLimit": "0",
        "ClientVersion": "2.0.0",
        "ClusterVersion": "1.0",
        "KeyPairName": "",
        "Location": "PublicCloud",
        "RamRoleName": "",
        "RamNodeTypes": "",
        "ResourceGroupId": "",
        "SccClusterId": "",
        "Plugin": "",
        "WithoutAgent": 0,
        "VolumeType": "nas",
        "VolumeId": "",
        "VolumeMountpoint": "",
        "VolumeProtocol": "nfs",
        "RemoteDirectory": "/",
        "OpenldapPar": {},
        "WinAdPar": {},
        "EcsInfo": {
            "Manager": ecs("Manager", c.manager_instance_type),
            "Compute": ecs("Compute", c.compute_instance_type),
            "Login": ecs("Login", c.login_instance_type),
            "ProxyMgr": {"Count": 0, "InstanceType": ""},
        },
        "Applications": {"ApplicationInfo": []},
        "PostInstallScripts": {"PostInstallScriptInfo": []},
        "AddOnsInfo": {"AddOnsInfo": []},
        "Nodes": {"NodesInfo": []},
        "OnPremiseInfo": {"OnPremiseInfo": []},
    }


def admin_node(n: Node) -> dict[str, Any]:
    return {
        "InstanceId": n.instance_id,
        "ClusterId": n.cluster_id,
        "Role": n.role,
        "Status": n.status,
        "HostName": n.hostname,
        "Ip": n.ip,
        "ZoneId": n.zone_id,
        "InstanceType": n.instance_type,
    }


def admin_task(t: Task, now: float) -> dict[str, Any]:
    return {
        "TaskType": t.task_type,
        "ClusterId": t.cluster_id,
        "Status": t.status_at(now),
        "CreatedAt": t.created_at,
        "CompletedAt": t.completed_at if t.status_at(now) is not TaskStatus.PROCESSING else None,
        "TotalSteps": t.total_steps,
        "CurrentStep": t.current_step_at(now),
        "Profile": t.profile,
        "StepEnds": [None if math.isinf(e) else e for e in t.step_ends],  # null: scripted to hang
        # What a checker needs to tie a task to the write that made it (no secret-bearing parameter).
        "ClientToken": t.request.params.get("ClientToken"),
        "HostNamePrefix": t.request.params.get("HostNamePrefix"),
        "Targets": list(t.targets),
        "Created": [c.instance_id for c in t.created],
    }


def task_started(request_id: str, t: Task) -> dict[str, Any]:
    """The answer to the write that started `t` (also replayed for a reused ClientToken)."""
    body: dict[str, Any] = {"RequestId": request_id, "TaskId": t.task_id}
    if t.spec.effect is not None and t.spec.effect.creates:
        if t.spec.target is Target.NODES:
            body["InstanceIds"] = {"InstanceId": list(t.targets)}
        else:
            body["ClusterId"] = t.cluster_id
    return body


def page(request_id: str, total: int, number: int, size: int, **items: Any) -> dict[str, Any]:
    return {"RequestId": request_id, "TotalCount": total, "PageNumber": number, "PageSize": size, **items}


# ---- STS (2015-04-01) -------------------------------------------------------------------------
def sts_time(ts: float) -> str:
    """STS's own format, to the second: the official credentials library parses exactly this."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def assumed_role(request_id: str, token: IssuedToken, session: Caller) -> dict[str, Any]:
    """AssumeRole's answer (AssumeRoleWithOIDC adds `OIDCTokenInfo`)."""
    return {
        "RequestId": request_id,
        "AssumedRoleUser": {"Arn": f"{token.role_arn}/{token.session_name}", "AssumedRoleId": session.principal_id},
        "Credentials": {
            "AccessKeyId": token.access_key_id,
            "AccessKeySecret": token.access_key_secret,
            "SecurityToken": token.security_token,
            "Expiration": sts_time(token.expires_at),
        },
    }


def oidc_token_info(claims: OidcClaims) -> dict[str, Any]:
    info = {
        "Subject": claims.subject,
        "Issuer": claims.issuer,
        "ClientIds": ",".join(claims.audiences),
        "ExpirationTime": sts_time(claims.expires_at),
        "VerificationInfo": "Success",
    }
    if claims.issued_at is not None:
        info["IssuanceTime"] = sts_time(claims.issued_at)
    return info


def caller_identity(request_id: str, caller: Caller) -> dict[str, Any]:
    """GetCallerIdentity: UserId only for a RAM user, RoleId only for a role session (its docs)."""
    body = {
        "RequestId": request_id,
        "IdentityType": caller.identity_type,
        "AccountId": caller.account_id,
        "Arn": caller.arn,
        "PrincipalId": caller.principal_id,
    }
    if caller.user_id is not None:
        body["UserId"] = caller.user_id
    if caller.role_id is not None:
        body["RoleId"] = caller.role_id
    return body
