"""`RefreshingProvider`: temporary credentials renewed before they expire, once for all callers.

When to refresh: `refresh_margin_s(lifetime) = min(180 s, lifetime / 4)` before `Expiration`. Three
minutes covers a clock a little off, an STS call that takes its full timeout and a request signed
just before the deadline; the quarter keeps short tokens usable (a 60 s token refreshes 15 s before
it expires, not on every call).

Single flight: one lock; a caller that finds the credentials due takes it, checks again (another
caller may just have refreshed) and only then fetches, so N threads make one STS call. A failed
refresh while the current credentials are still valid keeps them (a warning without secrets) and
tries again after `min(10 s, a quarter of the time left)`; once they have expired the error is raised.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import EhpcError, scrub
from .signing import Credentials
from .sts import Temporary

__all__ = ["RefreshingProvider", "provider_secrets", "refresh_margin_s"]

logger = logging.getLogger("pulumi_ehpc_tasks.wire")

_MAX_MARGIN_S = 180.0
_MAX_FAILURE_BACKOFF_S = 10.0
_MIN_REUSE_S = 5.0
_REMEMBERED = 4  # previous secrets kept for redaction (a message may quote an older request)


def refresh_margin_s(lifetime_s: float) -> float:
    """How long before expiry to refresh a credential that lives `lifetime_s`."""
    return max(0.0, min(_MAX_MARGIN_S, lifetime_s / 4))


def provider_secrets(provider: object) -> tuple[str, ...]:
    """Every secret value `provider` has held (its `secrets()`, or a static provider's credentials)."""
    own = getattr(provider, "secrets", None)
    if callable(own):
        return tuple(own())
    creds = getattr(provider, "credentials", None)
    if isinstance(creds, Credentials):
        return tuple(s for s in (creds.access_key_secret, creds.security_token) if s)
    return ()


@dataclass(frozen=True)
class _Cached:
    temporary: Temporary
    refresh_at: float
    retry_at: float  # after a failed refresh: not before this


class RefreshingProvider:
    """A `CredentialsProvider` over `fetch` (an STS call, the metadata service...).

    `source` and `identity_key` name the identity (never a secret); `identity_key` stays the same across
    refreshes (the key id does not), so pollers keyed by identity are shared. `now` is injectable.
    `extra_secrets` returns other values to redact (OIDC tokens); `base` is the provider whose
    credentials `fetch` signs with, whose secrets are redacted too.
    """

    def __init__(
        self,
        fetch: Callable[[], Temporary],
        *,
        source: str,
        identity_key: str,
        now: Callable[[], float] = time.time,
        extra_secrets: Callable[[], Iterable[str]] | None = None,
        base: object | None = None,
    ) -> None:
        self._fetch = fetch
        self._source = source
        self.identity_key = identity_key
        self._now = now
        self._extra = extra_secrets
        self._base = base
        self._lock = threading.Lock()
        self._cached: _Cached | None = None
        self._seen: collections.deque[str] = collections.deque(maxlen=2 * _REMEMBERED)
        self.refreshes = 0  # fetches made (successful or not): what the single-flight tests count

    def __repr__(self) -> str:
        return f"RefreshingProvider(source={self._source!r})"

    @property
    def source(self) -> str:
        return self._source

    def peek(self) -> Credentials | None:
        """The cached credentials if no refresh is due (no I/O, no lock), else None."""
        cached = self._cached
        if cached is not None and self._now() < max(cached.refresh_at, cached.retry_at):
            return cached.temporary.credentials
        return None

    def get(self) -> Credentials:
        fresh = self.peek()
        if fresh is not None:
            return fresh
        with self._lock:
            fresh = self.peek()  # another caller refreshed while we waited for the lock
            if fresh is not None:
                return fresh
            return self._refresh()

    def invalidate(self, access_key_id: str | None = None) -> None:
        """Make the next `get()` refresh (if the cached key is still `access_key_id`, when given)."""
        with self._lock:
            cached = self._cached
            if cached is None or (access_key_id and cached.temporary.credentials.access_key_id != access_key_id):
                return
            self._cached = _Cached(cached.temporary, refresh_at=0.0, retry_at=0.0)

    def secrets(self) -> tuple[str, ...]:
        """Current and previous secrets and tokens, the base's, and the extra ones: what to redact."""
        return (*self._seen, *(self._extra() if self._extra else ()), *provider_secrets(self._base))

    def _refresh(self) -> Credentials:
        cached = self._cached
        self.refreshes += 1
        started = self._now()
        try:
            temporary = self._fetch()
        except EhpcError as exc:
            now = self._now()
            if cached is None or now >= cached.temporary.expires_at:
                raise
            left = cached.temporary.expires_at - now
            logger.warning(
                "refreshing credentials of %s failed (%s: %s); the current ones stay in use (%.0f s left)",
                self._source,
                type(exc).__name__,
                scrub(str(exc), self.secrets()),
                left,
            )
            retry_at = now + min(_MAX_FAILURE_BACKOFF_S, left / 4)
            self._cached = _Cached(cached.temporary, cached.refresh_at, retry_at)
            return cached.temporary.credentials
        creds = temporary.credentials
        self._seen.extend(s for s in (creds.access_key_secret, creds.security_token) if s)
        lifetime = temporary.expires_at - started
        # The floor: a clock ahead of the issuer's would otherwise make every call a refresh.
        refresh_at = max(temporary.expires_at - refresh_margin_s(lifetime), started + _MIN_REUSE_S)
        self._cached = _Cached(temporary, refresh_at, 0.0)
        return creds
