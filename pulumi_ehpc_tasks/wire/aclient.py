"""`AsyncEhpcClient`: the asyncio twin of `EhpcClient` (same methods, same core, same retry loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from ._base import WireResponse
from ._core import Attempts, Reply
from ._methods import AsyncDriver, ClientMethods

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self is 3.11+; 3.10 is supported

__all__ = ["AsyncEhpcClient", "AsyncioClient"]


class AsyncioClient(AsyncDriver):
    """Asyncio I/O for a client of either API version."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport, verify=self._core.verify, timeout=self._core.timeout
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _drive(self, attempts: Attempts) -> WireResponse:
        step = next(attempts)
        while True:
            reply: Reply = None
            if isinstance(step, httpx.Request):
                try:
                    reply = await self._http.send(step, auth=self._core.auth)
                except httpx.TransportError as exc:
                    reply = exc
            else:
                await self._sleep(step)
            try:  # outside the except above, so the loop's final error carries no stray context
                step = attempts.send(reply)
            except StopIteration as done:
                result: WireResponse = done.value
                return result


class AsyncEhpcClient(ClientMethods, AsyncioClient):
    """Asyncio client with the same methods as `EhpcClient`, as coroutines.

    **Parameters:** those of `EhpcClient`, with an `httpx.AsyncBaseTransport` and an async `sleep`.
    """
