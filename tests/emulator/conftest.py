from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator

from .helpers import Api

FAST = {"step_seconds": 0.02, "seed": 7}


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(**FAST) as handle:
        yield handle


@pytest.fixture
def emu(shared_emulator: EmulatorHandle) -> EmulatorHandle:
    """A fresh state on a shared server (reset is much cheaper than a new process or thread)."""
    shared_emulator.admin.post("/_emulator/reset").raise_for_status()
    return shared_emulator


@pytest.fixture
def api(emu: EmulatorHandle) -> Iterator[Api]:
    client = Api(emu.endpoint, emu.credentials)
    yield client
    client.close()
