"""Benchmark: our coalescing, adaptive task waiter vs the waiting cadences of other IaC tools.

Runs against in-process emulators (`running_emulator`) in ONE run:

* single tasks of about 10 s, 40 s and 120 s (duration +-15%, irregular steps from the emulator's
  model), waited on by each strategy concurrently; detection latency = the waiter's return time minus
  the emulator's `CompletedAt`; ListTasks calls counted per wait by a wrapper around the client.
  Each of our waits gets a private `PollerRegistry`, so repetitions do not share coalescing.
  Each strategy has its own emulator (cluster), so 24 repetitions per duration run at once and the
  full run stays under ~4 minutes.
* 1, 16 and 64 concurrent waits on one cluster (each level on its own emulator) through the shared
  registry: ListTasks calls in all, per task and per second. One wait is repeated (each on its own
  emulator) and averaged, since the target compares 64 waits with it.

    python benchmarks/waiter.py [--quick] [--json PATH] [--reps N]

Writes benchmarks/results/waiter.{md,png} (waiter-quick.* for --quick) and the JSON when asked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.waiting import PollerRegistry, wait_for_task
from pulumi_ehpc_tasks.wire import EhpcClient

RESULTS = Path(__file__).parent / "results"
TERMINAL = {"Success", "Failed", "Fail", "PartialFail"}
STRATEGIES = ["ours", "fixed_5s", "tf_alicloud", "botocore_15s", "aws_native"]


class CountingClient:
    """Counts `list_tasks` calls; otherwise the real client."""

    def __init__(self, client: EhpcClient) -> None:
        self._client = client
        self.calls = 0
        self._lock = threading.Lock()
        self.endpoint = client.endpoint
        self.credentials = client.credentials

    def list_tasks(self, cluster_id: str, **kw: Any) -> Any:
        with self._lock:
            self.calls += 1
        return self._client.list_tasks(cluster_id, **kw)


# -- baseline cadences: delay before each poll (attempt 0 = first poll) -----------------------------
def fixed(interval: float) -> Callable[[int, random.Random], float]:
    # A plain "call, then sleep" loop, as botocore's Waiter.wait does: first call immediately.
    return lambda attempt, rng: 0.0 if attempt == 0 else interval


def tf_alicloud(attempt: int, rng: random.Random) -> float:
    # StateChangeConf with Delay 5 s, MinTimeout 3 s: polls at 5, +3, +6, +10, +10, ...
    return [5.0, 3.0, 6.0][attempt] if attempt < 3 else 10.0


def aws_native(attempt: int, rng: random.Random) -> float:
    # aws-sdk-go-v2 ExponentialJitterBackoff(30 s): rand[0,1) + 2^attempt while attempt <= 4, then 30 s.
    return rng.random() + 2.0**attempt if attempt <= 4 else 30.0


BASELINES: dict[str, Callable[[int, random.Random], float]] = {
    "fixed_5s": fixed(5.0),
    "tf_alicloud": tf_alicloud,
    "botocore_15s": fixed(15.0),
    "aws_native": aws_native,
}


def baseline_wait(
    name: str, client: CountingClient, cluster_id: str, task_id: str, rng: random.Random
) -> None:
    attempt = 0
    while True:
        time.sleep(BASELINES[name](attempt, rng))
        attempt += 1
        tasks = client.list_tasks(cluster_id, task_id=task_id).tasks
        if tasks and tasks[0].raw_status in TERMINAL:
            return


# -- single-task runs ---------------------------------------------------------------------------------
@dataclass
class Sample:
    strategy: str
    duration: float
    latency_s: float
    calls: int


@dataclass
class Emu:
    handle: EmulatorHandle
    client: EhpcClient
    lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, duration_s: float, steps: int) -> str:
        # next-task scripts are FIFO: post the script and its AddNodes together.
        with self.lock:
            self.handle.next_task(duration_s=duration_s, total_steps=steps)
            return self.client.add_nodes(self.handle.cluster_id, count=1).task_id

    def completed_at(self, task_id: str) -> float:
        return float(self.handle.stats()["tasks"][task_id]["CompletedAt"])


def one_task(emu: Emu, strategy: str, nominal: float, steps: int, seed: int) -> Sample:
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, 2))  # spread starts so strategies are not in lockstep
    task_id = emu.submit(nominal * rng.uniform(0.85, 1.15), steps)
    client = CountingClient(emu.client)
    if strategy == "ours":
        wait_for_task(
            client,
            emu.handle.cluster_id,
            task_id,
            timeout_s=nominal * 3 + 60,
            registry=PollerRegistry(seed=seed),
        )
    else:
        baseline_wait(strategy, client, emu.handle.cluster_id, task_id, rng)
    done = time.time()
    return Sample(strategy, nominal, done - emu.completed_at(task_id), client.calls)


# -- concurrency --------------------------------------------------------------------------------------
def concurrent(emu: Emu, n: int, nominal: float, steps: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    ids = [emu.submit(nominal * rng.uniform(0.85, 1.15), steps) for _ in range(n)]
    client = CountingClient(emu.client)
    registry = PollerRegistry(seed=seed)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=n) as pool:
        list(
            pool.map(
                lambda t: wait_for_task(
                    client, emu.handle.cluster_id, t, timeout_s=nominal * 3 + 60, registry=registry
                ),
                ids,
            )
        )
    wall = time.monotonic() - start
    return {
        "calls": client.calls,
        "calls_per_task": client.calls / n,
        "calls_per_s": client.calls / wall,
        "wall_s": wall,
    }


@contextlib.contextmanager
def emulators(n: int) -> Iterator[list[Emu]]:
    with contextlib.ExitStack() as stack:
        out = []
        for i in range(n):
            h = stack.enter_context(running_emulator(seed=100 + i))
            out.append(
                Emu(h, stack.enter_context(EhpcClient(endpoint=h.endpoint, credentials=h.credentials)))
            )
        yield out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def run(quick: bool, reps: int | None) -> dict[str, Any]:
    mix = [(5.0, 4), (10.0, 6), (20.0, 8)] if quick else [(10.0, 6), (40.0, 10), (120.0, 20)]
    reps = reps or (3 if quick else 24)
    one_reps = 3 if quick else 8
    conc_nominal, conc_steps = (10.0, 6) if quick else (30.0, 10)
    levels = [1] * one_reps + [16, 64]
    with emulators(len(STRATEGIES) + len(levels)) as emus:
        single = dict(zip(STRATEGIES, emus, strict=False))
        conc_emus = emus[len(STRATEGIES):]
        jobs = [
            (s, d, n, 1000 * r + i) for i, s in enumerate(STRATEGIES) for d, n in mix for r in range(reps)
        ]
        with ThreadPoolExecutor(max_workers=len(jobs) + len(levels)) as pool:
            conc_futs = [
                (n, pool.submit(concurrent, e, n, conc_nominal, conc_steps, 7 * j + n))
                for j, (n, e) in enumerate(zip(levels, conc_emus, strict=True))
            ]
            samples = list(pool.map(lambda j: one_task(single[j[0]], *j), jobs))
            runs: dict[str, list[dict[str, float]]] = {}
            for n, f in conc_futs:
                runs.setdefault(str(n), []).append(f.result())
    conc = {
        k: {m: statistics.mean(r[m] for r in rs) for m in ("calls", "calls_per_task", "calls_per_s", "wall_s")}
        | {"runs": len(rs), "calls_each": [r["calls"] for r in rs]}
        for k, rs in runs.items()
    }
    strategies: dict[str, Any] = {}
    for s in STRATEGIES:
        mine = [x for x in samples if x.strategy == s]
        lat = [x.latency_s for x in mine]
        strategies[s] = {
            "p50_latency_s": round(pct(lat, 0.5), 3),
            "p95_latency_s": round(pct(lat, 0.95), 3),
            "calls_per_task": round(statistics.mean(x.calls for x in mine), 3),
            "by_duration": {
                str(int(d)): {
                    "p50_latency_s": round(pct([x.latency_s for x in mine if x.duration == d], 0.5), 3),
                    "p95_latency_s": round(pct([x.latency_s for x in mine if x.duration == d], 0.95), 3),
                    "calls_per_task": round(statistics.mean(x.calls for x in mine if x.duration == d), 3),
                }
                for d, _ in mix
            },
        }
    return {
        "quick": quick,
        "reps": reps,
        "mix": [{"duration_s": d, "total_steps": n} for d, n in mix],
        "concurrency_task": {"duration_s": conc_nominal, "total_steps": conc_steps},
        "strategies": strategies,
        "concurrency": conc,
    }


def targets(res: dict[str, Any]) -> list[tuple[str, bool, str]]:
    s, c = res["strategies"], res["concurrency"]
    ours = s["ours"]
    out = []
    for b in ("fixed_5s", "tf_alicloud"):
        ok = ours["calls_per_task"] < s[b]["calls_per_task"] and ours["p95_latency_s"] < s[b]["p95_latency_s"]
        out.append(
            (
                f"1. fewer calls/task and lower p95 than {b}",
                ok,
                f"calls {ours['calls_per_task']} vs {s[b]['calls_per_task']}, "
                f"p95 {ours['p95_latency_s']} vs {s[b]['p95_latency_s']} s",
            )
        )
    for b in ("botocore_15s", "aws_native"):
        ok = (
            ours["p95_latency_s"] <= 0.2 * s[b]["p95_latency_s"]
            and ours["calls_per_task"] <= 1.5 * s[b]["calls_per_task"]
        )
        out.append(
            (
                f"2. p95 <= 0.2x and calls/task <= 1.5x {b}",
                ok,
                f"p95 {ours['p95_latency_s']} vs 0.2x{s[b]['p95_latency_s']} = "
                f"{0.2 * s[b]['p95_latency_s']:.3f} s, calls {ours['calls_per_task']} vs "
                f"1.5x{s[b]['calls_per_task']} = {1.5 * s[b]['calls_per_task']:.3f}",
            )
        )
    worst = max(v["p95_latency_s"] for v in ours["by_duration"].values())
    per = ", ".join(f"@{d}s {v['p95_latency_s']}" for d, v in ours["by_duration"].items())
    out.append(("3. our p95 <= 2 s at every duration", worst <= 2.0, f"{per} (worst {worst} s)"))
    ratio = c["64"]["calls"] / max(1, c["1"]["calls"])
    out.append(
        (
            "4. 64 concurrent waits <= 2x the calls of one",
            ratio <= 2.0,
            f"{c['64']['calls']:g} vs {c['1']['calls']:.2f} calls (one wait: mean of {c['1']['runs']} runs "
            f"{c['1']['calls_each']}; {ratio:.2f}x); "
            f"per second {c['64']['calls_per_s']:.2f} vs {c['1']['calls_per_s']:.2f}",
        )
    )
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [
        f"# Task waiter benchmark ({'quick' if res['quick'] else 'full'} run, {res['reps']} reps)",
        "",
        "Durations (s, steps): " + ", ".join(f"{m['duration_s']:g}/{m['total_steps']}" for m in res["mix"]),
        "",
        "| strategy | p50 latency s | p95 latency s | ListTasks calls/task | "
        + " | ".join(f"p95 / calls @{k}s" for k in res["strategies"]["ours"]["by_duration"])
        + " |",
        "|---|---|---|---|" + "---|" * len(res["strategies"]["ours"]["by_duration"]),
    ]
    for name, v in res["strategies"].items():
        per = " | ".join(f"{d['p95_latency_s']} / {d['calls_per_task']}" for d in v["by_duration"].values())
        lines.append(
            f"| {name} | {v['p50_latency_s']} | {v['p95_latency_s']} | {v['calls_per_task']} | {per} |"
        )
    ct = res["concurrency_task"]
    lines += [
        "",
        f"Concurrent waits on one cluster (ours; {ct['duration_s']:g} s +-15%, {ct['total_steps']} steps)",
        "",
        "| waits | ListTasks calls | calls/task | calls/s | wall s |",
        "|---|---|---|---|---|",
    ]
    for k, v in res["concurrency"].items():
        runs = f" (mean of {v['runs']})" if v["runs"] > 1 else ""
        lines.append(
            f"| {k}{runs} | {v['calls']:g} | {v['calls_per_task']:.2f} | {v['calls_per_s']:.3f} | {v['wall_s']:.1f} |"
        )
    lines += ["", "| target | result | figures |", "|---|---|---|"]
    lines += [f"| {t} | {'PASS' if ok else 'MISS'} | {why} |" for t, ok, why in targets(res)]
    lines += ["", f"Elapsed: {res.get('elapsed_s', '?')} s."]
    return "\n".join(lines) + "\n"


def chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(res["strategies"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    durations = list(res["strategies"]["ours"]["by_duration"])
    width = 0.8 / len(durations)
    for ax, key, title in (
        (axes[0], "p95_latency_s", "p95 detection latency (s)"),
        (axes[1], "calls_per_task", "ListTasks calls per task"),
    ):
        for i, d in enumerate(durations):
            ax.bar(
                [j + i * width for j in range(len(names))],
                [res["strategies"][n]["by_duration"][d][key] for n in names],
                width,
                label=f"~{d} s task",
            )
        ax.set_xticks([j + width for j in range(len(names))], names, rotation=20)
        ax.set_title(title)
        ax.legend()
    conc = res["concurrency"]
    axes[2].bar(list(conc), [conc[k]["calls"] for k in conc], color="tab:green")
    axes[2].set_title("ours: ListTasks calls for N concurrent waits")
    axes[2].set_xlabel("concurrent waits on one cluster")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short tasks, few reps: under a minute")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    ap.add_argument("--reps", type=int, help="repetitions per strategy and duration")
    args = ap.parse_args(argv)
    started = time.monotonic()
    res = run(args.quick, args.reps)
    res["elapsed_s"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = markdown(res)
    # A quick run is a smoke test: keep it away from the committed full-run results.
    stem = "waiter-quick" if args.quick else "waiter"
    (RESULTS / f"{stem}.md").write_text(text)
    chart(res, RESULTS / f"{stem}.png")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    print(text)
    print(f"elapsed {res['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
