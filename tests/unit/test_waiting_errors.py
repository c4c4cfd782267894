"""The poller's error classes: wire and transport errors are retried, a bug fails every wait at once."""

from __future__ import annotations

import pytest

from pulumi_ehpc_tasks.waiting import ClusterPoller, PollerFailedError, PollerRegistry, wait_for_task
from pulumi_ehpc_tasks.wire.errors import EhpcApiError, EhpcTransportError

from .test_waiting_fakes import CLUSTER, FakeClock, ScriptedSource


def _two_waits(clock: FakeClock, source: ScriptedSource) -> ClusterPoller:
    poller = ClusterPoller(CLUSTER, clock=clock)
    for tid in ("a", "b"):
        poller.add_wait(tid, source, lambda: None)
    return poller


def _tick(poller: ClusterPoller, clock: FakeClock) -> None:
    due = poller.due_at()
    assert due is not None
    clock.t = max(clock.t, due)
    poller.poll_once()


def test_an_unexpected_exception_fails_every_wait_at_once_naming_the_tasks() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {t: [[0, "Processing", 1, 5]] for t in ("a", "b")})
    bug = KeyError("TotalSteps")
    source.raise_next = [bug]
    poller = _two_waits(clock, source)
    _tick(poller, clock)
    for tid, other in (("a", "b"), ("b", "a")):
        state = poller.state(tid)
        assert state is not None and isinstance(state.error, PollerFailedError)
        assert state.error.__cause__ is bug
        assert tid in str(state.error) and other in str(state.error) and "KeyError" in str(state.error)
        assert state.error.task_ids == ["a", "b"]
    assert poller.due_at() is None  # nothing left to retry
    assert len(source.calls) == 1


def test_a_blocking_wait_raises_the_bug_at_once_instead_of_retrying_until_its_deadline() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Processing", 1, 3]]})
    source.raise_next = [TypeError("unsupported operand")]
    registry = PollerRegistry(clock=clock, threaded=False, seed=1)
    with pytest.raises(PollerFailedError, match="t-1") as info:
        wait_for_task(source, CLUSTER, "t-1", timeout_s=3600, registry=registry)
    assert isinstance(info.value.__cause__, TypeError)
    assert clock.now() - source.t0 < 5  # the first tick, not an hour of retries
    assert len(source.calls) == 1


@pytest.mark.parametrize("exc", [
    EhpcTransportError("connection reset"),
    EhpcApiError(code="InternalError", message="oops", http_status=500),
])
def test_wire_and_transport_errors_keep_their_backoff(exc: Exception) -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {t: [[0, "Processing", 1, 5]] for t in ("a", "b")})
    source.raise_next = [exc]
    poller = _two_waits(clock, source)
    _tick(poller, clock)
    assert all(poller.state(t).error is None for t in ("a", "b"))  # type: ignore[union-attr]
    due = poller.due_at()
    assert due is not None and due > clock.now()  # held off, then retried
    _tick(poller, clock)
    assert poller.last_error is None and len(source.calls) == 2


def test_an_error_from_the_client_of_an_ended_wait_is_retried_with_the_next_client() -> None:
    # A caller may close its client once its own wait has ended, while a tick still uses it.
    clock = FakeClock()
    script = {t: [[0, "Processing", 1, 5]] for t in ("a", "b")}
    old, new = ScriptedSource(clock, script), ScriptedSource(clock, script)
    poller = ClusterPoller(CLUSTER, clock=clock)
    poller.add_wait("a", new, lambda: None)
    handle = poller.add_wait("b", old, lambda: None)

    def close_on_call() -> None:
        poller.remove_wait(handle)
        raise RuntimeError("Cannot send a request, as the client has been closed.")

    old.on_call = close_on_call
    _tick(poller, clock)
    state = poller.state("a")
    assert state is not None and state.error is None
    _tick(poller, clock)
    assert new.calls and state.last_task is not None
