"""Validation of resource inputs at `check` time, before any API call, naming the property.

Inputs arrive from the engine as plain dicts with snake_case keys; unknown values (computed by
other resources) are left alone during preview and checked at `up`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from pulumi.dynamic import CheckFailure
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from ..wire import RequestValidationError
from ..wire._base import CrossFieldError, WireRequest
from ..wire.models import AddNodesRequest
from .connection import ConnectionInputs

__all__ = [
    "ADOPT_INPUTS",
    "DEFAULT_TIMEOUTS_S",
    "TRUSTED",
    "HostNameAffix",
    "ImageId",
    "InstanceId",
    "InstanceType",
    "NodeGroupInputs",
    "PartialFailure",
    "Timeouts",
    "VSwitchId",
    "VpcId",
    "ZoneId",
    "check_inputs",
    "failures_of",
    "input_default",
    "normalised",
    "parse_duration_s",
    "rules_from",
    "wire_check",
    "wire_name",
]

# E-HPC creates can take an hour (Terraform alicloud uses 60 min for its v1 cluster create).
DEFAULT_TIMEOUTS_S: Mapping[str, float] = {"create": 3600.0, "update": 3600.0, "delete": 1800.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration_s(value: Any) -> float:
    """Seconds from a number or a string like `90`, `45s`, `30m`, `1.5h`."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '30m'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (use seconds or e.g. '45m', '2h')")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= seconds <= 7 * 24 * 3600:
        raise ValueError(f"{seconds:g} s is outside 1 s .. 7 days")
    return seconds


class PartialFailure(str, Enum):
    """What a NodeGroup does when AddNodes ends in PartialFail."""

    ACCEPT = "accept"  # keep what was added, report the failures as outputs and a warning
    ROLLBACK = "rollback"  # delete what was added, then fail: nothing leaks
    RETRY = "retry"  # add the missing count again, a bounded number of times


class Timeouts(BaseModel):
    """Per-operation deadlines (customTimeouts never reach dynamic providers)."""

    model_config = ConfigDict(extra="forbid")

    create: float = DEFAULT_TIMEOUTS_S["create"]
    update: float = DEFAULT_TIMEOUTS_S["update"]
    delete: float = DEFAULT_TIMEOUTS_S["delete"]

    @field_validator("create", "update", "delete", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration_s(value)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-*]{0,127}$")

# What E-HPC refuses, in the shapes its docs show (shared/docs/ehpc-api.md, ehpc-2024-api.md): the wire
# models accept any text (their encoder must carry anything), the resources only what E-HPC would take.
InstanceType = Annotated[str, Field(pattern=r"^ecs\.[a-z0-9-]+(\.[a-z0-9-]+)+$")]
"""`ecs.<family>.<size>`, e.g. `ecs.c7.large`."""
ImageId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")]
"""e.g. `m-bp1...`, `centos_7_06_64_20G_alibase_20190711.vhd`."""
InstanceId = Annotated[str, Field(pattern=r"^i-[A-Za-z0-9]+$")]
"""An ECS instance id, `i-...`."""
VSwitchId = Annotated[str, Field(pattern=r"^vsw-[A-Za-z0-9]+$")]
VpcId = Annotated[str, Field(pattern=r"^vpc-[A-Za-z0-9]+$")]
ZoneId = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z0-9]+)+-?[a-z]$")]
"""A region id and a zone letter: `cn-hangzhou-k`, `ap-southeast-1a`."""
HostNameAffix = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]{1,64}$")]
"""Letters, digits, `.` and `-`, at most 64: the characters of an ECS host name. E-HPC 1.0 documents no
rule of its own; 64 is what v0.1 accepted, so existing stacks keep validating (the 2024 API's stricter
lower-case, 32-character rule is that API's; [INF] decision, see the README)."""
ModelT = TypeVar("ModelT", bound=BaseModel)
TRUSTED = {"checked": True}
"""Validation context for inputs `check` has already validated: cross-field rules are not run again."""


def rules_from(
    request: type[WireRequest], renames: Mapping[str, str], keep: tuple[str, ...] = ()
) -> Callable[[type[ModelT]], type[ModelT]]:
    """Class decorator: each input that is a field of `request` (by name, or `renames[name]`; not those in
    `keep`) takes that field's type and constraints, so the wire model states each limit once; defaults
    and the input's own extra constraints stay."""

    def derive(model: type[ModelT]) -> type[ModelT]:
        for name, field in model.model_fields.items():
            wire = request.model_fields.get(renames.get(name, name))
            if wire is None or name in keep:
                continue
            # An input that narrows its type itself (`ZoneId | None`) keeps it; the wire's limits join it.
            annotation: Any = field.annotation if _shaped(field.annotation) else wire.annotation
            derived = FieldInfo.from_annotated_attribute(annotation, field.get_default())
            derived.metadata = [*wire.metadata, *field.metadata]
            derived.description = field.description
            model.__pydantic_fields__[name] = derived
        model.model_rebuild(force=True)
        return model

    return derive


def _shaped(annotation: Any) -> bool:
    """The input narrows the type itself (a pattern, a set of values)."""
    return get_origin(annotation) in (Annotated, Literal) or any(_shaped(a) for a in get_args(annotation))


def wire_check(request: type[WireRequest], params: Mapping[str, Any], input_name: Callable[[str], str]) -> None:
    """Build `request` from `params` so its own rules (cross-field ones included) judge them; a failure
    names the input (`input_name` of the request's python field)."""
    try:
        request.build(**params)
    except RequestValidationError as exc:
        raise CrossFieldError(input_name(exc.python_field), exc.reason) from None


def wire_name(name: str) -> str:
    """The AddNodes field of NodeGroup input `name`."""
    return _ADD_NODES_RENAMES.get(name, name)


_ADD_NODES_RENAMES = {"vswitch_id": "v_switch_id"}


INTERNAL_INPUTS = frozenset({"urn", "pool_siblings", "adopting"})
"""Inputs the resource classes (their own URN; a NodePool's first shard's siblings) or `check` (whether
this create adopts) set themselves, never a user's: no Args property, no diff, no reference entry."""
ADOPT_INPUTS = frozenset({"adopt_instance_ids", "adopt_host_name_prefix", "adopt_cluster_id"})
"""What a create takes over instead of creating (adoption.py): read at create only, ignored after."""


@rules_from(AddNodesRequest, _ADD_NODES_RENAMES)
class NodeGroupInputs(BaseModel):
    """Everything a NodeGroup accepts. The inputs AddNodes also takes get its rules (`rules_from`), and
    its cross-field rules run on the request the inputs make (`_cross_field`)."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    count: int
    instance_type: InstanceType | None = None
    image_id: ImageId | None = None
    image_owner_alias: str | None = None
    zone_id: ZoneId | None = None
    vswitch_id: VSwitchId | None = None
    min_count: int | None = None
    host_name_prefix: HostNameAffix | None = None
    host_name_suffix: HostNameAffix | None = None
    job_queue: str | None = None
    ecs_charge_type: str | None = None
    system_disk_type: str | None = None
    system_disk_size: int | None = None
    compute_spot_strategy: str | None = None
    compute_spot_price_limit: str | None = None
    running: bool = True
    reset_trigger: str | None = None
    partial_failure: PartialFailure = PartialFailure.ACCEPT
    max_retries: int = Field(default=2, ge=0, le=10)
    release_instances: bool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    connection: ConnectionInputs | None = None
    adopt_instance_ids: list[InstanceId] | None = Field(default=None, min_length=1, max_length=99)
    adopt_host_name_prefix: HostNameAffix | None = None
    adopting: bool = False
    """Set by `check`: this create takes over the nodes `adopt_*` name (only when the group is new)."""
    pool_siblings: list[dict[str, Any]] | None = None
    """Set by NodePool on its first shard only: the other shards' inputs, with their URNs, so that the
    first shard's create can issue their AddNodes too (prelaunch.py). Not part of the group itself."""
    urn: str | None = None

    @field_validator("cluster_id", mode="before")
    @classmethod
    def _cluster_id(cls, value: Any) -> Any:
        if isinstance(value, str) and not _ID.match(value):
            raise ValueError(f"{value!r} is not an E-HPC cluster id (e.g. ehpc-hz-FYUr32xxxx)")
        return value

    @field_validator("running", "release_instances", mode="before")
    @classmethod
    def _strict_bool(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
        return value

    @field_validator("reset_trigger", mode="before")
    @classmethod
    def _trigger_text(cls, value: Any) -> Any:
        # Any scalar works as a trigger; keep it as text so 1 and "1" do not look different.
        return None if value is None else str(value)

    @field_validator("count", "min_count", "system_disk_size", "max_retries", mode="before")
    @classmethod
    def _strict_int(cls, value: Any) -> Any:
        # The engine sends every number as a float: a whole float is the int it was. pydantic would
        # also accept "2"; a count given as text is almost always a mistake.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ValueError(f"must be a whole number, got {value!r}")
        return value

    @model_validator(mode="after")
    def _cross_field(self, info: ValidationInfo) -> NodeGroupInputs:
        if info.context == TRUSTED:
            return self
        if self.adopt_instance_ids and self.adopt_host_name_prefix:
            raise CrossFieldError("adopt_host_name_prefix", "give adopt_instance_ids or this, not both")
        twice = sorted({i for i in self.adopt_instance_ids or [] if (self.adopt_instance_ids or []).count(i) > 1})
        if twice:
            raise CrossFieldError("adopt_instance_ids", f"lists {', '.join(twice)} more than once")
        if self.compute_spot_price_limit and self.compute_spot_strategy != "SpotWithPriceLimit":
            raise ValueError("compute_spot_price_limit needs compute_spot_strategy='SpotWithPriceLimit'")
        inputs = {wire_name(n): n for n in type(self).model_fields}
        # The request as the user wrote it (`add_nodes_params` caps min_count for partial retries).
        params = {**self.add_nodes_params(self.count), "min_count": self.min_count}
        wire_check(AddNodesRequest, params, lambda field: inputs.get(field, field))
        return self

    @classmethod
    def add_nodes_inputs(cls) -> tuple[str, ...]:
        """The inputs AddNodes fixes for the nodes it adds (what a change can only apply to new nodes)."""
        per_call = {"cluster_id", "count", "min_count"}
        return tuple(n for n in cls.model_fields if wire_name(n) in AddNodesRequest.model_fields
                     and n not in per_call)

    def add_nodes_params(self, count: int) -> dict[str, Any]:
        """AddNodes' parameters (wire field names) for adding `count` nodes, ClientToken aside."""
        params = {wire_name(n): getattr(self, n) for n in self.add_nodes_inputs() if getattr(self, n) is not None}
        params.update(cluster_id=self.cluster_id, count=count)
        if self.min_count is not None:
            params["min_count"] = min(self.min_count, count)
        return params


def normalised(model: BaseModel) -> dict[str, Any]:
    """The inputs the user gave, as plain values in their one canonical form."""
    return model.model_dump(mode="json", exclude_unset=True)


def input_default(model: type[BaseModel], name: str) -> Any:
    """What an unset input `name` of `model` means, in the form `normalised` gives a set one."""
    value = model.model_fields[name].get_default(call_default_factory=True)
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _is_unknown(value: Any) -> bool:
    # During preview, values computed by other resources arrive as the engine's unknown sentinel.
    return type(value).__name__ == "Unknown" or value == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def check_inputs(model: type[BaseModel], news: Mapping[str, Any]) -> tuple[BaseModel | None, list[CheckFailure]]:
    """Validate `news`; unknowns are skipped (checked again at `up`)."""
    data = {k: v for k, v in news.items() if not k.startswith("__") and v is not None}
    known = {k: v for k, v in data.items() if not _is_unknown(v)}
    if len(known) != len(data):
        return None, []
    try:
        return model.model_validate(known), []
    except ValidationError as exc:
        return None, failures_of(exc)


def failures_of(exc: ValidationError) -> list[CheckFailure]:
    """One failure per error, naming the input (the one a cross-field rule blames, if any)."""
    failures = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        blamed = cause.field if isinstance(cause, CrossFieldError) else ""
        prop = blamed or ".".join(str(p) for p in err["loc"]) or "(inputs)"
        reason = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            reason = f"unknown input {prop!r}"
        failures.append(CheckFailure(prop, reason))
    return failures
