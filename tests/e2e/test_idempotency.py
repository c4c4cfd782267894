"""A create retried after a lost response, a read timeout or a crash re-attaches to the same AddNodes task
through the deterministic ClientToken instead of adding nodes twice; and a token whose nodes are gone
(destroy, then create again under the same URN) gives new nodes, not the old task's."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup

from .harness import DEMO_CLUSTER, EmulatorProcess, inline_stack, resource_outputs, wait_until

pytestmark = pytest.mark.e2e


def _program() -> None:
    group = NodeGroup("workers", cluster_id=DEMO_CLUSTER, count=2, timeouts={"create": "5m", "delete": "5m"})
    pulumi.export("ids", group.instance_ids)
    pulumi.export("task_id", group.task_id)


def _add_tasks(emulator: EmulatorProcess) -> list[tuple[float, str]]:
    tasks = emulator.admin("GET", "stats")["tasks"]
    return sorted((t["CreatedAt"], tid) for tid, t in tasks.items() if t["TaskType"] == "AddComputes")


def _assert_one_task(emulator: EmulatorProcess, up: auto.UpResult) -> None:
    adds = _add_tasks(emulator)
    assert len(adds) == 1, adds
    assert up.outputs["task_id"].value == adds[0][1]
    wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)
    assert {n["InstanceId"] for n in emulator.compute_nodes()} == set(up.outputs["ids"].value)
    assert len(up.outputs["ids"].value) == 2


def test_lost_response_reattaches(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    emulator.admin("POST", "faults", json={"action": "AddNodes", "drop": "after", "times": 1})
    stack = inline_stack("lost", _program, emulator.endpoint)
    up = stack.up()
    assert emulator.requests()["AddNodes"] == 2  # sent twice, applied once
    _assert_one_task(emulator, up)


@pytest.mark.slow
def test_read_timeout_reattaches(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    # The provider's read timeout is 10 s; the first AddNodes is answered after 11 s (and applied then).
    emulator.admin("POST", "faults", json={"action": "AddNodes", "latency_s": 11, "times": 1})
    stack = inline_stack("slow", _program, emulator.endpoint)
    up = stack.up()
    assert emulator.requests()["AddNodes"] >= 2
    _assert_one_task(emulator, up)


def test_crash_then_up_adopts_the_same_task(tmp_path: Path, pulumi_env: dict[str, str],
                                            emulator: EmulatorProcess) -> None:
    from tests.reliability.test_crashes import Killer

    emulator.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": 3.0})
    stack = inline_stack("crash", _program, emulator.endpoint)
    killer = Killer(emulator, "AddNodes")
    result, _ = killer.run(stack.up)
    assert isinstance(result, auto.CommandError)
    first = _add_tasks(emulator)
    stack.cancel()  # the killed CLI still holds the stack's lock
    stack.refresh(clear_pending_creates=True)
    up = stack.up()
    assert _add_tasks(emulator) == first
    _assert_one_task(emulator, up)


def test_recreate_after_destroy_gets_new_nodes(tmp_path: Path, pulumi_env: dict[str, str],
                                               emulator: EmulatorProcess) -> None:
    stack = inline_stack("again", _program, emulator.endpoint)
    old = set(stack.up().outputs["ids"].value)
    stack.destroy()
    wait_until(lambda: not emulator.compute_nodes(), timeout_s=60)
    new = set(stack.up().outputs["ids"].value)
    assert len(new) == 2 and not new & old, "the old task's (deleted) nodes must not be adopted"
    assert len(_add_tasks(emulator)) == 2
    assert {n["InstanceId"] for n in emulator.compute_nodes()} == new == set(
        resource_outputs(stack, "workers")["instance_ids"])
    stack.destroy()
