"""The Starlette ASGI app: the RPC endpoint on `/` plus the loopback-only admin API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..wire.actions import API_2018, API_2024, registry
from . import render
from .admin import admin_routes
from .auth import KeyPair, Verifier
from .backend import Backend
from .config import EmulatorConfig
from .errors import ApiError
from .faults import Drop, FaultTable, Late, drop_connection, remember_transport
from .handlers import HANDLERS, Context, Handler
from .handlers_2024 import HANDLERS_2024
from .params import Params
from .persistence import Store
from .sts import STS_API_VERSION, Sts, require_oidc_support
from .sts_handlers import STS_HANDLERS, UNSIGNED_ACTIONS, StsContext

log = logging.getLogger(__name__)


class Emulator:
    """Everything one running emulator owns: state, verifier, faults, counters and the ASGI app."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.backend = Backend(
            region=config.region,
            step_seconds=config.step_seconds,
            profile=config.profile,
            seed=config.seed,
            capacity=config.capacity,
            capacity_overrides=config.capacity_overrides,
        )
        if config.oidc_providers:
            require_oidc_support()
        self.sts = Sts(
            account_id=config.account_id,
            access_key_id=config.access_key_id,
            roles=config.roles,
            oidc_providers=config.oidc_providers,
            lifetime_cap_s=config.sts_lifetime_s,
            static_sts_key_id=config.sts[0] if config.sts else None,
            tokens=lambda: self.backend.sts_tokens,
            remember=self.backend.remember_sts_token,
        )
        keys = [KeyPair(config.access_key_id, config.access_key_secret)]
        if config.sts:
            keys.append(KeyPair(*config.sts))
        self.verifier = Verifier(keys, self._issued_key, clock=lambda: self.backend.clock())
        self.faults = FaultTable(config.seed, config.latency_s)
        for fault in config.faults:
            self.faults.add(fault)
        self.requests: Counter[str] = Counter()
        self._late: set[asyncio.Task[None]] = set()  # requests to apply later (fault `drop: late`)
        self.store = Store(config.state_path) if config.state_path else None
        if self.store and not self.store.is_empty():
            self.store.load_into(self.backend)
        else:
            self.backend.seed_cluster(config.cluster_id)
        self.flush()
        self.app = Starlette(
            routes=[Route("/", _AsgiEndpoint(self), methods=["GET", "POST"]), *admin_routes(self)],
            lifespan=self._lifespan,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        remember_transport(scope, send)
        await self.app(scope, receive, send)

    def _issued_key(self, access_key_id: str) -> KeyPair | None:
        token = self.backend.sts_tokens.get(access_key_id)
        if token is None:
            return None
        return KeyPair(token.access_key_id, token.access_key_secret, token.security_token, token.expires_at)

    @property
    def late_writes(self) -> int:
        """Requests a `drop: late` fault has still to apply."""
        return len(self._late)

    def flush(self) -> None:
        if self.store:
            self.store.flush(self.backend)

    def reset(self) -> None:
        self.backend.reset()
        self.faults.clear()
        self.requests.clear()
        self.verifier.nonces.clear()
        self.backend.seed_cluster(self.config.cluster_id)
        self.flush()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        ticker = asyncio.create_task(self._tick())
        try:
            yield
        finally:
            for task in (ticker, *self._late):
                task.cancel()
            for task in (ticker, *self._late):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.backend.advance()
            self.flush()
            if self.store:
                self.store.close()

    async def _tick(self) -> None:
        """Applies task completions even when nobody reads, so node status follows the schedule."""
        while True:
            await asyncio.sleep(self.config.tick_s)
            try:
                self.backend.advance()
                if self.backend.dirty:  # also what an admin read applied without writing it
                    self.flush()
            except Exception:  # keep ticking; a persistence hiccup must not freeze task progress
                log.exception("emulator ticker failed")

    async def api(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        request_id = str(uuid.uuid4()).upper()
        host = request.headers.get("host", "ehpc.emulator")
        try:
            response = await self._handle(request, request_id)
        except Drop:
            await drop_connection(scope)  # no response at all; `after` drops have already changed state
            return
        except ApiError as err:
            response = JSONResponse(render.error_body(err, request_id, host), err.status, headers=err.headers)
        except Exception:
            log.exception("emulator request failed")
            internal = ApiError("InternalError")
            response = JSONResponse(render.error_body(internal, request_id, host), internal.status)
        await response(scope, receive, send)

    async def _handle(self, request: Request, request_id: str) -> Response:
        body = await request.body()
        query = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        form: list[tuple[str, str]] = []
        if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        headers = list(request.headers.items())
        merged = dict(query + form)
        caller_key: str | None = None  # None: an unsigned AssumeRoleWithOIDC, whose OIDC token is the credential
        if _unsigned_sts(merged, headers):
            action, version = merged.get("Action"), merged.get("Version")
        else:
            verified = self.verifier.verify(request.method, request.url.path, query, form, headers, body, time.time())
            caller_key, action, version = verified.access_key_id, verified.action, verified.version
        if not action:
            raise ApiError(
                "MissingParameter",
                'The input parameter "Action" that is mandatory for processing this request is not supplied.',
            )
        params = Params(merged)
        params.values.pop("Signature", None)
        if version == STS_API_VERSION:
            return await self._sts(action, caller_key, params, request_id)
        version = version or API_2018
        handlers = _HANDLERS.get(version)
        if handlers is None:
            raise ApiError("InvalidVersion", f"Specified parameter Version {version!r} is not valid.")
        handler = handlers.get(action)
        if handler is None:
            raise ApiError("InvalidAction.NotFound", f"Specified api {action!r} is not found.")
        self.requests[action] += 1
        # Faults and next-task scripts match on the Action name, whichever version it came in.
        try:
            async with self.faults.applied(action):
                result = self._apply(handler, Context(self.backend, request_id, params, action), version)
        except Late as late:
            pending = asyncio.create_task(self._apply_late(late.delay_s, handler, request_id, params, action, version))
            self._late.add(pending)
            pending.add_done_callback(self._late.discard)
            raise Drop(after=False) from None
        return JSONResponse(result)

    def _apply(self, handler: Handler, ctx: Context, version: str) -> dict[str, Any]:
        with self.backend.session():
            try:
                return handler(ctx)
            finally:
                if not registry(version)[ctx.action].read_only or self.backend.dirty:
                    self.flush()

    async def _apply_late(self, delay_s: float, handler: Handler, request_id: str, params: Params, action: str,
                          version: str) -> None:
        """Run a request whose answer was dropped `delay_s` after it came (a fault `drop: late`). Its
        outcome reaches nobody; a restart before then loses it, as a request lost in the network."""
        await asyncio.sleep(delay_s)
        try:
            self._apply(handler, Context(self.backend, request_id, params, action), version)
        except ApiError as err:
            log.info("late %s (%s) refused: %s", action, request_id, err.code)
        except Exception:
            log.exception("late %s (%s) failed", action, request_id)

    async def _sts(self, action: str, caller_key: str | None, params: Params, request_id: str) -> Response:
        handler = STS_HANDLERS.get(action)
        if handler is None:
            raise ApiError("InvalidAction.NotFound", f"Specified api {action!r} is not found.")
        self.requests[action] += 1
        async with self.faults.applied(action):
            with self.backend.session() as now:
                caller = None if caller_key is None else self.sts.caller(caller_key)
                try:
                    result = handler(StsContext(self.sts, request_id, params, caller, now))
                finally:
                    if self.backend.dirty:
                        self.flush()
        return JSONResponse(result)


_HANDLERS: dict[str, dict[str, Handler]] = {API_2018: HANDLERS, API_2024: HANDLERS_2024}
"""Routing by API version (x-acs-version / Version): both generations on the same endpoint."""


def _unsigned_sts(params: dict[str, str], headers: list[tuple[str, str]]) -> bool:
    """A request of an STS operation that takes no signature, sent without one."""
    signed = "Signature" in params or any(k.lower() == "authorization" for k, _ in headers)
    return not signed and params.get("Version") == STS_API_VERSION and params.get("Action") in UNSIGNED_ACTIONS


class _AsgiEndpoint:
    """Starlette treats a bound method as a request/response function; this object is a raw ASGI app,
    which the endpoint needs so it can answer nothing at all when a fault drops the connection."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.emulator.api(scope, receive, send)
