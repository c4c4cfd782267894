"""When to poll next: a per-task model of its steps learnt from `CurrentStep/TotalSteps`, and backoffs.

Each poll tells which step is in progress. Between two polls that saw different steps, that many steps
ended; the poll times bracket when. From those brackets the model learns the typical step length and,
unlike a fixed assumption, how irregular this task's steps are: the log-spread of the observed step
lengths (a prior of `prior_sigma` worth `prior_weight` measured runs until enough are seen). Each run
of consecutive steps seen between two polls is one estimate of that spread, however many steps it
holds: a run of n steps averages them, so its deviation counts n times over but once in the count. A
few polls whose paces agree with one step length are no evidence of regular steps (on the benchmark's
uniform 60 s tasks of 20-35 steps they agreed closely in 93 of 226, and a model that trusted that
detected 31 of them over 2 s late; 3 now). A step still in progress for longer than the model expects
counts as evidence of a wider spread, so a stalled or dominant step loosens the model instead of being
polled as if its end were imminent.

From the model, a window of plausible end times `[low, high]`: `low` lets the step in progress end at
its own low quantile and the steps left be short (quantile `low_z` of their sum), `high` the converse
(`quantile_z`). The schedule

- sleeps until `low` while it is far, but no further ahead than the observations reach (`evidence_s`:
  the time the measured steps cover, trusted by their number and regularity; a step in progress for x
  seconds reaches only `in_step_trust` x, since the steps after it may be short) nor `max_delay_s`;
- inside the window, polls at its width over a budget of polls (one per `window_share_s` of the task's
  expected length, at least `window_polls_min`), between `near_delay_s` (a well-predicted end: low
  latency for little cost) and the latency budget `latency_cap_s` (early in a wait at most
  `early_growth` times the time waited, so a short task is not looked at every 9 s);
- once the step in progress outlasts the model's high quantile, polls at the latency budget: the
  model was wrong about this step, the budget is all that is left to trust;
- as the step in progress lasts, `high` moves out with it (a step that has lasted x may last x times its
  high spread), so the window's cadence widens with it, up to the latency budget; only while polls do
  not see the task (no observation moves `high`) does a wait run past `high`, and then it widens slowly.

Tuned with `benchmarks/waiter.py` on step profiles unlike each other (uniform, front- and back-loaded,
heavy-tailed, stalled) on tuning seeds, reported on others; the simulation (`simulate.py`) runs this code.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import NamedTuple

from ..wire.actions import ACTION_BY_TASK_TYPE, TaskType

__all__ = [
    "DEFAULT_POLL_SPEC",
    "POLL_SPECS",
    "POLL_SPEC_OVERRIDES",
    "Backoff",
    "EndWindow",
    "PollSpec",
    "StepEstimate",
    "next_poll_delay",
    "spec_for",
]


@dataclass(frozen=True)
class PollSpec:
    """Tuning of one task type's schedule (seconds)."""

    first_delay_s: float = 1.0
    """First poll after the wait starts: early, to learn TotalSteps and catch quick tasks."""
    near_delay_s: float = 1.8
    """Densest cadence, when the end is well predicted."""
    latency_cap_s: float = 9.0
    """Latency budget: the longest interval once the task could plausibly end."""
    max_delay_s: float = 60.0
    """Longest sleep while the task is far from its end."""
    history_growth: float = 1.0
    """A sleep reaches at most this times `StepEstimate.evidence_s`."""
    window_polls_min: float = 4.0
    """Polls the window may cost however short the task (a short task's window is cheap anyway; with 3, a
    10 s task of 6 steps had a p95 of 2.8 s, with 4 of 1.8 s for half a call more)."""
    early_growth: float = 4.0
    """Early in a wait the latency budget is at most this times the time waited."""
    window_share_s: float = 8.0
    """Polls to spend across the plausible-end window: one per this many seconds of the task's
    expected length (its earliest plausible end); the window's width over that is the cadence."""
    regular_reach: float = 4.0
    """How much further steps more regular than the prior let a sleep reach (see `evidence_s`)."""
    trust_weight: float = 2.0
    """Measured steps count as evidence in proportion n/(n + this)."""
    in_step_trust: float = 0.25
    """How far ahead a step in progress for x seconds reaches, in x (the steps after it may be short)."""
    prior_sigma: float = 0.8
    """Log-spread of step lengths assumed before any step is observed."""
    prior_weight: float = 2.0
    """How many measured runs (see `_Run`) that prior is worth."""
    quantile_z: float = 1.5
    """How far the window reaches late, in standard deviations (of log-lengths)."""
    low_z: float = 2.3
    """How far it reaches early: an end before `low` is caught only by the next poll, late."""
    landing: float = 1.0
    """Where the first poll of the window lands after `low`, in cadences."""
    overdue_growth: float = 0.05
    """Past `high` the interval grows by this fraction of the overdue time (only while polls do not see
    the task: each observation moves `high` past the time it was made)."""
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


@dataclass(frozen=True)
class EndWindow:
    """When a task plausibly ends, from its step model."""

    low: float
    high: float
    outlasted: bool
    """The step in progress has outlasted the model's high quantile: the model is wrong about it."""


_SHARP_NOISE = 0.04
"""Relative variance of a run's length (from its brackets) at which it counts half for the spread."""


class _Run(NamedTuple):
    """A measured run of consecutive steps: one step, or the steps that ran wholly between two polls."""

    log_rate: float
    """log(seconds per step)."""
    steps: int
    noise: float
    """Relative variance of its length, from not knowing where in their brackets the ends fell."""

    @property
    def weight(self) -> float:
        """What the run says about the spread, in runs: one, less if known only roughly (wide brackets)."""
        return 1.0 / (1.0 + self.noise / _SHARP_NOISE)


class StepEstimate:
    """What one task's polls say about its steps: when each step ended (bracketed by polls) and the
    spread of their lengths. Fed by `observe` on every poll that saw the task in progress."""

    def __init__(self, started_at: float) -> None:
        self.started_at = started_at
        self.total_steps = 0
        self.current_step = 0
        self.last_at = started_at
        """Time of the latest observation."""
        self.step_began = (started_at, started_at)
        """Bracket of when the step in progress began (it was not seen before the first, was by the second)."""
        self._runs: list[_Run] = []
        self._first_seen: list[tuple[float, int]] = []
        """(time, step) of each poll that first saw a step: the recent pace is measured across them."""
        self._model: tuple[PollSpec, float, tuple[float, float, int]] | None = None
        self._stats: tuple[int, tuple[float, float, float, int, int]] | None = None

    def observe(self, at: float, current_step: int, total_steps: int) -> None:
        if total_steps <= 0:
            return
        if total_steps != self.total_steps:
            self.__init__(self.started_at)  # type: ignore[misc]  # a new step plan: start over
            self.total_steps = total_steps
        k = min(max(current_step, 1), total_steps)
        if k > max(self.current_step, 1):
            # n steps ended since the last poll; their ends spread evenly over the interval between.
            prev_at = self.last_at if self.current_step else self.started_at
            n = k - max(self.current_step, 1)
            share = (at - prev_at) / n
            began_width = self.step_began[1] - self.step_began[0]
            first = prev_at + share / 2 - sum(self.step_began) / 2
            # Each run's length is known to within its brackets: that part of its spread is ours.
            self._add_run(1, first, (began_width**2 + share**2) / 12)
            if n > 1:
                self._add_run(n - 1, share * (n - 1), share**2 / 6)
            self.step_began = (prev_at, at)
            self._model = None
        if k > self.current_step:
            self._first_seen.append((at, k))
        self.current_step = max(self.current_step, k)
        self.last_at = at

    @property
    def known(self) -> bool:
        return self.total_steps > 0 and self.last_at > self.started_at

    @property
    def in_step_s(self) -> float:
        """How long the step in progress has certainly lasted."""
        return max(0.0, self.last_at - self.step_began[1])

    def evidence_s(self, spec: PollSpec) -> float:
        """How far ahead the observations reach: the step in progress has lasted this long, and the
        measured steps cover the time so far, trusted as far as there are enough of them and, up to
        `regular_reach` times further, as they are more regular than the prior."""
        _, sigma, measured = self.step_model(spec)
        trust = measured / (measured + spec.trust_weight)
        trust *= min(spec.regular_reach, max(1.0, spec.prior_sigma / max(sigma, 1e-3)))
        return max(spec.in_step_trust * self.in_step_s, trust * (self.last_at - self.started_at))

    def step_model(self, spec: PollSpec) -> tuple[float, float, int]:
        """(median step length, log-spread, steps measured) of this task, the prior filling the gaps."""
        if self._model is not None and self._model[0] is spec and self._model[1] == self.last_at:
            return self._model[2]
        model = self._fit(spec)
        self._model = (spec, self.last_at, model)
        return model

    def _add_run(self, steps: int, seconds: float, noise_s2: float) -> None:
        if seconds > 0:
            bisect.insort(self._runs, _Run(math.log(seconds / steps), steps, noise_s2 / seconds**2))

    def _run_stats(self) -> tuple[float, float, float, int, int]:
        """(median log-rate, weighted squares, weight, steps, runs) of the measured runs (cached)."""
        if self._stats is not None and self._stats[0] == len(self._runs):
            return self._stats[1]
        runs = self._runs  # sorted by log-rate
        steps = sum(r.steps for r in runs)
        # The weighted median log-rate: one dominant or stalled step does not make every step long.
        acc, mu = 0, runs[-1].log_rate if runs else 0.0
        for r in runs:
            acc += r.steps
            if acc >= steps / 2:
                mu = r.log_rate
                break
        # A run of n steps averages them: its log-rate varies about sigma^2/n (plus its bracket noise),
        # so n times its squared deviation estimates sigma^2 once; each run is one such estimate.
        sq = weight = 0.0
        for r in runs:
            w = r.weight
            dev = (r.log_rate - mu) ** 2 - r.noise
            if dev > 0:
                sq += w * r.steps * dev
            weight += w
        stats = (mu, sq, weight, steps, len(runs))
        self._stats = (len(runs), stats)
        return stats

    def _fit(self, spec: PollSpec) -> tuple[float, float, int]:
        mu, sq, weight, steps, runs = self._run_stats()
        if not runs:
            # Only the step in progress: it has lasted at least this long.
            return max(self.last_at - self.started_at, 1e-3), spec.prior_sigma, 0
        weight += spec.prior_weight
        sq += spec.prior_weight * spec.prior_sigma**2
        x = self.in_step_s
        if x > math.exp(mu):  # the step in progress is already longer than typical: a wider spread
            sq += (math.log(x) - mu) ** 2
            weight += 1
        return min(math.exp(mu), self._recent_pace()), math.sqrt(sq / weight), steps

    def _recent_pace(self) -> float:
        """Seconds per step over the latest half of the steps seen: the steps ahead are more like the
        recent ones than like a long first step, and a pace measured over many steps is precise."""
        k = self.current_step
        for at, step in reversed(self._first_seen):
            if step <= max(1, k // 2) and step < k:
                return (self.last_at - at) / (k - step)
        return math.inf

    def end_window(self, spec: PollSpec) -> EndWindow | None:
        """The plausible end times (None while nothing is known).

        The m steps after the one in progress: a lognormal sum (Fenton-Wilkinson) of steps with the
        learnt median and spread, plus the uncertainty of the median itself. `low` lets the step in
        progress end now (quantile `low_z`); `high` gives it its high quantile, at least what it has
        lasted times that spread (a step longer than expected is likely to be longer still).
        """
        if not self.known:
            return None
        median, sigma, measured = self.step_model(spec)
        m = self.total_steps - self.current_step
        low = high = self.last_at
        if m > 0:
            mean = median * math.exp(sigma**2 / 2)
            step_var = mean**2 * (math.exp(sigma**2) - 1)
            rel2 = sigma**2 / max(1, measured)
            total = m * mean
            s2 = math.log1p((m * step_var + rel2 * total**2) / total**2)
            mu = math.log(total) - s2 / 2
            low += math.exp(mu - spec.low_z * math.sqrt(s2))
            high += math.exp(mu + spec.quantile_z * math.sqrt(s2))
        # The step in progress may have begun as early as its bracket allows; it ends no sooner
        # than its own low quantile.
        oldest = self.last_at - self.step_began[0]
        low += max(0.0, median * math.exp(-spec.low_z * sigma) - oldest)
        x = self.in_step_s
        step_high = median * math.exp(spec.quantile_z * sigma)
        high += max(step_high, x * math.exp(spec.quantile_z * sigma)) - x
        return EndWindow(low, max(low, high), outlasted=measured > 0 and x > step_high)

    def predicted_end(self) -> float | None:
        """Best single guess of the end (for the ETA shown in progress)."""
        if not self.known:
            return None
        median = self.step_model(PollSpec())[0]
        return self.last_at + max(0.0, median - self.in_step_s) + (self.total_steps - self.current_step) * median


def next_poll_delay(now: float, estimate: StepEstimate, spec: PollSpec, rng: random.Random,
                    unknown_attempt: int = 0) -> float:
    """Seconds until this task next wants a look (see the module docstring)."""
    window = estimate.end_window(spec)
    if window is None:
        delay = spec.first_delay_s * float(spec.unknown_growth**unknown_attempt)
        return _jittered(min(delay, spec.latency_cap_s), spec, rng)
    low, high = window.low, window.high
    elapsed = now - estimate.started_at
    # Early in a wait the latency budget is relative: a 5 s task is not looked at every 9 s.
    cap = min(spec.latency_cap_s, max(spec.near_delay_s, spec.early_growth * elapsed))
    if window.outlasted:
        cadence = cap  # the model failed for this step: only the latency budget is left to trust
    else:
        # The window may cost as many polls as one every `window_share_s` over the task's length.
        budget = max(spec.window_polls_min, (low - estimate.started_at) / spec.window_share_s)
        cadence = min(max((high - low) / budget, spec.near_delay_s), cap)
    gap = low - now + cadence * spec.landing
    if gap > cadence:
        justified = max(cadence, spec.history_growth * estimate.evidence_s(spec))
        return min(gap, justified, spec.max_delay_s)
    overdue = max(0.0, now - high)
    return min(cadence + spec.overdue_growth * overdue, cap)


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
