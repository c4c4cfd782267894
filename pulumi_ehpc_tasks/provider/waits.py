"""Waiting for a task with its progress (`[k/n] TaskType ...`) in the resource's row."""

from __future__ import annotations

from ..waiting import FinishedTask, Progress, wait_for_task
from .context import Op

__all__ = ["wait_with_progress"]


def wait_with_progress(op: Op, task_id: str, what: str, timeout_s: float) -> FinishedTask:
    """Wait for `task_id`, showing `what: [k/n] TaskType ...` in the resource's row meanwhile."""

    def show(progress: Progress) -> None:
        op.status(f"{what}: {progress.text}")

    try:
        op.last = wait_for_task(op.client, op.cluster_id, task_id, timeout_s=timeout_s, on_progress=show)
        return op.last
    finally:
        op.status("")
