"""A cross-section of the fault matrix through the real engine (`pulumi up`/`refresh`/`destroy`), with
STS credentials so the scans also look for the token. Each: the faulted command succeeds or fails with
a clear message; after (at most) one more `pulumi up` the inventory equals the state, `refresh` and
`preview` change nothing, and destroy leaves nothing."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import Cluster, NodeGroup
from pulumi_ehpc_tasks.wire import Credentials, EhpcClient
from tests.e2e.harness import DEMO_CLUSTER, DEMO_KEY_ID, EmulatorProcess, resource_outputs, wait_until

from . import report
from .engine import SECRET, new_stack, run, scan_stack

pytestmark = pytest.mark.e2e


def _program() -> None:
    cfg = pulumi.Config()
    group = NodeGroup("workers", cluster_id=DEMO_CLUSTER, count=cfg.require_int("count"),
                      running=cfg.get_bool("running") is not False, timeouts={"create": "5m", "update": "5m"},
                      partial_failure=cfg.get("policy") or "accept")
    pulumi.export("ids", group.instance_ids)


# name: (initial config or None, target config, command, fault rule, expected first result)
CASES: dict[str, tuple[dict[str, str] | None, dict[str, str], str, dict[str, Any], str]] = {
    "create: AddNodes response lost after processing": (
        None, {"count": "2"}, "up", {"action": "AddNodes", "drop": "after", "times": 1}, "ok"),
    "create: AddNodes ServiceUnavailable on every attempt": (
        None, {"count": "2"}, "up", {"action": "AddNodes", "code": "ServiceUnavailable"}, "error"),
    "create: ListTasks DbError x3 mid-wait": (
        None, {"count": "2"}, "up", {"action": "ListTasks", "code": "DbError", "times": 3}, "ok"),
    "scale down 3->1: DeleteNodes connection reset before processing": (
        {"count": "3"}, {"count": "1"}, "up", {"action": "DeleteNodes", "drop": "before", "times": 1}, "ok"),
    "stop: StopNodes response lost after processing": (
        {"count": "2"}, {"count": "2", "running": "false"}, "up",
        {"action": "StopNodes", "drop": "after", "times": 1}, "ok"),
    "destroy: DeleteNodes UnknownError": (
        {"count": "2"}, {"count": "2"}, "destroy", {"action": "DeleteNodes", "code": "UnknownError", "times": 1},
        "ok"),
}


def _settle(emulator: EmulatorProcess) -> None:
    wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)


def _scan_and_destroy(stack: auto.Stack, texts: list[str], problems: list[str], emulator: EmulatorProcess) -> None:
    """The secret scan of everything the stack printed and holds, then `pulumi destroy` and settle."""
    secrets = scan_stack(stack, *texts)
    if secrets:
        problems.append(f"secret in output: {secrets}")
    run(stack.destroy)
    _settle(emulator)


@pytest.mark.parametrize("case", list(CASES))
def test_fault_through_engine(case: str, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    initial, target, command, rule, expect = CASES[case]
    row = report.record("faults", case, "pulumi", "right state" if expect == "ok" else
                        "clear error; right state on the next up")
    stack = new_stack("faults", _program, emulator.endpoint, sts=True, extra=initial or target)
    texts: list[str] = []
    if initial:
        result, text = run(stack.up)
        texts.append(text)
        assert not isinstance(result, auto.CommandError), text[-3000:]
        stack.set_all_config({k: auto.ConfigValue(v) for k, v in target.items()})
    adds_before = emulator.requests().get("AddNodes", 0)
    emulator.admin("POST", "faults", json=rule)
    result, text = run(stack.destroy if command == "destroy" else stack.up)
    texts.append(text)
    emulator.admin("DELETE", "faults")
    steps = ["error" if isinstance(result, auto.CommandError) else "ok"]
    problems = []
    if steps[0] == "error":
        line = next((ln.strip() for ln in text.splitlines() if "error:" in ln and rule["action"] in ln), "")
        steps[0] = f"error: {line[:100]}"
        if not line or "Traceback" in text:
            problems.append("unclear error")
        result, text = run(stack.destroy if command == "destroy" else stack.up)
        texts.append(text)
        steps.append("error" if isinstance(result, auto.CommandError) else "ok")
    if steps[-1] != "ok":
        problems.append("never reached the requested state")
    if expect == "ok" and steps[0] != "ok":
        problems.append("a transient fault failed the command")
    _settle(emulator)
    inv = {n["InstanceId"] for n in emulator.compute_nodes()}
    if command == "destroy":
        ids: set[str] = set()
    else:
        ids = set(resource_outputs(stack, "workers").get("instance_ids") or [])
        if len(ids) != int(target["count"]):
            problems.append(f"state holds {len(ids)} nodes")
        run(stack.refresh)
        changes = {k: v for k, v in (stack.preview().change_summary or {}).items() if k != "same"}
        if changes:
            problems.append(f"preview wants {changes}")
        if target.get("running") == "false" and {n["Status"] for n in emulator.compute_nodes()} != {"stopped"}:
            problems.append("nodes not stopped")
    leaks = len(inv - ids) + len(ids - inv)
    created = emulator.requests().get("AddNodes", 0) - adds_before
    tasks = emulator.admin("GET", "stats")["tasks"].values()
    add_tasks = sum(1 for t in tasks if t["TaskType"] == "AddComputes")
    dup = max(0, add_tasks - 1)  # every case makes exactly one AddNodes task (the set-up's or the create's)
    _scan_and_destroy(stack, texts, problems, emulator)
    left = len(emulator.compute_nodes())
    if left:
        problems.append(f"{left} node(s) left after destroy")
    row.finish(" -> ".join(steps) + (f"; AddNodes sent {created}x" if created else "")
               + ("; " + "; ".join(problems) if problems else ""), duplicates=dup, leaks=leaks + left,
               ok=not problems and not dup and not leaks)
    assert not problems and not dup and not leaks, row.outcome


def test_rolled_back_partialfail_that_added_nothing_is_not_replayed(
        pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    """Found by the chaos batch (seed 1): a PartialFail AddNodes that added no node, under
    partial_failure='rollback', was replayed by its ClientToken on every later `pulumi up`, so the stack
    could never be created. The next up must ask for the nodes again, once."""
    row = report.record("faults", "create: PartialFail with 0 nodes added under rollback, then the next up "
                        "(chaos seed 1)", "pulumi", "clear error; the next up adds the nodes with a new token")
    stack = new_stack("faults", _program, emulator.endpoint, sts=True, extra={"count": "2", "policy": "rollback"})
    emulator.admin("POST", "next-task", json={"action": "AddNodes", "outcome": "PartialFail", "succeed_count": 0})
    first, text = run(stack.up)
    texts = [text]
    shown = isinstance(first, auto.CommandError) and "PartialFail" in text
    problems = [] if shown else ["the PartialFail was not shown"]
    second, text = run(stack.up)
    texts.append(text)
    if isinstance(second, auto.CommandError):
        problems.append(f"the next up failed: {text[-300:]}")
    _settle(emulator)
    outs = {} if isinstance(second, auto.CommandError) else resource_outputs(stack, "workers")
    ids = set(outs.get("instance_ids") or [])
    inv = {n["InstanceId"] for n in emulator.compute_nodes()}
    tasks = [t for t in emulator.admin("GET", "stats")["tasks"].values() if t["TaskType"] == "AddComputes"]
    if len(ids) != 2:
        problems.append(f"state holds {len(ids)} nodes")
    if len(tasks) != 2:  # the failed one and the new generation's; a replay makes no task
        problems.append(f"{len(tasks)} AddNodes tasks")
    _scan_and_destroy(stack, texts, problems, emulator)
    left = len(emulator.compute_nodes())
    leaks = len(inv ^ ids) + left
    row.finish(("error -> ok" if not problems else "; ".join(problems)) + f"; {len(tasks)} AddNodes tasks",
               duplicates=max(0, len(tasks) - 2), leaks=leaks, ok=not problems and not leaks)
    assert not problems and not leaks, row.outcome


def _cluster_program() -> None:
    Cluster("hpc", name="chaos-found", compute_count=1, timeouts={"create": "5m", "delete": "5m"})


def _other_clusters(emulator: EmulatorProcess) -> set[str]:
    with EhpcClient(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, SECRET)) as client:
        return {c.id for c in client.list_clusters(page_size=50).clusters} - {DEMO_CLUSTER}


@pytest.mark.parametrize("outcome", ["Failed", "PartialFail"])
def test_failed_createcluster_leaves_no_cluster(outcome: str, pulumi_env: dict[str, str],
                                                emulator: EmulatorProcess) -> None:
    """Found by the chaos batch (seeds 8, 23, 40, 41, 47, 56, 84, 117, 126): the cluster a failed
    CreateCluster made was left outside the state, and a replayed PartialFail failed every later up."""
    row = report.record("faults", f"create: CreateCluster ends {outcome}, then the next up (chaos seeds 8, 23, 40)",
                        "pulumi", "clear error; the cluster it made deleted; the next up creates one")
    stack = new_stack("faults", _cluster_program, emulator.endpoint, sts=True)
    before = _other_clusters(emulator)
    emulator.admin("POST", "next-task", json={"action": "CreateCluster", "outcome": outcome})
    first, text = run(stack.up)
    texts = [text]
    problems = [] if isinstance(first, auto.CommandError) and "has been deleted" in text else [
        "the failure did not say the cluster was deleted"]
    _settle(emulator)
    left = _other_clusters(emulator) - before
    if left:
        problems.append(f"cluster(s) left outside the state: {sorted(left)}")
    second, text = run(stack.up)
    texts.append(text)
    if isinstance(second, auto.CommandError):
        problems.append(f"the next up failed: {text[-300:]}")
    made = _other_clusters(emulator) - before
    if len(made) != 1:
        problems.append(f"{len(made)} clusters after the next up")
    _scan_and_destroy(stack, texts, problems, emulator)
    leaks = len(_other_clusters(emulator) - before)
    row.finish("error -> ok" if not problems else "; ".join(problems), duplicates=max(0, len(made) - 1),
               leaks=leaks + len(left), ok=not problems and not leaks)
    assert not problems and not leaks, row.outcome


def test_lost_deletenodes_answer_then_failed_task_keeps_the_nodes(
        pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    """Found by the chaos batch (seeds 28, 30, 99): after a DeleteNodes answer was lost, nodes on their
    way out counted as deleted; the task then failed, the nodes stayed and the state had dropped them."""
    row = report.record("faults", "scale down 2->1: DeleteNodes answer lost, then its task Failed (chaos seeds 28, "
                        "30, 99)", "pulumi", "clear error naming the task; state = inventory; next up shrinks")
    stack = new_stack("faults", _program, emulator.endpoint, sts=True, extra={"count": "2"})
    result, text = run(stack.up)
    assert not isinstance(result, auto.CommandError), text[-3000:]
    texts = [text]
    stack.set_config("count", auto.ConfigValue("1"))
    emulator.admin("POST", "faults", json={"action": "DeleteNodes", "drop": "after", "times": 1})
    emulator.admin("POST", "next-task", json={"action": "DeleteNodes", "outcome": "Failed"})
    first, text = run(stack.up)
    texts.append(text)
    emulator.admin("DELETE", "faults")
    _settle(emulator)
    problems = [] if isinstance(first, auto.CommandError) and "DeleteComputes" in text else [
        "the failed delete task was not reported"]
    ids = set(resource_outputs(stack, "workers").get("instance_ids") or [])
    inv = {n["InstanceId"] for n in emulator.compute_nodes()}
    if ids != inv:
        problems.append(f"state {len(ids)} node(s), emulator {len(inv)}")
    second, text = run(stack.up)
    texts.append(text)
    _settle(emulator)
    ids = set(resource_outputs(stack, "workers").get("instance_ids") or [])
    inv = {n["InstanceId"] for n in emulator.compute_nodes()}
    if isinstance(second, auto.CommandError) or len(ids) != 1 or ids != inv:
        problems.append(f"the next up: state {len(ids)}, emulator {len(inv)}")
    secrets = scan_stack(stack, *texts)
    if secrets:
        problems.append(f"secret in output: {secrets}")
    leaks = len(inv ^ ids)
    run(stack.destroy)
    _settle(emulator)
    leaks += len(emulator.compute_nodes())
    row.finish("error -> ok" if not problems else "; ".join(problems), duplicates=0, leaks=leaks,
               ok=not problems and not leaks)
    assert not problems and not leaks, row.outcome
