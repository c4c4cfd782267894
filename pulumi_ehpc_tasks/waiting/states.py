"""Waiting on API 2024-07-30 writes (E-HPC 2.0): the second kind of task source.

2024-07-30 has no ListTasks: a "task" is a mutating call (CreateNodes, DeleteNodes, CreateCluster,
DeleteCluster) whose completion is read from resource states (`ListNodes[].Status`/`Reason`,
`GetCluster.ClusterStatus`) and from the operation log (`ListCommonLogs`, keyed by the call's RequestId).

One `StatePoller` per (endpoint, identity, cluster), as `poller_key` keys the 1.0 pollers: a tick reads
ListNodes once (every page), GetCluster once when a cluster wait is pending, and ListCommonLogs once
(filtered by the cluster) only when some wait's outcome turns on it (`_log_matters`), and that one
snapshot answers every wait on the cluster. There is no driver
thread: the waiting threads take turns to run the tick that is due (one at a time, under the poller's
condition), so a tick is never run twice for one due time. The schedule is the 1.0 one (`next_poll_delay`
with a `StepEstimate` whose steps are settled nodes), as are the throttling/transient backoffs and the
progress gate; progress reads "[3/8] CreateNodes <RequestId> 3 of 8 nodes running, 1 initing".

[INF] decisions (the API documents none of this, ehpc-2024-api.md §5.3): a created node is settled when it
is `running` (added) or `exception`/`untracking` (failed, with its `Reason`); a node not listed counts as
failed only once the call's log is terminal or `not_found_grace_s` has passed (a listing may lag the
answer). A deleted node is settled when ListNodes no longer lists it; a cluster wait ends at `running`,
fails at `exception`, and a delete ends when GetCluster answers ClusterNotFound. A `Failed` log ends a
delete wait as a failure; for creates the node states decide (the log says Failed for a partial create).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from ..wire.errors import NotFoundError, ThrottledError
from ..wire.models_2024 import GetClusterResponse, ListCommonLogsResponse, ListNodes2024Response, V2Node
from .errors import WaitError
from .outcomes import Outcome
from .poller import THROTTLE_BASE_S, THROTTLE_MAX_S, TRANSIENT_BASE_S, TRANSIENT_MAX_S, _is_retryable, _short
from .progress import DEFAULT_PROGRESS_INTERVAL_S, Progress, ProgressCallback, ProgressGate
from .registry import poller_key
from .schedule import DEFAULT_POLL_SPEC, Backoff, PollSpec, StepEstimate, next_poll_delay

__all__ = [
    "STATE_REGISTRY",
    "FinishedWrite",
    "Goal",
    "StatePoller",
    "StateRegistry",
    "StateSource",
    "StateWaitTimeoutError",
    "list_all_nodes",
    "wait_for_write",
]

LISTED_PAGE_SIZE = 100
LOG_MARGIN_S = 120  # the log window opens this long before the call (clock skew with the service)
FAILED_NODE_STATES = frozenset({"exception", "untracking"})
LOG_TERMINAL = frozenset({"Finished", "Failed"})
NODE_END_STATES = FAILED_NODE_STATES | {"running"}
CLUSTER_END_STATES = frozenset({"running", "exception"})


class Goal(str, Enum):
    """What a write waits for."""

    NODES_RUNNING = "nodes running"
    NODES_GONE = "nodes gone"
    CLUSTER_RUNNING = "cluster running"
    CLUSTER_GONE = "cluster gone"


class StateSource(Protocol):
    """What the poller calls (an `EhpcClient2024`)."""

    def list_nodes(self, /, cluster_id: str, **filters: Any) -> ListNodes2024Response: ...

    def get_cluster(self, cluster_id: str) -> GetClusterResponse: ...

    def list_common_logs(self, /, *, from_: int, to: int, **filters: Any) -> ListCommonLogsResponse: ...


@dataclass(frozen=True)
class FinishedWrite:
    """A write whose resources settled: the nodes as last listed, split by what became of them."""

    cluster_id: str
    action: str
    request_id: str
    outcome: Outcome
    running: tuple[V2Node, ...] = ()
    failed: tuple[V2Node, ...] = ()
    """Nodes in `exception`/`untracking` (their `reason` says why) or, for a delete, still listed."""
    missing: tuple[str, ...] = ()
    """Instance ids the listing never showed (a create) or still shows (a delete)."""
    log_status: str = ""
    """The call's operation-log status when it ended (`Finished`, `Failed`; empty if none was found)."""
    cluster_status: str = ""
    elapsed_s: float = 0.0


class StateWaitTimeoutError(WaitError):
    """The deadline passed before the resources settled; the operation goes on in the cloud."""

    def __init__(self, *, cluster_id: str, request_id: str, action: str, summary: str, elapsed_s: float,
                 timeout_s: float, last_error: str | None) -> None:
        message = (f"Timed out after {elapsed_s:.0f}s (timeout {timeout_s:.0f}s) waiting for {action} "
                   f"(RequestId {request_id}) on cluster {cluster_id}: {summary or 'nothing listed yet'}.")
        if last_error:
            message += f" Last read error: {last_error}."
        message += " Nothing was cancelled; re-run `pulumi up`, which looks the resources up again."
        super().__init__(message, cluster_id=cluster_id, task_id=request_id, last_task=None)
        self.elapsed_s, self.timeout_s = elapsed_s, timeout_s


@dataclass(eq=False)
class _Write:
    """One awaited write and what the poller knows about it."""

    action: str
    request_id: str
    goal: Goal
    instance_ids: tuple[str, ...]
    called_at: float  # wall clock, for the log window
    started_at: float
    estimate: StepEstimate
    next_due: float
    spec: PollSpec = DEFAULT_POLL_SPEC
    summary: str = ""
    settled: int = 0
    unknown_attempts: int = 0
    first_settled_at: float | None = None
    """When a poll first saw one of its nodes settled (for `_parallel_nodes_cap`)."""
    finished: FinishedWrite | None = None
    error: BaseException | None = None

    @classmethod
    def begin(cls, action: str, request_id: str, goal: Goal, instance_ids: Sequence[str], called_at: float,
              start: float) -> _Write:
        """A wait starting at monotonic `start`: first read after the schedule's first delay."""
        return cls(action, request_id, goal, tuple(instance_ids), called_at, start, StepEstimate(start),
                   start + DEFAULT_POLL_SPEC.first_delay_s)

    @property
    def total(self) -> int:
        return max(1, len(self.instance_ids))

    @property
    def done(self) -> bool:
        return self.finished is not None or self.error is not None


@dataclass
class _Snapshot:
    nodes: dict[str, V2Node] = field(default_factory=dict)
    cluster: GetClusterResponse | None = None
    cluster_gone: bool = False
    logs: dict[str, str] = field(default_factory=dict)


class StatePoller:
    """The shared state reads of one cluster; thread-safe (see the module docstring)."""

    def __init__(self, cluster_id: str, rng: random.Random,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cluster_id = cluster_id
        self._clock = clock
        """Monotonic seconds for the schedule (a virtual clock in `simulate.simulate_nodes`)."""
        self.cond = threading.Condition()
        self.calls = 0
        self.last_error: str | None = None
        self._rng = rng
        self._writes: list[_Write] = []
        self._ticking = False
        self._hold_until = 0.0
        self._throttle = Backoff(THROTTLE_BASE_S, THROTTLE_MAX_S, rng)
        self._transient = Backoff(TRANSIENT_BASE_S, TRANSIENT_MAX_S, rng)

    @property
    def idle(self) -> bool:
        with self.cond:
            return not self._writes

    def add(self, write: _Write) -> None:
        with self.cond:
            self._writes.append(write)

    def remove(self, write: _Write) -> None:
        with self.cond:
            if write in self._writes:
                self._writes.remove(write)

    def due_at(self) -> float | None:
        """When the next tick is wanted (call under the condition)."""
        pending = [w.next_due for w in self._writes if not w.done]
        return max(min(pending), self._hold_until) if pending else None

    # -- one tick -------------------------------------------------------------------------------
    def tick(self, source: StateSource) -> None:
        """Read the cluster once and settle every write it answers (called by one thread at a time)."""
        with self.cond:
            pending = [w for w in self._writes if not w.done]
        if not pending:
            return
        try:
            snapshot = self._read(source, pending)
        except Exception as exc:  # classified below, like the 1.0 poller's tick errors
            self._on_error(exc)
            return
        now = self._clock()
        with self.cond:
            self._throttle.reset()
            self._transient.reset()
            self.last_error = None
            for write in pending:
                if not write.done:
                    self._settle(write, snapshot, now)

    def _read(self, source: StateSource, pending: Sequence[_Write]) -> _Snapshot:
        snap = self._read_states(source, pending)
        needing = [w for w in pending if _log_matters(w, snap)]
        if needing:
            self._read_logs(source, needing, snap)
        return snap

    def _read_states(self, source: StateSource, pending: Sequence[_Write]) -> _Snapshot:
        snap = _Snapshot()
        goals = {w.goal for w in pending}
        if goals & {Goal.CLUSTER_RUNNING, Goal.CLUSTER_GONE}:
            self.calls += 1
            try:
                snap.cluster = source.get_cluster(self.cluster_id)
            except NotFoundError:
                snap.cluster_gone = True
        if goals & {Goal.NODES_RUNNING, Goal.NODES_GONE} and not snap.cluster_gone:
            try:
                snap.nodes, pages = list_all_nodes(source, self.cluster_id)
                self.calls += pages
            except NotFoundError:
                snap.cluster_gone = True  # the cluster went, and its nodes with it
        return snap

    def _read_logs(self, source: StateSource, needing: Sequence[_Write], snap: _Snapshot) -> None:
        start = int(min(w.called_at for w in needing)) - LOG_MARGIN_S
        page = 1
        while True:
            self.calls += 1
            logs = source.list_common_logs(from_=max(0, start), to=int(time.time()) + LOG_MARGIN_S,
                                           cluster_id=self.cluster_id, page_number=page, page_size=100)
            snap.logs.update((log.request_id, log.status) for log in logs.logs)
            if page * 100 >= logs.total_count or not logs.logs:
                return
            page += 1

    def _settle(self, write: _Write, snap: _Snapshot, now: float) -> None:
        log = snap.logs.get(write.request_id, "")
        elapsed = now - write.started_at
        outcome = _evaluate(write, snap, log, elapsed)
        if outcome is not None:
            write.finished = FinishedWrite(**{**outcome, "cluster_id": self.cluster_id, "action": write.action,
                                              "request_id": write.request_id, "log_status": log,
                                              "elapsed_s": elapsed})
            return
        write.estimate.observe(now, write.settled, write.total)
        if not write.estimate.known:
            write.unknown_attempts += 1
        delay = next_poll_delay(now, write.estimate, write.spec, self._rng, write.unknown_attempts)
        if write.goal in (Goal.NODES_RUNNING, Goal.NODES_GONE):
            delay = min(delay, _parallel_nodes_cap(write, now))
        write.next_due = now + delay

    def _on_error(self, exc: Exception) -> None:
        now = self._clock()
        with self.cond:
            if isinstance(exc, ThrottledError):
                retry_after = exc.retry_after_ms / 1000 if exc.retry_after_ms else None
                self._hold_until = now + self._throttle.next_delay(retry_after)
            elif _is_retryable(exc):
                self._hold_until = now + self._transient.next_delay()
            else:  # a wire error that will not pass (auth, ...) or a bug: end every wait with it
                for write in self._writes:
                    if not write.done:
                        write.error = exc
            self.last_error = _short(exc)


def _parallel_nodes_cap(write: _Write, now: float) -> float:
    """The longest sleep a node wait allows, whatever the step model says.

    [INF] A CreateNodes (or DeleteNodes) works on its nodes in parallel: they boot together and the first
    to run says the rest are near, unlike a 1.0 task's first step, after which the others follow. So the
    step model (settled nodes as steps) is held to two bounds. Before any node has settled nothing is
    known: only the latency budget holds, as for a 1.0 step that outlasted its model. After the first
    settled, the rest are expected within a spread like the one seen so far: a sleep reaches
    `in_step_trust` times the time since then.
    """
    spec = write.spec
    if write.settled == 0:
        return min(spec.latency_cap_s, max(spec.near_delay_s, spec.early_growth * (now - write.started_at)))
    if write.first_settled_at is None:
        write.first_settled_at = now
    return max(spec.near_delay_s, spec.in_step_trust * (now - write.first_settled_at))


def _log_matters(write: _Write, snap: _Snapshot) -> bool:
    """Whether this tick's states leave `write`'s outcome (or its recorded log status) to the log.

    The log is read only then, which halves a long create's calls: a delete ends on a `Failed` log at
    any tick; a node create consults it only once every listed node has settled (is a node not listed
    lost?) and a cluster create only to record it at an end state.
    """
    if write.goal in (Goal.NODES_GONE, Goal.CLUSTER_GONE):
        return True
    if write.goal is Goal.CLUSTER_RUNNING:
        return snap.cluster_gone or (snap.cluster is not None and snap.cluster.cluster_status in CLUSTER_END_STATES)
    listed = [snap.nodes[i] for i in write.instance_ids if i in snap.nodes]
    return all(n.status in NODE_END_STATES for n in listed)


def _evaluate(write: _Write, snap: _Snapshot, log: str, elapsed: float) -> dict[str, Any] | None:
    """The `FinishedWrite` fields once `write` is settled (None: not yet); updates its summary."""
    if write.goal in (Goal.CLUSTER_RUNNING, Goal.CLUSTER_GONE):
        if snap.cluster_gone:
            done = Outcome.SUCCESS if write.goal is Goal.CLUSTER_GONE else Outcome.FAILURE
            return {"outcome": done, "cluster_status": "gone"}
        status = snap.cluster.cluster_status if snap.cluster is not None else ""
        write.summary = f"cluster {status or 'not listed yet'}"
        if write.goal is Goal.CLUSTER_RUNNING and status in CLUSTER_END_STATES:
            return {"outcome": Outcome.SUCCESS if status == "running" else Outcome.FAILURE, "cluster_status": status}
        if write.goal is Goal.CLUSTER_GONE and log == "Failed":
            return {"outcome": Outcome.FAILURE, "cluster_status": status}
        return None
    nodes = [snap.nodes[i] for i in write.instance_ids if i in snap.nodes]
    absent = tuple(i for i in write.instance_ids if i not in snap.nodes)
    if write.goal is Goal.NODES_GONE:
        write.settled = len(absent)
        write.summary = f"{len(absent)} of {len(write.instance_ids)} nodes gone" + _counts(nodes)
        if snap.cluster_gone or not nodes:
            return {"outcome": Outcome.SUCCESS}
        if log == "Failed":
            return {"outcome": Outcome.FAILURE, "failed": tuple(nodes), "missing": tuple(n.id for n in nodes)}
        return None
    running = tuple(n for n in nodes if n.status == "running")
    failed = tuple(n for n in nodes if n.status in FAILED_NODE_STATES)
    write.settled = len(running) + len(failed)  # the nodes in NODE_END_STATES
    write.summary = f"{len(running)} of {len(write.instance_ids)} nodes running" + _counts(
        [n for n in nodes if n.status != "running"])
    lost = snap.cluster_gone or log in LOG_TERMINAL or elapsed > write.spec.not_found_grace_s
    if write.settled < len(nodes) or (absent and not lost):
        return None
    outcome = (Outcome.SUCCESS if len(running) == len(write.instance_ids)
               else Outcome.PARTIAL if running else Outcome.FAILURE)
    return {"outcome": outcome, "running": running, "failed": failed, "missing": absent}


def _counts(nodes: Sequence[V2Node]) -> str:
    by: dict[str, int] = {}
    for node in nodes:
        by[node.status or "unknown"] = by.get(node.status or "unknown", 0) + 1
    return "".join(f", {n} {status}" for status, n in sorted(by.items()))


def list_all_nodes(source: StateSource, cluster_id: str, **filters: Any) -> tuple[dict[str, V2Node], int]:
    """Every node ListNodes lists (all pages) by instance id, and how many calls that took."""
    nodes: dict[str, V2Node] = {}
    page = 1
    while True:
        listed = source.list_nodes(cluster_id, page_number=page, page_size=LISTED_PAGE_SIZE, **filters)
        nodes.update((n.id, n) for n in listed.nodes)
        if page * LISTED_PAGE_SIZE >= listed.total_count or not listed.nodes:
            return nodes, page
        page += 1


class StateRegistry:
    """One `StatePoller` per (endpoint, identity, cluster), dropped when its last wait ends."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._pollers: dict[tuple[Hashable, Hashable, str], StatePoller] = {}

    def poller(self, client: object, cluster_id: str) -> StatePoller:
        key = poller_key(client, cluster_id)
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None:
                poller = self._pollers[key] = StatePoller(cluster_id, random.Random(self._rng.random()))
            return poller

    def pollers(self) -> list[StatePoller]:
        with self._lock:
            return list(self._pollers.values())

    def _drop_if_idle(self, poller: StatePoller) -> None:
        with self._lock:
            if poller.idle:
                self._pollers = {k: p for k, p in self._pollers.items() if p is not poller}

    def wait(self, client: StateSource, cluster_id: str, *, action: str, request_id: str, goal: Goal,
             instance_ids: Sequence[str] = (), called_at: float | None = None, timeout_s: float,
             on_progress: ProgressCallback | None = None,
             progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S) -> FinishedWrite:
        """Block until the write's resources settle (see `wait_for_write`)."""
        start = time.monotonic()
        deadline = start + timeout_s
        write = _Write.begin(action, request_id, goal, instance_ids, called_at or time.time(), start)
        gate = ProgressGate(on_progress, interval_s=progress_interval_s)
        poller = self.poller(client, cluster_id)
        poller.add(write)
        try:
            while True:
                now = time.monotonic()
                with poller.cond:
                    if write.error is not None:
                        raise write.error
                    if write.finished is not None:
                        gate.offer(_progress(write, now - start, final=True), now)
                        return write.finished
                    if now >= deadline:
                        raise StateWaitTimeoutError(cluster_id=cluster_id, request_id=request_id, action=action,
                                                    summary=write.summary, elapsed_s=now - start,
                                                    timeout_s=timeout_s, last_error=poller.last_error)
                    gate.offer(_progress(write, now - start, last_error=poller.last_error), now)
                    due = poller.due_at()
                    if poller._ticking or due is None or due > now:
                        until = min(deadline, due if due is not None else deadline, now + progress_interval_s)
                        reopens = gate.reopens_at()
                        poller.cond.wait(max(0.0, min(until, reopens or until) - now))
                        continue
                    poller._ticking = True
                try:
                    poller.tick(client)
                finally:
                    with poller.cond:
                        poller._ticking = False
                        poller.cond.notify_all()
        finally:
            poller.remove(write)
            self._drop_if_idle(poller)


def _progress(write: _Write, elapsed: float, *, final: bool = False, last_error: str | None = None) -> Progress:
    total = len(write.instance_ids)
    return Progress(write.request_id, write.action, write.settled if total else 0, total,
                    write.summary or "issued, waiting for its first read", elapsed, None, final, last_error)


STATE_REGISTRY = StateRegistry()
"""The process-wide registry of 2.0 state pollers."""


def wait_for_write(client: StateSource, cluster_id: str, *, action: str, request_id: str, goal: Goal,
                   instance_ids: Sequence[str] = (), called_at: float | None = None, timeout_s: float,
                   on_progress: ProgressCallback | None = None,
                   registry: StateRegistry | None = None) -> FinishedWrite:
    """Block until the resources written by a 2024-07-30 call settle, and return what became of them.

    `request_id` is the call's RequestId (its operation-log key); `instance_ids` the nodes it created or
    deleted (node goals); `called_at` the call's wall-clock time (the log window). Every wait on the same
    (endpoint, identity, cluster) shares one read per tick. Returns `FinishedWrite` for success, partial
    and failure alike; raises `StateWaitTimeoutError` at `timeout_s`, and wire errors that do not pass.
    """
    reg = registry or STATE_REGISTRY
    return reg.wait(client, cluster_id, action=action, request_id=request_id, goal=goal,
                    instance_ids=instance_ids, called_at=called_at, timeout_s=timeout_s, on_progress=on_progress)
