"""A short chaos batch (tests/chaos) in every `make test`: a few fixed seeds, each a random stack, 3-6
program changes and a fault schedule with kills and restarts, through the real engine. The long batch
runs outside CI (`make chaos RUNS=300 JOBS=2 CHAOS_ARGS=--summary`); its summary is docs/chaos.md."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.chaos.plan import draw
from tests.chaos.run import run_plan

from . import report

pytestmark = pytest.mark.e2e

# Seeds whose plans between them hold kills, an emulator restart, partial and failed tasks, lost
# answers, a write applied late, ClientTokens forgotten before a recovery, and both API generations
# (checked by the test below, so a change to the plan keeps them so).
SEEDS = (1, 3)


def test_the_short_batch_covers_the_disruptions() -> None:
    kinds = Counter(t.kind for seed in SEEDS for step in draw(seed).steps for t in step.troubles)
    resources = {r.kind for seed in SEEDS for step in draw(seed).steps for r in step.spec}
    assert {"kill", "restart", "partial", "failed", "late", "forget"} <= set(kinds), kinds
    assert kinds["drop-after"] + kinds["drop-before"] >= 1, kinds
    assert {"group1", "group2", "cluster1"} <= resources


@pytest.mark.parametrize("seed", SEEDS)
def test_chaos_seed(seed: int, engine: Path, tmp_path: Path) -> None:
    plan = draw(seed)
    kinds = Counter(t.kind for step in plan.steps for t in step.troubles)
    row = report.record("chaos", f"seed {seed}: {len(plan.steps)} program changes; "
                        + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items())), "pulumi",
                        "after every step (README recovery if it failed): emulator = state = program; "
                        "0 writes run twice; refresh+preview clean; destroy leaves nothing; no secret")
    result = run_plan(plan, tmp_path / "run", engine)
    dups = sum(1 for v in result.violations if "duplicate" in v)
    leaks = sum(1 for v in result.violations if "leak" in v or "remain" in v)
    row.finish(f"{result.kills} kill(s), {result.restarts} restart(s) fired, {result.failed_ups} failed up(s) "
               f"recovered; {len(result.violations)} violation(s)"
               + (": " + "; ".join(result.violations[:3]) if result.violations else ""),
               duplicates=dups, leaks=leaks, ok=not result.violations)
    assert not result.violations, "\n".join([f"replay: make chaos SEED={seed} RUNS=1", *result.log,
                                             *result.violations])
