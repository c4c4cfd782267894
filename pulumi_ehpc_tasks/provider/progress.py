"""Progress from inside the dynamic-provider process to the `pulumi up` display.

The provider process is started with the engine's gRPC address as its last argument. The engine's
`Log` RPC with `ephemeral=True` shows a status in the resource's row while it is live (like
pulumi-kubernetes' `[k/n]` messages) and leaves nothing behind; `ephemeral=False` is a lasting
diagnostic. Outside the provider (unit tests, the CLI) messages go to stderr instead.
"""

from __future__ import annotations

import re
import sys
import threading
from enum import IntEnum

__all__ = ["EngineLog", "Severity", "engine_log"]

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d+$")


class Severity(IntEnum):
    DEBUG = 0
    INFO = 1
    WARNING = 2
    ERROR = 3


class EngineLog:
    """Sends status and diagnostics to the engine; never raises (progress must not fail a deploy)."""

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._stub: object | None = None
        self._lock = threading.Lock()

    def status(self, urn: str, message: str) -> None:
        """An ephemeral line in the resource's row (empty message clears it)."""
        self._send(urn, message, Severity.INFO, ephemeral=True)

    def info(self, urn: str, message: str) -> None:
        self._send(urn, message, Severity.INFO, ephemeral=False)

    def warning(self, urn: str, message: str) -> None:
        self._send(urn, message, Severity.WARNING, ephemeral=False)

    def _send(self, urn: str, message: str, severity: Severity, *, ephemeral: bool) -> None:
        if self._address is None:
            if message and not ephemeral:
                print(f"{severity.name.lower()}: {message}", file=sys.stderr, flush=True)
            return
        try:
            import grpc
            from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

            with self._lock:
                if self._stub is None:
                    self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._address))
                stub = self._stub
            request = engine_pb2.LogRequest(
                severity=engine_pb2.LogSeverity.ValueType(severity), message=message, urn=urn, ephemeral=ephemeral
            )
            stub.Log(request, timeout=5)  # type: ignore[attr-defined]
        except Exception:  # a lost progress line must never fail the operation
            if not ephemeral:
                print(f"{severity.name.lower()}: {message}", file=sys.stderr, flush=True)


def _engine_address() -> str | None:
    # Only the dynamic-provider host (`python -m pulumi.dynamic <engine-addr>`) has one.
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is None or not str(getattr(spec, "name", "")).startswith("pulumi.dynamic"):
        return None
    last = sys.argv[-1] if len(sys.argv) > 1 else ""
    return last if _ADDRESS.match(last) else None


_instance: EngineLog | None = None


def engine_log() -> EngineLog:
    """The process-wide channel, created on first use."""
    global _instance
    if _instance is None:
        _instance = EngineLog(_engine_address())
    return _instance
