"""`ClusterPoller`: one per (endpoint, key id, cluster); every wait on that cluster shares its ticks.

The poller is a passive core: `poll_once()` runs one tick (see `fetch.py`) and `due_at()` says when the
next is wanted. A driver calls them: a background thread (`registry.py`), or the waiting thread itself
under a fake clock in tests. All state sits behind one lock; `ListTasks` calls run outside it.

Errors of a tick: throttling holds the whole poller off (shared backoff, honouring retry-after),
transient errors (5xx, DbError, network) back off and are shown in progress; both are retried until
each wait's own deadline. Other wire errors (auth, cluster not found, ...) end every wait with that
error. Any other exception is a bug: it ends every wait at once with `PollerFailedError` (the original
as `__cause__`), unless it came from the client of a wait that has ended (its caller may have closed
it), which is retried with the next client.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..wire.errors import EhpcApiError, EhpcError, EhpcTransportError, ThrottledError
from ..wire.policy import Policy
from .errors import PollerFailedError, TaskNotFoundError
from .fetch import TaskLocator
from .outcomes import FinishedTask, Outcome, outcome_of
from .schedule import DEFAULT_POLL_SPEC, Backoff, PollSpec, StepEstimate, next_poll_delay, spec_for
from .types import Clock, ListTasksPage, TaskLike, TaskSource

__all__ = ["ClusterPoller", "TaskState", "WaitHandle"]

THROTTLE_BASE_S, THROTTLE_MAX_S = 2.0, 60.0
TRANSIENT_BASE_S, TRANSIENT_MAX_S = 1.0, 15.0
MIN_TICK_SPACING_S = 0.4  # never two ticks closer than this, whatever the tasks want
# With several tasks pending, a tick lists pages of the history. A one-page tick answers up to 50
# waits at each task's own cadence; when a tick needs c > 1 calls, the next tick waits
# PAGED_TICK_SPACING_S * c**2, so the cluster's call rate falls as the listing grows (about
# 1/(PAGED_TICK_SPACING_S * c) calls a second) and 64 waits cost about what one does. Their detection
# latency grows instead.
PAGED_TICK_SPACING_S = 1.8
# ... where c counts the typical wait's wished gap (the median), at most this: a tick serving many
# waits is worth more than one serving a few, but a wait far from its end must not hold off the rest.
PAGED_TYPICAL_GAP_CAP_S = 30.0
# A task due this soon after a tick is answered by it too: merges nearby wishes into one tick.
COALESCE_SLACK_S = 0.6


@dataclass(eq=False)
class WaitHandle:
    """One caller's wait; `wake` is called (outside the lock) after each tick that concerned it."""

    task_id: str
    source: TaskSource
    wake: Callable[[], None]


@dataclass(eq=False)
class TaskState:
    """What the poller knows about one task id (shared by every wait on that id)."""

    task_id: str
    started_at: float
    estimate: StepEstimate
    next_due: float
    spec: PollSpec = DEFAULT_POLL_SPEC
    last_task: TaskLike | None = None
    unknown_attempts: int = 0
    not_found_since: float | None = None
    finished: FinishedTask | None = None
    error: BaseException | None = None
    waits: list[WaitHandle] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.finished is not None or self.error is not None

    def eta_s(self, now: float) -> float | None:
        end = self.estimate.predicted_end()
        return None if end is None else max(0.0, end - now)


class ClusterPoller:
    """Shared poll loop state for one cluster; thread-safe."""

    def __init__(self, cluster_id: str, *, clock: Clock, rng: random.Random | None = None,
                 spec: PollSpec | None = None) -> None:
        """`spec`: one schedule tuning for every task (simulations try tunings with it); by default each
        task's type picks its own (`spec_for`)."""
        self.cluster_id = cluster_id
        self.clock = clock
        self.cond = threading.Condition()
        self.calls = 0
        self.last_error: str | None = None
        self.driver_alive = False
        """Whether a registry thread drives this poller (set and cleared under the registry's lock)."""
        self._rng = rng or random.Random()
        self._spec = spec
        self._tasks: dict[str, TaskState] = {}
        self._sources: list[TaskSource] = []
        self._hold_until = 0.0
        self._last_tick = -1e9
        self._last_tick_calls = 0
        self._locator = TaskLocator()
        self._throttle = Backoff(THROTTLE_BASE_S, THROTTLE_MAX_S, self._rng)
        self._transient = Backoff(TRANSIENT_BASE_S, TRANSIENT_MAX_S, self._rng)

    # -- waits come and go -------------------------------------------------------------------------
    def add_wait(self, task_id: str, source: TaskSource, wake: Callable[[], None]) -> WaitHandle:
        handle = WaitHandle(task_id, source, wake)
        with self.cond:
            state = self._tasks.get(task_id)
            if state is None:
                now = self.clock.now()
                spec = self._spec or DEFAULT_POLL_SPEC  # the task type's, once a poll has seen it
                state = TaskState(task_id, now, StepEstimate(now), now + spec.first_delay_s, spec)
                self._tasks[task_id] = state
            state.waits.append(handle)
            self._sources.append(source)
            self.cond.notify_all()  # the driver may need to tick sooner
        return handle

    def remove_wait(self, handle: WaitHandle) -> None:
        with self.cond:
            state = self._tasks.get(handle.task_id)
            if state is not None and handle in state.waits:
                state.waits.remove(handle)
                if not state.waits:
                    del self._tasks[handle.task_id]
                    self._locator.forget(handle.task_id)
            if handle.source in self._sources:
                self._sources.remove(handle.source)
            self.cond.notify_all()

    @property
    def idle(self) -> bool:
        with self.cond:
            return not self._tasks

    def state(self, task_id: str) -> TaskState | None:
        with self.cond:
            return self._tasks.get(task_id)

    # -- scheduling --------------------------------------------------------------------------------
    def due_at(self) -> float | None:
        """When the next tick is wanted (None: nothing to poll)."""
        with self.cond:
            pending = [s.next_due for s in self._tasks.values() if not s.done]
            if not pending:
                return None
            spacing = MIN_TICK_SPACING_S
            calls = self._last_tick_calls
            if len(pending) > 1 and calls > 1:
                # A tick of c calls comes c times less often than the typical wait wants a look.
                gaps = sorted(due - self._last_tick for due in pending)
                typical = min(gaps[len(gaps) // 2], PAGED_TYPICAL_GAP_CAP_S)
                spacing = max(spacing, PAGED_TICK_SPACING_S * calls**2, calls * typical)
            return max(min(pending), self._hold_until, self._last_tick + spacing)

    # -- one tick ----------------------------------------------------------------------------------
    def poll_once(self) -> None:
        """Run one tick now: fetch every pending task, update states, wake their waits."""
        with self.cond:
            now = self.clock.now()
            pending = {tid: s for tid, s in self._tasks.items() if not s.done}
            due = [tid for tid, s in pending.items() if s.next_due <= now + COALESCE_SLACK_S]
            # The newest wait's client: older callers may close theirs once their wait ends.
            source = self._sources[-1] if self._sources else None
            self._last_tick = now
        if not due or source is None:
            return
        counter = _CallCounter(source, self)
        try:
            observed = self._locator.fetch(counter, self.cluster_id, due, pending)
        except Exception as exc:  # classified below; nothing is swallowed silently
            self._on_error(exc, source)
            return
        now = self.clock.now()
        with self.cond:
            self._last_tick_calls = counter.calls
            self._throttle.reset()
            self._transient.reset()
            self.last_error = None
            try:
                for tid, task in observed.items():
                    state = self._tasks.get(tid)
                    if state is not None and not state.done:
                        self._update(state, task, now)
            except Exception as exc:  # a bug in the waiter: fail now rather than hang until the deadline
                self._fail_pending(exc)
            waits = [w for s in self._tasks.values() for w in s.waits]
            self.cond.notify_all()
        for w in waits:
            w.wake()

    def _update(self, state: TaskState, task: TaskLike | None, now: float) -> None:
        if task is None:
            state.not_found_since = state.not_found_since or now
            if now - state.not_found_since > state.spec.not_found_grace_s:
                state.error = TaskNotFoundError(
                    cluster_id=self.cluster_id, task_id=state.task_id, waited_s=now - state.started_at)
            state.next_due = now + next_poll_delay(now, state.estimate, state.spec, self._rng,
                                                   state.unknown_attempts)
            state.unknown_attempts += 1
            return
        state.not_found_since = None
        state.last_task = task
        try:
            outcome = outcome_of(task, cluster_id=self.cluster_id)
        except Exception as exc:  # UnexpectedTaskStatusError: end this wait now
            state.error = exc
            return
        if outcome is not Outcome.PENDING:
            state.finished = FinishedTask(self.cluster_id, task, outcome, now - state.started_at)
            return
        if self._spec is None:
            state.spec = spec_for(task.task_type)
        state.estimate.observe(now, task.current_step, task.total_steps)
        if not state.estimate.known:
            state.unknown_attempts += 1
        delay = next_poll_delay(now, state.estimate, state.spec, self._rng, state.unknown_attempts)
        state.next_due = now + delay

    def _fail_pending(self, exc: Exception) -> None:
        """End every pending wait with a `PollerFailedError` caused by `exc` (call under the lock)."""
        pending = [s for s in self._tasks.values() if not s.done]
        ids = [s.task_id for s in pending]
        for state in pending:
            state.error = PollerFailedError(cluster_id=self.cluster_id, task_id=state.task_id, task_ids=ids,
                                            last_task=state.last_task, cause=exc)

    def _on_error(self, exc: Exception, source: TaskSource) -> None:
        now = self.clock.now()
        with self.cond:
            if isinstance(exc, ThrottledError):
                retry_after = exc.retry_after_ms / 1000 if exc.retry_after_ms else None
                self._hold_until = now + self._throttle.next_delay(retry_after)
            elif _is_retryable(exc) or (not isinstance(exc, EhpcError) and source not in self._sources):
                self._hold_until = now + self._transient.next_delay()
            elif isinstance(exc, EhpcError):
                for state in self._tasks.values():
                    if not state.done:
                        state.error = exc
            else:
                self._fail_pending(exc)
            self.last_error = _short(exc)
            waits = [w for s in self._tasks.values() for w in s.waits]
            self.cond.notify_all()
        for w in waits:
            w.wake()


def _is_retryable(exc: Exception) -> bool:
    """Wire errors worth another tick: transient API errors and transport errors."""
    if isinstance(exc, EhpcApiError):
        return exc.policy in (Policy.TRANSIENT, Policy.THROTTLE, Policy.RESIGN)
    return isinstance(exc, EhpcTransportError)


def _short(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    return f"{code}" if code else f"{type(exc).__name__}: {str(exc)[:120]}"


class _CallCounter:
    """Counts the poller's `ListTasks` calls (for `calls`, tests and the benchmark)."""

    def __init__(self, source: TaskSource, poller: ClusterPoller) -> None:
        self._source = source
        self._poller = poller
        self.calls = 0

    def list_tasks(self, cluster_id: str, *, task_id: str | None = None, archived: bool | None = None,
                   page_number: int | None = None, page_size: int | None = None) -> ListTasksPage:
        with self._poller.cond:
            self._poller.calls += 1
        self.calls += 1
        return self._source.list_tasks(cluster_id, task_id=task_id, archived=archived,
                                       page_number=page_number, page_size=page_size)
