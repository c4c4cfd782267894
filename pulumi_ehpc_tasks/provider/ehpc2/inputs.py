"""Inputs of the E-HPC 2.0 (API 2024-07-30) resources, checked at preview with the property named.

The limits CreateNodes states (Count 1..99, MinCount) come from its wire model (`rules_from`); the shapes
(instance type, image, vswitch ids) are the 1.0 inputs' (`..inputs`); the host-name and queue-name rules
are the 2024 API's (ehpc-2024-api.md §2.2).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ...wire._base import CrossFieldError
from ...wire.models_2024 import CreateNodes2024Request
from ..connection import ConnectionInputs
from ..inputs import (
    TRUSTED,
    ImageId,
    InstanceType,
    NodeGroupInputs,
    PartialFailure,
    Timeouts,
    VpcId,
    VSwitchId,
    rules_from,
)

__all__ = [
    "CREATE_NODES_MAX",
    "HOSTNAME_PREFIX_MAX",
    "Cluster2Inputs",
    "ClusterName",
    "HostnamePrefix",
    "NodeGroup2Inputs",
    "NodePool2Inputs",
    "Placement2Inputs",
    "Queue2Inputs",
    "QueueName",
]

HOSTNAME_PREFIX_MAX = 12
"""A derived host name is `<prefix>-<8 hex>-<index>` (hostnames.py): 12 + 1 + 8 + 1 + 3 stays within
the 32 characters a Linux host name may have (and leaves room for indexes up to 9999)."""
HostnamePrefix = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=HOSTNAME_PREFIX_MAX)]
"""Lower-case letters, digits and `-`, starting with a letter (the 2024 API's host-name characters)."""
QueueName = Annotated[str, Field(pattern=r"^[A-Za-z0-9.]{1,15}$")]
"""1-15 letters, digits and `.` (QueueTemplate.QueueName)."""
ClusterName = Annotated[str, Field(pattern=r"^[\w\-\u4e00-\u9fff]{2,128}$")]
"""2-128 letters (CJK too), digits, `-`, `_` (CreateCluster.ClusterName)."""


class _Node2Options(BaseModel):
    """What an `ehpc2.NodeGroup` and an `ehpc2.NodePool` both take (a pool hands it to each of its groups)."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    queue_name: QueueName
    count: int
    min_count: int | None = None
    instance_type: InstanceType | None = None
    image_id: ImageId | None = None
    hostname_prefix: HostnamePrefix = "n"
    keep_alive: bool = False
    partial_failure: PartialFailure = PartialFailure.ACCEPT
    max_retries: int = Field(default=2, ge=0, le=10)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    connection: ConnectionInputs | None = None

    # The 1.0 group's checks of the same inputs, stated once there.
    _cluster_id = field_validator("cluster_id", mode="before")(NodeGroupInputs._cluster_id.__func__)  # type: ignore[attr-defined]
    _strict_int = field_validator("count", "min_count", "max_retries", mode="before")(
        NodeGroupInputs._strict_int.__func__)  # type: ignore[attr-defined]
    _strict_bool = field_validator("keep_alive", mode="before")(
        NodeGroupInputs._strict_bool.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _cross_field(self, info: ValidationInfo) -> _Node2Options:
        if info.context != TRUSTED and self.min_count is not None and self.min_count > self.count:
            raise CrossFieldError("min_count", f"must be at most count ({self.count}), got {self.min_count}")
        return self


@rules_from(CreateNodes2024Request, {"vswitch_id": "v_switch_id"}, keep=("keep_alive",))
class NodeGroup2Inputs(_Node2Options):
    """Everything an E-HPC 2.0 `ehpc2.NodeGroup` accepts."""

    vswitch_id: VSwitchId | None = None
    urn: str | None = None

    @classmethod
    def creation_inputs(cls) -> tuple[str, ...]:
        """What CreateNodes fixes for the nodes it adds: a change can only apply to new nodes (replace)."""
        return ("cluster_id", "queue_name", "instance_type", "image_id", "vswitch_id", "hostname_prefix")

    def compute_node(self) -> dict[str, Any] | None:
        """CreateNodes' ComputeNode (None: the queue's template decides)."""
        node = {k: v for k, v in (("InstanceType", self.instance_type), ("ImageId", self.image_id)) if v}
        return node or None


CREATE_NODES_MAX: int = next(m.le for m in CreateNodes2024Request.model_fields["count"].metadata
                             if getattr(m, "le", None) is not None)
"""The most nodes one CreateNodes adds: the largest group, and so a NodePool's largest shard."""


class Placement2Inputs(BaseModel):
    """Where a part of an `ehpc2.NodePool` goes: a vswitch, which also decides the zone."""

    model_config = ConfigDict(extra="forbid")

    vswitch_id: VSwitchId | None = None
    """None: the queue's vswitch (CreateNodes without VSwitchId)."""


class NodePool2Inputs(_Node2Options):
    """Everything an `ehpc2.NodePool` accepts: the group options (given to every shard) plus how to shard."""

    count: int = Field(ge=0)
    min_count: int | None = Field(default=None, ge=0)
    placements: list[Placement2Inputs] | None = Field(default=None, min_length=1)
    max_per_group: int = Field(default=CREATE_NODES_MAX, ge=1, le=CREATE_NODES_MAX)

    _strict_shard_int = field_validator("max_per_group", mode="before")(
        NodeGroupInputs._strict_int.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="before")
    @classmethod
    def _no_zone_id(cls, data: Any) -> Any:
        # 1.0 placements take zone_id; a 2.0 one must not silently drop it.
        given = (data.get("placements") if isinstance(data, dict) else None) or []
        for index, place in enumerate(given if isinstance(given, list) else []):
            if isinstance(place, dict) and "zone_id" in place:
                raise CrossFieldError(f"placements.{index}.zone_id",
                                      "E-HPC 2.0 CreateNodes takes no ZoneId: the vswitch decides the zone; "
                                      "give only vswitch_id")
        return data


class Cluster2Inputs(BaseModel):
    """Everything an E-HPC 2.0 `ehpc2.Cluster` accepts (CreateCluster's lifecycle subset)."""

    model_config = ConfigDict(extra="forbid")

    cluster_name: ClusterName
    cluster_vpc_id: VpcId | None = None
    cluster_vswitch_id: VSwitchId | None = None
    security_group_id: str | None = None
    cluster_category: Literal["Standard", "Serverless"] | None = None
    cluster_mode: Literal["Integrated", "Hybrid", "Custom"] | None = None
    manager_instance_type: InstanceType | None = None
    scheduler_type: Literal["SLURM", "PBS", "OPENGRIDSCHEDULER", "LSF_PLUGIN", "PBS_PLUGIN"] | None = None
    deletion_protection: bool = False
    timeouts: Timeouts = Field(default_factory=Timeouts)
    connection: ConnectionInputs | None = None
    urn: str | None = None

    _strict_bool = field_validator("deletion_protection", mode="before")(
        NodeGroupInputs._strict_bool.__func__)  # type: ignore[attr-defined]

    @classmethod
    def creation_inputs(cls) -> tuple[str, ...]:
        """What only a new cluster can change (everything but `deletion_protection` and `timeouts`)."""
        return tuple(k for k in cls.model_fields if k not in ("deletion_protection", "timeouts", "connection", "urn"))

    def create_params(self) -> dict[str, Any]:
        """CreateCluster's parameters (wire field names)."""
        params: dict[str, Any] = {"cluster_name": self.cluster_name, "deletion_protection": self.deletion_protection}
        for name, wire in (("cluster_vpc_id", "cluster_vpc_id"), ("cluster_vswitch_id", "cluster_v_switch_id"),
                           ("security_group_id", "security_group_id"), ("cluster_category", "cluster_category"),
                           ("cluster_mode", "cluster_mode")):
            if getattr(self, name) is not None:
                params[wire] = getattr(self, name)
        manager: dict[str, Any] = {}
        if self.manager_instance_type:
            manager["ManagerNode"] = {"InstanceType": self.manager_instance_type}
        if self.scheduler_type:
            manager["Scheduler"] = {"Type": self.scheduler_type}
        if manager:
            params["manager"] = manager
        return params


class Queue2Inputs(BaseModel):
    """Everything an E-HPC 2.0 `ehpc2.Queue` accepts (UpdateQueue replaces the whole queue)."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    queue_name: QueueName
    instance_type: InstanceType | None = None
    vswitch_ids: list[VSwitchId] | None = Field(default=None, min_length=1, max_length=5)
    hostname_prefix: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,32}$")] | None = None
    enable_scale_out: bool | None = None
    enable_scale_in: bool | None = None
    min_count: int | None = Field(default=None, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    connection: ConnectionInputs | None = None
    urn: str | None = None

    _cluster_id = field_validator("cluster_id", mode="before")(NodeGroupInputs._cluster_id.__func__)  # type: ignore[attr-defined]
    _strict_int = field_validator("min_count", "max_count", mode="before")(
        NodeGroupInputs._strict_int.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _cross_field(self, info: ValidationInfo) -> Queue2Inputs:
        if (info.context != TRUSTED and self.min_count is not None and self.max_count is not None
                and self.min_count > self.max_count):
            raise CrossFieldError("min_count", f"must be at most max_count ({self.max_count})")
        return self

    def template(self) -> dict[str, Any]:
        """The QueueTemplate of CreateQueue / UpdateQueue (wire names)."""
        queue: dict[str, Any] = {"QueueName": self.queue_name}
        if self.instance_type:
            queue["ComputeNodes"] = [{"InstanceType": self.instance_type}]
        for name, wire in (("vswitch_ids", "VSwitchIds"), ("hostname_prefix", "HostnamePrefix"),
                           ("enable_scale_out", "EnableScaleOut"), ("enable_scale_in", "EnableScaleIn"),
                           ("min_count", "MinCount"), ("max_count", "MaxCount")):
            if getattr(self, name) is not None:
                queue[wire] = getattr(self, name)
        return queue
