"""The checker of a chaos run: after each step has converged, what the emulator holds must be what the
state says, and what the program says.

Pure functions over a `Snapshot` (the state's outputs, the emulator's inventory and tasks), so a unit
test can hand it a made-up world and see each violation named.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_ehpc_tasks.wire.actions import TaskType

from .plan import CLUSTER1, DEMO, DISRUPTIONS, GROUP1, GROUP2, KILLS, UNKEYED_1, Res, Trouble

# Task types of the writes whose repetition the README rules out (ClientToken-keyed creates) or
# bounds (ResetNodes: see "Limits of the guarantees").
ADD_TASK = TaskType.ADD_COMPUTES.value
RESET_TASK = TaskType.RESET_COMPUTE.value  # stated once, in the registry: a copy here once said "ResetComputes"
CREATE_CLUSTER_TASK = TaskType.CREATE_CLUSTER.value
V2_CLUSTER = "c2"  # the program's one ehpc2.Cluster (its Queue is `q2`), there while any 2.0 group is


@dataclass
class Snapshot:
    """The world after a step: `state` maps resource names to outputs; `nodes1` are the 1.0 compute
    nodes (admin `nodes`), `nodes2` the 2.0 ones (`{"id", "hostname", "status", "cluster"}`)."""

    state: dict[str, dict[str, Any]]
    nodes1: list[dict[str, Any]]
    clusters1: set[str]
    nodes2: list[dict[str, Any]]
    clusters2: set[str]
    tasks: dict[str, dict[str, Any]]


@dataclass
class Violation:
    kind: str  # leak, lost, duplicate, count, running, type, cluster, state, rerun, converge, secret
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class StepFacts:
    """What the runner knows of the step, for the rules that depend on what was injected."""

    new_tasks: set[str] = field(default_factory=set)  # task ids created during the step
    disrupted: set[str] = field(default_factory=set)  # actions a kill/restart/drop may have cut short
    partial_ok: set[str] = field(default_factory=set)  # groups that may hold an accepted partial result
    forgotten: bool = False  # the cloud forgot every ClientToken during the step (a `forget` trouble)


@dataclass
class Leftovers:
    """What a keyed create left outside the state because the cloud had forgotten its ClientToken when
    the create was sent again (README "Limits of the guarantees"): a documented limit, not a bug."""

    nodes: dict[str, list[str]] = field(default_factory=dict)  # 1.0 cluster id -> instance ids
    clusters: set[str] = field(default_factory=set)
    reused: list[str] = field(default_factory=list)  # "TaskType token" of each create sent again

    def __bool__(self) -> bool:
        return bool(self.nodes or self.clusters)


def forgotten_leftovers(snap: Snapshot, facts: StepFacts) -> Leftovers:
    """The nodes and 1.0 clusters made by a task whose ClientToken a later task used again. While the
    cloud remembers a token it answers with the first task, so a second task with it can only come
    from a token forgotten in between; nothing else is excused."""
    out = Leftovers()
    if not facts.forgotten:
        return out
    by_token: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for task in snap.tasks.values():
        if task.get("ClientToken") and task["TaskType"] in (ADD_TASK, CREATE_CLUSTER_TASK):
            by_token[(task["TaskType"], task["ClientToken"])].append(task)
    held = {i for o in snap.state.values() for i in o.get("instance_ids") or []}
    ours = {str(o.get("cluster_id")) for o in snap.state.values() if o.get("cluster_id")}
    live1 = {n["InstanceId"]: n for n in snap.nodes1}
    for (task_type, token), tasks in sorted(by_token.items()):
        if len(tasks) < 2:
            continue
        out.reused.append(f"{task_type} {token}")
        for task in sorted(tasks, key=lambda t: t["CreatedAt"])[:-1]:
            if task_type == CREATE_CLUSTER_TASK and task["ClusterId"] in snap.clusters1 - ours:
                out.clusters.add(task["ClusterId"])
            for iid in task.get("Created") or []:
                if iid in live1 and iid not in held:
                    out.nodes.setdefault(str(live1[iid].get("ClusterId") or task["ClusterId"]), []).append(iid)
    return out


def prefix_of(name: str) -> str:
    """The host-name prefix the chaos program gives a 1.0 group (its nodes are found by it)."""
    return f"{name}-"


def check(spec: tuple[Res, ...], snap: Snapshot, baseline: set[str], facts: StepFacts) -> list[Violation]:
    """Every violation of the promises after a converged step (an empty list when all hold)."""
    out: list[Violation] = []
    want = {r.name: r for r in spec}
    groups = {r.name: r for r in spec if r.kind in (GROUP1, GROUP2)}
    for name in sorted(set(want) - set(snap.state)):
        out.append(Violation("state", f"{name} is in the program but not in the state"))
    for name in sorted(set(snap.state) - set(want) - {V2_CLUSTER}):
        out.append(Violation("state", f"{name} is in the state but no longer in the program"))
    if (V2_CLUSTER in snap.state) != any(r.kind == GROUP2 for r in spec):
        out.append(Violation("state", f"the 2.0 cluster is {'' if V2_CLUSTER in snap.state else 'not '}in the "
                                      "state, the program has " + ("2.0 groups" if V2_CLUSTER not in snap.state
                                                                   else "no 2.0 group")))

    held: dict[str, str] = {}
    for name in sorted(groups):
        outputs = snap.state.get(name)
        if outputs is None:
            continue
        for iid in outputs.get("instance_ids") or []:
            if iid in held:
                out.append(Violation("duplicate", f"{iid} is held by {held[iid]} and {name}"))
            held[iid] = name

    excused = forgotten_leftovers(snap, facts)
    excused_nodes = {i for ids in excused.nodes.values() for i in ids}
    live1 = {n["InstanceId"]: n for n in snap.nodes1 if n["InstanceId"] not in baseline}
    live2 = {n["id"]: n for n in snap.nodes2}
    live = {**live1, **live2}
    for iid in sorted(set(live) - set(held) - excused_nodes):
        node = live[iid]
        out.append(Violation("leak", f"{iid} ({node.get('HostName') or node.get('hostname')}) is in the "
                                     "emulator but in no group of the state"))
    for iid in sorted(set(held) - set(live)):
        out.append(Violation("lost", f"{iid} of {held[iid]} is in the state but not in the emulator"))
    for hostname, n in Counter(str(n.get("hostname")) for n in snap.nodes2).items():
        if n > 1:
            out.append(Violation("duplicate", f"{n} live 2.0 nodes share the host name {hostname}"))

    for name, res in sorted(groups.items()):
        outputs = snap.state.get(name)
        if outputs is None:
            continue
        ids = list(outputs.get("instance_ids") or [])
        failed = int(outputs.get("failed_count") or 0)
        if len(ids) + failed != res.count or (failed and name not in facts.partial_ok):
            out.append(Violation("count", f"{name} holds {len(ids)} node(s) and reports {failed} failed; "
                                          f"the program asks for {res.count}"))
        if res.kind == GROUP1:
            for iid in ids:
                one = live1.get(iid)
                if one is None:
                    continue
                node = one
                status = str(node.get("Status", "")).lower()
                if status != ("running" if res.running else "stopped"):
                    out.append(Violation("running", f"{iid} of {name} is {node.get('Status')}, "
                                                    f"running={res.running}"))
                if node.get("InstanceType") != res.instance_type:
                    out.append(Violation("type", f"{iid} of {name} is {node.get('InstanceType')}, the program "
                                                 f"says {res.instance_type}"))
        else:
            for iid in ids:
                two = live2.get(iid)
                if two is not None and two.get("status") != "running":
                    out.append(Violation("running", f"{iid} of {name} is {two.get('status')}"))

    ours1 = {str(snap.state[r.name].get("cluster_id")) for r in spec
             if r.kind == CLUSTER1 and r.name in snap.state}
    for cid in sorted(snap.clusters1 - ours1 - excused.clusters):
        out.append(Violation("cluster", f"1.0 cluster {cid} is in the emulator but not in the state"))
    ours2 = {str(o.get("cluster_id")) for n, o in snap.state.items() if n == V2_CLUSTER}
    for cid in sorted(snap.clusters2 - ours2):
        out.append(Violation("cluster", f"2.0 cluster {cid} is in the emulator but not in the state"))

    out += _reruns(spec, snap, facts)
    return out


UNCLEAR = (*DISRUPTIONS, "drop-after", "drop-before", "latency", "late")
"""Troubles after which the action they hit may or may not have been applied."""


def disrupted_actions(troubles: Sequence[Trouble], fired: Sequence[str]) -> set[str]:
    """The actions a step's troubles may have cut short: those a kill, restart, lost, slow or late answer
    (or an UnknownError) hit, and, once a SIGKILL fired, every unkeyed write, whichever call the kill was
    armed on: a crash interrupts the write in flight (seed 99: a kill on the nth ListTasks call while a
    ResetNodes task was awaited; the README's "A ResetNodes interrupted by a crash ... runs again")."""
    out = {t.action for t in troubles if t.kind in UNCLEAR or (t.kind == "error" and t.code == "UnknownError")}
    if any(kind in fired for kind in KILLS):
        out |= set(UNKEYED_1)
    return out


def _reruns(spec: tuple[Res, ...], snap: Snapshot, facts: StepFacts) -> list[Violation]:
    """Writes that ran twice within a step where the README promises they do not."""
    out: list[Violation] = []
    new = [snap.tasks[t] for t in sorted(facts.new_tasks) if t in snap.tasks]
    for res in spec:
        if res.kind != GROUP1:
            continue
        adds = [t for t in new if t["TaskType"] == ADD_TASK and t.get("HostNamePrefix") == prefix_of(res.name)]
        # A retried AddNodes must re-attach to its task by ClientToken. Only a task that ended badly
        # (PartialFail retried, Failed rolled back then re-run) justifies another token.
        bad = [t for t in adds if t["Status"] != "Success"]
        tokens = Counter(t.get("ClientToken") for t in adds)
        for token, n in tokens.items():
            if n > 1 and not facts.forgotten:  # a forgotten token is the limit, shown by `limit_shown`
                out.append(Violation("duplicate", f"{n} AddNodes tasks for {res.name} share ClientToken {token}"))
        if len(tokens) > 1 + len(bad) * 2:
            out.append(Violation("duplicate", f"{len(tokens)} AddNodes tasks for {res.name} in one step "
                                              f"({len(bad)} ended badly)"))
    for res in spec:
        if res.kind != GROUP1 or "ResetNodes" in facts.disrupted:
            continue  # a disrupted ResetNodes may run twice: a documented limit, counted apart
        resets, bad = _resets(res, snap, new)
        if len(resets) > 1 + bad:
            out.append(Violation("rerun", f"{len(resets)} ResetNodes tasks for {res.name} in one step "
                                          f"({bad} ended badly)"))
    return out


def _resets(res: Res, snap: Snapshot, new: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The step's ResetNodes tasks on `res`'s nodes, and how many ended badly. A reset that failed (or
    partly failed) is sent again by the next `up`, as it should be: only a reset run again after one
    that succeeded is a rerun."""
    ids = set((snap.state.get(res.name) or {}).get("instance_ids") or [])
    resets = [t for t in new if t["TaskType"] == RESET_TASK and set(t.get("Targets") or []) & ids]
    return resets, sum(1 for t in resets if t["Status"] != "Success")


def limit_shown(snap: Snapshot, facts: StepFacts, spec: tuple[Res, ...]) -> list[str]:
    """Documented limits of the guarantees this step showed (not violations): a ResetNodes run twice
    after a disruption (a crash, or an answer lost and the write applied after the 10 s window), and a
    keyed create sent again after the cloud forgot its ClientToken."""
    shown = []
    left = forgotten_leftovers(snap, facts)
    if left.reused:
        nodes = sum(len(ids) for ids in left.nodes.values())
        shown.append(f"ClientToken forgotten: {', '.join(left.reused)} ran again; {nodes} node(s) and "
                     f"{len(left.clusters)} cluster(s) of the first run outside the state")
    if "ResetNodes" in facts.disrupted:
        new = [snap.tasks[t] for t in facts.new_tasks if t in snap.tasks]
        for res in spec:
            resets, bad = _resets(res, snap, new)
            if len(resets) > 1 + bad:
                shown.append(f"ResetNodes ran {len(resets) - bad} times for {res.name} after a disruption")
    return shown


__all__ = ["DEMO", "Leftovers", "Snapshot", "StepFacts", "Violation", "check", "disrupted_actions",
           "forgotten_leftovers", "limit_shown", "prefix_of"]
