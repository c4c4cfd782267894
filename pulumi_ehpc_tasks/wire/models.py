"""Node operation models (§5.1-5.5, 5.11); the task models live in `task_models` (still found here).

Python names are snake_case; Alibaba names are the aliases (both accepted on input).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from . import task_models
from ._base import (
    CrossFieldError,
    LooseModel,
    WireModel,
    WireRequest,
    WireResponse,
    bool_str,
    client_token_check,
    unwrap,
)
from .task_models import ClusterId

__all__ = [
    "AddNodesRequest",
    "AddNodesResponse",
    "AsyncTaskResponse",
    "DataDisk",
    "DeleteNodesRequest",
    "DeleteNodesResponse",
    "ListNodesRequest",
    "ListNodesResponse",
    "NodeInfo",
    "NodeResources",
    "ResetNodesRequest",
    "ResetNodesResponse",
    "StartNodesRequest",
    "StartNodesResponse",
    "StopNodesRequest",
    "StopNodesResponse",
]

if not TYPE_CHECKING:  # hidden from mypy, so a misspelt `models.X` stays a type error

    def __getattr__(name: str) -> Any:
        """The task models lived here before `task_models`: older imports and stored state find them."""
        if name in task_models.__all__ or name == "TaskType":  # TaskType: task_models finds it in turn
            return getattr(task_models, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DiskCategory = Literal["cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud"]
PerformanceLevel = Literal["PL0", "PL1", "PL2", "PL3"]
TrueFalse = Annotated[Literal["true", "false"], BeforeValidator(bool_str)]
InstanceIds = Annotated[
    list[Annotated[str, Field(min_length=1)]],
    Field(alias="Instance", min_length=1, max_length=100, json_schema_extra={"item_key": "Id"}),
]
_WEEK_PERIODS = frozenset({1, 2, 3, 4})
_MONTH_PERIODS = frozenset({*range(1, 10), 12, 24, 36, 48, 60})


# ----------------------------------------------------------------------------------------- nodes


class DataDisk(WireModel):
    """`DataDisks.N.*` of AddNodes."""

    data_disk_category: DiskCategory | None = Field(None, alias="DataDiskCategory")
    data_disk_size: int | None = Field(None, alias="DataDiskSize", ge=40, le=500)
    data_disk_performance_level: PerformanceLevel | None = Field(None, alias="DataDiskPerformanceLevel")
    data_disk_delete_with_instance: bool | None = Field(None, alias="DataDiskDeleteWithInstance")
    data_disk_encrypted: bool | None = Field(None, alias="DataDiskEncrypted")
    data_disk_kms_key_id: str | None = Field(None, alias="DataDiskKMSKeyId")


class AddNodesRequest(WireRequest):
    ACTION = "AddNodes"

    cluster_id: ClusterId = Field(alias="ClusterId")
    count: int = Field(alias="Count", ge=1, le=99)
    min_count: int | None = Field(None, alias="MinCount", ge=1, le=99)
    client_token: str | None = Field(None, alias="ClientToken")
    instance_type: str | None = Field(None, alias="InstanceType", min_length=1)
    image_id: str | None = Field(None, alias="ImageId", min_length=1)
    image_owner_alias: Literal["system", "self", "others", "marketplace"] | None = Field(
        None, alias="ImageOwnerAlias"
    )
    ecs_charge_type: Literal["PostPaid", "PrePaid"] | None = Field(None, alias="EcsChargeType")
    period: int | None = Field(None, alias="Period", ge=1, le=60)
    period_unit: Literal["Week", "Month"] | None = Field(None, alias="PeriodUnit")
    auto_renew: TrueFalse | None = Field(None, alias="AutoRenew")
    auto_renew_period: int | None = Field(None, alias="AutoRenewPeriod", ge=1, le=12)
    compute_spot_strategy: Literal["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"] | None = Field(
        None, alias="ComputeSpotStrategy"
    )
    compute_spot_price_limit: str | None = Field(
        None, alias="ComputeSpotPriceLimit", pattern=r"^\d+(\.\d{1,3})?$"
    )
    compute_spot_duration: int | None = Field(None, alias="ComputeSpotDuration", ge=0, le=1)
    compute_spot_interruption_behavior: Literal["Terminate"] | None = Field(
        None, alias="ComputeSpotInterruptionBehavior"
    )
    compute_enable_ht: bool | None = Field(None, alias="ComputeEnableHt")
    create_mode: Literal["manual", "autoscale"] | None = Field(None, alias="CreateMode")
    system_disk_type: DiskCategory | None = Field(None, alias="SystemDiskType")
    system_disk_size: int | None = Field(None, alias="SystemDiskSize", ge=40, le=500)
    system_disk_level: PerformanceLevel | None = Field(None, alias="SystemDiskLevel")
    data_disks: list[DataDisk] | None = Field(None, alias="DataDisks", max_length=16)
    allocate_public_address: bool | None = Field(None, alias="AllocatePublicAddress")
    internet_charge_type: Literal["PayByBandwidth", "PayByTraffic"] | None = Field(
        None, alias="InternetChargeType"
    )
    internet_max_band_width_out: int | None = Field(None, alias="InternetMaxBandWidthOut", ge=0, le=100)
    internet_max_band_width_in: int | None = Field(None, alias="InternetMaxBandWidthIn", ge=1, le=100)
    network_interface_traffic_mode: Literal["Standard", "HighPerformance"] | None = Field(
        None, alias="NetworkInterfaceTrafficMode"
    )
    host_name_prefix: str | None = Field(None, alias="HostNamePrefix")
    host_name_suffix: str | None = Field(None, alias="HostNameSuffix")
    job_queue: str | None = Field(None, alias="JobQueue")
    dns_config: str | None = Field(None, alias="DnsConfig")
    v_switch_id: str | None = Field(None, alias="VSwitchId")
    zone_id: str | None = Field(None, alias="ZoneId")
    sync: bool | None = Field(None, alias="Sync")

    @field_validator("client_token")
    @classmethod
    def _check_token(cls, value: str | None) -> str | None:
        return client_token_check(value)

    @field_validator("compute_spot_price_limit", mode="before")
    @classmethod
    def _price_as_str(cls, value: Any) -> Any:
        return (
            format(value, "g") if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        )

    @model_validator(mode="after")
    def _cross_checks(self) -> AddNodesRequest:
        if self.min_count is not None and self.min_count > self.count:
            raise CrossFieldError("min_count", f"must not exceed Count ({self.min_count} > {self.count})")
        if self.period is not None:
            allowed = _WEEK_PERIODS if self.period_unit == "Week" else _MONTH_PERIODS
            if self.period not in allowed:
                raise CrossFieldError(
                    "period", f"must be one of {sorted(allowed)} for PeriodUnit {self.period_unit or 'Month'}"
                )
        out, inn = self.internet_max_band_width_out, self.internet_max_band_width_in
        if inn is not None and inn > max(10, out or 0):
            raise CrossFieldError("internet_max_band_width_in", f"must be at most {max(10, out or 0)}")
        return self


class AsyncTaskResponse(WireResponse):
    """Every asynchronous action answers with the task to poll in ListTasks."""

    task_id: str = Field("", alias="TaskId")


class AddNodesResponse(AsyncTaskResponse):
    instance_ids: Annotated[list[str], BeforeValidator(unwrap("InstanceId"))] = Field(
        default_factory=list, alias="InstanceIds"
    )


class DeleteNodesRequest(WireRequest):
    ACTION = "DeleteNodes"

    cluster_id: ClusterId = Field(alias="ClusterId")
    instance_ids: InstanceIds
    release_instance: bool | None = Field(None, alias="ReleaseInstance")
    sync: bool | None = Field(None, alias="Sync")


class StartNodesRequest(WireRequest):
    ACTION = "StartNodes"

    cluster_id: ClusterId = Field(alias="ClusterId")
    instance_ids: InstanceIds
    role: Literal["Manager", "Login", "Compute"] | None = Field(None, alias="Role")


class StopNodesRequest(StartNodesRequest):
    ACTION = "StopNodes"


class ResetNodesRequest(WireRequest):
    ACTION = "ResetNodes"

    cluster_id: ClusterId = Field(alias="ClusterId")
    instance_ids: InstanceIds


class DeleteNodesResponse(AsyncTaskResponse):
    pass


class StartNodesResponse(AsyncTaskResponse):
    pass


class StopNodesResponse(AsyncTaskResponse):
    pass


class ResetNodesResponse(AsyncTaskResponse):
    pass


class ListNodesRequest(WireRequest):
    ACTION = "ListNodes"

    cluster_id: ClusterId = Field(alias="ClusterId")
    role: Literal["Manager", "Login", "Compute"] | None = Field(None, alias="Role")
    filter: str | None = Field(None, alias="Filter")
    host_name: str | None = Field(None, alias="HostName")
    host_name_prefix: str | None = Field(None, alias="HostNamePrefix")
    host_name_suffix: str | None = Field(None, alias="HostNameSuffix")
    private_ip_address: str | None = Field(None, alias="PrivateIpAddress")
    sort_by: Literal["AddedTime", "HostName"] | None = Field(None, alias="SortBy")
    sequence: Literal["Forward", "Backward"] | None = Field(None, alias="Sequence")
    page_number: int | None = Field(None, alias="PageNumber", ge=1, le=999)
    page_size: int | None = Field(None, alias="PageSize", ge=1, le=100)

    @field_validator("filter", mode="before")
    @classmethod
    def _filter_json(cls, value: Any) -> Any:
        # Accept {"status": "running"} and send the JSON string the API wants.
        return json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else value


class NodeResources(LooseModel):
    cpu: int | None = Field(None, alias="Cpu")
    gpu: int | None = Field(None, alias="Gpu")
    memory: int | None = Field(None, alias="Memory")


class NodeInfo(LooseModel):
    """One node of ListNodes (`Nodes.NodeInfo[]`)."""

    id: str = Field("", alias="Id")
    host_name: str = Field("", alias="HostName")
    status: str = Field("", alias="Status")
    state_in_sched: str | None = Field(None, alias="StateInSched")
    roles: Annotated[list[str], BeforeValidator(unwrap("Role"))] = Field(default_factory=list, alias="Roles")
    add_time: str | None = Field(None, alias="AddTime")
    create_mode: str | None = Field(None, alias="CreateMode")
    created_by_ehpc: bool | None = Field(None, alias="CreatedByEhpc")
    expired: bool | None = Field(None, alias="Expired")
    expired_time: str | None = Field(None, alias="ExpiredTime")
    ht_enabled: bool | None = Field(None, alias="HtEnabled")
    image_id: str | None = Field(None, alias="ImageId")
    image_owner_alias: str | None = Field(None, alias="ImageOwnerAlias")
    instance_type: str | None = Field(None, alias="InstanceType")
    ip_address: str | None = Field(None, alias="IpAddress")
    public_ip_address: str | None = Field(None, alias="PublicIpAddress")
    location: str | None = Field(None, alias="Location")
    lock_reason: str | None = Field(None, alias="LockReason")
    region_id: str | None = Field(None, alias="RegionId")
    zone_id: str | None = Field(None, alias="ZoneId")
    vpc_id: str | None = Field(None, alias="VpcId")
    v_switch_id: str | None = Field(None, alias="VSwitchId")
    spot_strategy: str | None = Field(None, alias="SpotStrategy")
    version: str | None = Field(None, alias="Version")
    total_resources: NodeResources | None = Field(None, alias="TotalResources")
    used_resources: NodeResources | None = Field(None, alias="UsedResources")


class ListNodesResponse(WireResponse):
    total_count: int = Field(0, alias="TotalCount")
    page_number: int = Field(1, alias="PageNumber")
    page_size: int = Field(10, alias="PageSize")
    nodes: Annotated[list[NodeInfo], BeforeValidator(unwrap("NodeInfo"))] = Field(
        default_factory=list, alias="Nodes"
    )
