"""`simulate_nodes`: the real 2.0 state poller on a virtual clock, against simulated node listings."""

from __future__ import annotations

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
