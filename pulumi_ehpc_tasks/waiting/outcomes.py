"""Terminal handling as data: the wire layer's status table (`TaskStatus.outcome`) gives each
`ListTasks` `Status` its `Outcome`; `TASK_STATUS_OUTCOMES` is that table by raw spelling.

A status missing from the table is an error at once (`UnexpectedTaskStatusError`), never a reason to
keep polling (botocore's rule: anything unexpected fails immediately).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..wire.task_models import STATUS_OUTCOMES, TASK_STATUS_SPELLINGS, Outcome, TaskStatus
from .errors import TaskFailedError, TaskPartiallyFailedError, UnexpectedTaskStatusError
from .types import TaskLike

__all__ = ["OUTCOME_ERRORS", "TASK_STATUS_OUTCOMES", "FinishedTask", "Outcome", "outcome_of"]


# Derived from the wire layer's one status table: raw spelling -> Outcome.
TASK_STATUS_OUTCOMES: Mapping[str, Outcome] = MappingProxyType(
    {raw: STATUS_OUTCOMES[status] for raw, status in TASK_STATUS_SPELLINGS.items()}
)

# Which error `raise_for_outcome` raises per terminal outcome (SUCCESS raises nothing).
OUTCOME_ERRORS: Mapping[Outcome, type[TaskFailedError]] = MappingProxyType(
    {Outcome.FAILURE: TaskFailedError, Outcome.PARTIAL: TaskPartiallyFailedError}
)


def outcome_of(task: TaskLike, *, cluster_id: str) -> Outcome:
    """Look the task's raw status up; an unknown one raises `UnexpectedTaskStatusError`."""
    outcome = TaskStatus.parse(task.raw_status).outcome
    if outcome is None:
        raise UnexpectedTaskStatusError(cluster_id=cluster_id, task_id=task.task_id, last_task=task)
    return outcome


@dataclass(frozen=True)
class FinishedTask:
    """A task in a terminal status: `.task` is the final `ListTasks` entry."""

    cluster_id: str
    task: TaskLike
    outcome: Outcome
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SUCCESS

    def raise_for_outcome(self) -> FinishedTask:
        """Raise `TaskFailedError`/`TaskPartiallyFailedError` unless the task succeeded; return self."""
        error = OUTCOME_ERRORS.get(self.outcome)
        if error is not None:
            raise error(cluster_id=self.cluster_id, task_id=self.task.task_id, last_task=self.task)
        return self
