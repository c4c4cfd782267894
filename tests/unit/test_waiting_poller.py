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
    running_calls = [c for c in source.calls if c["task_id"] is None and not c["archived"]]
    assert len(running_calls) <= ticks  # one page per tick covers all 40
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
