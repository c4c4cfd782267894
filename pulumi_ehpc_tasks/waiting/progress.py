"""Progress events and the gate that bounds how often a wait reports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DEFAULT_PROGRESS_INTERVAL_S", "NOT_SEEN", "Progress", "ProgressCallback", "ProgressGate"]

# A dynamic provider can only print() permanent lines, so keep them sparse.
DEFAULT_PROGRESS_INTERVAL_S = 5.0
NOT_SEEN = "NotSeen"
"""The status of a wait's progress before the first ListTasks answer."""


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
            state = "issued, waiting for its first status" if self.status == NOT_SEEN else self.status
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

    A change held back is not lost: the next offer after the interval carries the current state (a
    waiter wakes at `reopens_at` to offer it). The final event always passes. "NotSeen" passes only
    once an interval has gone by with no answer: the first event shows the step the first poll read,
    instead of using up the interval on an event that said nothing.
    """

    def __init__(self, callback: ProgressCallback | None, *,
                 interval_s: float = DEFAULT_PROGRESS_INTERVAL_S) -> None:
        self._callback = callback
        self._interval_s = interval_s
        self._last_key: tuple[object, ...] | None = None
        self._last_at: float | None = None
        self._first_at: float | None = None
        self._held = False

    def offer(self, event: Progress, now: float) -> bool:
        """Deliver `event` if allowed; return whether it was delivered."""
        if self._callback is None:
            return False
        key = event._key()
        if not event.final:
            if key == self._last_key:
                self._held = False  # back to what was shown: nothing is held back any more
                return False
            self._first_at = now if self._first_at is None else self._first_at
            since = self._last_at if self._last_at is not None else self._first_at
            if (self._last_at is not None or event.status == NOT_SEEN) and now - since < self._interval_s:
                self._held = True
                return False
        self._last_key, self._last_at, self._held = key, now, False
        self._callback(event)
        return True

    def reopens_at(self) -> float | None:
        """When an event held back may pass (None: nothing is held back)."""
        since = self._last_at if self._last_at is not None else self._first_at
        return since + self._interval_s if self._held and since is not None else None
