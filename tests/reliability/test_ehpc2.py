"""E-HPC 2.0 (API 2024-07-30) through the real engine: SIGKILLs during CreateNodes and DeleteNodes with the
README's recovery, lost answers, throttling and outages of the waits' reads, an emulator restart, a cluster
that ends in `exception`, a queue deleted while it holds nodes, and bad input at preview.

2024-07-30 has no ClientToken: a create that is retried finds its nodes by their derived host names. Every
case asserts after (at most) one more command: the emulator's 2.0 nodes equal the state, no node was created
twice (CreateNodes instances counted on the emulator), `refresh` + `preview` change nothing, and destroy
leaves no cluster and no node.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import ehpc2
from pulumi_ehpc_tasks.wire import EhpcClient2024
from pulumi_ehpc_tasks.wire.signing import Credentials
from tests.e2e.harness import DEMO_KEY_ID, EmulatorProcess, mutations, resource_outputs, wait_until

from . import report
from .engine import SECRET, new_stack, run, scan_stack
from .test_crashes import Killer, _recover

pytestmark = pytest.mark.e2e
TIMEOUTS = {"create": "5m", "update": "5m", "delete": "5m"}


def _program() -> None:
    cfg = pulumi.Config()
    cluster = ehpc2.Cluster("hpc", cluster_name="rel-v2", scheduler_type="SLURM", timeouts=TIMEOUTS)
    queue = ehpc2.Queue("comp", cluster_id=cluster.cluster_id, queue_name="comp")
    group = ehpc2.NodeGroup("workers", cluster_id=cluster.cluster_id, queue_name=queue.queue_name,
                            count=cfg.require_int("count"), partial_failure=cfg.get("policy") or "accept",
                            timeouts=TIMEOUTS)
    pulumi.export("cluster", cluster.cluster_id)
    pulumi.export("ids", group.instance_ids)


class Inventory:
    """The emulator's 2.0 clusters and nodes, read through the wire client (API 2024-07-30)."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.client = EhpcClient2024(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, SECRET))

    def clusters(self) -> list[str]:
        return [c.cluster_id for c in self.client.list_clusters().clusters]

    def nodes(self) -> set[str]:
        return {n.id for c in self.clusters() for n in self.client.list_nodes(c).nodes}

    def settled(self) -> None:
        """Every node running or gone (a killed run's CreateNodes keeps going on the service)."""
        def still_moving() -> bool:
            return any(n.status not in ("running", "exception") for c in self.clusters()
                       for n in self.client.list_nodes(c).nodes)
        wait_until(lambda: not still_moving(), timeout_s=60)


@pytest.fixture
def inventory(emulator: EmulatorProcess) -> Iterator[Inventory]:
    inv = Inventory(emulator)
    with inv.client:
        yield inv


def _state_ids(stack: auto.Stack) -> set[str]:
    return set(resource_outputs(stack, "workers").get("instance_ids") or [])


def _converged(stack: auto.Stack, inventory: Inventory, want: int, texts: list[str]) -> list[str]:
    """What is wrong after the last command: state vs inventory, count, refresh + preview."""
    inventory.settled()
    problems = []
    ids, live = _state_ids(stack), inventory.nodes()
    if ids != live:
        problems.append(f"state {len(ids)} vs emulator {len(live)} nodes ({len(live - ids)} leaked, "
                        f"{len(ids - live)} missing)")
    if len(ids) != want:
        problems.append(f"state holds {len(ids)} nodes, want {want}")
    _result, text = run(stack.refresh)
    texts.append(text)
    changes = {k: v for k, v in (stack.preview().change_summary or {}).items() if k != "same"}
    if changes:
        problems.append(f"preview after recovery wants {changes}")
    return problems


def _destroyed(stack: auto.Stack, inventory: Inventory, texts: list[str]) -> list[str]:
    result, text = run(stack.destroy)
    texts.append(text)
    problems = [] if not isinstance(result, auto.CommandError) else [f"destroy failed: {text[-300:]}"]
    left = inventory.nodes()
    if left or inventory.clusters():
        problems.append(f"{len(left)} node(s), {len(inventory.clusters())} cluster(s) left after destroy")
    secrets = scan_stack(stack, *texts)
    if secrets:
        problems.append(f"secret in output: {secrets}")
    return problems


CRASHES = {
    # name: (initial count or None, command, wanted count, action the kill waits for)
    "create 4, CreateNodes sent, nodes initing": (None, "up", 4, "CreateNodes"),
    "scale down 4->1, DeleteNodes sent": (4, "up", 1, "DeleteNodes"),
    "destroy, DeleteNodes sent": (2, "destroy", 0, "DeleteNodes"),
}


@pytest.mark.parametrize("case", list(CRASHES))
def test_sigkill_then_recover(case: str, pulumi_env: dict[str, str], emulator: EmulatorProcess,
                              inventory: Inventory) -> None:
    initial, command, want, action = CRASHES[case]
    row = report.record("2.0", f"SIGKILL pulumi + provider: {case}", "pulumi",
                        "refresh (+ --clear-pending-creates) and up/destroy converge; 0 dup, 0 leak")
    stack = new_stack("v2crash", _program, emulator.endpoint, extra={"count": str(initial or want)})
    texts: list[str] = []
    if initial is not None:
        up, text = run(stack.up)
        texts.append(text)
        assert not isinstance(up, auto.CommandError), text[-3000:]
        stack.set_config("count", auto.ConfigValue(str(want)))
    before = emulator.requests()
    emulator.admin("POST", "next-task", json={"action": action, "duration_s": 4.0})
    killer = Killer(emulator, action)
    interrupted = killer.run(stack.destroy if command == "destroy" else stack.up)
    steps = [f"killed {len(killer.killed or [])} process(es) after {action}"]
    assert isinstance(interrupted[0], auto.CommandError)
    inventory.settled()
    _recover(stack, steps, texts)
    result, text = run(stack.destroy if command == "destroy" else stack.up)
    texts.append(text)
    steps.append(f"{command} " + ("failed" if isinstance(result, auto.CommandError) else "ok"))
    assert not isinstance(result, auto.CommandError), text[-3000:]
    problems = [] if command == "destroy" else _converged(stack, inventory, want, texts)
    calls = mutations(before, emulator.requests())
    # The kill came after the one CreateNodes a create needs; its recovery must find those nodes by name.
    dup = max(0, calls.get("CreateNodes", 0) - (1 if initial is None else 0))
    leaks = 0 if command == "destroy" else len(inventory.nodes() ^ _state_ids(stack))
    problems += _destroyed(stack, inventory, texts)
    row.finish(" -> ".join(steps) + (f"; CreateNodes sent {calls.get('CreateNodes', 0)}x" if initial is None else "")
               + ("; " + "; ".join(problems) if problems else ""), duplicates=dup, leaks=leaks,
               ok=not problems and not dup and not leaks)
    assert not problems and not dup and not leaks, row.outcome


# name: (initial count or None, wanted count, command, fault rule, a transient fault the command must ride out)
FAULTS: dict[str, tuple[int | None, int, str, dict[str, Any], bool]] = {
    "create: CreateNodes answer lost after processing": (
        None, 3, "up", {"action": "CreateNodes", "drop": "after", "times": 1}, True),
    "create: ListNodes Throttling x4 mid-wait": (
        None, 3, "up", {"action": "ListNodes", "code": "Throttling", "times": 4}, True),
    "create: ListCommonLogs ServiceUnavailable x3 mid-wait": (
        None, 3, "up", {"action": "ListCommonLogs", "code": "ServiceUnavailable", "times": 3}, True),
    "scale down 3->1: DeleteNodes connection reset before processing": (
        3, 1, "up", {"action": "DeleteNodes", "drop": "before", "times": 1}, True),
    "scale down 3->1: DeleteNodes answer lost after processing": (
        3, 1, "up", {"action": "DeleteNodes", "drop": "after", "times": 1}, True),
    "destroy: DeleteCluster UnknownError once": (
        2, 2, "destroy", {"action": "DeleteCluster", "code": "UnknownError", "times": 1}, True),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_fault_through_engine(case: str, pulumi_env: dict[str, str], emulator: EmulatorProcess,
                              inventory: Inventory) -> None:
    initial, want, command, rule, transient = FAULTS[case]
    row = report.record("2.0", case, "pulumi", "rides it out" if transient else
                        "ok, or a clear error and the right state on the next command")
    stack = new_stack("v2faults", _program, emulator.endpoint, extra={"count": str(initial or want)})
    texts: list[str] = []
    if initial is not None:
        result, text = run(stack.up)
        texts.append(text)
        assert not isinstance(result, auto.CommandError), text[-3000:]
        stack.set_config("count", auto.ConfigValue(str(want)))
    before = emulator.requests()
    emulator.admin("POST", "faults", json=rule)
    result, text = run(stack.destroy if command == "destroy" else stack.up)
    texts.append(text)
    emulator.admin("DELETE", "faults")
    steps, problems = ["ok"], []
    if isinstance(result, auto.CommandError):
        line = next((ln.strip() for ln in text.splitlines() if "error:" in ln and "ehpc" in ln.lower()), "")
        steps = [f"error: {line[:110]}"]
        if transient:
            problems.append("a transient fault failed the command")
        if not line or "Traceback" in text:
            problems.append("unclear error")
        result, text = run(stack.destroy if command == "destroy" else stack.up)
        texts.append(text)
        steps.append(("error" if isinstance(result, auto.CommandError) else "ok") + " on the next " + command)
        if isinstance(result, auto.CommandError):
            problems.append(f"never reached the requested state: {text[-300:]}")
    if command != "destroy":
        problems += _converged(stack, inventory, want, texts)
    calls = mutations(before, emulator.requests())
    dup = max(0, calls.get("CreateNodes", 0) - (1 if initial is None else 0))
    leaks = 0 if command == "destroy" else len(inventory.nodes() ^ _state_ids(stack))
    problems += _destroyed(stack, inventory, texts)
    row.finish(" -> ".join(steps) + ("; " + "; ".join(problems) if problems else ""), duplicates=dup, leaks=leaks,
               ok=not problems and not dup and not leaks)
    assert not problems and not dup and not leaks, row.outcome


def test_emulator_restart_mid_create_nodes(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    """The endpoint goes away while the nodes initialise and comes back with its state: the wait resumes."""
    row = report.record("2.0", "emulator killed and restarted (--state) while CreateNodes' nodes initialise",
                        "pulumi", "the wait resumes; up succeeds; 0 dup, 0 leak")
    args = ["--step-seconds", "0.05", "--state", str(tmp_path / "emu.db"), "--access-key-secret", SECRET]
    first = EmulatorProcess(*args)
    first.start()
    second = EmulatorProcess(*args, "--port", first.endpoint.rsplit(":", 1)[1])
    try:
        first.admin("POST", "next-task", json={"action": "CreateNodes", "duration_s": 5.0})
        stack = new_stack("v2restart", _program, first.endpoint, extra={"count": "3"})
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.update(r=run(stack.up)), daemon=True)
        thread.start()
        wait_until(lambda: first.requests().get("CreateNodes", 0) >= 1, timeout_s=120, interval_s=0.02)
        assert first.proc is not None
        first.proc.kill()  # no graceful shutdown: only what was written through survives
        first.proc.wait()
        time.sleep(2.0)  # the waits' ListNodes / ListCommonLogs calls fail meanwhile (connection refused)
        second.start()
        thread.join(240)
        result, text = box["r"]
        assert not isinstance(result, auto.CommandError), text[-3000:]
        inventory = Inventory(second)
        with inventory.client:
            texts = [text]
            problems = _converged(stack, inventory, 3, texts)
            created = second.requests().get("CreateNodes", 0)  # counts since the restart: the wait sent none
            problems += _destroyed(stack, inventory, texts)
        row.finish(f"up ok after restart; CreateNodes sent {created}x after it"
                   + ("; " + "; ".join(problems) if problems else ""), duplicates=created, leaks=0,
                   ok=not problems and not created)
        assert not problems and not created, row.outcome
    finally:
        first.stop()
        second.stop()


def test_a_cluster_in_exception_fails_with_its_reason(pulumi_env: dict[str, str], emulator: EmulatorProcess,
                                                     inventory: Inventory) -> None:
    row = report.record("2.0", "CreateCluster ends in `exception`", "pulumi",
                        "clear error naming the cluster and the log's reason; no node created; destroy cleans up")
    emulator.admin("POST", "next-task", json={"action": "CreateCluster", "outcome": "Failed", "duration_s": 1})
    stack = new_stack("v2exception", _program, emulator.endpoint, extra={"count": "2"})
    result, text = run(stack.up)
    texts = [text]
    problems = []
    line = next((ln.strip() for ln in text.splitlines() if "exception" in ln and "error" in ln.lower()), "")
    if not isinstance(result, auto.CommandError):
        problems.append("up succeeded")
    elif not line or "Traceback" in text or "ClusterInitFailed" not in text:
        problems.append("unclear error")
    created = emulator.requests().get("CreateNodes", 0)
    if created:
        problems.append(f"CreateNodes sent {created}x into a failed cluster")
    problems += _destroyed(stack, inventory, texts)
    row.finish(f"error: {line[:120]}" + ("; " + "; ".join(problems) if problems else ""), duplicates=0, leaks=0,
               ok=not problems)
    assert not problems, row.outcome


def test_a_queue_holding_nodes_is_not_deleted(pulumi_env: dict[str, str], emulator: EmulatorProcess,
                                             inventory: Inventory) -> None:
    row = report.record("2.0", "destroy while someone else's node is in the queue", "pulumi",
                        "DeleteQueues refused naming the node; destroy works once it is gone; group's nodes deleted")
    stack = new_stack("v2queue", _program, emulator.endpoint, extra={"count": "1"})
    result, text = run(stack.up)
    assert not isinstance(result, auto.CommandError), text[-3000:]
    cluster = result.outputs["cluster"].value
    [foreign] = inventory.client.create_nodes(cluster, queue_name="comp", count=1, hostnames=["manual-1"],
                                              compute_node={"InstanceType": "ecs.c7.large"}).instance_ids
    inventory.settled()
    result, text = run(stack.destroy)
    texts = [text]
    problems = []
    if not isinstance(result, auto.CommandError):
        problems.append("destroy deleted a queue that held a node")
    elif foreign not in text:
        problems.append("the error does not name the node")
    if foreign not in inventory.nodes() or len(inventory.nodes()) != 1:
        problems.append("the foreign node was touched, or the group's nodes were not deleted")
    inventory.client.delete_nodes(cluster, instance_ids=[foreign])
    wait_until(lambda: foreign not in inventory.nodes(), timeout_s=60)
    problems += _destroyed(stack, inventory, texts)
    row.finish("refused, naming " + foreign + "; destroy ok after it went" if not problems else "; ".join(problems),
               duplicates=0, leaks=0, ok=not problems)
    assert not problems, row.outcome


BAD = {
    "count 100 (1..99)": ({"count": "100"}, "count"),
    "count 0": ({"count": "0"}, "count"),
    "unknown partial_failure": ({"count": "2", "policy": "sometimes"}, "partial_failure"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_at_preview(case: str, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    config, prop = BAD[case]
    row = report.record("2.0", f"bad input at preview: {case}", "pulumi",
                        f"preview fails naming `{prop}`; 0 mutating calls")
    stack = new_stack("v2bad", _program, emulator.endpoint, extra=config)
    before = emulator.requests()
    result, text = run(stack.preview)
    calls = mutations(before, emulator.requests())
    problems = []
    if not isinstance(result, auto.CommandError):
        problems.append("preview passed")
    elif prop not in text or "Traceback" in text:
        problems.append("the error does not name the property")
    if calls:
        problems.append(f"mutating calls: {calls}")
    line = next((ln.strip() for ln in text.splitlines() if prop in ln), "")
    row.finish(f"refused: {line[:120]}" if not problems else "; ".join(problems), duplicates=0, leaks=0,
               ok=not problems)
    assert not problems, row.outcome
