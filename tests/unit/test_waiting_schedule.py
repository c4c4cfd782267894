"""The schedule learns how irregular a task's steps are, keeps a latency budget, and sleeps only as far
as its observations reach. Behaviour, checked through the simulation (virtual time), not timings."""

from __future__ import annotations

import dataclasses
import itertools
import random

from pulumi_ehpc_tasks.waiting import DEFAULT_POLL_SPEC, simulate
from pulumi_ehpc_tasks.waiting.schedule import StepEstimate, next_poll_delay

SPEC = DEFAULT_POLL_SPEC


def _equal(total_s: float, steps: int) -> list[float]:
    return [total_s * k / steps for k in range(1, steps + 1)]


def _observe(estimate: StepEstimate, ends: list[float], times: list[float]) -> None:
    for t in times:
        estimate.observe(t, min(len(ends), 1 + sum(e <= t for e in ends)), len(ends))


def test_regular_steps_learn_a_narrow_spread_and_irregular_ones_a_wide_one() -> None:
    polls = [1.0 + i for i in range(95)]  # finer than a step: each step's length is well bracketed
    regular, irregular = StepEstimate(0.0), StepEstimate(0.0)
    _observe(regular, _equal(100, 25), polls)
    rng = random.Random(1)
    lengths = [rng.lognormvariate(0, 1.0) * 4 for _ in range(25)]
    ends = [sum(lengths[: k + 1]) for k in range(25)]
    _observe(irregular, ends, [t for t in polls if t < ends[-1]])
    assert regular.step_model(SPEC)[1] < SPEC.prior_sigma / 2
    assert irregular.step_model(SPEC)[1] > 0.7  # lognormal steps of sigma 1
    assert irregular.step_model(SPEC)[1] > 3 * regular.step_model(SPEC)[1]


def test_steps_seen_in_a_few_long_runs_keep_their_spread() -> None:
    # A 33-step task (uniform 0.3-1.7x steps, report seed 10059 of the waiter benchmark) seen by four
    # polls, each several steps apart. Their paces agree with one step length to within 1 %, which
    # once narrowed the spread to 0.05 and put the earliest plausible end at 79 s; it ended at 67.9 s.
    estimate = StepEstimate(0.0)
    for at, step in [(1.0, 1), (5.0, 3), (14.0, 7), (34.6, 15)]:
        estimate.observe(at, step, 33)
    assert estimate.step_model(SPEC)[1] > 0.3
    window = estimate.end_window(SPEC)
    assert window is not None and window.low <= 67.9


def test_a_step_that_outlasts_its_model_widens_the_spread() -> None:
    estimate = StepEstimate(0.0)
    ends = [*_equal(20, 10), 200.0]
    _observe(estimate, ends, [1.0 + 2 * i for i in range(11)])
    before = estimate.step_model(SPEC)[1]
    _observe(estimate, ends, [60.0])
    assert estimate.step_model(SPEC)[1] > before


def test_a_predictable_end_is_polled_densely_and_detected_within_the_near_cadence() -> None:
    r = simulate(_equal(300, 30))
    assert r.latency_s <= SPEC.near_delay_s
    assert r.calls < 300 / 10  # far fewer than a 10 s cadence


def test_an_unpredictable_long_last_step_is_polled_at_the_latency_budget_not_densely() -> None:
    ends = [*_equal(30, 10), 600.0]  # ten 3 s steps, then a 570 s last step
    r = simulate(ends)
    assert r.latency_s <= SPEC.latency_cap_s
    last_step = [t for t in r.poll_times_s if t > 60]
    gaps = [b - a for a, b in itertools.pairwise(last_step)]
    assert gaps and min(gaps) > SPEC.near_delay_s  # not 1.8 s throughout
    assert max(gaps) <= SPEC.latency_cap_s + 1e-9


def test_after_a_long_first_step_the_short_steps_behind_it_are_not_slept_through() -> None:
    ends = [40.0, *[40.0 + 2 * k for k in range(1, 11)]]  # 40 s, then ten 2 s steps
    r = simulate(ends)
    assert r.latency_s <= SPEC.latency_cap_s


def test_no_sleep_reaches_further_than_the_evidence() -> None:
    estimate = StepEstimate(0.0)
    ends = _equal(3000, 10)
    _observe(estimate, ends, [1.0, 4.0])
    delay = next_poll_delay(4.0, estimate, SPEC, random.Random(0))
    assert delay <= max(SPEC.latency_cap_s, SPEC.history_growth * estimate.evidence_s(SPEC))
    assert delay < 300  # the model alone would sleep until near 3000 s


def test_heavy_tailed_steps_are_mostly_detected_within_the_latency_budget() -> None:
    rng = random.Random(3)
    latencies = []
    for _ in range(100):
        lengths = [rng.lognormvariate(0, 1.0) * 10 for _ in range(rng.randint(6, 35))]
        ends = [sum(lengths[: k + 1]) for k in range(len(lengths))]
        latencies.append(simulate(ends, seed=rng.randrange(1000)).latency_s)
    within = sum(lat <= SPEC.latency_cap_s for lat in latencies)
    assert within >= 90  # the budget holds for the p90 at least, though no step is like the others


def test_simulate_runs_a_tuning_given_as_spec() -> None:
    ends = _equal(300, 30)
    own = dataclasses.replace(SPEC, first_delay_s=3.0, near_delay_s=4.0)
    default, tuned = simulate(ends), simulate(ends, spec=own)
    assert default.poll_times_s[0] == SPEC.first_delay_s and tuned.poll_times_s[0] == 3.0
    assert min(b - a for a, b in itertools.pairwise(default.poll_times_s)) < 2.0
    assert min(b - a for a, b in itertools.pairwise(tuned.poll_times_s)) >= 4.0 - 1e-9
    assert tuned.calls < default.calls
