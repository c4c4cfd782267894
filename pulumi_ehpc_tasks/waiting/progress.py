"""Progress events and the gate that bounds how often a wait reports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_PROGRESS_INTERVAL_S", "Progress", "ProgressCallback", "ProgressGate"]

# A dynamic provider can only print() permanent lines, so keep them sparse.
DEFAULT_PROGRESS_INTERVAL_S = 5.0


@dataclass(frozen=True)
class Progress:
    """One progress event of one wait."""

    task_id: str
    task_type: str
    current_step: int
    total_steps: int
    status: str
    """Raw `ListTasks` status, or "NotSeen" before the first answer."""
    elapsed_s: float
    eta_s: float | None
    """Estimated seconds left, from the observed step rate (None when unknown)."""
    final: bool = False
    last_error: str | None = None
    """The last transient/throttling `ListTasks` error, while the poller retries it."""

    @property
    def text(self) -> str:
        """`[16/35] AddComputes t-123 Processing, 40s elapsed, ~25s left`."""
        if self.total_steps <= 0:
            # Nothing reported yet: the step count and type come with the first ListTasks answer.
            state = "issued, waiting for its first status" if self.status == "NotSeen" else self.status
            text = f"task {self.task_id} {state}"
        else:
            text = f"[{self.current_step}/{self.total_steps}] {self.task_type} {self.task_id} {self.status}"
        text += f", {self.elapsed_s:.0f}s elapsed"
        if self.eta_s is not None and not self.final:
            text += f", ~{self.eta_s:.0f}s left"
        if self.last_error:
            text += f" (retrying ListTasks: {self.last_error})"
        return text

    def _key(self) -> tuple[object, ...]:
        return (self.current_step, self.total_steps, self.status, self.last_error, self.final)


ProgressCallback = Callable[[Progress], None]


class ProgressGate:
    """Passes an event only when it differs from the last one passed and `interval_s` has gone by.

    A change held back is not lost: the next offer after the interval carries the current state.
    The final event always passes.
    """

    def __init__(self, callback: ProgressCallback | None, *,
                 interval_s: float = DEFAULT_PROGRESS_INTERVAL_S) -> None:
        self._callback = callback
        self._interval_s = interval_s
        self._last_key: tuple[object, ...] | None = None
        self._last_at: float | None = None

    def offer(self, event: Progress, now: float) -> bool:
        """Deliver `event` if allowed; return whether it was delivered."""
        if self._callback is None:
            return False
        key = event._key()
        if not event.final:
            if key == self._last_key:
                return False
            if self._last_at is not None and now - self._last_at < self._interval_s:
                return False
        self._last_key, self._last_at = key, now
        self._callback(event)
        return True
