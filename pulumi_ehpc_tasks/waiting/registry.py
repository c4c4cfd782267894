"""The process-wide poller registry and the blocking / asyncio waits built on it.

`PollerRegistry` keys pollers by (endpoint, access key id, cluster id) and, by default, runs each in
a daemon thread that exits when its last wait ends. `threaded=False` makes each waiting thread drive
its poller itself, which with a fake `Clock` gives deterministic single-threaded tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import threading
from collections.abc import Hashable
from typing import Any

from .errors import WaitTimeoutError
from .outcomes import FinishedTask
from .poller import ClusterPoller, TaskState
from .progress import DEFAULT_PROGRESS_INTERVAL_S, NOT_SEEN, Progress, ProgressCallback, ProgressGate
from .types import Clock, ListTasksPage, SystemClock, TaskSource

__all__ = ["DEFAULT_REGISTRY", "PollerRegistry", "poller_key"]


def poller_key(client: object, cluster_id: str) -> tuple[Hashable, Hashable, str]:
    """(endpoint, identity, cluster): clients that see the same tasks share a poller.

    The identity is a wire client's `_identity_key` (stable while temporary credentials are
    refreshed), else the access key id of its credentials.
    """
    endpoint = getattr(client, "endpoint", None)
    key_id = getattr(client, "_identity_key", None)
    if not isinstance(key_id, str):
        key_id = getattr(getattr(client, "credentials", None), "access_key_id", None)
    if not isinstance(endpoint, str) or not isinstance(key_id, str):
        return (id(client), id(client), cluster_id)  # unknown identity: never share
    return (endpoint, key_id, cluster_id)


class PollerRegistry:
    """One `ClusterPoller` per key, created on demand, dropped when idle."""

    def __init__(self, *, clock: Clock | None = None, threaded: bool = True, seed: int | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self.threaded = threaded
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._pollers: dict[tuple[Hashable, Hashable, str], ClusterPoller] = {}

    def pollers(self) -> list[ClusterPoller]:
        with self._lock:
            return list(self._pollers.values())

    # -- attach / detach ---------------------------------------------------------------------------
    def _attach(self, client: object, source: TaskSource, cluster_id: str, task_id: str,
                wake: Any) -> tuple[ClusterPoller, Any]:
        key = poller_key(client, cluster_id)
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None:
                poller = ClusterPoller(cluster_id, clock=self.clock, rng=random.Random(self._rng.random()))
                self._pollers[key] = poller
            handle = poller.add_wait(task_id, source, wake)
            if self.threaded and not poller.driver_alive:
                poller.driver_alive = True
                threading.Thread(target=self._drive, args=(key, poller), daemon=True,
                                 name=f"ehpc-poller-{cluster_id}").start()
        return poller, handle

    def _detach(self, poller: ClusterPoller, handle: Any) -> None:
        poller.remove_wait(handle)
        if not self.threaded:
            with self._lock:
                if poller.idle:
                    self._pollers = {k: p for k, p in self._pollers.items() if p is not poller}

    def _drive(self, key: tuple[Hashable, Hashable, str], poller: ClusterPoller) -> None:
        """The poller thread: tick when due, sleep on the condition otherwise, exit when idle."""
        while True:
            with self._lock:
                if poller.idle:
                    poller.driver_alive = False
                    if self._pollers.get(key) is poller:
                        del self._pollers[key]
                    return
            with poller.cond:
                due = poller.due_at()
                now = self.clock.now()
                if due is None or due > now:
                    # Woken early by add/remove_wait; re-check idleness and the due time.
                    poller.cond.wait(timeout=1.0 if due is None else min(due - now, 5.0))
                    continue
            poller.poll_once()

    # -- the waits ---------------------------------------------------------------------------------
    def wait(self, client: TaskSource, cluster_id: str, task_id: str, *, timeout_s: float,
             on_progress: ProgressCallback | None = None,
             progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S) -> FinishedTask:
        """Block until the task is terminal (see `wait_for_task`)."""
        event = threading.Event()
        start = self.clock.now()
        deadline = start + timeout_s
        gate = ProgressGate(on_progress, interval_s=progress_interval_s)
        poller, handle = self._attach(client, client, cluster_id, task_id, event.set)
        try:
            while True:
                event.clear()
                result = self._check(poller, task_id, start, deadline, timeout_s, gate)
                if result is not None:
                    return result
                now = self.clock.now()
                wake_at = deadline
                if not self.threaded:
                    due = poller.due_at()
                    if due is not None and due <= now:
                        poller.poll_once()
                        continue
                    wake_at = min(deadline, due if due is not None else deadline)
                self.clock.wait(event, _until_next_look(now, wake_at, gate, progress_interval_s))
        finally:
            self._detach(poller, handle)

    async def async_wait(self, client: Any, cluster_id: str, task_id: str, *, timeout_s: float,
                         on_progress: ProgressCallback | None = None,
                         progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S) -> FinishedTask:
        """`wait` for asyncio: the shared poller thread does the polling; this coroutine only awaits."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        start = self.clock.now()
        deadline = start + timeout_s
        gate = ProgressGate(on_progress, interval_s=progress_interval_s)
        source: TaskSource = _LoopBridge(client, loop) if _is_async(client) else client

        def wake() -> None:
            loop.call_soon_threadsafe(event.set)

        poller, handle = self._attach(client, source, cluster_id, task_id, wake)
        try:
            while True:
                event.clear()
                result = self._check(poller, task_id, start, deadline, timeout_s, gate)
                if result is not None:
                    return result
                now = self.clock.now()
                timeout = _until_next_look(now, deadline, gate, progress_interval_s)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=max(0.0, timeout))
        finally:
            self._detach(poller, handle)

    def _check(self, poller: ClusterPoller, task_id: str, start: float, deadline: float, timeout_s: float,
               gate: ProgressGate) -> FinishedTask | None:
        """Return the finished task, raise the wait's error, or report progress and return None."""
        now = self.clock.now()
        with poller.cond:
            state = poller.state(task_id)
            assert state is not None  # this wait's handle keeps it registered
            finished, error, last, eta = state.finished, state.error, state.last_task, state.eta_s(now)
            last_error = poller.last_error
        if finished is not None:
            gate.offer(_progress(task_id, state, now - start, None, None, final=True), now)
            return FinishedTask(finished.cluster_id, finished.task, finished.outcome, now - start)
        if error is not None:
            raise error
        if now >= deadline:
            raise WaitTimeoutError(cluster_id=poller.cluster_id, task_id=task_id, last_task=last,
                                   elapsed_s=now - start, timeout_s=timeout_s, last_error=last_error)
        gate.offer(_progress(task_id, state, now - start, eta, last_error), now)
        return None


def _until_next_look(now: float, wake_at: float, gate: ProgressGate, interval_s: float) -> float:
    """How long a wait sleeps: until it is due, a held-back progress change may pass, or an interval."""
    until = min(wake_at - now, interval_s)
    reopens = gate.reopens_at()
    if reopens is not None:
        until = min(until, reopens - now)
    return max(0.0, until)


def _progress(task_id: str, state: TaskState, elapsed: float, eta: float | None, last_error: str | None,
              *, final: bool = False) -> Progress:
    task = state.finished.task if state.finished is not None else state.last_task
    if task is None:
        return Progress(task_id, "task", 0, 0, NOT_SEEN, elapsed, eta, final, last_error)
    return Progress(task_id, task.task_type, task.current_step, task.total_steps, task.raw_status,
                    elapsed, eta, final, last_error)


def _is_async(client: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(client, "list_tasks", None))


class _LoopBridge:
    """Lets the poller thread call an `AsyncEhpcClient` on the loop that owns it."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def list_tasks(self, cluster_id: str, *, task_id: str | None = None, archived: bool | None = None,
                   page_number: int | None = None, page_size: int | None = None) -> ListTasksPage:
        coro = self._client.list_tasks(cluster_id, task_id=task_id, archived=archived,
                                       page_number=page_number, page_size=page_size)
        page: ListTasksPage = asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=120)
        return page


DEFAULT_REGISTRY = PollerRegistry()
