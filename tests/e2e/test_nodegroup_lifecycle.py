"""Every NodeGroup lifecycle path through the real engine: scale up/down, stop/start, reset,
replace, refresh after out-of-band deletion, a no-op `up`, bad input at preview, destroy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup

from .harness import DEMO_CLUSTER, EmulatorProcess, inline_stack, mutations, resource_outputs

pytestmark = pytest.mark.e2e


def _program() -> None:
    cfg = pulumi.Config()
    group = NodeGroup(
        "workers",
        cluster_id=DEMO_CLUSTER,
        count=cfg.require_int("count"),
        instance_type=cfg.get("instanceType") or "ecs.c7.large",
        running=cfg.get_bool("running") is not False,
        reset_trigger=cfg.get("reset"),
        timeouts={"create": "10m", "update": "10m", "delete": "5m"},
    )
    pulumi.export("ids", group.instance_ids)
    pulumi.export("task_type", group.task_type)


def _set(stack: auto.Stack, **values: str) -> None:
    for key, value in values.items():
        stack.set_config(key, auto.ConfigValue(value))


def _ids(up: auto.UpResult) -> list[str]:
    return list(up.outputs["ids"].value)


def _status(emulator: EmulatorProcess) -> dict[str, str]:
    return {n["InstanceId"]: n["Status"] for n in emulator.compute_nodes()}


def test_nodegroup_full_lifecycle(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    stack = inline_stack("life", _program, emulator.endpoint, {"count": "2"})
    first = _ids(stack.up())
    assert len(first) == 2 and set(first) == set(_status(emulator))

    # A second up with no changes: no mutating call at all.
    before = emulator.requests()
    stack.up()
    assert mutations(before, emulator.requests()) == {}

    # Scale up keeps the existing nodes and adds the difference.
    _set(stack, count="4")
    up = stack.up()
    grown = _ids(up)
    assert len(grown) == 4 and grown[:2] == first
    assert up.outputs["task_type"].value == "AddComputes"

    # Scale down removes the newest nodes first.
    before = emulator.requests()
    _set(stack, count="1")
    shrunk = _ids(stack.up())
    assert shrunk == first[:1]
    assert set(_status(emulator)) == set(shrunk)
    assert mutations(before, emulator.requests()) == {"DeleteNodes": 1}

    # running=false stops the nodes, running=true starts them again.
    _set(stack, running="false")
    stack.up()
    assert set(_status(emulator).values()) == {"stopped"}
    _set(stack, running="true")
    stack.up()
    assert set(_status(emulator).values()) == {"running"}

    # A reset_trigger change resets the nodes in place.
    before = emulator.requests()
    _set(stack, reset="2026-11-27")
    assert _ids(stack.up()) == shrunk
    assert mutations(before, emulator.requests()) == {"ResetNodes": 1}

    # Nodes deleted out of band show up at refresh; the next up restores the count.
    _set(stack, count="2")
    two = _ids(stack.up())
    client_delete(emulator, two[1])
    stack.refresh()
    assert resource_outputs(stack, "workers")["instance_ids"] == [two[0]]
    restored = _ids(stack.up())
    assert len(restored) == 2 and restored[0] == two[0] and len(_status(emulator)) == 2

    # Changing what AddNodes fixes replaces the group: new nodes, the old ones deleted.
    _set(stack, instanceType="ecs.c7.xlarge")
    replaced = _ids(stack.up())
    assert len(replaced) == 2 and not set(replaced) & set(restored)
    assert set(_status(emulator)) == set(replaced)

    stack.destroy()
    assert emulator.compute_nodes() == []


def client_delete(emulator: EmulatorProcess, instance_id: str) -> None:
    """Delete a node behind Pulumi's back, with the same signed API any other tool would use."""
    from pulumi_ehpc_tasks.waiting import wait_for_task
    from pulumi_ehpc_tasks.wire import Credentials, EhpcClient

    from .harness import DEMO_KEY_ID, DEMO_SECRET

    client = EhpcClient(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))
    task = client.delete_nodes(DEMO_CLUSTER, instance_ids=[instance_id]).task_id
    wait_for_task(client, DEMO_CLUSTER, task, timeout_s=60).raise_for_outcome()


def test_bad_input_fails_at_preview_without_api_calls(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess
) -> None:
    stack = inline_stack("bad", _program, emulator.endpoint, {"count": "0"})
    before = emulator.requests()
    with pytest.raises(auto.CommandError) as err:
        stack.preview()
    assert "count" in str(err.value) and "greater than or equal to 1" in str(err.value)
    assert mutations(before, emulator.requests()) == {}
    assert httpx.get(f"{emulator.endpoint}/_emulator/health").status_code == 200
