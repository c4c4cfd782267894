"""Large stacks in one `pulumi up`: 99-node groups, a 1,600-node NodePool, 256 NodeGroups.

One run, every stack against one emulator, each AddNodes task scripted to take `--task-s`:
  one       1 NodeGroup of 99
  groups    16 NodeGroups of 99
  pool      NodePool of 1,600 (17 shards of <= 99)
  sleep     16 trivial dynamic resources that sleep `--task-s`, host worker limit raised as ours is:
            what the engine alone allows
each at the engine's default `--parallel` (4 x CPU cores) and at `--parallel 64`; then
  many      256 NodeGroups of 1 node at `--parallel 64`: wall time, ListTasks calls, peak RSS.
For every stack: wall time of `pulumi up`, the ratio to `one`, and the API calls by action, so that the
time that is not waiting can be told apart (engine, provider, emulator). Target (issue 13): `groups` and
`pool` within 1.25 x `one`.

    python benchmarks/scale.py [--task-s 20] [--quick] [--json benchmarks/results/scale.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi.dynamic import CreateResult, Resource, ResourceProvider  # noqa: E402

from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess, engine_dir, inline_stack, offline_env  # noqa: E402
from tests.reliability.engine import RssSampler  # noqa: E402

Program = Callable[[], None]


class _SleepProvider(ResourceProvider):
    def configure(self, req: Any) -> None:
        # Lift the stock host's 4-worker limit as our provider does, so only the engine can be the limit.
        from pulumi_ehpc_tasks.provider.host_tuning import raise_provider_workers

        raise_provider_workers()

    def create(self, props: dict[str, Any]) -> CreateResult:
        time.sleep(float(props["seconds"]))
        return CreateResult("sleep", dict(props))


class _Sleep(Resource):
    def __init__(self, name: str, seconds: float) -> None:
        super().__init__(_SleepProvider(), name, {"seconds": seconds})


def _groups(n: int, size: int) -> Program:
    def program() -> None:
        from pulumi_ehpc_tasks import NodeGroup

        for i in range(n):
            NodeGroup(f"g{i:03d}", cluster_id=DEMO_CLUSTER, count=size, timeouts={"create": "30m"})

    return program


def _pool(count: int) -> Program:
    def program() -> None:
        from pulumi_ehpc_tasks import NodePool

        NodePool("pool", cluster_id=DEMO_CLUSTER, count=count, timeouts={"create": "30m"})

    return program


def _sleeps(n: int, seconds: float) -> Program:
    def program() -> None:
        for i in range(n):
            _Sleep(f"s{i:03d}", seconds)

    return program


def _delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(after) if after.get(k, 0) != before.get(k, 0)}


def _run(emulator: EmulatorProcess, name: str, program: Program, tasks: int, task_s: float,
         parallel: int | None) -> dict[str, Any]:
    emulator.admin("DELETE", "faults")
    for _ in range(tasks):
        emulator.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": task_s, "total_steps": 10})
    stack = inline_stack(name, program, emulator.endpoint)
    assert emulator.proc is not None
    before = emulator.requests()
    with RssSampler(emulator_pid=emulator.proc.pid) as rss:
        start = time.monotonic()
        stack.up(parallel=parallel) if parallel else stack.up()
        wall = time.monotonic() - start
    calls = _delta(before, emulator.requests())
    nodes = len(emulator.compute_nodes())
    stack.destroy(parallel=64)
    stack.workspace.remove_stack(name)
    row = {"stack": name, "parallel": parallel or "default", "wall_s": round(wall, 2), "nodes": nodes,
           "calls": calls, "provider_rss_mb": round(rss.provider_peak_mb, 1),
           "emulator_rss_mb": round(rss.emulator_peak_mb, 1)}
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task-s", type=float, default=20.0)
    ap.add_argument("--quick", action="store_true", help="4 groups, a 400-node pool, 32 small groups")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    args = ap.parse_args()
    groups, pool_nodes, many = (4, 400, 32) if args.quick else (16, 1600, 256)
    shards = -(-pool_nodes // 99)

    work = Path(tempfile.mkdtemp(prefix="ehpc-scale-"))
    os.environ.update(offline_env(work / "pulumi", engine_dir()))
    rows: list[dict[str, Any]] = []
    with EmulatorProcess("--step-seconds", "0.05", "--capacity", "100000") as emulator:
        for parallel in (None, 64):
            tag = "default" if parallel is None else str(parallel)
            cases: list[tuple[str, Program, int]] = [
                ("one", _groups(1, 99), 1),
                ("groups", _groups(groups, 99), groups),
                ("pool", _pool(pool_nodes), shards),
                ("sleep", _sleeps(groups, args.task_s), 0),
            ]
            for name, program, tasks in cases:
                rows.append(_run(emulator, f"{name}-{tag}", program, tasks, args.task_s, parallel))
        # At the default --parallel, 256 groups take 32 rounds of the task: the engine, not us (see `sleep`).
        rows.append(_run(emulator, "many-64", _groups(many, 1), many, args.task_s, 64))

    by_name = {r["stack"]: r for r in rows}
    for r in rows:
        base = by_name["one-" + str(r["parallel"])]
        r["ratio_to_one"] = round(r["wall_s"] / base["wall_s"], 3)
    summary = {"task_s": args.task_s, "groups": groups, "pool_nodes": pool_nodes, "pool_shards": shards,
               "many": many, "cpus": os.cpu_count(), "rows": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        f"Each AddNodes task takes {args.task_s:g} s (10 steps); machine: {os.cpu_count()} CPUs, so the engine's "
        f"default `--parallel` is {4 * (os.cpu_count() or 1)}.",
        "",
        "| stack | --parallel | nodes | `pulumi up` (s) | ratio to one group | ListTasks | ListNodes | AddNodes | "
        "provider RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = r["calls"]
        lines.append(f"| {r['stack']} | {r['parallel']} | {r['nodes']} | {r['wall_s']:.1f} | {r['ratio_to_one']:.2f} | "
                     f"{c.get('ListTasks', 0)} | {c.get('ListNodes', 0)} | {c.get('AddNodes', 0)} | "
                     f"{r['provider_rss_mb']:.0f} |")
    args.json.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
