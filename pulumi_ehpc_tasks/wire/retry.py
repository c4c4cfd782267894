"""Retry decisions: which failures are repeated, after how long, and which become `AmbiguousResultError`.

CONTRACT (relied on by the provider; keep it true). Each Action's `ActionSpec.keying` in the registry
decides which rule applies:

* `Keying.CLIENT_TOKEN` writes (AddNodes, CreateCluster) always carry a ClientToken (the caller's, or
  one generated once per logical call in the client) and the SAME token is sent on every retry, so the
  service applies the call at most once. They are retried like reads (`spec.idempotent`).
* `Keying.UNKEYED` writes (the other task actions) are NEVER re-sent after the request may have
  reached the server: read timeout, connection dropped after sending, an unparsable 2xx body, or any
  TRANSIENT error code (5xx, InternalError, UnknownError, DbError, ...). Our choice for
  `ServiceUnavailable` (503): the gateway may return it after the backend accepted the work, so it is
  ambiguous too. The client raises `AmbiguousResultError` (action + params) so the caller checks
  ListTasks/ListNodes/DescribeCluster first.
* They ARE retried when the failure proves the request was not processed: connect errors (nothing
  sent), `Throttling*` and `SignatureNonceUsed` (rejected by the gateway before any processing).
* `Keying.READ` actions (List*, Describe*) retry every retryable failure.
* Backoff is capped exponential with full jitter; `x-acs-retry-after` (milliseconds) is a floor.
  Attempts are bounded; sleep and randomness are injectable, so tests never wait.
* Transport failures (the endpoint unreachable or the connection lost) get `outage_attempts` (2) more
  attempts with equal jitter (half of each delay fixed), so an endpoint that is away for up to ~15 s
  (a gateway restart, a network blip) is always ridden out, whatever the draw: with full jitter and five
  attempts, one away for 3 s failed an `up` now and then (issue 15's flaky restart scenario).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from .actions import ActionSpec
from .errors import AmbiguousResultError, EhpcApiError, EhpcError, EhpcTransportError
from .policy import Policy

__all__ = ["DEFAULT_RETRY", "INTERACTIVE_RETRY", "RetryConfig", "Verdict", "decide", "transport_error"]

# httpx errors raised before a single byte of the request left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class RetryConfig:
    """Bounds of the retry loop. `max_attempts` counts the first try."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    max_retry_after_s: float = 120.0
    outage_attempts: int = 2
    """Transport failures' attempts beyond `max_attempts` (7 in all by default: at least 15.75 s of backoff).
    The CLI sets 0: a person at a terminal re-runs, and `tasks wait` rides outages in its poller."""
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @property
    def transport_attempts(self) -> int:
        """Attempts for transport failures (see the contract above)."""
        return self.max_attempts + self.outage_attempts

    def outage_delay_s(self, attempt: int) -> float:
        """Equal jitter: at least half of `min(max, base * 2**(attempt-1))`."""
        ceiling: float = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return ceiling / 2 + self.rng.uniform(0.0, ceiling / 2)

    def delay_s(self, attempt: int, retry_after_ms: int | None) -> float:
        """Full jitter over `min(max, base * 2**(attempt-1))`, never below the server's retry-after."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        delay = self.rng.uniform(0.0, ceiling)
        if retry_after_ms and retry_after_ms > 0:
            delay = max(delay, min(retry_after_ms / 1000.0, self.max_retry_after_s))
        return delay


DEFAULT_RETRY = RetryConfig()
INTERACTIVE_RETRY = RetryConfig(outage_attempts=0)
"""The CLI's: a wrong or unreachable endpoint is reported after ~4 s, not ~16 s."""


@dataclass(frozen=True)
class Verdict:
    """Retry after `delay_s` (re-signing with a fresh nonce, as every attempt does), or raise `error`."""

    retry: bool
    delay_s: float = 0.0
    error: EhpcError | None = None


def transport_error(action: str, exc: httpx.TransportError) -> EhpcTransportError:
    """Wrap an httpx failure, noting whether the request may have reached the server."""
    sent = not isinstance(exc, _NOT_SENT)
    note = "the request may have reached the server" if sent else "the request was not sent"
    return EhpcTransportError(
        f"{action}: {type(exc).__name__}: {exc} ({note})", action=action, may_have_reached_server=sent
    )


def decide(
    spec: ActionSpec,
    error: EhpcError,
    *,
    attempt: int,
    resigned: bool,
    params: Mapping[str, str],
    config: RetryConfig = DEFAULT_RETRY,
) -> Verdict:
    """Apply the contract above to one failed attempt (`attempt` counts from 1)."""
    left = attempt < config.max_attempts
    if isinstance(error, EhpcApiError):
        policy = error.policy
        if policy is Policy.RESIGN:
            return Verdict(retry=not resigned, error=error)
        if policy is Policy.THROTTLE:
            return _maybe(left, config.delay_s(attempt, error.retry_after_ms), error)
        if policy is Policy.TRANSIENT:
            if not spec.idempotent:
                return Verdict(
                    False, error=AmbiguousResultError(action=spec.name, params=params, cause=error)
                )
            return _maybe(left, config.delay_s(attempt, error.retry_after_ms), error)
        return Verdict(False, error=error)
    if isinstance(error, EhpcTransportError):
        if error.may_have_reached_server and not spec.idempotent:
            return Verdict(False, error=AmbiguousResultError(action=spec.name, params=params, cause=error))
        return _maybe(attempt < config.transport_attempts, config.outage_delay_s(attempt), error)
    return Verdict(False, error=error)


def _maybe(left: bool, delay_s: float, error: EhpcError) -> Verdict:
    return Verdict(True, delay_s) if left else Verdict(False, error=error)
