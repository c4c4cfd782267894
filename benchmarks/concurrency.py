"""How many NodeGroups wait at once in one `pulumi up`, with a stock Pulumi install.

One run, three stacks against the emulator (every AddNodes task scripted to take `--task-s`):
  one      1 NodeGroup
  ours     16 NodeGroups
  stock    16 trivial dynamic resources whose create just sleeps `--task-s` (the stock host's 4 workers)
Target (issue 6): `ours` within 1.25 x `one`'s wall time.

The engine itself runs at most `--parallel` steps at once (default 4 x CPU cores, so 8 on a 2-core
machine); every stack here runs with `--parallel 64` so that only the provider host can be the limit.

    python benchmarks/concurrency.py [--task-s 30] [--groups 16] [--json benchmarks/results/concurrency.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import os  # noqa: E402

import pulumi  # noqa: E402
from pulumi import automation as auto  # noqa: E402
from pulumi.dynamic import CreateResult, Resource, ResourceProvider  # noqa: E402

from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess, engine_dir, inline_stack, offline_env  # noqa: E402


class _SleepProvider(ResourceProvider):
    def create(self, props: dict[str, object]) -> CreateResult:
        time.sleep(float(props["seconds"]))  # type: ignore[arg-type]
        return CreateResult("sleep", dict(props))


class _Sleep(Resource):
    def __init__(self, name: str, seconds: float) -> None:
        super().__init__(_SleepProvider(), name, {"seconds": seconds})


def _groups_program(n: int) -> Callable[[], None]:
    def program() -> None:
        from pulumi_ehpc_tasks import NodeGroup

        groups = [NodeGroup(f"g{i}", cluster_id=DEMO_CLUSTER, count=1) for i in range(n)]
        pulumi.export("n", len(groups))

    return program


def _sleep_program(n: int, seconds: float) -> Callable[[], None]:
    def program() -> None:
        for i in range(n):
            _Sleep(f"s{i}", seconds)

    return program


def _timed_up(stack: auto.Stack, parallel: int) -> float:
    start = time.monotonic()
    stack.up(parallel=parallel)
    return time.monotonic() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task-s", type=float, default=30.0)
    ap.add_argument("--groups", type=int, default=16)
    ap.add_argument("--parallel", type=int, default=64, help="the engine's --parallel for every stack")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "concurrency.json")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ehpc-conc-"))
    os.environ.update(offline_env(work / "pulumi", engine_dir()))
    results: dict[str, float] = {}
    with EmulatorProcess("--step-seconds", "0.05") as emulator:
        for name, n in (("one", 1), ("ours", args.groups)):
            for _ in range(n):
                emulator.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": args.task_s,
                                                          "total_steps": 10})
            stack = inline_stack(name, _groups_program(n), emulator.endpoint)
            results[name] = _timed_up(stack, args.parallel)
            print(f"{name:5s} {n:3d} NodeGroup(s): {results[name]:6.1f} s", flush=True)
            stack.destroy()
        stack = inline_stack("stock", _sleep_program(args.groups, args.task_s), emulator.endpoint)
        results["stock"] = _timed_up(stack, args.parallel)
        print(f"stock {args.groups:3d} sleeping resources: {results['stock']:6.1f} s", flush=True)
        stack.destroy()

    ratio = results["ours"] / results["one"]
    summary = {
        "task_s": args.task_s,
        "groups": args.groups,
        "engine_parallel": args.parallel,
        "wall_s": {k: round(v, 2) for k, v in results.items()},
        "ours_over_one": round(ratio, 3),
        "stock_over_one": round(results["stock"] / results["one"], 3),
        "target": "ours_over_one <= 1.25",
        "target_met": ratio <= 1.25,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    md = args.json.with_suffix(".md")
    md.write_text(
        "| stack | resources | `pulumi up` wall time (s) | ratio to one group |\n|---|---|---|---|\n"
        f"| one NodeGroup | 1 | {results['one']:.1f} | 1.00 |\n"
        f"| ours: NodeGroups | {args.groups} | {results['ours']:.1f} | {ratio:.2f} |\n"
        f"| stock host: sleeping dynamic resources | {args.groups} | {results['stock']:.1f} | "
        f"{results['stock'] / results['one']:.2f} |\n\n"
        f"Each task takes {args.task_s:g} s; every `pulumi up` runs with `--parallel {args.parallel}`.\n"
        f"Target: {args.groups} groups within 1.25 x one group: "
        f"{'met' if ratio <= 1.25 else 'missed'} ({ratio:.2f}).\n"
    )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
