"""Run the production poller and schedule on a virtual clock against scripted task timelines.

A timeline is the list of each step's end time, in seconds from the moment the task was created and
its wait began; the task ends (Success) with its last step. The simulated `ListTasks` answers what the
real API would at that instant: `CurrentStep` is the step in progress, terminal tasks stay in the
history listing (`Archived=true`, newest first) with their final status. Time moves only from one poll
tick to the next, so thousands of tasks simulate in a second of CPU.

    from pulumi_ehpc_tasks.waiting import simulate, simulate_many
    simulate([20.0, 25.0, 60.0], task_type="AddComputes", total_steps=3)   # SimResult
    simulate_many([[30.0, 60.0]] * 64, task_type="AddComputes")            # ManySimResult

Detection latency is the time of the poll that first saw the terminal status minus the task's end.

`simulate_nodes` does the same for an E-HPC 2.0 write (`states.StatePoller`): a CreateNodes whose nodes
turn `running` at the given times, read through simulated ListNodes and ListCommonLogs.

    simulate_nodes([95.0, 110.0, 240.0])   # SimResult: latency after the last node runs, API calls
"""

from __future__ import annotations

import bisect
import itertools
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .poller import ClusterPoller
from .schedule import PollSpec
from .states import LISTED_PAGE_SIZE, Goal, StatePoller, _Write

__all__ = ["ManySimResult", "SimResult", "VirtualClock", "simulate", "simulate_many", "simulate_nodes"]

_CLUSTER = "ehpc-sim-000001"
_HORIZON_S = 3600.0
"""How long past the latest end a simulation may run before it gives up (a schedule that never looks)."""


class VirtualClock:
    """A `Clock` whose time only moves when told (`advance_to`); `wait` never blocks."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def wait(self, event: threading.Event, timeout_s: float) -> bool:
        if not event.is_set():
            self.t += max(0.0, timeout_s)
        return event.is_set()

    def advance_to(self, t: float) -> None:
        self.t = max(self.t, t)


@dataclass(frozen=True)
class SimResult:
    """One simulated wait."""

    latency_s: float
    """Detection latency: the poll that saw the terminal status minus the task's end."""
    calls: int
    """`ListTasks` calls the wait made."""
    end_s: float
    """When the task ended (its last step's end)."""
    poll_times_s: tuple[float, ...]
    """When each poll tick ran, from the task's start."""


@dataclass(frozen=True)
class ManySimResult:
    """Several concurrent waits on one cluster, sharing one poller."""

    latencies_s: tuple[float, ...]
    """Detection latency of each task, in the order of the timelines."""
    calls: int
    """`ListTasks` calls of the whole cluster's poller."""

    @property
    def calls_per_task(self) -> float:
        return self.calls / max(1, len(self.latencies_s))


@dataclass(frozen=True)
class _SimTask:
    """A `ListTasks` entry (the `TaskLike` the poller reads)."""

    task_id: str
    task_type: str
    raw_status: str
    current_step: int
    total_steps: int
    errors: tuple[object, ...] = ()
    result: object = None


@dataclass(frozen=True)
class _Page:
    total_count: int
    tasks: Sequence[_SimTask]


class _TimelineSource:
    """`list_tasks` answering from step timelines at the clock's current time."""

    def __init__(self, clock: VirtualClock, timelines: Mapping[str, Sequence[float]], task_type: str) -> None:
        self._clock = clock
        self._timelines = timelines
        self._newest_first: list[str] = list(reversed(list(timelines)))
        self._task_type = task_type

    def _task(self, task_id: str) -> _SimTask:
        ends = self._timelines[task_id]
        now, total = self._clock.now(), len(ends)
        if now >= ends[-1]:
            return _SimTask(task_id, self._task_type, "Success", total, total)
        step = min(total, 1 + bisect.bisect_right(ends, now))
        return _SimTask(task_id, self._task_type, "Processing", step, total)

    def list_tasks(self, cluster_id: str, *, task_id: str | None = None, archived: bool | None = None,
                   page_number: int | None = None, page_size: int | None = None) -> _Page:
        if task_id is not None:
            return _Page(1, [self._task(task_id)] if task_id in self._timelines else [])
        ids = self._newest_first if archived else [t for t in self._newest_first
                                                    if self._task(t).raw_status == "Processing"]
        size, number = page_size or 10, page_number or 1
        return _Page(len(ids), [self._task(t) for t in ids[(number - 1) * size: number * size]])


def _check_timeline(step_ends: Sequence[float], total_steps: int | None) -> list[float]:
    ends = [float(e) for e in step_ends]
    if not ends or any(b < a for a, b in itertools.pairwise(ends)) or ends[0] < 0:
        raise ValueError("step_ends must be a non-empty, non-decreasing list of seconds >= 0")
    if total_steps is not None and total_steps != len(ends):
        raise ValueError(f"total_steps={total_steps} but the timeline has {len(ends)} step ends")
    return ends


@dataclass
class _Run:
    detected: dict[str, float]
    calls: int
    polls: list[float]
    horizon: float


def _run(timelines: dict[str, list[float]], task_type: str, seed: int, spec: PollSpec | None = None) -> _Run:
    """Drive one poller as its thread would, jumping the clock to each due tick. Each wait ends, and
    leaves the poller, as soon as its task is seen terminal, as a real wait does."""
    clock = VirtualClock()
    source = _TimelineSource(clock, timelines, task_type)
    poller = ClusterPoller(_CLUSTER, clock=clock, rng=random.Random(seed), spec=spec)
    handles = {tid: poller.add_wait(tid, source, lambda: None) for tid in timelines}
    run = _Run({}, 0, [], max(e[-1] for e in timelines.values()) + _HORIZON_S)
    while handles:
        due = poller.due_at()
        if due is None or due > run.horizon:
            break
        clock.advance_to(due)
        poller.poll_once()
        run.polls.append(clock.now())
        for tid in list(handles):
            state = poller.state(tid)
            if state is not None and state.done:
                if state.error is not None:
                    raise state.error
                run.detected[tid] = clock.now()
                poller.remove_wait(handles.pop(tid))
    run.calls = poller.calls
    return run


def simulate_many(timelines: Sequence[Sequence[float]], *, task_type: str = "AddComputes",
                  seed: int = 0, spec: PollSpec | None = None) -> ManySimResult:
    """Wait on every timeline at once (all tasks created at time 0, in order) through one poller."""
    ends = {f"sim-{i:05d}": _check_timeline(t, None) for i, t in enumerate(timelines)}
    run = _run(ends, task_type, seed, spec)
    return ManySimResult(tuple(run.detected.get(t, run.horizon) - e[-1] for t, e in ends.items()), run.calls)


def simulate(step_ends: Sequence[float], *, task_type: str = "AddComputes", total_steps: int | None = None,
             seed: int = 0, spec: PollSpec | None = None) -> SimResult:
    """Wait on one task whose steps end at `step_ends` (seconds from its start) with the real poller.

    `total_steps` is what `ListTasks` reports as `TotalSteps` (default: the timeline's length; it must
    match). `task_type` picks the per-type schedule (`POLL_SPECS`) unless `spec` gives one (a tuning to
    try, e.g. `dataclasses.replace(DEFAULT_POLL_SPEC, near_delay_s=2.5)`); `seed` the schedule's jitter.
    """
    ends = _check_timeline(step_ends, total_steps)
    run = _run({"sim-00000": ends}, task_type, seed, spec)
    detected = run.detected.get("sim-00000", run.horizon)
    return SimResult(detected - ends[-1], run.calls, ends[-1], tuple(run.polls))


# -- E-HPC 2.0: node states instead of tasks ---------------------------------------------------------
_REQUEST = "sim-request-0001"


@dataclass(frozen=True)
class _SimNode:
    """A ListNodes entry (the `V2Node` fields the state poller reads)."""

    id: str
    hostname: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class _NodePage:
    total_count: int
    nodes: Sequence[_SimNode]


@dataclass(frozen=True)
class _Log:
    request_id: str
    status: str


@dataclass(frozen=True)
class _LogPage:
    total_count: int
    logs: Sequence[_Log]


class _NodeSource:
    """`list_nodes` / `list_common_logs` answering from each node's time of turning `running`.

    [INF] A node is `initing` before then (the emulator's model; the poller only tells `running` and the
    failed states apart from the rest); the operation log is `Finished` once the last node runs."""

    def __init__(self, clock: VirtualClock, ready: Mapping[str, float]) -> None:
        self._clock = clock
        self._ready = ready
        self._ids = list(ready)
        self._end = max(ready.values())

    def list_nodes(self, cluster_id: str, *, page_number: int = 1, page_size: int = LISTED_PAGE_SIZE,
                   **_filters: object) -> _NodePage:
        now = self._clock.now()
        chunk = self._ids[(page_number - 1) * page_size: page_number * page_size]
        return _NodePage(len(self._ids), [_SimNode(i, i, "running" if now >= self._ready[i] else "initing")
                                          for i in chunk])

    def get_cluster(self, cluster_id: str) -> object:
        raise AssertionError("a node wait reads no GetCluster")

    def list_common_logs(self, *, from_: int, to: int, **_filters: object) -> _LogPage:
        return _LogPage(1, [_Log(_REQUEST, "Finished" if self._clock.now() >= self._end else "InProgress")])


def simulate_nodes(ready_s: Sequence[float], *, seed: int = 0) -> SimResult:
    """Wait with the real 2.0 state poller for a CreateNodes whose node `i` turns `running` at
    `ready_s[i]` (seconds from the call, any order). `calls` counts ListNodes pages and ListCommonLogs;
    `latency_s` is the poll that saw the last node running minus when it did."""
    ready = [float(t) for t in ready_s]
    if not ready or min(ready) < 0:
        raise ValueError("ready_s must be a non-empty list of seconds >= 0")
    clock = VirtualClock()
    source = _NodeSource(clock, {f"i-sim{i:05d}": t for i, t in enumerate(ready)})
    poller = StatePoller(_CLUSTER, random.Random(seed), clock=clock.now)
    write = _Write.begin("CreateNodes", _REQUEST, Goal.NODES_RUNNING, [f"i-sim{i:05d}" for i in range(len(ready))],
                         0.0, clock.now())
    poller.add(write)
    end, polls = max(ready), []
    while not write.done:
        with poller.cond:
            due = poller.due_at()
        if due is None or due > end + _HORIZON_S:
            break
        clock.advance_to(due)
        poller.tick(source)  # type: ignore[arg-type]  # duck-typed pages, as the 1.0 simulation's
        polls.append(clock.now())
    if write.error is not None:
        raise write.error
    detected = polls[-1] if write.finished is not None else end + _HORIZON_S
    return SimResult(detected - end, poller.calls, end, tuple(polls))
