"""Errors raised while waiting on an E-HPC task. The tree:

- `WaitError` (`.task_id`, `.cluster_id`, `.last_task`: the last `ListTasks` entry seen, or None)
  - `WaitTimeoutError`          the deadline passed; the task goes on in the cloud
  - `UnexpectedTaskStatusError` a status not in `TASK_STATUS_OUTCOMES`, raised at once
  - `TaskNotFoundError`         `ListTasks(TaskId)` kept returning nothing
  - `PollerFailedError`         an unexpected (non-wire) error in a poll tick; the original is `__cause__`
  - `TaskFailedError`           `FinishedTask.raise_for_outcome()` on Failed/Fail (`.errors`)
    - `TaskPartiallyFailedError` on PartialFail (`.instances` that were added anyway)

API errors that are not throttling or transient (auth, cluster not found, ...) propagate unchanged from
the wire layer: they carry code and RequestId already.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .types import TaskLike

__all__ = [
    "PollerFailedError",
    "TaskFailedError",
    "TaskNotFoundError",
    "TaskPartiallyFailedError",
    "UnexpectedTaskStatusError",
    "WaitError",
    "WaitTimeoutError",
    "resume_hint",
]


def resume_hint(cluster_id: str, task_id: str) -> str:
    """How a user picks the wait up again (the task itself is not cancelled by giving up)."""
    return (
        f"Resume with `ehpc-tasks tasks wait {task_id} --cluster-id {cluster_id}`, or re-run `pulumi up`, "
        "which re-attaches to the task."
    )


def _step(task: TaskLike | None) -> str:
    return f"step {task.current_step}/{task.total_steps}" if task is not None else "step ?/?"


class WaitError(Exception):
    """Base of every waiting error."""

    def __init__(self, message: str, *, cluster_id: str, task_id: str, last_task: TaskLike | None) -> None:
        super().__init__(message)
        self.cluster_id = cluster_id
        self.task_id = task_id
        self.last_task = last_task


class WaitTimeoutError(WaitError):
    """The wait's deadline passed before the task reached a terminal status."""

    def __init__(
        self,
        *,
        cluster_id: str,
        task_id: str,
        last_task: TaskLike | None,
        elapsed_s: float,
        timeout_s: float,
        last_error: str | None = None,
    ) -> None:
        self.elapsed_s = elapsed_s
        self.timeout_s = timeout_s
        self.last_error = last_error
        task_type = last_task.task_type if last_task is not None else "task"
        status = last_task.raw_status if last_task is not None else "not seen yet"
        msg = (
            f"Timed out after {elapsed_s:.0f}s (timeout {timeout_s:.0f}s) waiting for {task_type} {task_id} "
            f"on cluster {cluster_id}: last status {status}, {_step(last_task)}."
        )
        if last_error:
            msg += f" Last ListTasks error: {last_error}."
        msg += " The task goes on in the cloud; waiting stopped, nothing was cancelled. "
        msg += resume_hint(cluster_id, task_id)
        super().__init__(msg, cluster_id=cluster_id, task_id=task_id, last_task=last_task)


class UnexpectedTaskStatusError(WaitError):
    """`ListTasks` reported a status the outcome table does not know; never a reason to keep polling."""

    def __init__(self, *, cluster_id: str, task_id: str, last_task: TaskLike) -> None:
        self.raw_status = last_task.raw_status
        super().__init__(
            f"{last_task.task_type} {task_id} on cluster {cluster_id} reported an unknown status "
            f"{last_task.raw_status!r} ({_step(last_task)}); expected Processing, Success, Failed/Fail or "
            "PartialFail. Stopped waiting rather than guess; check the task in the E-HPC console.",
            cluster_id=cluster_id,
            task_id=task_id,
            last_task=last_task,
        )


class TaskNotFoundError(WaitError):
    """`ListTasks(TaskId)` returned no task for longer than the grace period."""

    def __init__(self, *, cluster_id: str, task_id: str, waited_s: float) -> None:
        super().__init__(
            f"Task {task_id} was not found on cluster {cluster_id} after {waited_s:.0f}s of "
            "ListTasks queries: check the task id and cluster id (and the region/endpoint).",
            cluster_id=cluster_id,
            task_id=task_id,
            last_task=None,
        )


class PollerFailedError(WaitError):
    """A poll tick failed with an error that is neither a wire error nor a transport error: a bug,
    not a reason to retry. Every wait of the poller gets one; `__cause__` is the original error."""

    def __init__(self, *, cluster_id: str, task_id: str, task_ids: Sequence[str], last_task: TaskLike | None,
                 cause: BaseException) -> None:
        self.task_ids = list(task_ids)
        others = [t for t in self.task_ids if t != task_id]
        also = f" (also ended: {', '.join(others)})" if others else ""
        super().__init__(
            f"Waiting for task {task_id} on cluster {cluster_id} stopped{also}: polling ListTasks raised "
            f"{type(cause).__name__}: {str(cause)[:200]}. This is a bug in the waiter, not a task failure; "
            f"the task goes on in the cloud. {resume_hint(cluster_id, task_id)}",
            cluster_id=cluster_id,
            task_id=task_id,
            last_task=last_task,
        )
        self.__cause__ = cause


def _describe_errors(errors: Sequence[Any]) -> str:
    parts = []
    for err in list(errors)[:5]:
        code = getattr(err, "code", "") or ""
        message = getattr(err, "message", "") or (str(err) if not code else "")
        inst = getattr(err, "instance_id", None)
        parts.append(f"{code}: {message}".strip(": ") + (f" ({inst})" if inst else ""))
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    return "; ".join(parts) + more if parts else "no error details"


class TaskFailedError(WaitError):
    """The task ended Failed (or Fail): `.errors` are the parsed `TaskInfo.errors`."""

    _verb = "failed"

    def __init__(self, *, cluster_id: str, task_id: str, last_task: TaskLike) -> None:
        self.status = last_task.raw_status
        self.errors: list[Any] = list(last_task.errors)
        super().__init__(
            f"{last_task.task_type} {task_id} on cluster {cluster_id} {self._verb} ({last_task.raw_status}, "
            f"{_step(last_task)}): {_describe_errors(self.errors)}{self._extra(last_task)}",
            cluster_id=cluster_id,
            task_id=task_id,
            last_task=last_task,
        )

    def _extra(self, task: TaskLike) -> str:
        return ""


class TaskPartiallyFailedError(TaskFailedError):
    """PartialFail: some instances were added (`.instances`), others failed (`.errors`)."""

    _verb = "partially failed"

    def __init__(self, *, cluster_id: str, task_id: str, last_task: TaskLike) -> None:
        self.instances: list[Any] = list(getattr(last_task.result, "instances", None) or [])
        super().__init__(cluster_id=cluster_id, task_id=task_id, last_task=last_task)

    def _extra(self, task: TaskLike) -> str:
        ids = [getattr(i, "instance_id", str(i)) for i in getattr(task.result, "instances", None) or []]
        return f". Instances added anyway: {', '.join(ids) if ids else 'none'}"
