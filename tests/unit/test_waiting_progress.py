"""Progress events carry the latest step any poll has seen, as soon as the rate limit allows."""

from __future__ import annotations

from pulumi_ehpc_tasks.waiting import PollerRegistry, Progress, wait_for_task
from pulumi_ehpc_tasks.waiting.progress import NOT_SEEN, ProgressGate

from .test_waiting_fakes import CLUSTER, FakeClock, ScriptedSource


def _events(script: dict[str, list[list[object]]], interval_s: float) -> list[tuple[float, Progress, int | None]]:
    """(time since start, event, step the poller had seen at that moment) of every event."""
    clock = FakeClock()
    source = ScriptedSource(clock, script)
    registry = PollerRegistry(clock=clock, threaded=False, seed=2)
    events: list[tuple[float, Progress, int | None]] = []

    def record(p: Progress) -> None:
        state = registry.pollers()[0].state("t-1")
        seen = state.last_task.current_step if state is not None and state.last_task is not None else None
        events.append((clock.now() - source.t0, p, seen))

    wait_for_task(source, CLUSTER, "t-1", timeout_s=600, registry=registry, on_progress=record,
                  progress_interval_s=interval_s)
    return events


SCRIPT: dict[str, list[list[object]]] = {
    "t-1": [[0, "Processing", 3, 10], [3, "Processing", 5, 10], [6, "Processing", 6, 10],
            [200, "Success", 10, 10]]}


def test_the_first_event_shows_the_step_the_first_poll_read_not_not_seen() -> None:
    events = _events(SCRIPT, 10)
    at, first, _ = events[0]
    assert first.status != NOT_SEEN and first.current_step == 3
    assert at <= 1.5  # delivered with the first poll's answer, not an interval later


def test_every_event_carries_the_latest_step_the_poller_has_seen() -> None:
    for at, event, seen in _events(SCRIPT, 10)[:-1]:
        assert event.current_step == seen, at


def test_a_change_held_back_is_delivered_when_the_interval_ends() -> None:
    events = _events(SCRIPT, 10)
    (t0, first, _), (t1, second, _) = events[0], events[1]
    assert second.current_step > first.current_step
    assert t1 - t0 == 10  # as soon as the gate reopens, not at some later wake-up


def test_not_seen_is_shown_only_when_no_answer_came_for_an_interval() -> None:
    got: list[Progress] = []
    gate = ProgressGate(got.append, interval_s=5)
    waiting = Progress("t", "task", 0, 0, NOT_SEEN, 0, None)
    assert not gate.offer(waiting, 0) and gate.reopens_at() == 5
    assert gate.offer(waiting, 5)
    assert [p.status for p in got] == [NOT_SEEN]
