"""Fixtures for end-to-end tests through the real engine. In CI (CI=true) a missing engine fails
the run instead of skipping: the end-to-end tests must run on this project's machines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import EmulatorProcess, EngineUnavailable, engine_dir, offline_env


@pytest.fixture(scope="session")
def engine() -> Path:
    try:
        return engine_dir()
    except EngineUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the pulumi engine could not be found or built: {exc}")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    """A fresh emulator per test, so inventory assertions see only that test's nodes."""
    state = tmp_path / "emulator.db"
    with EmulatorProcess("--step-seconds", "0.05", "--seed", "7", "--state", str(state)) as emu:
        yield emu


@pytest.fixture
def pulumi_env(tmp_path: Path, engine: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = offline_env(tmp_path / "pulumi", engine)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # The ambient environment must not lend credentials to the stack: only its config may.
    for key in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    return env
