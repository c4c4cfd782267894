"""`EhpcClient`: the synchronous client (thread-safe: one httpx.Client).

Its per-action methods are `ClientMethods` (typed once, shared with `AsyncEhpcClient`); its only own
code drives `ClientCore.attempts` with blocking I/O. See `retry.py` for the retry / ClientToken contract.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from ._base import WireResponse
from ._core import Attempts, Reply
from ._methods import ClientMethods, SyncDriver

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+; 3.10 is supported

__all__ = ["BlockingClient", "EhpcClient"]


class BlockingClient(SyncDriver):
    """Blocking I/O for a client of either API version: one httpx.Client, driven through the core's loop."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, verify=self._core.verify, timeout=self._core.timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drive(self, attempts: Attempts) -> WireResponse:
        step = next(attempts)
        while True:
            reply: Reply = None
            if isinstance(step, httpx.Request):
                try:
                    reply = self._http.send(step, auth=self._core.auth)
                except httpx.TransportError as exc:
                    reply = exc
            else:
                self._sleep(step)
            try:  # outside the except above, so the loop's final error carries no stray context
                step = attempts.send(reply)
            except StopIteration as done:
                result: WireResponse = done.value
                return result


class EhpcClient(ClientMethods, BlockingClient):
    """Synchronous client of API 2018-04-12, used by the provider from worker threads.

    **Parameters:** `region` (host `ehpc.<region>.aliyuncs.com`), `endpoint` (overrides; http only to
    loopback unless `allow_insecure_http`), `credentials` (else the resolver), `signature_version`,
    `timeout_s`, `verify` (True, CA bundle path or SSLContext; never off), `retry`, `transport`, `sleep`.
    """
