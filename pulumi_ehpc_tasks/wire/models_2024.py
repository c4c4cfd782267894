"""Request and response models of API 2024-07-30 ("E-HPC Cluster", E-HPC 2.0).

Every parameter travels in the query of a POST; a list or struct parameter is **one** parameter whose
value is compact JSON ("shrink", ehpc-2024-api.md §1.3). Names are PascalCase of the python field
names except where Alibaba spells them otherwise (`EnableHT`, `DNS`, `NASDirectory`, ...).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic.alias_generators import to_pascal

from ._base import SECRET_PLACEHOLDER, CrossFieldError, LooseModel, WireRequest, WireResponse

__all__ = [
    "CLUSTER_STATUSES",
    "LOG_STATUSES",
    "NODE_STATUSES",
    "ClusterCredentials",
    "ClusterSummary",
    "CommonLog",
    "CreateCluster2024Request",
    "CreateCluster2024Response",
    "CreateNodes2024Request",
    "CreateNodes2024Response",
    "CreateQueueRequest",
    "CreateQueueResponse",
    "CustomConfiguration",
    "DataDisk",
    "DeleteCluster2024Request",
    "DeleteCluster2024Response",
    "DeleteNodes2024Request",
    "DeleteNodes2024Response",
    "DeleteQueuesRequest",
    "GetClusterRequest",
    "GetClusterResponse",
    "GetCommonLogDetailRequest",
    "GetCommonLogDetailResponse",
    "GetQueueRequest",
    "GetQueueResponse",
    "ListClusters2024Request",
    "ListClusters2024Response",
    "ListCommonLogsRequest",
    "ListCommonLogsResponse",
    "ListNodes2024Request",
    "ListNodes2024Response",
    "ListQueuesRequest",
    "ListQueuesResponse",
    "LogDetailStage",
    "LogEntry",
    "Manager",
    "NodeKeepAlive",
    "NodeTemplate",
    "QueueInfo",
    "QueueTemplate",
    "ServiceSpec",
    "SharedStorage",
    "SuccessResponse",
    "SystemDisk",
    "Tag",
    "UpdateCluster2024Request",
    "UpdateNodesRequest",
    "UpdateQueueRequest",
    "V2Node",
    "shrink",
]

CLUSTER_STATUSES = ("uninit", "creating", "initing", "running", "exception", "releasing", "stopping", "stopped",
                    "pending")
"""GetCluster `ClusterStatus` (§4.1)."""
NODE_STATUSES = ("uninit", "initing", "running", "releasing", "stopped", "exception", "untracking")
"""ListNodes `Status` (§4.2), also the values of its `Status` filter."""
LOG_STATUSES = ("InProgress", "Finished", "Failed")
"""ListCommonLogs `Status` / `ActionStatus` and GetCommonLogDetail `Stages[].Status` (§4.3)."""

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9.]{1,15}$")
_HOSTNAME_PART = re.compile(r"^[a-z0-9-]*$")


def shrink(value: Any) -> str:
    """One JSON parameter, as the SDK writes it: compact, keys sorted, non-ASCII kept, models by Alibaba
    names with unset members left out (lists are always emitted: their default is `[]`)."""
    return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {
            (field.alias or name): _plain(item)
            for name, field in type(value).model_fields.items()
            if (item := getattr(value, name)) is not None
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


class _Struct(BaseModel):
    """A struct inside a shrink parameter: strict, PascalCase names."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="forbid")


class _Out(LooseModel):
    """A nested response object: lenient, PascalCase names."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow",
                              coerce_numbers_to_str=True)


class Request2024(WireRequest):
    """A 2024-07-30 request: scalars as text, lists and structs as one JSON parameter each."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="forbid",
                              validate_assignment=True)

    def to_query(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            key = field.alias or name
            if isinstance(value, (BaseModel, list, tuple)):
                out.append((key, shrink(value)))
            elif isinstance(value, bool):
                # [INF] lower case like Terraform (V1, the production client); the SDK's str(True) gives "True".
                # The emulator, like the service, reads either.
                out.append((key, "true" if value else "false"))
            elif isinstance(value, SecretStr):
                out.append((key, value.get_secret_value()))
            else:
                out.append((key, str(value)))
        return out

    def safe_params(self) -> dict[str, str]:
        """As the base, but a struct that holds a secret (ClusterCredentials) is masked whole."""
        secret = {f.alias or n for n, f in type(self).model_fields.items() if "ClusterCredentials" in str(f.annotation)}
        return {k: (SECRET_PLACEHOLDER if k in secret else v) for k, v in super().safe_params().items()}


class Response2024(WireResponse):
    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow",
                              coerce_numbers_to_str=True)


class _Page(Response2024):
    """A list answer's paging members (ListClusters sends PageNumber as a string, §3.3; read as an int)."""

    total_count: int = 0
    page_number: int = 1
    page_size: int = 0


# ---- shared structures (§2) ------------------------------------------------------------------------
class SystemDisk(_Struct):
    category: str | None = None
    size: int | None = Field(None, ge=40, le=65536)
    level: str | None = None


class DataDisk(_Struct):
    category: str | None = None
    size: int | None = None
    level: str | None = None
    delete_with_instance: bool | None = None
    mount_dir: str | None = None
    device: str | None = None
    snapshot_id: str | None = None


class NodeTemplate(_Struct):
    instance_type: str | None = None
    image_id: str | None = None
    instance_charge_type: Literal["PostPaid", "PrePaid"] | None = None
    period: int | None = None
    period_unit: Literal["Week", "Month"] | None = None
    auto_renew: bool | None = None
    auto_renew_period: int | None = None
    spot_strategy: Literal["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"] | None = None
    spot_price_limit: float | None = None
    duration: int | None = None
    enable_ht: bool | None = Field(None, alias="EnableHT")
    system_disk: SystemDisk | None = None
    data_disks: list[DataDisk] = Field(default_factory=list, max_length=16)  # always emitted, like the SDK


class QueueTemplate(_Struct):
    queue_name: str
    compute_nodes: list[NodeTemplate] = Field(default_factory=list, max_length=10)
    v_switch_ids: list[str] | None = Field(None, alias="VSwitchIds", min_length=1, max_length=5)
    inter_connect: str | None = None
    enable_scale_out: bool | None = None
    enable_scale_in: bool | None = None
    min_count: int | None = Field(None, ge=0)
    max_count: int | None = Field(None, ge=0)
    initial_count: int | None = Field(None, ge=0)
    max_count_per_cycle: int | None = Field(None, ge=0)
    allocation_strategy: str | None = None
    hostname_prefix: str | None = Field(None, max_length=32)
    hostname_suffix: str | None = None
    ram_role: str | None = None
    keep_alive_nodes: list[str] | None = None
    reserved_node_pool_id: str | None = None

    @field_validator("queue_name")
    @classmethod
    def _queue_name(cls, value: str) -> str:
        if not _QUEUE_NAME.match(value):
            raise ValueError("must be 1-15 letters, digits or '.'")
        return value

    @field_validator("hostname_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not _HOSTNAME_PART.match(value):
            raise ValueError("must be lower-case letters, digits or '-'")
        return value


class SharedStorage(_Struct):
    file_system_id: str | None = None
    mount_target_domain: str | None = None
    nas_directory: str | None = Field(None, alias="NASDirectory")
    mount_directory: str | None = None
    mount_options: str | None = None
    protocol_type: Literal["NFS", "SMB"] | None = None


class ServiceSpec(_Struct):
    type: str | None = None
    version: str | None = None


class Manager(_Struct):
    manager_node: NodeTemplate | None = None
    scheduler: ServiceSpec | None = None
    directory_service: ServiceSpec | None = None
    dns: ServiceSpec | None = Field(None, alias="DNS")


class ClusterCredentials(_Struct):
    password: SecretStr | None = None
    key_pair_name: str | None = None


class CustomConfiguration(_Struct):
    script: str | None = None
    args: str | None = None


class Tag(_Struct):
    key: str
    value: str | None = None


class NodeKeepAlive(_Struct):
    instance_id: str
    keep_alive: bool


# ---- clusters ----------------------------------------------------------------------------------------
class CreateCluster2024Request(Request2024):
    ACTION: ClassVar[str] = "CreateCluster"
    cluster_name: str | None = Field(None, min_length=2, max_length=128)
    cluster_description: str | None = Field(None, min_length=2, max_length=128)
    cluster_category: Literal["Standard", "Serverless"] | None = None
    cluster_mode: Literal["Integrated", "Hybrid", "Custom"] | None = None
    cluster_vpc_id: str | None = None
    cluster_v_switch_id: str | None = Field(None, alias="ClusterVSwitchId")
    security_group_id: str | None = None
    is_enterprise_security_group: bool | None = None
    resource_group_id: str | None = None
    client_version: str | None = None
    deletion_protection: bool | None = None
    max_count: int | None = Field(None, ge=0, le=5000)
    max_core_count: int | None = Field(None, ge=0, le=100000)
    grow_interval: int | None = None
    idle_interval: int | None = None
    cluster_credentials: ClusterCredentials | None = None
    cluster_custom_configuration: CustomConfiguration | None = None
    manager: Manager | None = None
    queues: list[QueueTemplate] | None = Field(None, max_length=8)
    shared_storages: list[SharedStorage] | None = None
    tags: list[Tag] | None = Field(None, max_length=20)


class CreateCluster2024Response(Response2024):
    cluster_id: str = ""
    success: bool = False
    task_id: str = ""


class GetClusterRequest(Request2024):
    ACTION: ClassVar[str] = "GetCluster"
    cluster_id: str


class GetClusterResponse(Response2024):
    """GetCluster: `MaxCount`, `MaxCoreCount` and `DeleteProtection` arrive as strings (§3.2)."""

    cluster_id: str = ""
    cluster_name: str = ""
    cluster_status: str = ""
    cluster_category: str = ""
    cluster_mode: str = ""
    cluster_vpc_id: str = ""
    cluster_v_switch_id: str = Field("", alias="ClusterVSwitchId")
    security_group_id: str = ""
    ehpc_version: str = ""
    max_count: str = ""
    max_core_count: str = ""
    delete_protection: str = ""
    cluster_create_time: str = ""
    cluster_modify_time: str = ""

    @property
    def deletion_protected(self) -> bool:
        return self.delete_protection.lower() == "true"


class ListClusters2024Request(Request2024):
    ACTION: ClassVar[str] = "ListClusters"
    cluster_ids: list[str] | None = Field(None, max_length=20)
    cluster_names: list[str] | None = Field(None, max_length=20)
    page_number: int | None = Field(None, ge=1)
    page_size: int | None = Field(None, ge=10, le=100)


class ClusterSummary(_Out):
    cluster_id: str = ""
    cluster_name: str = ""
    cluster_status: str = ""
    deletion_protection: bool = False
    max_count: int = 0


class ListClusters2024Response(_Page):
    clusters: list[ClusterSummary] = Field(default_factory=list)


class DeleteCluster2024Request(Request2024):
    ACTION: ClassVar[str] = "DeleteCluster"
    cluster_id: str


class DeleteCluster2024Response(Response2024):
    success: bool = False
    task_id: str = ""


class UpdateCluster2024Request(Request2024):
    """UpdateCluster applies a full state: send every lifecycle field each time (§3.5)."""

    ACTION: ClassVar[str] = "UpdateCluster"
    cluster_id: str
    cluster_name: str | None = None
    cluster_description: str | None = None
    deletion_protection: bool | None = None
    max_count: int | None = Field(None, ge=0, le=5000)
    max_core_count: int | None = Field(None, ge=0, le=100000)
    enable_scale_out: bool | None = None
    enable_scale_in: bool | None = None
    grow_interval: int | None = None
    idle_interval: int | None = None
    client_version: str | None = None
    cluster_custom_configuration: CustomConfiguration | None = None


class SuccessResponse(Response2024):
    """`{"RequestId", "Success"}`: UpdateCluster, UpdateNodes, UpdateQueue, DeleteQueues."""

    success: bool = False


# ---- nodes -------------------------------------------------------------------------------------------
class CreateNodes2024Request(Request2024):
    ACTION: ClassVar[str] = "CreateNodes"
    cluster_id: str
    queue_name: str
    count: int = Field(ge=1, le=99)
    min_count: int | None = Field(None, ge=0, le=99)
    compute_node: NodeTemplate | None = None
    hostnames: list[str] | None = None
    hostname_prefix: str | None = None
    hostname_suffix: str | None = None
    v_switch_id: str | None = Field(None, alias="VSwitchId")
    hpc_inter_connect: str | None = Field(None, alias="HPCInterConnect")
    deployment_set_id: str | None = None
    ram_role: str | None = None
    keep_alive: str | None = None
    """A string on the wire ("true"/"false"), unlike UpdateNodes' bool (§3.6)."""
    reserved_node_pool_id: str | None = None

    @field_validator("keep_alive", mode="before")
    @classmethod
    def _keep_alive(cls, value: Any) -> Any:
        return ("true" if value else "false") if isinstance(value, bool) else value

    @model_validator(mode="after")
    def _counts(self) -> CreateNodes2024Request:
        if self.min_count is not None and self.min_count > self.count:
            raise CrossFieldError("min_count", "must not exceed Count")
        if self.hostnames is not None and len(self.hostnames) != self.count:
            raise CrossFieldError("hostnames", "must name exactly Count hosts")
        return self


class CreateNodes2024Response(Response2024):
    instance_ids: list[str] = Field(default_factory=list)
    success: bool = False


class DeleteNodes2024Request(Request2024):
    ACTION: ClassVar[str] = "DeleteNodes"
    cluster_id: str
    instance_ids: list[str] = Field(min_length=1)


class DeleteNodes2024Response(Response2024):
    success: bool = False
    task_id: str = ""


class ListNodes2024Request(Request2024):
    ACTION: ClassVar[str] = "ListNodes"
    cluster_id: str
    hostnames: list[str] | None = None
    page_number: int | None = Field(None, ge=1)
    page_size: int | None = Field(None, ge=1, le=100)
    private_ip_address: list[str] | None = None
    queue_names: list[str] | None = None
    sequence: Literal["Forward", "Backward"] | None = None
    sort_by: str | None = None
    status: list[str] | None = None


class V2Node(_Out):
    """A ListNodes entry; `Reason` says why a node is in `exception`."""

    id: str = ""
    hostname: str = ""
    queue_name: str = ""
    status: str = ""
    reason: str = ""
    keep_alive: bool = False
    instance_type: str = ""
    ip_address: str = ""
    zone_id: str = ""
    v_switch_id: str = Field("", alias="VSwitchId")
    add_time: str = ""


class ListNodes2024Response(_Page):
    nodes: list[V2Node] = Field(default_factory=list)


class UpdateNodesRequest(Request2024):
    """Only deletion protection (`KeepAlive`) is updatable (§3.9)."""

    ACTION: ClassVar[str] = "UpdateNodes"
    cluster_id: str
    instances: list[NodeKeepAlive] = Field(min_length=1)


# ---- queues ------------------------------------------------------------------------------------------
class CreateQueueRequest(Request2024):
    ACTION: ClassVar[str] = "CreateQueue"
    cluster_id: str
    queue: QueueTemplate


class CreateQueueResponse(Response2024):
    name: str = ""


class GetQueueRequest(Request2024):
    ACTION: ClassVar[str] = "GetQueue"
    cluster_id: str
    queue_name: str


class QueueInfo(_Out):
    queue_name: str = ""
    min_count: int = 0
    max_count: int = 0
    enable_scale_out: bool = False
    enable_scale_in: bool = False
    v_switch_ids: list[str] = Field(default_factory=list, alias="VSwitchIds")
    hostname_prefix: str = ""
    keep_alive_nodes: list[str] = Field(default_factory=list)
    create_time: str = ""
    update_time: str = ""


class GetQueueResponse(Response2024):
    queue: QueueInfo = Field(default_factory=QueueInfo)


class ListQueuesRequest(Request2024):
    ACTION: ClassVar[str] = "ListQueues"
    cluster_id: str
    queue_names: list[str] | None = Field(None, max_length=8)


class ListQueuesResponse(_Page):
    cluster_id: str = ""
    queues: list[QueueInfo] = Field(default_factory=list)


class UpdateQueueRequest(Request2024):
    """Full replace: the queue as a whole, every time (§3.14)."""

    ACTION: ClassVar[str] = "UpdateQueue"
    cluster_id: str
    queue: QueueTemplate


class DeleteQueuesRequest(Request2024):
    ACTION: ClassVar[str] = "DeleteQueues"
    cluster_id: str
    queue_names: list[str] = Field(min_length=1)


# ---- operation logs ----------------------------------------------------------------------------------
class ListCommonLogsRequest(Request2024):
    ACTION: ClassVar[str] = "ListCommonLogs"
    from_: int = Field(alias="From", ge=0)
    to: int = Field(ge=0)
    cluster_id: str | None = None
    log_request_id: str | None = None
    action_name: list[str] | None = None
    action_status: Literal["InProgress", "Finished", "Failed"] | None = None
    log_type: str | None = None
    operator_uid: str | None = None
    resource: str | None = None
    is_reverse: bool | None = None
    page_number: int | None = Field(None, ge=1)
    page_size: int | None = Field(None, ge=1, le=100)


class CommonLog(_Out):
    request_id: str = ""
    action: str = ""
    cluster_id: str = ""
    log_type: str = ""
    status: str = ""
    message: str = ""
    target: str = ""
    time: str = ""


class ListCommonLogsResponse(_Page):
    logs: list[CommonLog] = Field(default_factory=list)


class GetCommonLogDetailRequest(Request2024):
    ACTION: ClassVar[str] = "GetCommonLogDetail"
    log_request_id: str
    from_: int = Field(alias="From", ge=0)
    to: int = Field(ge=0)
    hidden_process: bool | None = None


class LogEntry(_Out):
    request_id: str = ""
    method: str = ""
    target: str = ""
    status: str = ""
    log_level: str = ""
    message: str = ""
    time: str = ""


class LogDetailStage(_Out):
    stage_name: str = ""
    stages: list[LogEntry] = Field(default_factory=list)


class GetCommonLogDetailResponse(Response2024):
    action: str = ""
    cluster_id: str = ""
    log_type: str = ""
    log_detail: list[LogDetailStage] = Field(default_factory=list)

    def failures(self) -> list[tuple[str, LogEntry]]:
        """(stage name, entry) of every entry whose status is `Failed`, in stage order: where and why an
        operation failed, more precise than its ListCommonLogs message."""
        return [(stage.stage_name, entry) for stage in self.log_detail for entry in stage.stages
                if entry.status == "Failed"]
