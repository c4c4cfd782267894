"""The session's scenario table: every reliability test records rows here; conftest prints and saves it."""

from __future__ import annotations

import datetime as _dt
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ROWS", "Row", "markdown", "record"]


@dataclass
class Row:
    """One scenario: what was expected and what happened (duplicates/leaks counted on the emulator)."""

    category: str
    scenario: str
    layer: str
    expected: str
    outcome: str = ""
    duplicates: int | None = None
    leaks: int | None = None
    ok: bool | None = None  # None: the owning test's result decides
    nodeid: str = ""
    status: str = "NOT RUN"
    notes: list[str] = field(default_factory=list)

    def finish(self, outcome: str, *, duplicates: int | None = None, leaks: int | None = None,
               ok: bool | None = None) -> None:
        self.outcome = outcome
        self.duplicates = duplicates
        self.leaks = leaks
        self.ok = ok


ROWS: list[Row] = []
CURRENT_NODEID: list[str] = [""]


def record(category: str, scenario: str, layer: str, expected: str) -> Row:
    """A new row, owned by the running test (its PASS/FAIL comes from the row or from the test)."""
    row = Row(category, scenario, layer, expected, nodeid=CURRENT_NODEID[0])
    ROWS.append(row)
    return row


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:160]


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| # | category | scenario | layer | expected | outcome | dup | leak | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows, 1):
        dup = "-" if r.duplicates is None else r.duplicates
        leak = "-" if r.leaks is None else r.leaks
        lines.append(
            f"| {i} | {r.category} | {_cell(r.scenario)} | {r.layer} | {_cell(r.expected)} | "
            f"{_cell(r.outcome)} | {dup} | {leak} | {r.status} |"
        )
    return lines


def summary(rows: list[Row]) -> list[str]:
    cats: dict[str, dict[str, int]] = {}
    for r in rows:
        c = cats.setdefault(r.category, {})
        c[r.status] = c.get(r.status, 0) + 1
    lines = ["| category | scenarios | PASS | FAIL | XFAIL (known defect) |", "|---|---|---|---|---|"]
    for name, counts in cats.items():
        lines.append(
            f"| {name} | {sum(counts.values())} | {counts.get('PASS', 0)} | {counts.get('FAIL', 0)} | "
            f"{counts.get('XFAIL', 0)} |"
        )
    return lines


def engine_version(engine: Path | None) -> str:
    if engine is None:
        return "unknown"
    try:
        out = subprocess.run([str(engine / "pulumi"), "version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def markdown(rows: list[Row], engine: Path | None, runtime_s: float, extra: list[str]) -> str:
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = [
        "# Reliability report",
        "",
        "Written by `make reliability` (a run of the whole tests/reliability directory). Do not edit by hand: run",
        "the suite and commit the result. PartialFail modes and ClientToken re-attachment through the engine are",
        "proven by tests/e2e/test_partial_failure.py and tests/e2e/test_idempotency.py (part of `make test`).",
        "",
        f"- run: {now}; pulumi engine {engine_version(engine)}; suite wall time {runtime_s:.0f} s",
        "- dup = nodes created (or non-idempotent writes executed) beyond what was asked; "
        "leak = nodes in the emulator's inventory that the state does not hold (or held but gone)",
        "- layer: `provider/HTTP` = the provider's methods in-process against a real emulator over HTTP; "
        "`pulumi` = the real engine through the Automation API; `client`/`emulator` = wire level",
        "",
        "## Summary",
        "",
        *summary(rows),
        "",
    ]
    if extra:
        head += ["## Figures", "", *extra, ""]
    return "\n".join([*head, *chaos_section(), "## Scenarios", "", *table(rows), ""])


CHAOS = Path(__file__).resolve().parents[2] / "docs" / "chaos.md"


def chaos_section() -> list[str]:
    """The committed summary of the last long chaos batch (docs/chaos.md, written by `make chaos ...
    CHAOS_ARGS=--summary`), so that this report states it too."""
    if not CHAOS.exists():
        return []
    return [*CHAOS.read_text().rstrip().splitlines(), ""]
