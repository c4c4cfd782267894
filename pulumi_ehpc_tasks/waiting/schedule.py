"""When to poll next: a per-task completion estimate from `CurrentStep/TotalSteps`, and backoffs.

The estimate treats steps as equal on average. `CurrentStep` k (1-based, the step in progress) seen
`e` seconds after the wait began says k-1 steps finished by `e` and step k did not, so the mean step
length s satisfies e/k < s <= e/(k-1). Intersecting those bounds over all observations converges on s
quickly, even with sparse polls; the task should end near `start + TotalSteps * s`.

The schedule sleeps until one near-end interval past the earliest plausible end (a low quantile of
the steps left, allowing for the error in s, see `StepEstimate.end_bounds`), so it polls rarely while
far away and only every `near_delay_s` near the end, which is where the answer arrives: each poll far
from the end lands where the task has most likely not ended yet, and the first near-end poll already
bounds the detection latency. With nothing known yet it backs off with jitter; a task past the late
quantile of its end is polled at a slowly widening interval.

Tuned with the emulator's step model (`benchmarks/waiter.py`): p95 detection latency under 2 s with
fewer calls than Terraform's 5/3/6/10 s cadence.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from ..wire.actions import ACTION_BY_TASK_TYPE
from ..wire.task_models import TaskType

__all__ = [
    "DEFAULT_POLL_SPEC",
    "POLL_SPECS",
    "POLL_SPEC_OVERRIDES",
    "Backoff",
    "PollSpec",
    "StepEstimate",
    "next_poll_delay",
    "spec_for",
]


@dataclass(frozen=True)
class PollSpec:
    """Tuning of one task type's schedule (seconds). Defaults tuned on the emulator's step model
    (each step 0.3-1.7x the mean) by `benchmarks/waiter.py`: p95 detection under 2 s."""

    first_delay_s: float = 1.0
    """First poll after the wait starts: early, to learn TotalSteps and catch quick tasks."""
    near_delay_s: float = 1.8
    """Interval once the task could plausibly end before the next poll; bounds detection latency."""
    max_delay_s: float = 60.0
    step_sd: float = 0.4
    """Assumed spread of one step's length, relative to the mean (steps are irregular)."""
    quantile_z: float = 1.8
    """How cautious the "earliest plausible end" is, in standard deviations of the remaining steps."""
    rate_floor: float = 0.05
    """Least relative uncertainty assumed for the mean step length, however many steps were seen."""
    rate_z: float = 1.0
    """How cautious the rate is, in standard errors of the mean step (sd/sqrt(steps completed))."""
    landing: float = 1.0
    """Where the first near-end poll lands after the earliest plausible end, in `near_delay_s`."""
    overdue_growth: float = 0.05
    """Past the predicted end the interval grows by this fraction of the overdue time."""
    unknown_growth: float = 1.6
    """Backoff factor while nothing is known (no steps reported, task not visible)."""
    jitter: float = 0.1
    """Relative jitter on backoff delays (not on the predicted-end polls, which are already spread)."""
    not_found_grace_s: float = 60.0
    """How long a task id may stay invisible to `ListTasks(TaskId)` before it is an error."""


DEFAULT_POLL_SPEC = PollSpec()

# Task types differ mainly in how long they may take; the cadence adapts from observed progress.
# Only departures from the default are listed, keyed by the registry's TaskType.
POLL_SPEC_OVERRIDES: Mapping[TaskType, PollSpec] = MappingProxyType(
    {TaskType.CREATE_CLUSTER: replace(DEFAULT_POLL_SPEC, max_delay_s=30.0)}
)

POLL_SPECS: Mapping[str, PollSpec] = MappingProxyType(
    {task_type: POLL_SPEC_OVERRIDES.get(TaskType(task_type), DEFAULT_POLL_SPEC) for task_type in ACTION_BY_TASK_TYPE}
)
"""The spec of every task type an Action of the registry shows in ListTasks, by its ListTasks spelling."""


def spec_for(task_type: str | None) -> PollSpec:
    """The spec for a ListTasks `TaskType` (the default for a type the registry does not know)."""
    return POLL_SPECS.get(task_type or "", DEFAULT_POLL_SPEC)


class StepEstimate:
    """Bounds on the mean step length of one task, from (time, CurrentStep, TotalSteps) observations."""

    def __init__(self, started_at: float) -> None:
        self.started_at = started_at
        self.total_steps = 0
        self.current_step = 0
        self.lo_s = 0.0
        self.hi_s = math.inf
        self.last_seen: dict[int, float] = {}
        """Step -> the latest time it was seen in progress (each bounds the end from below)."""

    def observe(self, at: float, current_step: int, total_steps: int) -> None:
        if total_steps <= 0:
            return
        if total_steps != self.total_steps:
            self.last_seen.clear()
        self.total_steps = total_steps
        elapsed = max(at - self.started_at, 1e-3)
        k = min(max(current_step, 1), total_steps)
        self.current_step = k
        self.last_seen[k] = at
        self.lo_s = max(self.lo_s, elapsed / k)
        if k > 1:
            self.hi_s = min(self.hi_s, elapsed / (k - 1))

    @property
    def known(self) -> bool:
        return self.total_steps > 0 and self.lo_s > 0

    def step_s(self) -> float:
        """Best guess of the mean step length; with no upper bound yet, the lower bound (optimistic)."""
        if math.isinf(self.hi_s):
            return self.lo_s
        # Irregular steps can make the bounds cross; the midpoint is still the best single guess.
        return (self.lo_s + self.hi_s) / 2

    def predicted_end(self) -> float | None:
        return self.started_at + self.total_steps * self.step_s() if self.known else None

    def end_bounds(self, spec: PollSpec) -> tuple[float, float] | None:
        """Low and high quantiles of the end time (None while nothing is known).

        For every step k seen in progress at t, the end is t plus the rest of step k plus the m steps
        after it. Their sum has mean m*s and variance (sd*s)^2*m from the steps' spread plus
        (rel*m*s)^2 from the uncertainty of s itself, rel = sd/sqrt(steps completed) (at least
        `rate_floor`). The low quantile leaves out the rest of step k (it may be about to end); the high
        one counts it as a whole step. Each observation bounds the end; the tightest bound wins.
        """
        if not self.known:
            return None
        s = self.step_s()
        # Relative variance of s as an estimate of the remaining steps' mean.
        rel2 = max(spec.rate_floor**2, spec.rate_z**2 * spec.step_sd**2 / max(1, self.current_step - 1))
        low, high = -math.inf, math.inf
        for k, at in self.last_seen.items():
            m = self.total_steps - k
            sd = s * math.sqrt(spec.step_sd**2 * m + rel2 * m * m)
            low = max(low, at + max(0.0, m * s - spec.quantile_z * sd))
            sd1 = s * math.sqrt(spec.step_sd**2 * (m + 1) + rel2 * (m + 1) ** 2)
            high = min(high, at + (m + 1) * s + spec.quantile_z * sd1)
        return low, max(low, high)


def next_poll_delay(now: float, estimate: StepEstimate, spec: PollSpec, rng: random.Random,
                    unknown_attempt: int = 0) -> float:
    """Seconds until this task next wants a look.

    Far from the end, sleep until `near_delay_s` past the earliest plausible end (`end_bounds`):
    the task is very unlikely to have ended before it, so that one poll already bounds the
    detection latency by `near_delay_s`. Then poll every `near_delay_s`, widening slowly when overdue.
    """
    bounds = estimate.end_bounds(spec)
    if bounds is None:
        delay = spec.first_delay_s * float(spec.unknown_growth**unknown_attempt)
        return _jittered(min(delay, spec.max_delay_s), spec, rng)
    earliest, latest = bounds
    gap = earliest - now + spec.near_delay_s * spec.landing
    if gap > spec.near_delay_s:
        return min(gap, spec.max_delay_s)
    overdue = max(0.0, now - latest)
    return min(spec.near_delay_s + spec.overdue_growth * overdue, spec.max_delay_s)


def _jittered(delay: float, spec: PollSpec, rng: random.Random) -> float:
    return delay * (1.0 + spec.jitter * (2 * rng.random() - 1))


class Backoff:
    """Capped exponential backoff with full-ish jitter, shared by every wait of a poller."""

    def __init__(self, base_s: float, max_s: float, rng: random.Random) -> None:
        self.base_s = base_s
        self.max_s = max_s
        self.failures = 0
        self._rng = rng

    def next_delay(self, retry_after_s: float | None = None) -> float:
        cap: float = min(self.max_s, self.base_s * float(2**self.failures))
        self.failures += 1
        delay = cap / 2 + self._rng.random() * cap / 2
        return max(delay, retry_after_s or 0.0)

    def reset(self) -> None:
        self.failures = 0
