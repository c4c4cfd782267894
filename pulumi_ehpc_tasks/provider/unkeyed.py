"""Writes without a ClientToken (Delete/Start/Stop/ResetNodes, Start/Stop/DeleteCluster): never
re-sent blindly.

Before sending: nothing is sent when the target shows the effect already (an earlier, interrupted run
got that far). A task still running on the target (an interrupted run's) is adopted when it is the
same kind of task, otherwise waited for, so the write does not bounce off `OperationConflict`.
After an ambiguous failure (the request may or may not have been applied) the target's state and
tasks are read for a while before anything is sent again: a task is ours when it concerns our target
and was not there before we sent, running or (when the effect cannot be seen in state, as for
ResetNodes) already finished.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..waiting import FinishedTask
from ..wire import AmbiguousResultError, NotFoundError, TaskInfo
from ..wire.actions import ACTIONS, ActionSpec, Effect, Keying
from .context import Op
from .state import GONE, UNTRACKING, cluster_status, list_compute_nodes
from .waits import wait_with_progress

__all__ = ["AMBIGUOUS_SETTLE_S", "UnkeyedWrite", "cluster_write", "issue_unkeyed", "node_write", "run_unkeyed"]

# How long an ambiguous write is given to show its effect before it is sent again.
AMBIGUOUS_SETTLE_S = 10.0
_TASK_PAGE = 50


@dataclass(frozen=True)
class UnkeyedWrite:
    """One write without ClientToken and how to tell from state whether it has taken effect."""

    spec: ActionSpec
    send: Callable[[], str]
    """Send the write once; returns its TaskId."""
    done: Callable[[], bool]
    """Read state: does the target show the write's effect already?"""
    concerns: Callable[[TaskInfo], bool]
    """Is this task about the write's target?"""
    observable: bool
    """The effect shows in state (false: finished tasks are looked at too)."""


def _spec(action: str) -> ActionSpec:
    spec = ACTIONS[action]
    if spec.keying is not Keying.UNKEYED or spec.task_type is None:
        raise ValueError(f"{action} is not an asynchronous write without ClientToken")
    return spec


def node_write(op: Op, action: str, instance_ids: Sequence[str], **params: Any) -> UnkeyedWrite:
    """A node action on `instance_ids`; done when every listed node shows the action's success status."""
    spec = _spec(action)
    effect: Effect | None = spec.effect
    assert effect is not None, action
    ids = list(instance_ids)
    method = getattr(op.client, spec.method_name)

    def send() -> str:
        return str(method(cluster_id=op.cluster_id, instance_ids=ids, **params).task_id)

    def done() -> bool:
        if not effect.observable:
            return False
        gone = effect.on_success == GONE
        # On its way out is not gone: the task removing it may fail and leave it (chaos seed 28).
        nodes = list_compute_nodes(op.client, op.cluster_id, leaving=gone)
        if gone:
            return not any(i in nodes and nodes[i].status.lower() != UNTRACKING for i in ids)
        return all(nodes[i].status.lower() == effect.on_success for i in ids if i in nodes)

    def concerns(task: TaskInfo) -> bool:
        text = json.dumps(task.request)
        return any(i in text for i in ids)

    return UnkeyedWrite(spec, send, done, concerns, effect.observable)


def cluster_write(op: Op, action: str, **params: Any) -> UnkeyedWrite:
    """A cluster action; done when the cluster shows the action's success status (or is gone)."""
    spec = _spec(action)
    effect: Effect | None = spec.cluster_effect
    assert effect is not None and spec.task_type is not None, action
    task_type = spec.task_type.value
    method = getattr(op.client, spec.method_name)

    def send() -> str:
        return str(method(cluster_id=op.cluster_id, **params).task_id)

    def done() -> bool:
        return cluster_status(op.client, op.cluster_id) == effect.on_success

    def concerns(task: TaskInfo) -> bool:
        # Every task of a cluster is about the cluster; only one of our own type is ours to adopt.
        return task.task_type == task_type

    return UnkeyedWrite(spec, send, done, concerns, effect.observable)


def run_unkeyed(op: Op, write: UnkeyedWrite, what: str, timeout_s: float) -> FinishedTask | None:
    """Issue `write` (see `issue_unkeyed`), say so, wait; None when the target showed the effect."""
    task_id = issue_unkeyed(op, write, timeout_s=timeout_s)
    if task_id is None:
        return None
    op.info(f"{write.spec.name} task {task_id}: {what}")
    finished = wait_with_progress(op, task_id, write.spec.name, timeout_s)
    finished.raise_for_outcome()
    return finished


def issue_unkeyed(op: Op, write: UnkeyedWrite, *, timeout_s: float = 3600.0) -> str | None:
    """Send `write` at most once more than needed; read state before and after.

    Returns the task id to wait for, or None when the target already shows the effect.
    """
    if write.done():
        return None
    assert write.spec.task_type is not None
    own_type = write.spec.task_type.value
    recent = _recent_tasks(op, write)
    busy = next((t for t in recent if not t.is_terminal), None)
    if busy is not None:
        if busy.task_type == own_type:
            op.info(f"adopting task {busy.task_id} ({busy.task_type}) left running by an interrupted run")
            return str(busy.task_id)
        op.info(f"waiting for task {busy.task_id} ({busy.task_type}) on the same nodes to finish first")
        wait_with_progress(op, str(busy.task_id), busy.task_type or "task", timeout_s)
        if write.done():
            return None
        recent = _recent_tasks(op, write)
    before = {str(t.task_id) for t in recent}
    try:
        return write.send()
    except AmbiguousResultError:
        # The request may have been applied. Give the task a moment to show, then decide.
        deadline = time.monotonic() + AMBIGUOUS_SETTLE_S
        while True:
            if write.done():
                return None
            ours = _new_task(op, write, before)
            if ours:
                return ours
            if time.monotonic() >= deadline:
                return write.send()
            time.sleep(1.0)


def _recent_tasks(op: Op, write: UnkeyedWrite) -> list[TaskInfo]:
    """The target's running tasks, plus (effect not observable) the newest page of the archive."""
    running = op.client.list_tasks(op.cluster_id, archived=False, page_size=_TASK_PAGE).tasks
    finished = [] if write.observable else op.client.list_tasks(
        op.cluster_id, archived=True, page_size=_TASK_PAGE).tasks
    return [t for t in [*running, *finished] if write.concerns(t)]


def _new_task(op: Op, write: UnkeyedWrite, before: set[str]) -> str | None:
    try:
        fresh = [t for t in _recent_tasks(op, write) if str(t.task_id) not in before]
    except NotFoundError:
        return None  # the cluster is gone: `done` says whether that is the effect we wanted
    return str(fresh[0].task_id) if fresh else None
