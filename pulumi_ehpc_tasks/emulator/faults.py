"""Fault injection: per-action error codes at a rate, added latency, dropped connections.

The app runs each API request inside `FaultTable.applied(action)`, which is where faults take effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope, Send

from .errors import ApiError

INJECTABLE = (
    "DbError",
    "RedisError",
    "ServiceUnavailable",
    "UnknownError",
    "Throttling",
    "NotEnabled",
    "NotAuthorized",
    "InvalidParams",
    "ClusterNotFound",
    "InternalError",
    "Throttling.User",
    "Throttling.Api",
)
DROPS = (None, "before", "after", "late")
THROTTLE_RETRY_AFTER_MS = 200


@dataclass
class Fault:
    """One rule; `times` counts down each time it fires (None = forever)."""

    action: str = "*"
    code: str | None = None
    rate: float = 1.0
    times: int | None = None
    latency_s: float = 0.0
    drop: str | None = None
    late_s: float = 15.0
    """drop="late": the connection is dropped unanswered and the request is applied this much later (a
    write the cloud applies after the client has given up on it)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        fault = cls(
            action=str(data.get("action") or "*"),
            code=data.get("code"),
            rate=float(data.get("rate", 1.0)),
            times=data.get("times"),
            latency_s=float(data.get("latency_s") or 0.0),
            drop=data.get("drop"),
            late_s=float(data.get("late_s", cls.late_s)),
        )
        if fault.code is not None and fault.code not in INJECTABLE:
            raise ValueError(f"code must be one of {INJECTABLE}")
        if fault.drop not in DROPS:
            raise ValueError("drop must be null, 'before', 'after' or 'late'")
        if (not 0.0 <= fault.rate <= 1.0 or fault.latency_s < 0 or fault.late_s < 0
                or (fault.times is not None and fault.times < 1)):
            raise ValueError("rate must be in [0, 1], latency_s >= 0, late_s >= 0, times >= 1 or null")
        return fault

    @classmethod
    def parse_cli(cls, spec: str) -> Fault:
        """`ACTION:CODE[:RATE]`, where CODE may also be `drop-before` / `drop-after`."""
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(f"fault {spec!r}: expected ACTION:CODE[:RATE]")
        rate = float(parts[2]) if len(parts) == 3 else 1.0
        if parts[1] in ("drop-before", "drop-after"):
            return cls.from_json({"action": parts[0], "drop": parts[1][5:], "rate": rate})
        return cls.from_json({"action": parts[0], "code": parts[1], "rate": rate})


@dataclass
class Decision:
    latency_s: float = 0.0
    error: ApiError | None = None
    drop: str | None = None
    late_s: float = 0.0


class Drop(Exception):
    """The request gets no answer at all: its connection is closed (`drop_connection`)."""

    def __init__(self, after: bool) -> None:
        super().__init__("drop after" if after else "drop before")
        self.after = after


class Late(Exception):
    """The request gets no answer now and is applied `delay_s` later (the caller schedules that)."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(f"applied {delay_s:g} s late")
        self.delay_s = delay_s


class FaultTable:
    """The active rules; a seeded RNG makes rate-based faults reproducible."""

    def __init__(self, seed: int | None = None, latency_s: float = 0.0) -> None:
        self.rules: list[Fault] = []
        self.base_latency_s = latency_s
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.rules.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def decide(self, action: str) -> Decision:
        decision = Decision(latency_s=self.base_latency_s)
        with self._lock:
            for rule in list(self.rules):
                if rule.action not in ("*", action) or self._rng.random() >= rule.rate:
                    continue
                decision.latency_s += rule.latency_s
                if rule.code and decision.error is None:
                    decision.error = error_for(rule.code)
                if rule.drop and decision.drop is None:
                    decision.drop, decision.late_s = rule.drop, rule.late_s
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
        return decision

    @contextlib.asynccontextmanager
    async def applied(self, action: str) -> AsyncIterator[None]:
        """Run one request of `action` under the faults that fire for it: added latency, then an error
        or a drop before the body runs, or a drop after it has changed state; a late drop raises `Late`
        before the body runs, for the caller to drop the connection and run the body later."""
        decision = self.decide(action)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.drop == "before":
            raise Drop(after=False)
        if decision.drop == "late":
            raise Late(decision.late_s)
        if decision.error is not None:
            raise decision.error
        yield
        if decision.drop == "after":
            raise Drop(after=True)

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(r).copy() for r in self.rules]


def error_for(code: str) -> ApiError:
    if code.startswith("Throttling"):
        return ApiError(code, headers={"x-acs-retry-after": str(THROTTLE_RETRY_AFTER_MS)})
    if code == "InvalidParams":
        return ApiError(code, "The specified parameter (injected) is invalid.")
    return ApiError(code)


_TRANSPORT_KEY = "ehpc_emulator.transport"


def remember_transport(scope: Scope, send: Send) -> None:
    """Keep uvicorn's transport in the scope (before Starlette wraps `send`), so a drop can close it."""
    if scope["type"] == "http":
        cycle = getattr(send, "__self__", None)
        scope[_TRANSPORT_KEY] = getattr(cycle, "transport", None)


async def drop_connection(scope: Scope) -> None:
    """Close the request's connection without an answer."""
    transport: Any = scope.get(_TRANSPORT_KEY)
    if transport is None:
        raise RuntimeError("cannot drop a connection outside uvicorn")
    transport.close()
    # Let uvicorn see connection_lost, so it does not try to answer a 500 on a closed transport.
    for _ in range(3):
        await asyncio.sleep(0)
