"""A NodePool's shards wait together even when the engine runs fewer creates at once than there are
shards, and no node is left outside the state when the engine stops before some shards' creates."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodePool
from tests.reliability.engine import pulumi_cli_pids

from .harness import DEMO_CLUSTER, EmulatorProcess, inline_stack, wait_until

pytestmark = pytest.mark.e2e
SHARDS = 4


def _pool_program() -> Any:
    def program() -> None:
        pool = NodePool("pool", cluster_id=DEMO_CLUSTER, count=SHARDS, max_per_group=1, host_name_prefix="pl-",
                        timeouts={"create": "5m"})
        pulumi.export("ids", pool.instance_ids)

    return program


def _add_tasks(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    tasks = emulator.admin("GET", "stats")["tasks"].values()
    return sorted((t for t in tasks if t["TaskType"] == "AddComputes"), key=lambda t: t["CreatedAt"])


def _settled(emulator: EmulatorProcess) -> None:
    wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)


def _state_ids(stack: auto.Stack) -> set[str]:
    ids: set[str] = set()
    for res in stack.export_stack().deployment["resources"]:
        if res["type"].endswith("ehpc:NodeGroup"):
            ids.update(res.get("outputs", {}).get("instance_ids") or [])
    return ids


def _live(emulator: EmulatorProcess) -> set[str]:
    return {n["InstanceId"] for n in emulator.compute_nodes() if n["HostName"].startswith("pl-")}


def test_shards_wait_together_at_a_low_parallel(pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    for _ in range(SHARDS):
        emulator.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": 6, "total_steps": 3})
    stack = inline_stack("together", _pool_program(), emulator.endpoint)
    up = stack.up(parallel=2)
    tasks = _add_tasks(emulator)
    assert len(tasks) == SHARDS  # one task per shard: the shards' own creates re-attached
    ids = set(up.outputs["ids"].value)
    assert len(ids) == SHARDS and ids == _live(emulator) == _state_ids(stack)
    # The first shard issues for the siblings not yet created when its create runs. Registrations reach
    # the engine in no fixed order, so a sibling may run alone, before or after it (a fresh-clone run saw
    # one after); the issuer's and the issued shards' tasks still all start before any of them ends.
    issued = re.search(r"issued AddNodes for (\d+) more shard", up.stdout)
    n = int(issued[1]) + 1 if issued else 1
    by_start = sorted(tasks, key=lambda t: t["CreatedAt"])
    windows = [by_start[i:i + n] for i in range(len(by_start) - n + 1)]
    assert any(max(t["CreatedAt"] for t in w) < min(t["CompletedAt"] for t in w) for w in windows), (
        "the issued shards' tasks started before any ended")
    stack.destroy()
    _settled(emulator)
    assert _live(emulator) == set()


def test_shards_whose_create_never_comes_are_released(pulumi_env: dict[str, str], emulator: EmulatorProcess,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EHPC_PRELAUNCH_GRACE_S", "3")
    for _ in range(SHARDS):
        emulator.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": 10})
    stack = inline_stack("released", _pool_program(), emulator.endpoint)
    # The engine stops before some shards' creates: Ctrl-C (SIGINT, the engine's graceful cancel) once an
    # AddNodes task exists for a shard whose create the engine has not begun (the first shard issued it).
    # The stop is tied to that event, not to a clock or a task count: registrations arrive in no fixed
    # order, so the first shard may issue for any number of its siblings (CI saw all four created first).
    box: dict[str, BaseException] = {}
    begun: set[str] = set()

    def on_event(event: auto.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.op == auto.OpType.CREATE and "NodeGroup" in pre.metadata.type:
            begun.add(pre.metadata.urn)

    def up() -> None:
        try:
            stack.up(parallel=2, on_event=on_event)
        except auto.CommandError as err:
            box["error"] = err

    def issued_ahead() -> bool:
        # Held over two looks 0.3 s apart: an engine event reaches us a little after the create begins.
        if len(_add_tasks(emulator)) <= len(begun):
            return False
        time.sleep(0.3)
        return len(_add_tasks(emulator)) > len(begun)

    thread = threading.Thread(target=up, daemon=True)
    thread.start()
    wait_until(lambda: issued_ahead() or not thread.is_alive(), timeout_s=120, interval_s=0.02)
    assert thread.is_alive(), "the up ended before the first shard issued for its siblings"
    clis = pulumi_cli_pids()
    assert clis, "no pulumi CLI process found"
    for pid in clis:
        os.kill(pid, signal.SIGINT)
    thread.join(180)
    assert not thread.is_alive() and "error" in box, "the cancelled up should fail"
    failed = box["error"]
    _settled(emulator)
    created = _state_ids(stack)
    # parallel=2: at most two shards' creates were running when the engine was told to stop.
    assert len(created) <= 2, created
    released = len(set(re.findall(r"(\S+): its create did not start within", str(failed))))
    assert released >= 1, str(failed)[-3000:]
    # Every AddNodes task belongs to a shard in the state or to one released (warned about).
    assert len(_add_tasks(emulator)) == len(created) + released, str(failed)[-3000:]
    assert _live(emulator) == created, "nothing outside the state: the shards that never came were released"

    # The documented recovery: run `pulumi up` again.
    up_result = stack.up(parallel=2)
    ids = set(up_result.outputs["ids"].value)
    _settled(emulator)
    assert len(ids) == SHARDS and ids == _live(emulator) == _state_ids(stack)
    stack.destroy()
    _settled(emulator)
    assert _live(emulator) == set()


def test_the_first_shard_new_with_its_siblings_in_the_state_deletes_none_of_their_nodes(
        pulumi_env: dict[str, str], emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    # The state an interrupted `up` leaves when the first shard was released: its siblings are in the
    # state, it is not. The recovery `up` creates it; it names its siblings, and must not take (and then,
    # with no create of theirs to claim them, release) the nodes their state holds.
    monkeypatch.setenv("EHPC_PRELAUNCH_GRACE_S", "2")
    stack = inline_stack("recover", _pool_program(), emulator.endpoint)
    shard = "urn:pulumi:recover::e2e::ehpc:index:NodePool$pulumi-python:dynamic/ehpc:NodeGroup::pool-p0-"
    stack.up(target=["urn:pulumi:recover::e2e::ehpc:index:NodePool::pool"] + [f"{shard}{k}" for k in (1, 2, 3)])
    _settled(emulator)
    held = _state_ids(stack)
    assert len(held) == SHARDS - 1 and _live(emulator) == held

    up = stack.up(parallel=1)
    _settled(emulator)
    ids = set(up.outputs["ids"].value)
    assert held < ids and len(ids) == SHARDS and ids == _live(emulator) == _state_ids(stack)
    assert len(_add_tasks(emulator)) == SHARDS  # the siblings' tokens re-attached: no node added twice
    stack.destroy()
    _settled(emulator)
    assert _live(emulator) == set()
