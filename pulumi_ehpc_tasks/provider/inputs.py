"""Validation of resource inputs at `check` time, before any API call, naming the property.

Inputs arrive from the engine as plain dicts with snake_case keys; unknown values (computed by
other resources) are left alone during preview and checked at `up`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pulumi.dynamic import CheckFailure
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "DEFAULT_TIMEOUTS_S",
    "NodeGroupInputs",
    "PartialFailure",
    "Timeouts",
    "check_inputs",
    "parse_duration_s",
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


class NodeGroupInputs(BaseModel):
    """Everything a NodeGroup accepts; AddNodes' own limits are repeated so preview catches them."""

    model_config = ConfigDict(extra="forbid")

    cluster_id: str
    count: int = Field(ge=1, le=99)
    instance_type: str | None = None
    image_id: str | None = None
    image_owner_alias: str | None = Field(default=None, pattern="^(system|self|others|marketplace)$")
    zone_id: str | None = None
    vswitch_id: str | None = None
    min_count: int | None = Field(default=None, ge=1, le=99)
    host_name_prefix: str | None = Field(default=None, max_length=64)
    host_name_suffix: str | None = Field(default=None, max_length=64)
    job_queue: str | None = None
    ecs_charge_type: str | None = Field(default=None, pattern="^(PostPaid|PrePaid)$")
    system_disk_type: str | None = Field(
        default=None, pattern="^(cloud_efficiency|cloud_ssd|cloud_essd|cloud)$"
    )
    system_disk_size: int | None = Field(default=None, ge=40, le=500)
    compute_spot_strategy: str | None = Field(
        default=None, pattern="^(NoSpot|SpotWithPriceLimit|SpotAsPriceGo)$"
    )
    compute_spot_price_limit: str | None = None
    running: bool = True
    reset_trigger: str | None = None
    partial_failure: PartialFailure = PartialFailure.ACCEPT
    max_retries: int = Field(default=2, ge=0, le=10)
    release_instances: bool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    urn: str | None = None

    @field_validator("cluster_id")
    @classmethod
    def _cluster_id(cls, value: str) -> str:
        if not _ID.match(value):
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
        # pydantic would accept 2.0 or "2"; a count given as text is almost always a mistake.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ValueError(f"must be a whole number, got {value!r}")
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> NodeGroupInputs:
        if self.min_count is not None and self.min_count > self.count:
            raise ValueError(f"min_count ({self.min_count}) must not exceed count ({self.count})")
        if self.compute_spot_price_limit and self.compute_spot_strategy != "SpotWithPriceLimit":
            raise ValueError("compute_spot_price_limit needs compute_spot_strategy='SpotWithPriceLimit'")
        return self


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
        failures = []
        for err in exc.errors():
            prop = ".".join(str(p) for p in err["loc"]) or "(inputs)"
            reason = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                reason = f"unknown input {prop!r}"
            failures.append(CheckFailure(prop, reason))
        return None, failures
