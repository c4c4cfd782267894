"""`running_emulator`: a real emulator on a free loopback port, in a background thread, for tests."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from ..wire.signing import Credentials
from .app import Emulator
from .config import EmulatorConfig
from .faults import Fault
from .server import bind, endpoint_of, make_server
from .sts import RoleSpec
from .tls import tls_files_for

__all__ = ["EmulatorHandle", "running_emulator"]


@dataclass
class EmulatorHandle:
    endpoint: str
    credentials: Credentials
    cluster_id: str
    admin: httpx.Client
    emulator: Emulator
    port: int
    ca_path: str | None = None
    """The CA bundle to verify the emulator with (`tls=True`), else None."""

    @property
    def host_port(self) -> str:
        """`host:port`, what Alibaba's SDKs take as an endpoint (and its credentials library as `sts_endpoint`)."""
        return self.endpoint.split("//", 1)[1]

    @property
    def backend(self) -> Any:
        return self.emulator.backend

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self.admin.get("/_emulator/stats").raise_for_status().json()
        return data

    def nodes(self) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = self.admin.get("/_emulator/nodes").raise_for_status().json()["nodes"]
        return nodes

    def fault(self, **rule: Any) -> None:
        self.admin.post("/_emulator/faults", json=rule).raise_for_status()

    def next_task(self, **script: Any) -> None:
        self.admin.post("/_emulator/next-task", json=script).raise_for_status()

    def shift_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (task schedules and STS token expiry follow it), so a test
        can see a token expire without waiting for it."""
        clock = self.emulator.backend.clock
        self.emulator.backend.clock = lambda: clock() + seconds


@contextlib.contextmanager
def running_emulator(
    *,
    faults: list[str | Fault] | None = None,
    roles: list[str | RoleSpec] | None = None,
    startup_timeout_s: float = 20.0,
    **options: Any,
) -> Iterator[EmulatorHandle]:
    """Start an emulator (options are `EmulatorConfig` fields, e.g. `step_seconds=0.02, seed=1`,
    `sts_lifetime_s=60`, `oidc_providers=[OidcProviderSpec(...)]`, `tls=True`).

    `faults` and `roles` may be CLI-style strings (`"AddNodes:ServiceUnavailable:0.5"`,
    `"acs:ram::1:role/ci=LTAI..."`) or `Fault` / `RoleSpec` objects.
    """
    rules = [f if isinstance(f, Fault) else Fault.parse_cli(f) for f in (faults or [])]
    role_specs = [r if isinstance(r, RoleSpec) else RoleSpec.parse_cli(r) for r in (roles or [])]
    options.setdefault("port", 0)
    config = EmulatorConfig(faults=rules, roles=role_specs, **options)
    tls = tls_files_for(config)
    sock = bind(config.host, config.port)
    endpoint = endpoint_of(sock, tls is not None)
    emulator = Emulator(config)
    server = make_server(emulator, tls)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # surfaced to the caller below
            errors.append(exc)

    thread = threading.Thread(target=target, name="ehpc-emulator", daemon=True)
    thread.start()
    ca_path = tls.ca_path if tls else None
    verify = ssl.create_default_context(cafile=ca_path) if ca_path else True
    admin = httpx.Client(base_url=endpoint, timeout=30.0, verify=verify)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while not server.started:
            if errors or not thread.is_alive():
                raise RuntimeError(f"emulator failed to start: {errors!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("emulator did not start")
            thread.join(0.01)
        creds = Credentials(config.access_key_id, config.access_key_secret, source="emulator")
        port = sock.getsockname()[1]
        yield EmulatorHandle(endpoint, creds, config.cluster_id, admin, emulator, port, ca_path)
    finally:
        admin.close()
        server.should_exit = True
        thread.join(15)
        sock.close()
