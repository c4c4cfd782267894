"""One stack with 64 NodeGroups against the emulator: `pulumi up` and `destroy` complete with the right
inventory; wall times, ListTasks calls and peak RSS of the dynamic-provider process and the emulator."""

from __future__ import annotations

import time

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup
from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess

from . import conftest, report
from .engine import RssSampler, new_stack, run, scan_stack

pytestmark = pytest.mark.e2e
GROUPS = 64
PROVIDER_RSS_BUDGET_MB = 250.0


def _program() -> None:
    groups = [NodeGroup(f"g{i:02d}", cluster_id=DEMO_CLUSTER, count=1, timeouts={"create": "10m"})
              for i in range(GROUPS)]
    pulumi.export("ids", [g.instance_ids for g in groups])


def test_sixty_four_resources(pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    row = report.record("load", f"{GROUPS} NodeGroups in one stack: up, then destroy", "pulumi",
                        f"{GROUPS} nodes after up, 0 after destroy; provider RSS <= {PROVIDER_RSS_BUDGET_MB:.0f} MB")
    stack = new_stack("load", _program, emulator.endpoint)
    assert emulator.proc is not None
    with RssSampler(emulator_pid=emulator.proc.pid) as rss:
        before = emulator.requests()
        t0 = time.monotonic()
        up, up_text = run(stack.up)
        up_s = time.monotonic() - t0
        assert not isinstance(up, auto.CommandError), up_text[-3000:]
        after_up = emulator.requests()
        nodes_after_up = len(emulator.compute_nodes())
        ids = {i for group in up.outputs["ids"].value for i in group}
        t1 = time.monotonic()
        down, down_text = run(stack.destroy)
        down_s = time.monotonic() - t1
        after_down = emulator.requests()
    left = len(emulator.compute_nodes())
    leaks = scan_stack(stack, up_text, down_text)
    list_up = after_up.get("ListTasks", 0) - before.get("ListTasks", 0)
    list_down = after_down.get("ListTasks", 0) - after_up.get("ListTasks", 0)
    adds = after_up.get("AddNodes", 0) - before.get("AddNodes", 0)
    figures = [
        f"- load, {GROUPS} NodeGroups x 1 node (emulator --step-seconds 0.05): `pulumi up` {up_s:.1f} s, "
        f"`pulumi destroy` {down_s:.1f} s",
        f"- ListTasks calls: {list_up} during up ({list_up / GROUPS:.2f} per resource), {list_down} during destroy; "
        f"AddNodes calls {adds}",
        f"- peak RSS: dynamic-provider process {rss.provider_peak_mb:.0f} MB (budget {PROVIDER_RSS_BUDGET_MB:.0f} MB), "
        f"emulator {rss.emulator_peak_mb:.0f} MB",
    ]
    conftest.FIGURES.extend(figures)
    problems = []
    if nodes_after_up != GROUPS or len(ids) != GROUPS:
        problems.append(f"{nodes_after_up} nodes / {len(ids)} ids after up")
    if adds != GROUPS:
        problems.append(f"{adds} AddNodes calls")
    if left:
        problems.append(f"{left} nodes after destroy")
    if not isinstance(down, auto.DestroyResult):
        problems.append("destroy failed")
    if rss.provider_peak_mb == 0 or rss.provider_peak_mb > PROVIDER_RSS_BUDGET_MB:
        problems.append(f"provider RSS {rss.provider_peak_mb:.0f} MB")
    if leaks:
        problems.append(f"secret in output: {leaks}")
    row.finish(f"up {up_s:.0f} s, destroy {down_s:.0f} s, ListTasks {list_up}+{list_down}, RSS provider "
               f"{rss.provider_peak_mb:.0f} MB / emulator {rss.emulator_peak_mb:.0f} MB"
               + ("; " + "; ".join(problems) if problems else ""),
               duplicates=max(0, nodes_after_up - GROUPS), leaks=left + abs(nodes_after_up - len(ids)), ok=not problems)
    assert not problems, row.outcome
