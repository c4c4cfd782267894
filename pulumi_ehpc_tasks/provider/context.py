"""`Op`: one provider call's context (client, cluster, resource URN) and where its messages go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..waiting import FinishedTask
from ..wire import EhpcClient
from .progress import engine_log

__all__ = ["LAST_TASK_OUTPUTS", "Messages", "Op"]

LAST_TASK_OUTPUTS = ("task_id", "task_type", "task_status", "steps")
"""The outputs that describe the last task a resource waited for (`Op.task_outputs`)."""


class Messages:
    """Where one resource's messages go: its row (status) and the engine log."""

    urn: str

    def status(self, text: str) -> None:
        engine_log().status(self.urn, text)

    def info(self, text: str) -> None:
        engine_log().info(self.urn, text)

    def warning(self, text: str) -> None:
        engine_log().warning(self.urn, text)


@dataclass
class Op(Messages):
    """One provider call's context: which resource it is for and where progress goes."""

    client: EhpcClient
    cluster_id: str
    urn: str
    last: FinishedTask | None = None
    """The last task this call waited for: its id, type and status become the resource's outputs."""

    def task_outputs(self) -> dict[str, Any]:
        """`LAST_TASK_OUTPUTS` of the last task this call waited for; empty if it waited for none."""
        if self.last is None:
            return {}
        task = self.last.task
        return {
            "task_id": task.task_id,
            "task_type": task.task_type,
            "task_status": task.raw_status,
            "steps": {"current": task.current_step, "total": task.total_steps},
        }
