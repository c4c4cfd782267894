"""Structural types the waiter needs from the wire layer, and the injectable clock.

The waiter reads tasks through these Protocols rather than importing `wire.models`, so the pure parts
(outcomes, schedule, poller core) are testable with plain fakes and the dependency stays one way.
`wire.EhpcClient` and `wire.TaskInfo` satisfy them structurally.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["Clock", "ListTasksPage", "SystemClock", "TaskLike", "TaskSource"]


class TaskLike(Protocol):
    """What the waiter reads from one `ListTasks` entry (`wire.TaskInfo`)."""

    @property
    def task_id(self) -> str: ...
    @property
    def task_type(self) -> str: ...
    @property
    def raw_status(self) -> str: ...
    @property
    def current_step(self) -> int: ...
    @property
    def total_steps(self) -> int: ...
    @property
    def errors(self) -> Sequence[Any]: ...
    @property
    def result(self) -> Any: ...


class ListTasksPage(Protocol):
    """One `ListTasks` response (`wire.ListTasksResponse`)."""

    @property
    def total_count(self) -> int: ...
    @property
    def tasks(self) -> Sequence[TaskLike]: ...


@runtime_checkable
class TaskSource(Protocol):
    """Anything with the `EhpcClient.list_tasks` signature."""

    def list_tasks(
        self,
        cluster_id: str,
        *,
        task_id: str | None = None,
        archived: bool | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
    ) -> ListTasksPage: ...


class Clock(Protocol):
    """Monotonic time plus a way to block on an event; fakes advance time instead of blocking."""

    def now(self) -> float: ...

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        """Block until `event` is set or `timeout_s` passes; return whether it was set."""
        ...


class SystemClock:
    """The real clock: `time.monotonic` and `Event.wait`."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        return event.wait(max(0.0, timeout_s))
