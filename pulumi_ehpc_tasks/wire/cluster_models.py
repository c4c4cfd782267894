"""Request/response models for the cluster operations (ehpc-api.md §5.6-5.9, 5.12, 5.13)."""

from __future__ import annotations

import string
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator

from ._base import (
    CrossFieldError,
    LooseModel,
    WireModel,
    WireRequest,
    WireResponse,
    client_token_check,
    unwrap,
)
from .models import AsyncTaskResponse, DiskCategory, PerformanceLevel, TrueFalse
from .task_models import ClusterId

__all__ = [
    "AddOn",
    "AdditionalVolume",
    "ApplicationTag",
    "ClusterInfo",
    "ClusterInfoSimple",
    "CreateClusterRequest",
    "CreateClusterResponse",
    "DeleteClusterRequest",
    "DeleteClusterResponse",
    "DescribeClusterRequest",
    "DescribeClusterResponse",
    "EcsOrder",
    "EcsOrderSpec",
    "ListClustersRequest",
    "ListClustersResponse",
    "NodeCounts",
    "PostInstallScript",
    "ResourceTag",
    "StartClusterRequest",
    "StartClusterResponse",
    "StopClusterRequest",
    "StopClusterResponse",
    "VolumeRole",
]

_PASSWORD_CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits)


class EcsOrderSpec(WireModel):
    instance_type: str | None = Field(None, alias="InstanceType", min_length=1)
    count: int | None = Field(None, alias="Count", ge=0, le=99)


class EcsOrder(WireModel):
    """`EcsOrder.Manager.InstanceType` etc."""

    manager: EcsOrderSpec | None = Field(None, alias="Manager")
    compute: EcsOrderSpec | None = Field(None, alias="Compute")
    login: EcsOrderSpec | None = Field(None, alias="Login")

    @model_validator(mode="after")
    def _counts(self) -> EcsOrder:
        # Manager 1-2, Login exactly 1, Compute 0-99 (field range).
        for name, low, high in (("manager", 1, 2), ("login", 1, 1)):
            spec: EcsOrderSpec | None = getattr(self, name)
            if spec is not None and spec.count is not None and not low <= spec.count <= high:
                raise ValueError(f"{name.capitalize()}.Count must be between {low} and {high}")
        return self


class ApplicationTag(WireModel):
    tag: str = Field(alias="Tag", min_length=1)


class VolumeRole(WireModel):
    name: str = Field(alias="Name", min_length=1)


class AdditionalVolume(WireModel):
    volume_type: str | None = Field(None, alias="VolumeType")
    volume_id: str | None = Field(None, alias="VolumeId")
    volume_mountpoint: str | None = Field(None, alias="VolumeMountpoint")
    volume_protocol: str | None = Field(None, alias="VolumeProtocol")
    remote_directory: str | None = Field(None, alias="RemoteDirectory")
    local_directory: str | None = Field(None, alias="LocalDirectory")
    location: str | None = Field(None, alias="Location")
    job_queue: str | None = Field(None, alias="JobQueue")
    volume_mount_option: str | None = Field(None, alias="VolumeMountOption")
    roles: list[VolumeRole] | None = Field(None, alias="Roles", max_length=8)


class PostInstallScript(WireModel):
    url: str | None = Field(None, alias="Url")
    args: str | None = Field(None, alias="Args")


class AddOn(WireModel):
    name: str | None = Field(None, alias="Name")
    version: str | None = Field(None, alias="Version")
    deploy_mode: Literal["local", "ecs"] | None = Field(None, alias="DeployMode")
    port: int | None = Field(None, alias="Port", ge=1, le=65535)  # SDK sends 8080.0; we send an integer
    config_file: str | None = Field(None, alias="ConfigFile")
    default_start: bool | None = Field(None, alias="DefaultStart")
    db_type: str | None = Field(None, alias="DBType")


class ResourceTag(WireModel):
    key: str = Field(alias="Key", min_length=1)
    value: str | None = Field(None, alias="Value")


class CreateClusterRequest(WireRequest):
    ACTION = "CreateCluster"

    name: str = Field(alias="Name", min_length=2, max_length=64)
    client_token: str | None = Field(None, alias="ClientToken")
    description: str | None = Field(None, alias="Description", min_length=2, max_length=256)
    ecs_order: EcsOrder | None = Field(None, alias="EcsOrder")
    deploy_mode: Literal["Standard", "Simple", "Tiny"] | None = Field(None, alias="DeployMode")
    ha_enable: bool | None = Field(None, alias="HaEnable")
    scheduler_type: str | None = Field(None, alias="SchedulerType")
    account_type: Literal["nis", "ldap"] | None = Field(None, alias="AccountType")
    domain: str | None = Field(None, alias="Domain")
    os_tag: str | None = Field(None, alias="OsTag")
    image_id: str | None = Field(None, alias="ImageId")
    image_owner_alias: Literal["system", "self", "others", "marketplace"] | None = Field(
        None, alias="ImageOwnerAlias"
    )
    vpc_id: str | None = Field(None, alias="VpcId")
    v_switch_id: str | None = Field(None, alias="VSwitchId")
    zone_id: str | None = Field(None, alias="ZoneId")
    security_group_id: str | None = Field(None, alias="SecurityGroupId")
    security_group_name: str | None = Field(None, alias="SecurityGroupName")
    password: SecretStr | None = Field(None, alias="Password")
    key_pair_name: str | None = Field(None, alias="KeyPairName")
    ecs_charge_type: Literal["PostPaid", "PrePaid"] | None = Field(None, alias="EcsChargeType")
    period: int | None = Field(None, alias="Period", ge=1, le=9)
    period_unit: Literal["Year", "Month", "Hour"] | None = Field(None, alias="PeriodUnit")
    auto_renew: TrueFalse | None = Field(None, alias="AutoRenew")
    auto_renew_period: int | None = Field(None, alias="AutoRenewPeriod", ge=1)
    compute_spot_strategy: Literal["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"] | None = Field(
        None, alias="ComputeSpotStrategy"
    )
    compute_spot_price_limit: str | None = Field(
        None, alias="ComputeSpotPriceLimit", pattern=r"^\d+(\.\d{1,3})?$"
    )
    compute_enable_ht: bool | None = Field(None, alias="ComputeEnableHt")
    system_disk_type: DiskCategory | None = Field(None, alias="SystemDiskType")
    system_disk_size: int | None = Field(None, alias="SystemDiskSize", ge=40, le=500)
    system_disk_level: PerformanceLevel | None = Field(None, alias="SystemDiskLevel")
    volume_type: str | None = Field(None, alias="VolumeType")
    volume_id: str | None = Field(None, alias="VolumeId")
    volume_mountpoint: str | None = Field(None, alias="VolumeMountpoint")
    volume_protocol: Literal["NFS", "SMB", "nfs", "smb"] | None = Field(None, alias="VolumeProtocol")
    remote_directory: str | None = Field(None, alias="RemoteDirectory")
    volume_mount_option: str | None = Field(None, alias="VolumeMountOption")
    without_nas: bool | None = Field(None, alias="WithoutNas")
    without_elastic_ip: bool | None = Field(None, alias="WithoutElasticIp")
    without_agent: bool | None = Field(None, alias="WithoutAgent")
    is_compute_ess: bool | None = Field(None, alias="IsComputeEss")
    client_version: str | None = Field(None, alias="ClientVersion")
    cluster_version: str | None = Field(None, alias="ClusterVersion")
    ehpc_version: str | None = Field(None, alias="EhpcVersion")
    job_queue: str | None = Field(None, alias="JobQueue")
    deployment_set_id: str | None = Field(None, alias="DeploymentSetId")
    resource_group_id: str | None = Field(None, alias="ResourceGroupId")
    ram_role_name: str | None = Field(None, alias="RamRoleName")
    scc_cluster_id: str | None = Field(None, alias="SccClusterId")
    input_file_url: str | None = Field(None, alias="InputFileUrl")
    network_interface_traffic_mode: Literal["Standard", "HighPerformance"] | None = Field(
        None, alias="NetworkInterfaceTrafficMode"
    )
    remote_vis_enable: TrueFalse | None = Field(None, alias="RemoteVisEnable")
    plugin: str | None = Field(None, alias="Plugin")
    application: list[ApplicationTag] | None = Field(None, alias="Application", max_length=100)
    additional_volumes: list[AdditionalVolume] | None = Field(None, alias="AdditionalVolumes", max_length=10)
    post_install_script: list[PostInstallScript] | None = Field(
        None, alias="PostInstallScript", max_length=16
    )
    add_ons: list[AddOn] | None = Field(None, alias="AddOns")
    tag: list[ResourceTag] | None = Field(None, alias="Tag")
    ram_node_types: list[str] | None = Field(None, alias="RamNodeTypes")

    @field_validator("client_token")
    @classmethod
    def _check_token(cls, value: str | None) -> str | None:
        return client_token_check(value)

    @field_validator("description")
    @classmethod
    def _no_url(cls, value: str | None) -> str | None:
        if value is not None and value.lower().startswith(("http://", "https://")):
            raise ValueError("must not start with http:// or https://")
        return value

    @field_validator("password")
    @classmethod
    def _password_rules(cls, value: SecretStr | None) -> SecretStr | None:
        # Never echo the value: messages name the rule only.
        if value is None:
            return None
        raw = value.get_secret_value()
        classes = sum(any(c in cls_ for c in raw) for cls_ in _PASSWORD_CLASSES) + any(
            not c.isalnum() for c in raw
        )
        if not 8 <= len(raw) <= 30 or classes < 3:
            raise ValueError(
                "must be 8-30 characters with at least 3 of upper case, lower case, digits, symbols"
            )
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> CreateClusterRequest:
        if self.volume_id and not self.volume_mountpoint:
            raise CrossFieldError("volume_mountpoint", "is required when VolumeId is set")
        return self


class CreateClusterResponse(AsyncTaskResponse):
    cluster_id: str = Field("", alias="ClusterId")


class DeleteClusterRequest(WireRequest):
    ACTION = "DeleteCluster"

    cluster_id: ClusterId = Field(alias="ClusterId")
    release_instance: TrueFalse | None = Field(None, alias="ReleaseInstance")  # typed *string* by the API


class StartClusterRequest(WireRequest):
    ACTION = "StartCluster"

    cluster_id: ClusterId = Field(alias="ClusterId")


class StopClusterRequest(StartClusterRequest):
    ACTION = "StopCluster"


class DescribeClusterRequest(StartClusterRequest):
    ACTION = "DescribeCluster"


class DeleteClusterResponse(AsyncTaskResponse):
    pass


class StartClusterResponse(AsyncTaskResponse):
    pass


class StopClusterResponse(AsyncTaskResponse):
    pass


class _ClusterSummary(LooseModel):
    """Fields DescribeCluster's `ClusterInfo` and ListClusters' `ClusterInfoSimple` share."""

    id: str = Field("", alias="Id")
    name: str = Field("", alias="Name")
    description: str | None = Field(None, alias="Description")
    status: str = Field("", alias="Status")
    region_id: str | None = Field(None, alias="RegionId")
    zone_id: str | None = Field(None, alias="ZoneId")
    vpc_id: str | None = Field(None, alias="VpcId")
    v_switch_id: str | None = Field(None, alias="VSwitchId")
    create_time: str | None = Field(None, alias="CreateTime")
    deploy_mode: str | None = Field(None, alias="DeployMode")


class ClusterInfo(_ClusterSummary):
    """DescribeCluster `ClusterInfo`; the many rarely used keys stay in `model_extra`."""

    security_group_id: str | None = Field(None, alias="SecurityGroupId")
    ha_enable: bool | None = Field(None, alias="HaEnable")
    scheduler_type: str | None = Field(None, alias="SchedulerType")
    account_type: str | None = Field(None, alias="AccountType")
    os_tag: str | None = Field(None, alias="OsTag")
    image_id: str | None = Field(None, alias="ImageId")
    image_owner_alias: str | None = Field(None, alias="ImageOwnerAlias")
    ecs_charge_type: str | None = Field(None, alias="EcsChargeType")
    period: str | None = Field(None, alias="Period")
    period_unit: str | None = Field(None, alias="PeriodUnit")
    auto_renew: str | None = Field(None, alias="AutoRenew")
    auto_renew_period: str | None = Field(None, alias="AutoRenewPeriod")
    compute_spot_strategy: str | None = Field(None, alias="ComputeSpotStrategy")
    compute_spot_price_limit: str | None = Field(None, alias="ComputeSpotPriceLimit")
    client_version: str | None = Field(None, alias="ClientVersion")
    cluster_version: str | None = Field(None, alias="ClusterVersion")
    resource_group_id: str | None = Field(None, alias="ResourceGroupId")
    ecs_info: dict[str, Any] = Field(default_factory=dict, alias="EcsInfo")
    applications: Annotated[list[dict[str, Any]], BeforeValidator(unwrap("ApplicationInfo"))] = Field(
        default_factory=list, alias="Applications"
    )


class DescribeClusterResponse(WireResponse):
    cluster_info: ClusterInfo = Field(default_factory=ClusterInfo, alias="ClusterInfo")


class ListClustersRequest(WireRequest):
    ACTION = "ListClusters"

    page_number: int | None = Field(None, alias="PageNumber", ge=1, le=999)
    page_size: int | None = Field(None, alias="PageSize", ge=1, le=50)


class NodeCounts(LooseModel):
    total: int = Field(0, alias="Total")
    normal_count: int = Field(0, alias="NormalCount")
    exception_count: int = Field(0, alias="ExceptionCount")
    operating_count: int = Field(0, alias="OperatingCount")
    stopped_count: int = Field(0, alias="StoppedCount")


class ClusterInfoSimple(_ClusterSummary):
    """One cluster of ListClusters (`Clusters.ClusterInfoSimple[]`)."""

    scheduler_type: str | None = Field(None, alias="SchedulerType")
    instance_type: str | None = Field(None, alias="InstanceType")
    count: int | None = Field(None, alias="Count")
    compute_spot_price_limit: float | None = Field(None, alias="ComputeSpotPriceLimit")
    computes: NodeCounts | None = Field(None, alias="Computes")
    managers: NodeCounts | None = Field(None, alias="Managers")


class ListClustersResponse(WireResponse):
    total_count: int = Field(0, alias="TotalCount")
    page_number: int = Field(1, alias="PageNumber")
    page_size: int = Field(10, alias="PageSize")
    clusters: Annotated[list[ClusterInfoSimple], BeforeValidator(unwrap("ClusterInfoSimple"))] = Field(
        default_factory=list, alias="Clusters"
    )
