"""Each NodeGroup `partial_failure` mode through the real engine, with AddNodes scripted to end PartialFail
(`POST /_emulator/next-task {"action": "AddNodes", "outcome": "PartialFail", "succeed_count": k}`)."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup

from .harness import DEMO_CLUSTER, EmulatorProcess, inline_stack, mutations, resource_outputs, wait_until

pytestmark = pytest.mark.e2e
COUNT = 3


def _program() -> None:
    cfg = pulumi.Config()
    group = NodeGroup("workers", cluster_id=DEMO_CLUSTER, count=COUNT, partial_failure=cfg.require("mode"),
                      max_retries=2, timeouts={"create": "5m", "delete": "5m"})
    pulumi.export("ids", group.instance_ids)
    pulumi.export("instances", group.instances)
    pulumi.export("failed_count", group.failed_count)
    pulumi.export("errors", group.errors)


def _settled(emulator: EmulatorProcess) -> None:
    wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)


def _live(emulator: EmulatorProcess) -> set[str]:
    # Failed adds leave nothing behind in E-HPC (the emulator removes them), so every node counts.
    return {n["InstanceId"] for n in emulator.compute_nodes()}


def test_accept_keeps_what_was_added(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    emulator.admin("POST", "next-task", json={"action": "AddNodes", "outcome": "PartialFail", "succeed_count": 1})
    stack = inline_stack("accept", _program, emulator.endpoint, {"mode": "accept"})
    up = stack.up()
    ids = up.outputs["ids"].value
    assert len(ids) == 1
    assert [i["instance_id"] for i in up.outputs["instances"].value] == ids
    assert up.outputs["failed_count"].value == COUNT - 1
    assert up.outputs["errors"].value, "the task's errors are outputs"
    assert "PartialFail" in up.stdout and "warning" in up.stdout.lower()
    _settled(emulator)
    assert _live(emulator) == set(ids)
    stack.destroy()
    _settled(emulator)
    assert _live(emulator) == set()


def test_rollback_deletes_what_was_added(tmp_path: Path, pulumi_env: dict[str, str],
                                         emulator: EmulatorProcess) -> None:
    emulator.admin("POST", "next-task", json={"action": "AddNodes", "outcome": "PartialFail", "succeed_count": 2})
    stack = inline_stack("rollback", _program, emulator.endpoint, {"mode": "rollback"})
    before = emulator.requests()
    with pytest.raises(auto.CommandError) as err:
        stack.up()
    text = str(err.value)
    assert "PartialFail" in text and "rollback" in text and "deleted again" in text
    assert "Traceback" not in text
    assert mutations(before, emulator.requests()) == {"AddNodes": 1, "DeleteNodes": 1}
    _settled(emulator)
    assert _live(emulator) == set()
    assert not any(r["urn"].endswith("::workers") for r in (stack.export_stack().deployment or {}).get("resources", []))


def test_retry_adds_the_missing_nodes(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    emulator.admin("POST", "next-task", json={"action": "AddNodes", "outcome": "PartialFail", "succeed_count": 1})
    stack = inline_stack("retry", _program, emulator.endpoint, {"mode": "retry"})
    before = emulator.requests()
    up = stack.up()
    ids = up.outputs["ids"].value
    assert len(ids) == COUNT and up.outputs["failed_count"].value == 0
    assert mutations(before, emulator.requests()) == {"AddNodes": 2}
    _settled(emulator)
    assert _live(emulator) == set(ids) == set(resource_outputs(stack, "workers")["instance_ids"])
    stack.destroy()
    _settled(emulator)
    assert _live(emulator) == set()
