"""`simulate_nodes`: the real 2.0 state poller on a virtual clock, against simulated node listings."""

from __future__ import annotations

import itertools

import pytest

from pulumi_ehpc_tasks.waiting import simulate_nodes


def test_the_wait_ends_at_the_first_read_after_the_last_node_runs() -> None:
    ready = [40.0, 12.0, 95.0]
    result = simulate_nodes(ready, seed=3)
    assert result.end_s == 95.0
    assert result.latency_s >= 0
    before = [t for t in result.poll_times_s if t < 95.0]
    assert result.poll_times_s[-1] >= 95.0 and len(before) == len(result.poll_times_s) - 1
    # A tick reads ListNodes (one page); ListCommonLogs only once every node listed has settled.
    assert result.calls == len(result.poll_times_s) + 1


def test_more_than_a_page_of_nodes_costs_a_call_per_page() -> None:
    one = simulate_nodes([30.0] * 100, seed=1)
    two = simulate_nodes([30.0] * 101, seed=1)
    assert one.poll_times_s == two.poll_times_s
    assert two.calls == 2 * len(two.poll_times_s) + 1


def test_the_same_seed_gives_the_same_wait() -> None:
    assert simulate_nodes([5.0, 50.0], seed=7) == simulate_nodes([5.0, 50.0], seed=7)


def test_rejects_an_empty_or_negative_timeline() -> None:
    with pytest.raises(ValueError):
        simulate_nodes([])
    with pytest.raises(ValueError):
        simulate_nodes([-1.0])


def test_nodes_booting_together_are_watched_at_the_latency_budget_then_closely() -> None:
    from pulumi_ehpc_tasks.waiting import DEFAULT_POLL_SPEC as spec

    # 16 nodes boot together and turn running between 200 s and 212 s: nothing settles before 200 s.
    ready = [200.0 + 0.75 * i for i in range(16)]
    result = simulate_nodes(ready, seed=5)
    polls = [0.0, *result.poll_times_s]
    gaps = [(b, b - a) for a, b in itertools.pairwise(polls)]
    # Before any node runs, no sleep exceeds the latency budget (the step model alone sleeps up to
    # a quarter of the time waited there, 50 s at 200 s).
    assert all(gap <= spec.latency_cap_s + 1e-9 for at, gap in gaps if at <= 200.0)
    first = next(at for at in polls if at >= 200.0)
    # After the first node runs, a sleep reaches a quarter of the time since (at least the near cadence).
    assert all(gap <= max(spec.near_delay_s, spec.in_step_trust * (at - gap - first)) + 1e-9
               for at, gap in gaps if at - gap > first)
    assert result.latency_s <= spec.near_delay_s + spec.in_step_trust * (212.0 - first)
