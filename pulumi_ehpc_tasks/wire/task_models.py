"""Task models: ListTasks request/response and the parsed `TaskInfo` (ehpc-api.md §5.10, seed page).

`Result`, `Errors` and `Request` arrive as JSON inside strings; they are decoded leniently and the raw
strings are kept. Unknown statuses map to `TaskStatus.UNKNOWN` (raw kept); task types stay plain str.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from ._base import LooseModel, WireRequest, WireResponse, unwrap

__all__ = [
    "STATUS_OUTCOMES",
    "TASK_STATUS_SPELLINGS",
    "ListTasksRequest",
    "ListTasksResponse",
    "Outcome",
    "TaskError",
    "TaskInfo",
    "TaskInstance",
    "TaskResult",
    "TaskStatus",
]

ClusterId = Annotated[str, Field(min_length=1, max_length=128)]


class Outcome(str, Enum):
    """What a task status means to a waiter."""

    PENDING = "pending"
    """Still running: keep waiting."""
    SUCCESS = "success"
    FAILURE = "failure"
    PARTIAL = "partial"
    """PartialFail: some instances were added; `task.result.instances` and `task.errors` say which."""


class TaskStatus(str, Enum):
    """ListTasks `Status`. Every spelling the service may send is in `TASK_STATUS_SPELLINGS`, and
    every status's meaning in `STATUS_OUTCOMES`: the one status table of the package."""

    PROCESSING = "Processing"
    SUCCESS = "Success"
    FAILED = "Failed"
    PARTIAL_FAIL = "PartialFail"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, raw: str) -> TaskStatus:
        """Exact spellings only (see `TASK_STATUS_SPELLINGS`); anything else is UNKNOWN, raw kept."""
        return TASK_STATUS_SPELLINGS.get(raw.strip(), cls.UNKNOWN)

    @property
    def outcome(self) -> Outcome | None:
        """None for UNKNOWN: a status nobody documented is an error, never a reason to keep polling."""
        return STATUS_OUTCOMES.get(self)

    @property
    def is_terminal(self) -> bool:
        return self.outcome not in (None, Outcome.PENDING)


STATUS_OUTCOMES: Mapping[TaskStatus, Outcome] = MappingProxyType(
    {
        TaskStatus.PROCESSING: Outcome.PENDING,
        TaskStatus.SUCCESS: Outcome.SUCCESS,
        TaskStatus.FAILED: Outcome.FAILURE,
        TaskStatus.PARTIAL_FAIL: Outcome.PARTIAL,
    }
)

# The docs spell it `Fail`, the seed page and the SDK `Failed`: accept both.
TASK_STATUS_SPELLINGS: Mapping[str, TaskStatus] = MappingProxyType(
    {s.value: s for s in STATUS_OUTCOMES} | {"Fail": TaskStatus.FAILED}
)
"""Raw `Status` → TaskStatus, for every spelling the docs and the seed page use."""


class TaskInstance(LooseModel):
    """One node in a task's `Result.Instances` (the sample mixes `Hostname` and lower-case `role`)."""

    instance_id: str = Field("", alias="InstanceId")
    ip: str = Field("", alias="Ip")
    hostname: str = Field("", alias="Hostname")
    role: str = Field("", alias="role")

    @model_validator(mode="before")
    @classmethod
    def _case_insensitive(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        canon = {"instanceid": "InstanceId", "ip": "Ip", "hostname": "Hostname", "role": "role"}
        return {canon.get(k.lower(), k): v for k, v in data.items()}


class TaskResult(LooseModel):
    """Parsed `Result`; `Instances` is filled for CreateCluster/AddComputes, empty otherwise."""

    instances: list[TaskInstance] = Field(default_factory=list, alias="Instances")

    @property
    def instance_ids(self) -> list[str]:
        return [i.instance_id for i in self.instances if i.instance_id]


class TaskError(LooseModel):
    """One entry of the `Errors` string (structured when the service sends JSON, else text only)."""

    code: str = Field("", alias="Code")
    message: str = Field("", alias="Message")
    instance_id: str = Field("", alias="InstanceId")

    @model_validator(mode="before")
    @classmethod
    def _case_insensitive(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"Message": data}
        if not isinstance(data, dict):
            return {"Message": json.dumps(data)}
        canon = {
            "code": "Code",
            "errorcode": "Code",
            "message": "Message",
            "msg": "Message",
            "errormessage": "Message",
            "instanceid": "InstanceId",
            "instance_id": "InstanceId",
        }
        return {canon.get(k.lower(), k): v for k, v in data.items()}


def _loads(raw: Any) -> tuple[Any, bool]:
    """Decode a JSON-in-a-string field; tolerate the doc page's extra backslash escaping."""
    if not isinstance(raw, str):
        return raw, True
    text = raw.strip()
    if not text:
        return None, True
    for candidate in (text, text.replace('\\"', '"')):
        try:
            return json.loads(candidate), True
        except ValueError:
            continue
    return None, False


class TaskInfo(LooseModel):
    """One task of ListTasks; the raw strings stay in `raw_status/raw_result/raw_errors/raw_request`."""

    task_id: str = Field("", alias="TaskId")
    cluster_id: str = Field("", alias="ClusterId")
    task_type: str = Field("", alias="TaskType")
    status: TaskStatus = Field(TaskStatus.UNKNOWN, alias="Status")
    raw_status: str = ""
    current_step: int = Field(0, alias="CurrentStep")
    total_steps: int = Field(0, alias="TotalSteps")
    result: TaskResult = Field(default_factory=TaskResult, alias="Result")
    errors: list[TaskError] = Field(default_factory=list, alias="Errors")
    request: dict[str, Any] = Field(default_factory=dict, alias="Request")
    raw_result: str = ""
    raw_errors: str = ""
    raw_request: str = ""

    @model_validator(mode="before")
    @classmethod
    def _decode_strings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        raw_status = data.get("Status", data.get("status"))
        data["raw_status"] = "" if raw_status is None else str(raw_status)
        data["Status"] = TaskStatus.parse(data["raw_status"])
        for key, raw_key in (("Result", "raw_result"), ("Errors", "raw_errors"), ("Request", "raw_request")):
            raw = data.get(key)
            data[raw_key] = raw if isinstance(raw, str) else ("" if raw is None else json.dumps(raw))
            value, ok = _loads(raw)
            if key == "Result" or key == "Request":
                data[key] = value if ok and isinstance(value, dict) else {}
            else:
                data[key] = _errors_list(value, ok, raw)
        for key in ("CurrentStep", "TotalSteps"):
            if data.get(key) in (None, ""):
                data.pop(key, None)
        return data

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal


def _errors_list(value: Any, ok: bool, raw: Any) -> list[Any]:
    if not ok:  # free text: keep it as a single message
        return [str(raw)]
    if value is None or value == {} or value == []:
        return []
    if isinstance(value, list):
        return value
    return [value]


class ListTasksRequest(WireRequest):
    ACTION = "ListTasks"

    cluster_id: ClusterId = Field(alias="ClusterId")
    task_id: str | None = Field(None, alias="TaskId", min_length=1)
    archived: bool | None = Field(None, alias="Archived")
    page_number: int | None = Field(None, alias="PageNumber", ge=1, le=999)
    page_size: int | None = Field(None, alias="PageSize", ge=1, le=50)


class ListTasksResponse(WireResponse):
    total_count: int = Field(0, alias="TotalCount")
    page_number: int = Field(1, alias="PageNumber")
    page_size: int = Field(10, alias="PageSize")
    tasks: Annotated[list[TaskInfo], BeforeValidator(unwrap("TaskInfo"))] = Field(
        default_factory=list, alias="Tasks"
    )


if not TYPE_CHECKING:  # hidden from mypy, so a misspelt `task_models.X` stays a type error

    def __getattr__(name: str) -> Any:
        """`TaskType` lived here before it joined the registry (`actions.py`): older imports find it."""
        if name == "TaskType":
            from .actions import TaskType

            return TaskType
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
