"""More than four NodeGroups wait at once in one `pulumi up` with a stock Pulumi install."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup

from .harness import DEMO_CLUSTER, EmulatorProcess, demo_config

pytestmark = pytest.mark.e2e
GROUPS = 8


def _program() -> None:
    groups = [NodeGroup(f"g{i}", cluster_id=DEMO_CLUSTER, count=1, instance_type="ecs.c7.large") for i in range(GROUPS)]
    pulumi.export("ids", [g.instance_ids for g in groups])


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    best = current = 0
    for _, delta in events:
        current += delta
        best = max(best, current)
    return best


def test_more_than_four_groups_wait_concurrently(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    # Slow steps: each AddNodes task runs several seconds, long enough to see whether they overlap.
    with EmulatorProcess("--step-seconds", "0.6", "--seed", "3") as emulator:
        stack = auto.create_or_select_stack("conc", project_name="concurrency", program=_program)
        stack.set_all_config(demo_config(emulator.endpoint))
        stack.up()
        tasks = emulator.admin("GET", "stats")["tasks"].values()
        adds = [(t["CreatedAt"], t["CompletedAt"]) for t in tasks if t["TaskType"] == "AddComputes"]
        assert len(adds) == GROUPS
        # The stock host serves 4 calls at a time: without our tuning at most 4 tasks would overlap.
        assert max_overlap(adds) > 4
        stack.destroy()
        assert emulator.compute_nodes() == []
