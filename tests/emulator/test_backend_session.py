"""A backend session sees one instant: a task's final status always comes with its applied effects."""

from __future__ import annotations

import itertools

from pulumi_ehpc_tasks.emulator import operations as ops
from pulumi_ehpc_tasks.emulator.backend import Backend
from pulumi_ehpc_tasks.emulator.state import TaskRequest
from pulumi_ehpc_tasks.wire.task_models import TaskStatus


def test_a_final_status_comes_with_its_effects_even_as_the_clock_moves() -> None:
    ticks = itertools.count(1000.0, 0.05)  # every reading of the clock is later than the one before
    b = Backend(region="cn-hangzhou", step_seconds=0.2, seed=1, capacity=10, clock=lambda: next(ticks))
    cid = b.seed_cluster("ehpc-hz-session01").cluster_id
    with b.session():
        task = ops.add_nodes(b, cid, ops.AddNodesSpec(1), TaskRequest("r-1", cid, "AddNodes", {}))
    seen: list[tuple[TaskStatus, str]] = []
    while not seen or seen[-1][0] is TaskStatus.PROCESSING:
        with b.session() as now:
            _, (listed,) = ops.list_tasks(b, cid, task.task_id, True, 1, 10)
            node = next(n for n in b.nodes_of(cid) if n.instance_id in listed.targets)
            seen.append((listed.status_at(b.now()), node.status))
            assert b.now() == now
    assert seen[-1] == (TaskStatus.SUCCESS, "running")
    assert all(status == "initing" for s, status in seen[:-1])
