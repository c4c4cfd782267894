"""TaskWait: wait on a task issued elsewhere (another tool, a script, the console) and expose it."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from ..waiting import Outcome
from ..wire import TaskInfo
from .base import EhpcProvider
from .connection import ConnectionInputs
from .inputs import Timeouts
from .waits import wait_with_progress

__all__ = ["TASK_WAIT_REPLACE_KEYS", "TaskWaitInputs", "TaskWaitProvider", "task_outputs"]

TASK_WAIT_REPLACE_KEYS = ("cluster_id", "task_id")
"""Another task is another wait: a new resource."""


class TaskWaitInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cluster_id: str = Field(min_length=1)
    task_id: str = Field(min_length=1)
    fail_on_error: bool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    connection: ConnectionInputs | None = None
    urn: str | None = None


def task_outputs(task: TaskInfo | Any) -> dict[str, Any]:
    """The final task as plain outputs."""
    return {
        "task_type": task.task_type,
        "task_status": task.raw_status,
        "steps": {"current": task.current_step, "total": task.total_steps},
        "instances": [i.model_dump() for i in task.result.instances],
        "errors": [e.model_dump() for e in task.errors],
        "request": task.request,
    }


class TaskWaitProvider(EhpcProvider[TaskWaitInputs]):
    """Create = wait until the task is terminal; delete forgets it (a task is history)."""

    INPUTS = TaskWaitInputs

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in TASK_WAIT_REPLACE_KEYS if olds.get(k) != news.get(k)]
        changed = replaces + [k for k in ("fail_on_error", "timeouts") if olds.get(k) != news.get(k)]
        moved, rehomed = self._connection_diff(olds, news)
        return DiffResult(changes=bool(changed or moved), replaces=replaces + rehomed)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        finished = wait_with_progress(op, inputs.task_id, "TaskWait", inputs.timeouts.create)
        if inputs.fail_on_error and finished.outcome is not Outcome.SUCCESS:
            finished.raise_for_outcome()
        outs = {k: v for k, v in props.items() if not k.startswith("__")}
        outs.update(task_outputs(finished.task))
        return CreateResult(inputs.task_id, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = dict(olds)
        outs.update({k: v for k, v in news.items() if not k.startswith("__")})
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self._inputs(props)
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        tasks = op.client.list_tasks(inputs.cluster_id, task_id=id_).tasks
        outs = dict(props)
        if tasks:
            outs.update(task_outputs(tasks[0]))
        return ReadResult(id_, outs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None
