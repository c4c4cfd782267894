"""Operations the providers share: issue an async action, wait for its task with progress, and make
node-level writes safe to repeat.

Idempotency contract (why each write is safe after a crash, a timeout or a lost response):
- AddNodes carries a ClientToken derived from the resource URN, the purpose of the call, its
  parameters and a generation number. A repeated call returns the original task and instances
  instead of adding nodes twice. A token whose instances no longer exist (the resource was destroyed
  and is being created again) is skipped by moving to the next generation.
- DeleteNodes/StartNodes/StopNodes/ResetNodes take no ClientToken, so they are never re-sent blindly:
  after an ambiguous failure the node states are read first (ListNodes).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..waiting import FinishedTask, Outcome, Progress, wait_for_task
from ..wire import AmbiguousResultError, EhpcClient, NodeInfo
from .progress import engine_log

__all__ = [
    "AMBIGUOUS_SETTLE_S",
    "MAX_TOKEN_GENERATIONS",
    "Op",
    "Outcome",
    "client_token",
    "failed_before",
    "issue_unkeyed",
    "list_compute_nodes",
    "wait_with_progress",
]

MAX_TOKEN_GENERATIONS = 8
# How long an ambiguous write (no ClientToken) is given to show its effect before it is sent again.
AMBIGUOUS_SETTLE_S = 10.0
_GONE_STATUSES = frozenset({"releasing", "untracking"})


def client_token(urn: str, purpose: str, params: Mapping[str, Any], generation: int) -> str:
    """Deterministic ASCII token of at most 64 characters (the API's limit)."""
    seed = json.dumps([urn, purpose, dict(sorted(params.items())), generation], sort_keys=True, default=str)
    return "pulumi-" + hashlib.sha256(seed.encode()).hexdigest()[:48]


@dataclass
class Op:
    """One provider call's context: which resource it is for and where progress goes."""

    client: EhpcClient
    cluster_id: str
    urn: str
    last: FinishedTask | None = None
    """The last task this call waited for: its id, type and status become the resource's outputs."""

    def status(self, text: str) -> None:
        engine_log().status(self.urn, text)

    def info(self, text: str) -> None:
        engine_log().info(self.urn, text)

    def warning(self, text: str) -> None:
        engine_log().warning(self.urn, text)


def wait_with_progress(op: Op, task_id: str, what: str, timeout_s: float) -> FinishedTask:
    """Wait for `task_id`, showing `[k/n] TaskType ...` in the resource's row meanwhile."""

    def show(progress: Progress) -> None:
        op.status(f"{what}: {progress.text}")

    try:
        op.last = wait_for_task(op.client, op.cluster_id, task_id, timeout_s=timeout_s, on_progress=show)
        return op.last
    finally:
        op.status("")


_FAILED = frozenset({"Failed", "Fail"})
_LINGER_S = 0.05  # batches a burst; far below how long any real task takes to fail (minutes)


class _RecentTasks:
    """The newest page of each cluster's task history, shared by the provider's threads.

    A burst of creates (a NodePool, a large stack) hands back many task ids at once; checking each
    against one shared listing costs a ListTasks per burst instead of one per task. A listing is
    reused only if it was fetched after the caller's task existed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str], tuple[float, dict[str, str]]] = {}

    def status(self, op: Op, task_id: str, issued_at: float) -> str | None:
        key = (op.client.endpoint, op.cluster_id)
        fetch_after = issued_at + _LINGER_S  # let the rest of a burst arrive, then fetch once for all
        while True:
            with self._lock:
                fetched_at, statuses = self._pages.get(key, (0.0, {}))
                if fetched_at >= issued_at:
                    break
                now = time.monotonic()
                if now >= fetch_after:
                    page = op.client.list_tasks(op.cluster_id, archived=True, page_size=50).tasks
                    statuses = {str(t.task_id): t.raw_status for t in page}
                    self._pages[key] = (now, statuses)  # the page shows every task created before `now`
                    break
            time.sleep(fetch_after - now)
        if task_id in statuses:
            return statuses[task_id]
        found = op.client.list_tasks(op.cluster_id, task_id=task_id).tasks  # older than the newest page
        return found[0].raw_status if found else None


_RECENT = _RecentTasks()


def failed_before(op: Op, task_id: str, issued_at: float) -> bool:
    """Whether `task_id`, just handed back by a ClientToken call at `issued_at` (monotonic), is Failed.

    A fresh AddNodes/CreateCluster task takes minutes, so a task that is already Failed is the
    replay of an earlier call with the same token. Its failure is over; replaying it on every
    `pulumi up` would make the failure permanent, so the caller moves to the next token generation.
    """
    return _RECENT.status(op, task_id, issued_at) in _FAILED


def list_compute_nodes(client: EhpcClient, cluster_id: str) -> dict[str, NodeInfo]:
    """Every compute node of the cluster that is not on its way out, by instance id."""
    nodes: dict[str, NodeInfo] = {}
    page = 1
    while True:
        resp = client.list_nodes(cluster_id=cluster_id, role="Compute", page_number=page, page_size=100)
        for node in resp.nodes:
            if node.status.lower() not in _GONE_STATUSES:
                nodes[node.id] = node
        if page * 100 >= resp.total_count or not resp.nodes:
            return nodes
        page += 1


def issue_unkeyed(
    op: Op,
    send: Callable[[], str],
    instance_ids: Sequence[str],
    done: Callable[[Mapping[str, NodeInfo]], bool],
    settle_s: float | None = None,
    *,
    task_type: str | None = None,
    timeout_s: float = 3600.0,
    visible_effect: bool = True,
) -> str | None:
    """Send a write without ClientToken at most once more than needed; read state before and after.

    Returns the task id to wait for, or None when the nodes already show the effect.
    - Before sending: nothing to do if the nodes show the effect already (an earlier, interrupted run got
      that far). A task still running on these nodes (an interrupted run's) is adopted when it is the
      same kind of task (`task_type`), otherwise waited for, so the write does not bounce off
      `OperationConflict`.
    - After an ambiguous failure: a task is ours when it names our nodes and was not there before we
      sent, running or already finished (a short task, e.g. ResetNodes, can end before we look, and its
      effect is not visible on the nodes, so "not running" alone would wrongly re-send it). Finished
      tasks are only looked at when `visible_effect` is False: otherwise `done` sees the effect.
    """
    if done(list_compute_nodes(op.client, op.cluster_id)):
        return None
    recent = _recent_tasks(op, finished=not visible_effect)
    busy = _busy_task(recent, instance_ids)
    if busy is not None:
        if task_type and busy.task_type == task_type:
            op.info(f"adopting task {busy.task_id} ({busy.task_type}) left running by an interrupted run")
            return str(busy.task_id)
        op.info(f"waiting for task {busy.task_id} ({busy.task_type}) on the same nodes to finish first")
        wait_with_progress(op, str(busy.task_id), busy.task_type or "task", timeout_s)
        if done(list_compute_nodes(op.client, op.cluster_id)):
            return None
        recent = _recent_tasks(op, finished=not visible_effect)
    before = {str(t.task_id) for t in recent}
    try:
        return send()
    except AmbiguousResultError:
        # The request may have been applied. Give the task a moment to show, then decide.
        deadline = time.monotonic() + (AMBIGUOUS_SETTLE_S if settle_s is None else settle_s)
        while True:
            nodes = list_compute_nodes(op.client, op.cluster_id)
            if done(nodes):
                return None
            ours = _new_task_for(op, instance_ids, before, finished=not visible_effect)
            if ours:
                return ours
            if time.monotonic() >= deadline:
                return send()
            time.sleep(1.0)


def _busy_task(tasks: Sequence[Any], instance_ids: Sequence[str]) -> Any | None:
    wanted = set(instance_ids)
    for task in tasks:
        if not task.is_terminal and any(i in json.dumps(task.request) for i in wanted):
            return task
    return None


def _recent_tasks(op: Op, *, finished: bool) -> list[Any]:
    """Running tasks, plus (`finished`) the newest page of the archive."""
    running = op.client.list_tasks(op.cluster_id, archived=False, page_size=50).tasks
    if not finished:
        return list(running)
    newest = op.client.list_tasks(op.cluster_id, archived=True, page_size=50).tasks
    return [*running, *newest]


def _new_task_for(op: Op, instance_ids: Sequence[str], before: set[str], *, finished: bool) -> str | None:
    wanted = set(instance_ids)
    for task in _recent_tasks(op, finished=finished):
        if str(task.task_id) in before:
            continue
        text = json.dumps(task.request)
        if any(i in text for i in wanted):
            return str(task.task_id)
    return None
