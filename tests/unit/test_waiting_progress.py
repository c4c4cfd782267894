"""Progress events carry the latest step any poll has seen, as soon as the rate limit allows."""

from __future__ import annotations

from pulumi_ehpc_tasks.waiting import PollerRegistry, Progress, wait_for_task
from pulumi_ehpc_tasks.waiting.progress import NOT_SEEN, ProgressGate

from .test_waiting_fakes import CLUSTER, FakeClock, ScriptedSource


def _events(script: dict[str, list[list[object]]], interval_s: float
            ) -> tuple[list[tuple[float, Progress, int | None]], list[tuple[float, int]]]:
    """(time since start, event, step the poller had seen then) of every event; (time, step) polled."""
    clock = FakeClock()
    source = ScriptedSource(clock, script)
    polls: list[tuple[float, int]] = []

    def polled() -> None:
        entry = source.entry("t-1")
        polls.append((clock.now() - source.t0, entry["CurrentStep"] if entry else 0))

    source.on_call = polled
    registry = PollerRegistry(clock=clock, threaded=False, seed=2)
    events: list[tuple[float, Progress, int | None]] = []

    def record(p: Progress) -> None:
        state = registry.pollers()[0].state("t-1")
        seen = state.last_task.current_step if state is not None and state.last_task is not None else None
        events.append((clock.now() - source.t0, p, seen))

    wait_for_task(source, CLUSTER, "t-1", timeout_s=600, registry=registry, on_progress=record,
                  progress_interval_s=interval_s)
    return events, polls


SCRIPT: dict[str, list[list[object]]] = {
    "t-1": [[0, "Processing", 3, 10], [3, "Processing", 5, 10], [6, "Processing", 6, 10],
            [200, "Success", 10, 10]]}


def test_the_first_event_shows_the_step_the_first_poll_read_not_not_seen() -> None:
    events, _ = _events(SCRIPT, 10)
    at, first, _ = events[0]
    assert first.status != NOT_SEEN and first.current_step == 3
    assert at <= 1.5  # delivered with the first poll's answer, not an interval later


def test_every_event_carries_the_latest_step_the_poller_has_seen() -> None:
    for at, event, seen in _events(SCRIPT, 10)[0][:-1]:
        assert event.current_step == seen, at


def test_a_change_held_back_is_delivered_when_the_interval_ends() -> None:
    events, polls = _events(SCRIPT, 10)
    (t0, first, _), (t1, second, _) = events[0], events[1]
    assert second.current_step > first.current_step
    # The poll that first read a new step, or the gate reopening, whichever came last: no later.
    changed_at = next(t for t, step in polls if step != first.current_step)
    assert t1 == max(t0 + 10, changed_at)


def test_not_seen_is_shown_only_when_no_answer_came_for_an_interval() -> None:
    got: list[Progress] = []
    gate = ProgressGate(got.append, interval_s=5)
    waiting = Progress("t", "task", 0, 0, NOT_SEEN, 0, None)
    assert not gate.offer(waiting, 0) and gate.reopens_at() == 5
    assert gate.offer(waiting, 5)
    assert [p.status for p in got] == [NOT_SEEN]
