"""Every mutating action the resources use x every fault, through the provider's own methods against a
real emulator over HTTP; plus ListTasks failing in the middle of a wait.

Each scenario: the fault fires on the action (once, or for ever in the `persistent` set), the provider
call either reaches the right state or raises a clear error; an error is followed by what the next
`pulumi up`/`destroy` does (the same call again, faults gone). Then: the emulator's inventory equals the
outputs the engine would hold (no leak, no phantom), no node was created twice and no non-idempotent
write ran twice, and a refresh (`read`) plus a no-op `diff` agree with the state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_ehpc_tasks.provider import unkeyed as provider_tasks
from pulumi_ehpc_tasks.provider.cluster import ClusterProvider
from pulumi_ehpc_tasks.provider.errors import USER_FACING_ERRORS, _extra
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider

from . import report
from .inproc import FAULTS, SLOW_S, TASK_TYPES, World, world

NG_URN = "urn:pulumi:rel::reliability::pulumi-python:dynamic:ehpc:NodeGroup::workers"
CL_URN = "urn:pulumi:rel::reliability::pulumi-python:dynamic:ehpc:Cluster::hpc"
TIMEOUTS = {"create": 60, "update": 60, "delete": 60}
NODE_ACTIONS = ("AddNodes", "DeleteNodes", "StartNodes", "StopNodes", "ResetNodes")
CLUSTER_ACTIONS = ("CreateCluster", "StartCluster", "StopCluster", "DeleteCluster")


@pytest.fixture(autouse=True)
def _quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    # After an ambiguous write the provider reads node state for a while before deciding; the emulator
    # applies writes synchronously, so 2 s is ample here (production keeps its longer default).
    monkeypatch.setattr(provider_tasks, "AMBIGUOUS_SETTLE_S", 2.0, raising=False)


@dataclass
class Scenario:
    """What the engine holds (`outs`), the call under test, and how to judge the result."""

    op: Callable[[], dict[str, Any] | None]
    judge: Callable[[dict[str, Any] | None], tuple[int, int, list[str]]]
    outs: dict[str, Any] | None = None
    log: list[str] = field(default_factory=list)


def _clear(exc: BaseException, action: str, fault: str) -> bool:
    """A clear error: one the host shows as its message alone, naming the action, code or cause."""
    text = str(exc)
    user_facing = isinstance(exc, (*USER_FACING_ERRORS, *_extra))
    return user_facing and len(text) < 2000 and any(
        s in text for s in (action, FAULTS[fault].get("code") or "~", "timed out", "Timeout", "not applied",
                            "may or may not", "busy", "Disconnected", "disconnected"))


def _ng(w: World, **extra: Any) -> dict[str, Any]:
    return {"cluster_id": w.cluster_id, "count": 2, "urn": NG_URN, "timeouts": TIMEOUTS, **extra}


def _ng_judge(w: World, prov: NodeGroupProvider, props: dict[str, Any] | None, *, created: int,
              action_task: str, runs: int, status: str | None = None) -> Callable[..., tuple[int, int, list[str]]]:
    def judge(outs: dict[str, Any] | None) -> tuple[int, int, list[str]]:
        w.settle()
        held = set(outs["instance_ids"]) if outs else set()
        inv = w.compute_ids()
        leaks = len(inv - held) + len(held - inv)
        made = sum(len(t.targets) for t in w.tasks("AddComputes"))
        dup = max(0, made - created) + max(0, len(w.tasks(action_task)) - runs)
        problems = []
        if made < created or len(w.tasks(action_task)) < runs:
            problems.append(f"expected {created} node(s) made and {runs} {action_task}, got {made}, "
                            f"{len(w.tasks(action_task))}")
        if outs is not None and props is not None:
            if len(held) != props["count"]:
                problems.append(f"state holds {len(held)} of {props['count']} nodes")
            read = prov.read(outs.get("id", "x"), outs).outs
            if set(read["instance_ids"]) != held:
                problems.append("refresh changed the state")
            if prov.diff("x", outs, props).changes:
                problems.append("the next up would change something")
            if status and {w.node_status()[i] for i in held} != {status}:
                problems.append(f"nodes not {status}: {w.node_status()}")
        return dup, leaks, problems

    return judge


def _node_scenario(w: World, action: str) -> Scenario:
    prov = w.provider(NodeGroupProvider)
    if action == "AddNodes":
        props = _ng(w)

        def create() -> dict[str, Any]:
            r = prov.create(dict(props))
            return {**r.outs, "id": r.id}

        return Scenario(create, _ng_judge(w, prov, props, created=2, action_task="AddComputes", runs=1))
    start = _ng(w, running=action != "StartNodes")
    made = prov.create(dict(start))
    outs = {**made.outs, "id": made.id}
    if action == "DeleteNodes":
        def delete() -> None:
            prov.delete(made.id, outs)
            return None

        return Scenario(delete, _ng_judge(w, prov, None, created=2, action_task="DeleteComputes", runs=1), outs)
    news = {"StartNodes": _ng(w, running=True), "StopNodes": _ng(w, running=False),
            "ResetNodes": _ng(w, reset_trigger="r1")}[action]
    status = {"StartNodes": "running", "StopNodes": "stopped", "ResetNodes": "running"}[action]
    runs = 2 if action == "StopNodes" else 1  # StartNodes' set-up creates stopped nodes with one StopNodes
    if action == "StartNodes":
        runs = 1

    def update() -> dict[str, Any]:
        return {**prov.update(made.id, outs, dict(news)).outs, "id": made.id}

    w.settle()
    return Scenario(update, _ng_judge(w, prov, news, created=2, action_task=TASK_TYPES[action],
                                      runs=runs if action != "StopNodes" else 1, status=status), outs)


def _cluster_scenario(w: World, action: str) -> Scenario:
    prov = w.provider(ClusterProvider)
    props = {"name": "rel-hpc", "urn": CL_URN, "compute_count": 1, "timeouts": TIMEOUTS,
             "running": action != "StartCluster"}
    seeded = set(w.clusters())

    def judge_for(want_status: str | None, runs: int) -> Callable[..., Any]:
        def judge(outs: dict[str, Any] | None) -> tuple[int, int, list[str]]:
            w.settle()
            mine = {c: s for c, s in w.clusters().items() if c not in seeded}
            creates = len(w.tasks("CreateCluster"))
            dup = max(0, creates - 1) + max(0, len(w.tasks(TASK_TYPES[action])) - runs)
            held = {outs["cluster_id"]} if outs else set()
            leaks = len(set(mine) - held) + len(held - set(mine))
            problems = []
            if want_status and set(mine.values()) != {want_status}:
                problems.append(f"cluster status {mine} (want {want_status})")
            if outs is not None:
                if prov.read(outs["cluster_id"], outs).id != outs["cluster_id"]:
                    problems.append("refresh lost the cluster")
                final = {**props, "running": want_status != "stopped"}
                if prov.diff(outs["cluster_id"], outs, final).changes:
                    problems.append("the next up would change something")
            return dup, leaks, problems

        return judge

    if action == "CreateCluster":
        def create() -> dict[str, Any]:
            return dict(prov.create(dict(props)).outs)

        return Scenario(create, judge_for("running", 1))
    made = dict(prov.create(dict(props)).outs)
    w.settle()
    cid = made["cluster_id"]
    if action == "DeleteCluster":
        def delete() -> None:
            prov.delete(cid, made)
            return None

        return Scenario(delete, judge_for(None, 1), made)
    running = action == "StartCluster"
    news = {**props, "running": running}

    def update() -> dict[str, Any]:
        return {**made, **prov.update(cid, made, dict(news)).outs}

    return Scenario(update, judge_for("running" if running else "stopped", 1), made)


def _run(w: World, action: str, fault: str, *, times: int | None, row: report.Row) -> None:
    scen = _node_scenario(w, action) if action in NODE_ACTIONS else _cluster_scenario(w, action)
    rule = {"action": action, **FAULTS[fault]}
    if times is not None:
        rule["times"] = times
    w.fault(**rule)
    steps: list[str] = []
    errors: list[str] = []
    outs = scen.outs
    for attempt in range(3):
        try:
            outs = scen.op()
            steps.append("ok")
            break
        except Exception as exc:  # judged for clarity below; a bug's traceback is not clear
            steps.append(f"error ({type(exc).__name__}: {str(exc)[:90]})")
            if not _clear(exc, action, fault):
                errors.append(f"unclear error: {type(exc).__name__}: {str(exc)[:300]}")
            w.clear_faults()  # the cause goes away; the user runs `pulumi up` again
            if attempt == 1:
                w.settle()  # a later run, once the cloud has finished what it was doing
    dup, leaks, problems = scen.judge(outs if steps[-1] == "ok" else scen.outs)
    problems += errors
    if steps[-1] != "ok":
        problems.append("never reached the requested state")
    strict = times is not None
    if strict and steps[0] != "ok":
        problems.append("a single transient fault should be absorbed without failing the operation")
    row.finish(" -> ".join(steps) + (f"; {'; '.join(problems)}" if problems else ""),
               duplicates=dup, leaks=leaks, ok=not problems and dup == 0 and leaks == 0)
    assert not problems and dup == 0 and leaks == 0, row.outcome


def _matrix() -> list[Any]:
    cases = []
    for action in (*NODE_ACTIONS, *CLUSTER_ACTIONS):
        for fault in FAULTS:
            cases.append(pytest.param(action, fault, id=f"{action}-{fault}"))
    return cases


@pytest.mark.parametrize(("action", "fault"), _matrix())
def test_single_fault(action: str, fault: str) -> None:
    expected = "right state in one run"
    row = report.record("faults", f"{action} x {fault} (once)", "provider/HTTP", expected)
    with world() as w:
        _run(w, action, fault, times=1, row=row)


PERSISTENT = [*NODE_ACTIONS, *CLUSTER_ACTIONS]


@pytest.mark.parametrize("action", PERSISTENT)
def test_persistent_fault_then_recovery(action: str) -> None:
    row = report.record("faults", f"{action} x ServiceUnavailable (every attempt)", "provider/HTTP",
                        "clear error; right state on the next run")
    with world() as w:
        _run(w, action, "ServiceUnavailable", times=None, row=row)


LIST_TASKS_FAULTS = list(FAULTS)


@pytest.mark.parametrize("fault", LIST_TASKS_FAULTS)
def test_list_tasks_fails_mid_wait(fault: str) -> None:
    """ListTasks fails while a create waits on its AddNodes task: the wait rides it out."""
    row = report.record("faults", f"ListTasks x {fault} mid-wait (x2)", "provider/HTTP",
                        "wait resumes; right state in one run")
    with world() as w:
        prov = w.provider(NodeGroupProvider)
        props = _ng(w)
        w.emu.next_task(action="AddNodes", duration_s=2.0)
        result: dict[str, Any] = {}

        def create() -> None:
            try:
                result["outs"] = {**prov.create(dict(props)).outs}
            except Exception as exc:  # reported through the row
                result["error"] = exc

        thread = threading.Thread(target=create)
        thread.start()
        deadline = 30.0
        import time

        t0 = time.monotonic()
        while w.requests().get("ListTasks", 0) < 1 and time.monotonic() - t0 < deadline:
            time.sleep(0.02)
        w.fault(action="ListTasks", times=1 if fault == "slower-than-read-timeout" else 2, **FAULTS[fault])
        thread.join(90)
        judge = _ng_judge(w, prov, props, created=2, action_task="AddComputes", runs=1)
        outs = result.get("outs")
        dup, leaks, problems = judge(outs)
        if "error" in result:
            problems.append(f"failed: {type(result['error']).__name__}: {str(result['error'])[:200]}")
        row.finish("ok" if not problems else "; ".join(problems), duplicates=dup, leaks=leaks,
                   ok=not problems and not dup and not leaks)
        assert not problems and not dup and not leaks, row.outcome


@pytest.mark.parametrize("code", ["ServiceUnavailable", "NotAuthorized"])
def test_list_tasks_down_for_the_whole_wait(code: str) -> None:
    """ListTasks never answers during the create: a clear error; the next `up` adopts the same nodes."""
    row = report.record("faults", f"ListTasks x {code} for the whole wait", "provider/HTTP",
                        "clear error; next run adopts the same AddNodes task (ClientToken)")
    with world() as w:
        prov = w.provider(NodeGroupProvider)
        props = _ng(w, timeouts={"create": 4, "update": 60, "delete": 60})
        w.fault(action="ListTasks", code=code)
        steps = []
        try:
            prov.create(dict(props))
            steps.append("ok")
        except Exception as exc:
            steps.append(f"error ({type(exc).__name__})")
            clear = isinstance(exc, (*USER_FACING_ERRORS, *_extra)) and (code in str(exc) or "timed out" in str(exc))
        w.clear_faults()
        outs = {**prov.create(dict(props)).outs}
        steps.append("ok")
        dup, leaks, problems = _ng_judge(w, prov, props, created=2, action_task="AddComputes", runs=1)(outs)
        if steps[0] == "ok":
            problems.append("the first create should have failed")
        elif not clear:
            problems.append("unclear error")
        row.finish(" -> ".join(steps) + ("; " + "; ".join(problems) if problems else ""), duplicates=dup,
                   leaks=leaks, ok=not problems and not dup and not leaks)
        assert not problems and not dup and not leaks, row.outcome


def test_slow_list_tasks_page_does_not_hang() -> None:
    """Every ListTasks answer slower than the read timeout for a while: still done, still one task."""
    row = report.record("faults", "ListTasks slower than read timeout (x3)", "provider/HTTP",
                        "right state in one run")
    with world() as w:
        prov = w.provider(NodeGroupProvider)
        props = _ng(w)
        w.fault(action="ListTasks", latency_s=SLOW_S, times=3)
        outs = {**prov.create(dict(props)).outs}
        dup, leaks, problems = _ng_judge(w, prov, props, created=2, action_task="AddComputes", runs=1)(outs)
        row.finish("ok" if not problems else "; ".join(problems), duplicates=dup, leaks=leaks,
                   ok=not problems and not dup and not leaks)
        assert not problems and not dup and not leaks
