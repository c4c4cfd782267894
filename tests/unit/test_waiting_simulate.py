"""The simulation entry point runs the production poller on a virtual clock against step timelines."""

from __future__ import annotations

import itertools

import pytest

from pulumi_ehpc_tasks.waiting import DEFAULT_POLL_SPEC, SimResult, simulate, simulate_many


def _equal(total_s: float, steps: int) -> list[float]:
    return [total_s * k / steps for k in range(1, steps + 1)]


def test_a_simulated_wait_detects_the_end_after_it_with_the_calls_it_made() -> None:
    r = simulate(_equal(120, 20), task_type="AddComputes", total_steps=20)
    assert isinstance(r, SimResult)
    assert r.end_s == 120
    assert r.latency_s >= 0  # never before the end
    assert r.poll_times_s[-1] == pytest.approx(r.end_s + r.latency_s)
    assert r.calls == len(r.poll_times_s)  # one ListTasks(TaskId) per tick for a single wait
    assert all(b > a for a, b in itertools.pairwise(r.poll_times_s))


def test_a_task_already_done_is_seen_by_the_first_poll() -> None:
    r = simulate([0.0], total_steps=1)
    assert r.calls == 1 and r.poll_times_s == (DEFAULT_POLL_SPEC.first_delay_s,)


def test_the_simulation_is_deterministic_for_a_seed() -> None:
    ends = [3.0, 40.0, 41.0, 90.0]
    assert simulate(ends, seed=4) == simulate(ends, seed=4)


@pytest.mark.parametrize(("ends", "total"), [([], None), ([5.0, 3.0], None), ([1.0, 2.0], 3), ([-1.0], None)])
def test_a_bad_timeline_is_refused(ends: list[float], total: int | None) -> None:
    with pytest.raises(ValueError):
        simulate(ends, total_steps=total)


def test_many_waits_share_one_poller_and_each_gets_its_latency() -> None:
    lines = [_equal(30 + i, 10) for i in range(64)]
    many = simulate_many(lines, task_type="AddComputes")
    assert len(many.latencies_s) == 64 and all(lat >= 0 for lat in many.latencies_s)
    one = simulate(lines[0])
    assert many.calls < 64 * one.calls  # shared ticks, not one poll loop per wait
    assert many.calls_per_task == many.calls / 64
