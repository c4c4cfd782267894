"""`python -m tests.chaos --runs N --seed S` (`make chaos RUNS=N SEED=S`): runs seeds S .. S+N-1, each a
random stack, program changes and fault schedule (tests/chaos/plan.py) through the real engine, checks
the converged world after every step (tests/chaos/check.py), and exits 1 if any run found a violation.

A failing run prints its seed, its plan and what happened at each step; `--seed <that seed> --runs 1`
replays it. `--summary` writes the batch's figures to docs/chaos.md (which `make reliability` includes
in docs/reliability.md); `--jobs 2` runs two seeds at a time in separate processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.e2e.harness import ROOT, engine_dir

from .plan import draw

RUN_TIMEOUT_S = 1800  # a run that hangs is reported as a violation of its seed, and the batch goes on


def _one(seed: int, workroot: Path, engine: Path) -> dict[str, Any]:
    from .run import run_plan

    return run_plan(draw(seed), workroot / f"seed-{seed}", engine).to_json()


def _in_child(seed: int, workroot: Path, engine: Path) -> dict[str, Any]:
    """One seed in its own process (the engine's env and the inline program's server are per process)."""
    try:
        proc = subprocess.run([sys.executable, "-m", "tests.chaos", "--runs", "1", "--seed", str(seed),
                               "--workdir", str(workroot), "--json-only"], cwd=ROOT, capture_output=True,
                              text=True, env={**os.environ, "EHPC_ENGINE_DIR": str(engine)}, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc = subprocess.CompletedProcess([], -1, "", f"no result within {RUN_TIMEOUT_S} s (hung)")
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            result: dict[str, Any] = json.loads(line)
            return result
    return {"seed": seed, "steps": 0, "troubles": {}, "kills": 0, "restarts": 0, "recoveries": {},
            "failed_ups": 0, "log": [], "violations": [f"harness: the run's process ended {proc.returncode}: "
                                            f"{proc.stderr[-600:]}"], "limits": [], "seconds": 0.0}


def _seed_text(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"Seeds {seeds[0]}..{seeds[-1]}"
    return "Seeds " + ", ".join(map(str, seeds))


def summarize(results: list[dict[str, Any]], seconds: float, first_seed: int) -> str:
    """The batch as markdown: runs, steps, troubles by kind, kills, recoveries, violations."""
    troubles: Counter[str] = Counter()
    recoveries: Counter[str] = Counter()
    for r in results:
        troubles.update(r["troubles"])
        recoveries.update(r["recoveries"])
    violations = [f"seed {r['seed']}: {v}" for r in results for v in r["violations"]]
    limits = [f"seed {r['seed']}: {x}" for r in results for x in r["limits"]]
    lines = [
        "## Chaos batch (random stacks, changes and faults; `make chaos`)",
        "",
        f"{_seed_text([r['seed'] for r in results] or [first_seed])}: **{len(results)} runs, "
        f"{sum(r['steps'] for r in results)} program changes** (the initial create counted), "
        f"{sum(troubles.values())} troubles armed, {sum(r['kills'] for r in results)} SIGKILLs of "
        f"`pulumi` and its plugins fired, {sum(r['restarts'] for r in results)} emulator restarts, "
        f"{sum(r['failed_ups'] for r in results)} `pulumi up` that failed and were recovered; "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, {seconds / 60:.0f} min on this machine.",
        "",
        f"**Violations: {len(violations)}** (leaks, lost or duplicated nodes, counts, running state, "
        "instance types, clusters, writes run twice, failed convergence, secrets).",
        "",
        "| trouble | armed |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(troubles.items())],
        "",
        "| recovery step | runs |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(recoveries.items())],
        "",
    ]
    if violations:
        lines += ["Violations:", "", *[f"- {v}" for v in violations[:50]], ""]
    lines += ["Documented limits shown: " + (f"{len(limits)}" if limits else "none in this batch"), ""]
    lines += [f"- {x}" for x in limits[:20]]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="how many seeds (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="the first seed (default 1)")
    parser.add_argument("--seeds", help="a comma-separated list of seeds instead of --seed/--runs")
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at once, each in its own process")
    parser.add_argument("--workdir", type=Path, help="where runs keep their state (default: a temp dir)")
    parser.add_argument("--plan", action="store_true", help="print the seeds' plans and run nothing")
    parser.add_argument("--summary", action="store_true", help="write docs/chaos.md")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    seeds = list(range(args.seed, args.seed + args.runs))
    if args.seeds:
        try:
            seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
        except ValueError:
            parser.error(f"--seeds must be integers separated by commas, not {args.seeds!r}")
        args.runs, args.seed = len(seeds), seeds[0]
    if args.plan:
        for seed in seeds:
            print(json.dumps(draw(seed).to_json(), indent=1))
        return 0
    engine = engine_dir()
    workroot = args.workdir or Path(tempfile.mkdtemp(prefix="ehpc-chaos-"))
    start = time.monotonic()
    if args.json_only:
        print(json.dumps(_one(seeds[0], workroot, engine)))
        return 0
    results: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        runner = _in_child if args.jobs > 1 or args.runs > 1 else _one
        for result in pool.map(lambda s: runner(s, workroot, engine), seeds):
            results.append(result)
            mark = "FAIL" if result["violations"] else "ok"
            print(f"seed {result['seed']}: {mark} ({result['steps']} steps, {result['kills']} kills, "
                  f"{result['restarts']} restarts, {result['seconds']} s)", flush=True)
            if result["violations"]:
                print(f"  replay: make chaos SEED={result['seed']} RUNS=1")
                print("  plan: " + json.dumps(draw(result["seed"]).to_json()))
                for line in result.get("log", []):
                    print(f"  {line}")
                for v in result["violations"]:
                    print(f"  violation: {v}")
            if args.summary:  # after every run, so an interrupted long batch still leaves its figures
                _write(results, time.monotonic() - start, args.seed)
    failed = [r for r in results if r["violations"]]
    text = summarize(results, time.monotonic() - start, args.seed)
    print(text)
    if args.summary:
        _write(results, time.monotonic() - start, args.seed)
    return 1 if failed else 0


def _write(results: list[dict[str, Any]], seconds: float, first_seed: int) -> None:
    (ROOT / "docs" / "chaos.md").write_text(summarize(results, seconds, first_seed))
    (ROOT / "docs" / "chaos-runs.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
