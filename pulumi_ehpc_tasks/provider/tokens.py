"""Writes with a ClientToken: deterministic tokens with generations, so a repeated call re-attaches.

A token is derived from the resource URN, the purpose of the call, its parameters and a generation
number. A repeated call returns the original task (and instances) instead of doing the work twice. A
token whose work is over for good (its task had failed, or what it made is gone since) is skipped by
moving to the next generation.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..wire import EhpcError, Outcome, TaskStatus
from ..wire.actions import ACTIONS
from .context import Op

__all__ = [
    "MAX_TOKEN_GENERATIONS", "client_token", "failed_before", "replayed_outcome", "running_when_issued", "send_keyed",
]

MAX_TOKEN_GENERATIONS = 8
_LINGER_S = 0.05  # batches a burst; far below how long any real task takes to fail (minutes)
T = TypeVar("T")


def client_token(urn: str, purpose: str, params: Mapping[str, Any], generation: int) -> str:
    """Deterministic ASCII token of at most 64 characters (the API's limit)."""
    seed = json.dumps([urn, purpose, dict(sorted(params.items())), generation], sort_keys=True, default=str)
    return "pulumi-" + hashlib.sha256(seed.encode()).hexdigest()[:48]


def send_keyed(
    op: Op, action: str, purpose: str, params: Mapping[str, Any], attempt: Callable[[str], T | None]
) -> T:
    """`attempt(token)` with each generation's ClientToken until it returns a result.

    `attempt` sends `action` with the token and returns None when the answer belongs to an earlier
    incarnation of the work (its task had failed, or what it made is gone): the next generation is new.
    """
    if not ACTIONS[action].client_token:
        raise ValueError(f"{action} takes no ClientToken")
    for generation in range(MAX_TOKEN_GENERATIONS):
        result = attempt(client_token(op.urn, purpose, params, generation))
        if result is not None:
            return result
    raise RuntimeError(
        f"{action} answered with the tasks of earlier, finished attempts for {MAX_TOKEN_GENERATIONS} ClientTokens"
    )


class _RecentTasks:
    """The newest page of each cluster's task history, shared by the provider's threads.

    A burst of creates (a NodePool, a large stack) hands back many task ids at once; checking each
    against one shared listing costs a ListTasks per burst instead of one per task. A listing is
    reused only if it was fetched after the caller's task existed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[tuple[str, str], tuple[float, dict[str, TaskStatus]]] = {}

    def status(self, op: Op, task_id: str, issued_at: float) -> TaskStatus | None:
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
                    statuses = {str(t.task_id): t.status for t in page}
                    self._pages[key] = (now, statuses)  # the page shows every task created before `now`
                    break
            time.sleep(fetch_after - now)
        if task_id in statuses:
            return statuses[task_id]
        found = op.client.list_tasks(op.cluster_id, task_id=task_id).tasks  # older than the newest page
        return found[0].status if found else None


_RECENT = _RecentTasks()


def replayed_outcome(op: Op, task_id: str, issued_at: float) -> Outcome | None:
    """The outcome of `task_id` if it was already over when a ClientToken call at `issued_at` (monotonic)
    handed it back: the replay of an earlier call with the same token. None while it runs, or when the
    history cannot be read.

    A fresh AddNodes/CreateCluster task takes minutes, so a task that is already over is a replay.
    """
    try:
        status = _RECENT.status(op, task_id, issued_at)
    except EhpcError:
        # Not known to be over: the wait that follows rides out outages with its own backoff, and a
        # replayed failure then fails this run only (the next run checks again). Failing here made a
        # brief outage right after AddNodes fail the whole `up` (issue 15's flaky restart scenario).
        return None
    if status is None or status.outcome is Outcome.PENDING:
        return None
    return status.outcome


def failed_before(op: Op, task_id: str, issued_at: float) -> bool:
    """Whether `task_id`, just handed back by a ClientToken call at `issued_at`, is a replayed failure.

    Its failure is over; replaying it on every `pulumi up` would make the failure permanent, so the
    caller moves to the next token generation.
    """
    return replayed_outcome(op, task_id, issued_at) is Outcome.FAILURE


def running_when_issued(op: Op, task_id: str, issued_at: float) -> bool:
    """Whether `task_id`, just handed back by a ClientToken call at `issued_at`, is still running: the call
    started it (or re-attached to work begun moments ago), rather than replaying a finished one.

    False when the listing fails: the caller must then treat what the task makes as possibly someone's.
    """
    try:
        status = _RECENT.status(op, task_id, issued_at)
    except EhpcError:
        return False
    return status is not None and status.outcome is Outcome.PENDING
