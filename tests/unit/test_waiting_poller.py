from __future__ import annotations

import itertools
import threading

import pytest

from pulumi_ehpc_tasks.waiting import ClusterPoller, PollerRegistry, Progress, WaitTimeoutError, wait_for_task
from pulumi_ehpc_tasks.waiting.progress import ProgressGate
from pulumi_ehpc_tasks.wire.errors import AuthError, EhpcApiError, EhpcTransportError, ThrottledError

from .test_waiting_fakes import CLUSTER, FakeClock, ScriptedSource


def _registry(clock: FakeClock) -> PollerRegistry:
    return PollerRegistry(clock=clock, threaded=False, seed=7)


def test_first_poll_is_early() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Success", 3, 3]]})
    done = wait_for_task(source, CLUSTER, "t-1", timeout_s=60, registry=_registry(clock))
    assert done.ok
    assert len(source.calls) == 1 and source.calls[0]["task_id"] == "t-1"
    assert clock.now() - source.t0 <= 1.5


def test_timeout_message_names_task_step_elapsed_and_how_to_resume() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-9": [[0, "Processing", 1, 10], [5, "Processing", 4, 10]]})
    with pytest.raises(WaitTimeoutError) as ei:
        wait_for_task(source, CLUSTER, "t-9", timeout_s=45, registry=_registry(clock))
    msg = str(ei.value)
    for part in ("t-9", "AddComputes", "Processing", "step 4/10", "45s", "goes on in the cloud",
                 f"ehpc-tasks tasks wait t-9 --cluster-id {CLUSTER}", "pulumi up"):
        assert part in msg, part
    assert ei.value.elapsed_s == pytest.approx(45, abs=1)
    assert ei.value.last_task is not None and ei.value.last_task.current_step == 4


def test_progress_is_rate_limited_and_ends_with_a_final_event() -> None:
    clock = FakeClock()
    script = {"t-1": [[0, "Processing", 1, 30]] + [[2 * k, "Processing", k, 30] for k in range(2, 30)]
              + [[61, "Success", 30, 30]]}
    source = ScriptedSource(clock, script)
    events: list[tuple[float, Progress]] = []
    wait_for_task(source, CLUSTER, "t-1", timeout_s=600, registry=_registry(clock),
                  on_progress=lambda p: events.append((clock.now(), p)), progress_interval_s=10)
    assert events[-1][1].final and events[-1][1].status == "Success"
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(events[:-1])]
    assert all(g >= 10 - 1e-9 for g in gaps)
    keys = [(p.current_step, p.status) for _, p in events]
    assert len(keys) == len(set(keys))  # only when something changed
    assert any(p.eta_s is not None for _, p in events[:-1])


def test_progress_gate_holds_back_changes_within_the_interval() -> None:
    got: list[Progress] = []
    gate = ProgressGate(got.append, interval_s=5)
    ev = lambda step, final=False: Progress("t", "AddComputes", step, 9, "Processing", 0, None, final)  # noqa: E731
    assert gate.offer(ev(1), 0) and not gate.offer(ev(2), 1) and not gate.offer(ev(2), 4)
    assert gate.offer(ev(2), 5) and not gate.offer(ev(2), 20)
    assert gate.offer(ev(2, final=True), 20.5)
    assert [e.current_step for e in got] == [1, 2, 2]


def _poller_with(clock: FakeClock, source: ScriptedSource, ids: list[str]) -> ClusterPoller:
    poller = ClusterPoller(CLUSTER, clock=clock)
    for tid in ids:
        poller.add_wait(tid, source, lambda: None)
    return poller


def _run_until(poller: ClusterPoller, clock: FakeClock, until: float) -> int:
    """Drive the poller like its thread would, with fake time; return the number of ticks."""
    ticks = 0
    while True:
        due = poller.due_at()
        if due is None or due > until:
            return ticks
        clock.t = max(clock.t, due)
        poller.poll_once()
        ticks += 1


def test_concurrent_waits_are_coalesced_into_one_call_per_tick() -> None:
    clock = FakeClock()
    ids = [f"t-{i}" for i in range(40)]
    script = {tid: [[0, "Processing", 1, 10], [10, "Processing", 4, 10], [25, "Processing", 8, 10],
                    [30 + i % 3, "Success", 10, 10]] for i, tid in enumerate(ids)}
    source = ScriptedSource(clock, script)
    poller = _poller_with(clock, source, ids)
    ticks = _run_until(poller, clock, clock.t + 120)
    assert all(poller.state(t).finished is not None for t in ids)  # type: ignore[union-attr]
    listing_calls = [c for c in source.calls if c["task_id"] is None]
    assert all(c["archived"] for c in listing_calls)  # the history: finished tasks included
    assert len(listing_calls) <= ticks  # one page per tick covers all 40
    # 40 waits cost a few calls more than one wait's ticks, not 40x.
    assert len(source.calls) <= 2 * ticks + 3
    assert len(source.calls) < 40


def test_more_than_a_page_of_running_tasks_is_paged() -> None:
    clock = FakeClock()
    ids = [f"t-{i}" for i in range(70)]
    source = ScriptedSource(clock, {t: [[0, "Processing", 1, 5], [8, "Success", 5, 5]] for t in ids})
    poller = _poller_with(clock, source, ids)
    clock.t += 1.0
    poller.poll_once()
    assert [c["page"] for c in source.calls] == [1, 2]
    assert all(poller.state(t).last_task is not None for t in ids)  # type: ignore[union-attr]


def test_throttling_holds_off_the_whole_poller_and_shows_in_progress() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {t: [[0, "Processing", 1, 5]] for t in ("a", "b")})
    poller = _poller_with(clock, source, ["a", "b"])
    clock.t += 1.0
    source.raise_next = [ThrottledError(code="Throttling.User", message="slow down", http_status=400,
                                        retry_after_ms=7000)]
    poller.poll_once()
    assert poller.last_error == "Throttling.User"
    due = poller.due_at()
    assert due is not None and due >= clock.now() + 7.0  # both waits wait, not just one
    assert all(poller.state(t).error is None for t in ("a", "b"))  # type: ignore[union-attr]
    clock.t = due
    poller.poll_once()
    assert poller.last_error is None


@pytest.mark.parametrize("exc", [
    EhpcApiError(code="ServiceUnavailable", message="busy", http_status=503),
    EhpcApiError(code="DbError", message="db", http_status=406),
    EhpcTransportError("connection reset"),
])
def test_transient_errors_are_retried_until_success(exc: Exception) -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Processing", 1, 3], [5, "Success", 3, 3]]})
    source.raise_next = [exc, exc]
    done = wait_for_task(source, CLUSTER, "t-1", timeout_s=120, registry=_registry(clock))
    assert done.ok and len(source.calls) >= 3


def test_transient_errors_until_the_deadline_name_the_last_error() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Processing", 1, 3]]})
    source.raise_next = [EhpcApiError(code="ServiceUnavailable", message="busy", http_status=503)] * 100
    with pytest.raises(WaitTimeoutError, match="ServiceUnavailable"):
        wait_for_task(source, CLUSTER, "t-1", timeout_s=30, registry=_registry(clock))


def test_fatal_errors_end_every_wait() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Processing", 1, 3]]})
    source.raise_next = [AuthError(code="InvalidAccessKeyId.NotFound", message="no", http_status=404)]
    with pytest.raises(AuthError):
        wait_for_task(source, CLUSTER, "t-1", timeout_s=120, registry=_registry(clock))


def test_threaded_waits_share_one_poller_and_finish() -> None:
    # Real threads, real time, tiny task: every waiter gets the result from the one shared poller.
    clock = FakeClock()
    source = ScriptedSource(clock, {f"t-{i}": [[0, "Success", 2, 2]] for i in range(8)})
    reg = PollerRegistry(seed=3)
    results: dict[str, bool] = {}
    threads = [threading.Thread(target=lambda t=f"t-{i}": results.__setitem__(
        t, wait_for_task(source, CLUSTER, t, timeout_s=30, registry=reg).ok)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert results == {f"t-{i}": True for i in range(8)}
    assert len(source.calls) < 8 * 2


def _stepped(total_s: float, steps: int, start: float = 0.0) -> list[list[object]]:
    """A timeline with equal steps: Processing at each step boundary, Success at the end."""
    rows: list[list[object]] = [[start + total_s * (k - 1) / steps, "Processing", k, steps]
                                for k in range(1, steps + 1)]
    return [*rows, [start + total_s, "Success", steps, steps]]


def test_sixty_four_waits_cost_at_most_twice_one_wait() -> None:
    # Deterministic: fake clock, scripted tasks of 26-34 s (10 steps), the poller driven in-line.
    def calls_for(n: int) -> int:
        clock = FakeClock()
        ids = [f"t-{i}" for i in range(n)]
        source = ScriptedSource(clock, {t: _stepped(26 + 8 * i / max(1, n - 1), 10) for i, t in enumerate(ids)})
        poller = _poller_with(clock, source, ids)
        _run_until(poller, clock, clock.t + 300)
        assert all(poller.state(t).finished is not None for t in ids)  # type: ignore[union-attr]
        assert poller.calls == len(source.calls)
        return len(source.calls)

    one = calls_for(1)
    assert calls_for(64) <= 2 * one
    assert calls_for(16) <= 2 * one


def test_several_waits_read_terminal_state_from_the_listing_without_id_lookups() -> None:
    clock = FakeClock()
    script = {"a": _stepped(10, 5), "b": _stepped(14, 5)}
    errors = {"b": {"errors": [{"Code": "Boom", "Message": "no capacity"}]}}
    source = ScriptedSource(clock, {**script, "b": [*script["b"][:-1], [14, "Failed", 5, 5]]}, **errors)
    poller = _poller_with(clock, source, ["a", "b"])
    _run_until(poller, clock, clock.t + 60)
    a, b = poller.state("a"), poller.state("b")
    assert a is not None and a.finished is not None and a.finished.ok
    assert b is not None and b.finished is not None and b.finished.task.raw_status == "Failed"
    assert b.finished.task.errors  # the terminal entry's Errors, read from the history page
    # While both were pending every call was a history page; only the last one alone used its id.
    by_id = [c for c in source.calls if c["task_id"] is not None]
    assert len(by_id) <= 3 and all(c["task_id"] == "b" for c in by_id)


def test_tasks_created_meanwhile_shift_pages_without_losing_watched_tasks() -> None:
    clock = FakeClock()
    watched = [f"w-{i}" for i in range(3)]
    # 3 watched tasks first (oldest), then 60 other tasks appear at t=5: the watched ones move to page 2.
    script: dict[str, list[list[object]]] = {t: _stepped(20, 5) for t in watched}
    script.update({f"x-{i}": [[5, "Processing", 1, 5]] for i in range(60)})
    source = ScriptedSource(clock, script)
    poller = _poller_with(clock, source, watched)
    _run_until(poller, clock, clock.t + 60)
    assert all(poller.state(t).finished is not None for t in watched)  # type: ignore[union-attr]
    assert not [c for c in source.calls if c["task_id"] is not None and c["task_id"] != watched[-1]]
    assert any(c["page"] == 2 for c in source.calls)


def test_single_wait_call_budget() -> None:
    # One 120 s task with 20 equal steps: learning polls, a jump near the end, then near-end polls.
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": _stepped(120, 20)})
    done = wait_for_task(source, CLUSTER, "t-1", timeout_s=600, registry=_registry(clock))
    assert done.ok
    # Terraform alicloud's cadence (5, 8, 14 s, then every 10 s) would take 13 polls.
    assert len(source.calls) <= 12
    assert all(c["task_id"] == "t-1" for c in source.calls)


def test_registry_tracks_its_driver_thread_as_a_field() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Success", 1, 1]]})
    reg = PollerRegistry(seed=1)
    assert wait_for_task(source, CLUSTER, "t-1", timeout_s=30, registry=reg).ok
    poller = ClusterPoller(CLUSTER, clock=clock)
    assert poller.driver_alive is False
