"""Public entry points: `wait_for_task` and `async_wait_for_task` on the process-wide registry."""

from __future__ import annotations

from typing import Any

from .outcomes import FinishedTask
from .progress import DEFAULT_PROGRESS_INTERVAL_S, ProgressCallback
from .registry import DEFAULT_REGISTRY, PollerRegistry
from .types import TaskSource

__all__ = ["async_wait_for_task", "wait_for_task"]


def wait_for_task(client: TaskSource, cluster_id: str, task_id: str, *, timeout_s: float,
                  on_progress: ProgressCallback | None = None,
                  progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
                  registry: PollerRegistry | None = None) -> FinishedTask:
    """Block until task `task_id` on `cluster_id` is terminal and return it.

    Every wait on the same (endpoint, key id, cluster) in this process shares one poller, so many
    concurrent waits cost about what one does. Safe to call from any number of threads.

    **Parameters:**
    * `client`: an `EhpcClient` (anything with its `list_tasks`).
    * `timeout_s`: this wait's deadline; `WaitTimeoutError` after it (the task goes on in the cloud).
    * `on_progress`: called with `Progress` when something changed, at most every
      `progress_interval_s`, and once at the end, from the waiting thread.

    Returns `FinishedTask` for Success, Failed and PartialFail alike (call `.raise_for_outcome()`);
    raises `UnexpectedTaskStatusError` at once for a status it does not know.
    """
    reg = registry or DEFAULT_REGISTRY
    return reg.wait(client, cluster_id, task_id, timeout_s=timeout_s, on_progress=on_progress,
                    progress_interval_s=progress_interval_s)


async def async_wait_for_task(client: Any, cluster_id: str, task_id: str, *, timeout_s: float,
                              on_progress: ProgressCallback | None = None,
                              progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
                              registry: PollerRegistry | None = None) -> FinishedTask:
    """`wait_for_task` for asyncio; `client` may be an `EhpcClient` or an `AsyncEhpcClient`."""
    reg = registry or DEFAULT_REGISTRY
    return await reg.async_wait(client, cluster_id, task_id, timeout_s=timeout_s, on_progress=on_progress,
                                progress_interval_s=progress_interval_s)
