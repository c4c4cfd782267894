"""The provider's own methods, in this process, against a real emulator over HTTP.

Each scenario gets a fresh emulator (own port, so the process-wide ListTasks poller never mixes
scenarios). The provider's client is the one `ProviderSettings` would build, with a short read
timeout and quick backoff so a slow answer and retries cost seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.provider.settings import ProviderSettings
from pulumi_ehpc_tasks.wire import EhpcClient, RetryConfig
from pulumi_ehpc_tasks.wire.actions import ACTIONS

CLIENT_TIMEOUT_S = 1.0
SLOW_S = 1.6  # slower than the read timeout, yet answered well within the settle window
FAST_RETRY = RetryConfig(max_attempts=5, base_delay_s=0.05, max_delay_s=0.4)
P = TypeVar("P")

# The fault dimension of the matrix, as `POST /_emulator/faults` bodies (times is added per scenario).
FAULTS: dict[str, dict[str, Any]] = {
    "ServiceUnavailable": {"code": "ServiceUnavailable"},
    "DbError": {"code": "DbError"},
    "RedisError": {"code": "RedisError"},
    "UnknownError": {"code": "UnknownError"},
    "Throttling": {"code": "Throttling"},
    "reset-before-processing": {"drop": "before"},
    "response-lost-after-processing": {"drop": "after"},
    "slower-than-read-timeout": {"latency_s": SLOW_S},
}
# Action -> the TaskType its task shows in ListTasks, from the client's ACTIONS table.
TASK_TYPES = {name: spec.task_type for name, spec in ACTIONS.items() if spec.task_type}


@dataclass
class World:
    emu: EmulatorHandle

    def provider(self, cls: type[P]) -> P:
        prov = cls()
        settings = ProviderSettings(endpoint=self.emu.endpoint)
        settings._client = EhpcClient(endpoint=self.emu.endpoint, credentials=self.emu.credentials,
                                      timeout_s=CLIENT_TIMEOUT_S, retry=FAST_RETRY)
        prov._settings = settings  # type: ignore[attr-defined]
        return prov

    @property
    def cluster_id(self) -> str:
        return self.emu.cluster_id

    def fault(self, **rule: Any) -> None:
        self.emu.fault(**rule)

    def clear_faults(self) -> None:
        self.emu.admin.delete("/_emulator/faults").raise_for_status()

    def requests(self) -> dict[str, int]:
        return dict(self.emu.stats()["requests"])

    def tasks(self, task_type: str) -> list[Any]:
        """The backend's task objects of one type (targets = the nodes each touched)."""
        b = self.emu.backend
        with b.lock:
            return [t for t in b.tasks.values() if t.task_type == task_type]

    def compute_ids(self, cluster_id: str | None = None) -> set[str]:
        cid = cluster_id or self.cluster_id
        return {n["InstanceId"] for n in self.emu.nodes()
                if n["ClusterId"] == cid and n["Role"].lower() == "compute"}

    def node_status(self) -> dict[str, str]:
        return {n["InstanceId"]: n["Status"] for n in self.emu.nodes() if n["Role"].lower() == "compute"}

    def clusters(self) -> dict[str, str]:
        b = self.emu.backend
        with b.lock:
            return {c.cluster_id: c.status for c in b.clusters.values()}

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until no task is open (what a user's next `pulumi up` some time later would see)."""
        deadline = time.monotonic() + timeout_s
        while self.emu.backend.open_task_ids():
            if time.monotonic() > deadline:
                raise AssertionError(f"tasks still open after {timeout_s} s")
            time.sleep(0.05)


@contextlib.contextmanager
def world() -> Iterator[World]:
    with running_emulator(step_seconds=0.05) as emu:
        yield World(emu)
