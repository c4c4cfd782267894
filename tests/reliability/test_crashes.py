"""`pulumi up`/`destroy` SIGKILLed at several points of create, update (scale up, scale down) and delete,
then recovered with the commands the README documents; and the emulator restarted mid-task.

The kill takes out the CLI and every process it started at the same instant (a crashed laptop or CI
runner), except in the `cli-only` case where the provider process is left running as an orphan (a
killed terminal). Each case asserts after recovery: the emulator's inventory equals the state, no node
was created twice, and a further refresh + preview changes nothing; then destroy leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup
from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess, resource_outputs, wait_until

from . import report
from .engine import (
    SECRET,
    cmdline,
    descendants,
    kill_tree,
    new_stack,
    pulumi_cli_pids,
    run,
    scan_stack,
)

pytestmark = pytest.mark.e2e


def _program() -> None:
    cfg = pulumi.Config()
    group = NodeGroup(
        "workers",
        cluster_id=DEMO_CLUSTER,
        count=cfg.require_int("count"),
        running=cfg.get_bool("running") is not False,
        timeouts={"create": "5m", "update": "5m", "delete": "5m"},
    )
    pulumi.export("ids", group.instance_ids)


def _empty() -> None:
    pulumi.export("ids", [])


@dataclass
class Killer:
    """Runs a stack command in a thread and SIGKILLs it once the emulator has seen `action`."""

    emulator: EmulatorProcess
    action: str
    occurrences: int = 1
    cli_only: bool = False
    killed: list[int] | None = None
    orphans: list[int] | None = None

    def run(self, command: Callable[[], Any]) -> Any:
        base = self.emulator.requests().get(self.action, 0)
        box: dict[str, Any] = {}

        def target() -> None:
            box["result"] = run(command)

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        wait_until(lambda: self.emulator.requests().get(self.action, 0) >= base + self.occurrences or
                   not thread.is_alive(), timeout_s=120, interval_s=0.02)
        assert thread.is_alive(), f"the command ended before {self.action} was sent"
        clis = pulumi_cli_pids()
        assert clis, "no pulumi CLI process found"
        if self.cli_only:
            self.orphans = [p for c in clis for p in descendants(c) if "pulumi.dynamic" in cmdline(p)]
            self.killed = []
            for pid in clis:
                os.kill(pid, signal.SIGKILL)
                self.killed.append(pid)
        else:
            self.killed = [p for c in clis for p in kill_tree(c)]
        thread.join(60)
        return box.get("result")

    def reap(self) -> None:
        """Stop orphans we left running on purpose (by pid, once their work is observable)."""
        for pid in self.orphans or []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _recover(stack: auto.Stack, steps: list[str], texts: list[str]) -> None:
    """The README's recovery: `pulumi cancel` if the dead process still holds the stack's lock, then
    `pulumi refresh` (with --clear-pending-creates if it refuses), then `pulumi up`."""
    result, text = run(stack.refresh)
    texts.append(text)
    if isinstance(result, auto.ConcurrentUpdateError) or "locked" in text:
        steps.append("refresh: stack locked")
        stack.cancel()
        steps.append("cancel ok")
        result, text = run(stack.refresh)
        texts.append(text)
    if isinstance(result, auto.CommandError):
        steps.append("refresh refused")
        result, text = run(stack.refresh, clear_pending_creates=True)
        texts.append(text)
        steps.append("refresh --clear-pending-creates " + ("failed" if isinstance(result, auto.CommandError) else "ok"))
        assert not isinstance(result, auto.CommandError), text[-3000:]
    else:
        steps.append("refresh ok")


def _created_nodes(emulator: EmulatorProcess) -> int:
    """Nodes ever created, from the AddNodes calls that made tasks (each task's size from its request)."""
    tasks = emulator.admin("GET", "stats")["tasks"]
    return sum(1 for t in tasks.values() if t["TaskType"] == "AddComputes")


CASES = {
    # name: (initial count or None, command, new count, action to kill on, task seconds, cli_only, running)
    "create, AddNodes task running": (None, "up", 2, "AddNodes", 4.0, False, True),
    "create, AddNodes task running, provider orphaned": (None, "up", 2, "AddNodes", 3.0, True, True),
    "create, during the StopNodes that follows AddNodes": (None, "up", 2, "StopNodes", 4.0, False, False),
    "update scale up 2->4, AddNodes task running": (2, "up", 4, "AddNodes", 4.0, False, True),
    "update scale down 4->1, DeleteNodes task running": (4, "up", 1, "DeleteNodes", 4.0, False, True),
    "delete (destroy), DeleteNodes task running": (2, "destroy", 0, "DeleteNodes", 4.0, False, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sigkill_then_recover(case: str, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    initial, command, want, action, task_s, cli_only, running = CASES[case]
    row = report.record("crashes", f"SIGKILL {'pulumi CLI only' if cli_only else 'pulumi + provider'}: {case}",
                        "pulumi", "refresh (+ --clear-pending-creates) and up/destroy converge; 0 dup, 0 leak")
    stack = new_stack("crash", _program, emulator.endpoint, extra={"count": str(initial or want),
                                                                    "running": str(running).lower()})
    texts: list[str] = []
    if initial is not None:
        up, text = run(stack.up)
        texts.append(text)
        assert not isinstance(up, auto.CommandError), text[-3000:]
        stack.set_config("count", auto.ConfigValue(str(want)))
    adds_before = _created_nodes(emulator)
    emulator.admin("POST", "next-task", json={"action": action, "duration_s": task_s})
    killer = Killer(emulator, action, cli_only=cli_only)
    interrupted = killer.run(stack.destroy if command == "destroy" else stack.up)
    steps = [f"killed {len(killer.killed or [])} process(es) during {action}"]
    assert isinstance(interrupted[0], auto.CommandError)
    try:
        if cli_only:
            # The orphan keeps working: let its task finish, as it would on the user's machine.
            wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)
        _recover(stack, steps, texts)
        if command == "destroy":
            result, text = run(stack.destroy)
            steps.append("destroy " + ("failed" if isinstance(result, auto.CommandError) else "ok"))
        else:
            result, text = run(stack.up)
            steps.append("up " + ("failed" if isinstance(result, auto.CommandError) else "ok"))
        texts.append(text)
        assert not isinstance(result, auto.CommandError), text[-3000:]
        wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)
        inv = {n["InstanceId"] for n in emulator.compute_nodes()}
        if command == "destroy":
            ids: set[str] = set()
            resources = (stack.export_stack().deployment or {}).get("resources", [])
            gone = not any(r["urn"].endswith("::workers") for r in resources)
            problems = [] if gone else ["the group is still in the state"]
        else:
            ids = set(resource_outputs(stack, "workers").get("instance_ids") or [])
            problems = [] if len(ids) == want else [f"state holds {len(ids)}, want {want}"]
            # The state must now be the truth: refresh and preview change nothing.
            _r, t = run(stack.refresh)
            texts.append(t)
            p = stack.preview()
            changes = {k: v for k, v in (p.change_summary or {}).items() if k != "same"}
            if changes:
                problems.append(f"preview after recovery wants {changes}")
        leaks = len(inv - ids) + len(ids - inv)
        added = _created_nodes(emulator) - adds_before
        want_adds = {"AddNodes": 1}.get(action, 1 if initial is None else 0)
        if action == "StopNodes":
            want_adds = 1
        dup = max(0, added - want_adds)
        leaks_secret = scan_stack(stack, *texts)
        if leaks_secret:
            problems.append(f"secret in output: {leaks_secret}")
        # Finally nothing may remain.
        run(stack.destroy)
        left = len(emulator.compute_nodes())
        if left:
            problems.append(f"{left} node(s) left after destroy")
        row.finish(" -> ".join(steps) + ("; " + "; ".join(problems) if problems else ""),
                   duplicates=dup, leaks=leaks + left, ok=not problems and not dup and not leaks)
        assert not problems and not dup and not leaks and not left, row.outcome
    finally:
        killer.reap()


def test_emulator_restart_mid_task(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    """The E-HPC endpoint goes away in the middle of an AddNodes task and comes back with its state:
    the wait resumes and `pulumi up` completes with one task's nodes."""
    row = report.record("crashes", "emulator killed and restarted (--state) mid-AddNodes", "pulumi",
                        "the wait resumes; up succeeds; 0 dup, 0 leak")
    state = tmp_path / "emu.db"
    args = ["--step-seconds", "0.05", "--state", str(state), "--access-key-secret", SECRET]
    first = EmulatorProcess(*args)
    first.start()
    port = first.endpoint.rsplit(":", 1)[1]
    second = EmulatorProcess(*args, "--port", port)
    try:
        first.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": 4.0})
        stack = new_stack("restart", _program, first.endpoint, extra={"count": "2"})
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.update(r=run(stack.up)), daemon=True)
        thread.start()
        wait_until(lambda: first.requests().get("AddNodes", 0) >= 1, timeout_s=120, interval_s=0.02)
        assert first.proc is not None
        first.proc.kill()  # no graceful shutdown: only what was written through survives
        first.proc.wait()
        time.sleep(2.0)  # the provider's ListTasks calls fail meanwhile (connection refused)
        second.start()
        thread.join(240)
        result, text = box["r"]
        assert not isinstance(result, auto.CommandError), text[-3000:]
        wait_until(lambda: not second.admin("GET", "health")["open_tasks"], timeout_s=60)
        ids = set(resource_outputs(stack, "workers")["instance_ids"])
        inv = {n["InstanceId"] for n in second.compute_nodes()}
        adds = sum(1 for t in second.admin("GET", "stats")["tasks"].values() if t["TaskType"] == "AddComputes")
        leaks = len(inv - ids) + len(ids - inv)
        ok = len(ids) == 2 and adds == 1 and not leaks
        stack.destroy()
        left = len(second.compute_nodes())
        row.finish(f"up ok after restart; {len(ids)} nodes, {adds} AddNodes task(s); {left} left after destroy",
                   duplicates=max(0, adds - 1), leaks=leaks + left, ok=ok and not left)
        assert ok and not left, row.outcome
    finally:
        first.stop()
        second.stop()
