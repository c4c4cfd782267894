"""Fakes for the waiter's unit tests: a fake clock and a ListTasks source replaying JSON-like scripts."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from pulumi_ehpc_tasks.wire.models import ListTasksResponse, TaskInfo

CLUSTER = "ehpc-hz-test000001"


class FakeClock:
    """Time moves only when someone waits; `wait` on an unset event jumps to its timeout."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        if event.is_set():
            return True
        self.t += max(timeout_s, 0.0)
        return event.is_set()


def task_json(task_id: str, status: str, step: int, total: int, *, task_type: str = "AddComputes",
              errors: list[dict[str, str]] | None = None, instances: list[dict[str, str]] | None = None
              ) -> dict[str, Any]:
    return {
        "TaskId": task_id, "ClusterId": CLUSTER, "TaskType": task_type, "Status": status,
        "CurrentStep": step, "TotalSteps": total, "Request": "{}",
        "Errors": json.dumps(errors or []), "Result": json.dumps({"Instances": instances or []}),
    }


class ScriptedSource:
    """`list_tasks` answering from a timeline per task: {task_id: [[t_offset, status, step, total], ...]}.

    The entry in force is the last one whose offset has passed (relative to the clock's start).
    Terminal tasks drop out of the running list (`Archived=false`), as in the real API.
    """

    def __init__(self, clock: FakeClock, script: dict[str, list[list[Any]]], **extra: Any) -> None:
        self.clock = clock
        self.t0 = clock.now()
        self.script = script
        self.extra = extra  # task_id -> extra task_json kwargs for terminal entries
        self.calls: list[dict[str, Any]] = []
        self.raise_next: list[BaseException] = []
        self.on_call: Callable[[], None] | None = None

    def entry(self, task_id: str) -> dict[str, Any] | None:
        now = self.clock.now() - self.t0
        rows = [r for r in self.script.get(task_id, []) if r[0] <= now]
        if not rows:
            return None
        _, status, step, total = rows[-1]
        kw = self.extra.get(task_id, {}) if status != "Processing" else {}
        return task_json(task_id, status, step, total, **kw)

    def list_tasks(self, cluster_id: str, *, task_id: str | None = None, archived: bool | None = None,
                   page_number: int | None = None, page_size: int | None = None) -> ListTasksResponse:
        self.calls.append({"task_id": task_id, "archived": archived, "page": page_number})
        if self.on_call:
            self.on_call()
        if self.raise_next:
            raise self.raise_next.pop(0)
        if task_id is not None:
            entries = [e for e in [self.entry(task_id)] if e]
        else:
            entries = [e for tid in reversed(list(self.script)) if (e := self.entry(tid))]
            if not archived:
                entries = [e for e in entries if e["Status"] == "Processing"]
        size, number = page_size or 10, page_number or 1
        page = entries[(number - 1) * size: number * size]
        body = {"RequestId": "r", "TotalCount": len(entries), "PageNumber": number, "PageSize": size,
                "Tasks": page}
        return ListTasksResponse.model_validate(body)


def info(task_id: str, status: str, step: int = 1, total: int = 6) -> TaskInfo:
    return TaskInfo.model_validate(task_json(task_id, status, step, total))
