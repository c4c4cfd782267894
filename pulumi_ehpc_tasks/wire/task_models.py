"""Task models: ListTasks request/response and the parsed `TaskInfo` (ehpc-api.md §5.10, seed page).

`Result`, `Errors` and `Request` arrive as JSON inside strings; they are decoded leniently and the raw
strings are kept. Unknown statuses map to `TaskStatus.UNKNOWN` (raw kept); task types stay plain str.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from ._base import LooseModel, WireRequest, WireResponse, unwrap

__all__ = [
    "ListTasksRequest",
    "ListTasksResponse",
    "TaskError",
    "TaskInfo",
    "TaskInstance",
    "TaskResult",
    "TaskStatus",
    "TaskType",
]

ClusterId = Annotated[str, Field(min_length=1, max_length=128)]


class TaskStatus(str, Enum):
    """ListTasks `Status`; the docs' `Fail` spelling parses as FAILED, anything unknown as UNKNOWN."""

    PROCESSING = "Processing"
    SUCCESS = "Success"
    FAILED = "Failed"
    PARTIAL_FAIL = "PartialFail"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, raw: str) -> TaskStatus:
        return _STATUS_BY_NAME.get(raw.strip().lower(), cls.UNKNOWN)

    @property
    def is_terminal(self) -> bool:
        return self in (TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.PARTIAL_FAIL)


_STATUS_BY_NAME = {s.value.lower(): s for s in TaskStatus if s is not TaskStatus.UNKNOWN} | {
    "fail": TaskStatus.FAILED,
    "partialfailed": TaskStatus.PARTIAL_FAIL,
}


class TaskType(str, Enum):
    """Known ListTasks `TaskType` values. `TaskInfo.task_type` stays a plain str so new ones survive."""

    CREATE_CLUSTER = "CreateCluster"
    START_CLUSTER = "StartCluster"
    STOP_CLUSTER = "StopCluster"
    DELETE_CLUSTER = "DeleteCluster"
    ADD_COMPUTES = "AddComputes"
    START_COMPUTES = "StartComputes"
    RESET_COMPUTE = "ResetCompute"
    STOP_COMPUTES = "StopComputes"
    DELETE_COMPUTES = "DeleteComputes"


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
