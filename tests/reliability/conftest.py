"""Fixtures of the reliability suite and the session-end summary table (also written to docs/reliability.md)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import engine, pulumi_env  # noqa: F401  (fixtures shared with the e2e suite)
from tests.e2e.harness import ROOT, EmulatorProcess

from . import report
from .engine import SECRET, STS_ID, STS_SECRET, STS_TOKEN

_START = [time.monotonic()]
_ENGINE: list[Path] = []
FIGURES: list[str] = []


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    """A fresh emulator process per test (inventory assertions see only this test's nodes), with a
    non-default secret and an STS triple so the secret scans look for values nobody else prints."""
    state = tmp_path / "emulator.db"
    args = ("--step-seconds", "0.05", "--seed", "11", "--state", str(state), "--access-key-secret", SECRET,
            "--sts", f"{STS_ID}:{STS_SECRET}:{STS_TOKEN}")
    with EmulatorProcess(*args) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _remember_engine(request: pytest.FixtureRequest) -> None:
    if "engine" in request.fixturenames and not _ENGINE:
        _ENGINE.append(request.getfixturevalue("engine"))


def pytest_sessionstart(session: pytest.Session) -> None:
    _START[0] = time.monotonic()


def pytest_runtest_setup(item: pytest.Item) -> None:
    report.CURRENT_NODEID[0] = item.nodeid


def _status(row: report.Row, rep: pytest.TestReport) -> str:
    if row.ok is True:
        return "PASS"
    if hasattr(rep, "wasxfail"):
        return "XFAIL"
    if rep.skipped:
        return "SKIP"
    if row.ok is False or rep.failed:
        return "FAIL"
    return "PASS"


def _why(rep: pytest.TestReport) -> str:
    crash = getattr(rep.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) or str(rep.longrepr)
    return " ".join(message.split())[:300]


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> None:
    # The last phase that says something about the test decides the rows it recorded.
    from . import report as rows

    if report.when == "call" or (report.when == "setup" and not report.passed):
        for row in rows.ROWS:
            if row.nodeid == report.nodeid:
                row.status = _status(row, report)
                if report.failed and not row.outcome:
                    # An assertion fired before the row was finished: record why, not an empty cell.
                    row.outcome = f"failed before the outcome was recorded: {_why(report)}"
                if hasattr(report, "wasxfail") and row.status == "XFAIL":
                    row.notes.append(str(report.wasxfail))
    return None


def _full_run(config: pytest.Config) -> bool:
    if os.environ.get("EHPC_RELIABILITY_WRITE") == "1":
        return True
    opt = config.option
    filtered = bool(getattr(opt, "keyword", "")) or bool(getattr(opt, "markexpr", ""))
    # Only a run of the whole directory rewrites the committed table; a file or node id just prints.
    here = Path(__file__).parent.resolve()
    args = [Path(str(a).split("::")[0]).resolve() for a in config.args] or [here]
    return not filtered and all(a == here or here.is_relative_to(a) for a in args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    rows = report.ROWS
    if not rows:
        return
    for row in rows:
        if row.status == "XFAIL" and row.notes:
            row.outcome = f"{row.outcome} [known defect: {row.notes[-1]}]"
    runtime = time.monotonic() - _START[0]
    text = report.markdown(rows, _ENGINE[0] if _ENGINE else None, runtime, FIGURES)
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["", "RELIABILITY SUMMARY", *report.summary(rows), "", *report.table(rows)]
    if tr is not None:
        for line in lines:
            tr.write_line(line)
    else:  # pragma: no cover
        print("\n".join(lines))
    if _full_run(session.config):
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "reliability.md").write_text(text + _APPENDIX)


_APPENDIX = """
## How to read and reproduce

`make reliability` (or `EHPC_ENGINE_DIR=$(bash scripts/engine/engine.sh | tail -n1) .venv/bin/pytest
tests/reliability`). A run of the whole directory rewrites this file; a filtered run (`-k`, a node id) only
prints its table. XFAIL rows are scenarios that currently break a promise because of a defect outside the
files the suite may fix; the note names the defect. Crash recovery and the limits of the guarantees are
described in the README ("When things fail").
"""
