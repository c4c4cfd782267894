"""A chaos run drawn from a seed: a random stack, a sequence of program changes, and what goes wrong
during each (emulator faults, scripted task outcomes, SIGKILLs of `pulumi`, emulator restarts).

Pure: the same seed always gives the same `Plan` (its JSON is what a failing run prints), so a run is
replayed with `make chaos SEED=<seed> RUNS=1`. What the plan cannot fix is the machine's timing: a kill
is tied to an API call the emulator sees (the k-th call of an action, then a short delay), not to a wall
clock instant, so a replay hits the same phase of the same operation.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pulumi_ehpc_tasks.provider.unkeyed import AMBIGUOUS_SETTLE_S
from pulumi_ehpc_tasks.wire.actions import ACTIONS, Keying

# Resource kinds: an E-HPC 1.0 NodeGroup (on the seeded demo cluster or on a 1.0 Cluster of the stack),
# a 1.0 Cluster, and an E-HPC 2.0 NodeGroup (in the stack's one ehpc2.Cluster + Queue).
GROUP1, CLUSTER1, GROUP2 = "group1", "cluster1", "group2"
DEMO = "demo"
POLICIES = ("accept", "rollback", "retry")
TYPES = {GROUP1: ("ecs.c7.large", "ecs.g7.large"), GROUP2: ("ecs.c7.large", "ecs.g7.large")}
MAX_COUNT = 5

# Transient codes are retried by the client; permanent ones fail the `up` (then the README's recovery).
TRANSIENT = ("ServiceUnavailable", "UnknownError", "InternalError", "DbError", "RedisError")
PERMANENT = ("NotAuthorized", "InvalidParams")
READ_TIMEOUT_S = 10.0  # the client's read timeout (wire._core.DEFAULT_TIMEOUT_S)
# 1.0 writes without a ClientToken, and how long the provider reads tasks and nodes after an unclear
# answer before it sends one again (README "Limits of the guarantees"). A `late` trouble applies one of
# these after that window, which is what that limit is about; `forget` hits the ClientToken-keyed ones.
UNKEYED_1 = tuple(name for name, spec in ACTIONS.items() if spec.keying is Keying.UNKEYED)
KEYED_CREATES = tuple(name for name, spec in ACTIONS.items() if spec.keying is Keying.CLIENT_TOKEN)
UNCLEAR_WINDOW_S = AMBIGUOUS_SETTLE_S

# Every kind of trouble a step can draw, with its weight. `kill` and `restart` are disruptions; the
# rest are emulator faults or next-task scripts.
FAULT_KINDS: dict[str, float] = {
    "error": 3.0,  # a transient error code on an action, a few times
    "throttle": 2.0,  # Throttling, a few times
    "permanent": 0.7,  # a non-retryable error code once: the `up` fails
    "latency": 0.5,  # one answer slower than the read timeout
    "drop-before": 1.5,  # connection reset before the server processes a write
    "drop-after": 1.5,  # processed, answer lost
    "partial": 1.5,  # the next creating task ends PartialFail
    "failed": 1.0,  # the next task of an action ends Failed
    "stall": 1.0,  # one step of the next task lasts seconds
    "restart": 1.0,  # the emulator is SIGKILLed and restarted from its state file
    "kill": 2.0,  # `pulumi` and its plugins are SIGKILLed
    # The two limits of the guarantees a fault can reach (README "Limits of the guarantees"):
    "late": 0.8,  # an unkeyed 1.0 write's answer is lost and the cloud applies it after the 10 s window
    "forget": 0.6,  # a kill during a keyed create, and the cloud forgets ClientTokens before the recovery
}
KILLS = ("kill", "forget")  # troubles that SIGKILL `pulumi` (a `forget` then also drops ClientTokens)
DISRUPTIONS = (*KILLS, "restart")  # fired by the runner's watcher on the nth call of an action


@dataclass(frozen=True)
class Res:
    """One resource the program declares."""

    name: str
    kind: str
    count: int = 0
    running: bool = True
    policy: str = "accept"
    instance_type: str = "ecs.c7.large"
    reset: int = 0
    on: str = DEMO  # a GROUP1's cluster: DEMO or the name of a CLUSTER1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Trouble:
    """One fault, script or disruption of a step. `action` is the API action it targets; for kill and
    restart, the one whose `nth` call triggers it (after `delay_s`)."""

    kind: str
    action: str
    code: str | None = None
    times: int = 1
    nth: int = 1
    delay_s: float = 0.0
    succeed: int | None = None  # partial: how many of the task's nodes succeed
    stall_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Step:
    """A program change (the whole spec after it) and the trouble injected while `pulumi up` runs it."""

    change: str
    spec: tuple[Res, ...]
    troubles: tuple[Trouble, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"change": self.change, "spec": [r.to_json() for r in self.spec],
                "troubles": [t.to_json() for t in self.troubles]}


@dataclass(frozen=True)
class Plan:
    seed: int
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "steps": [s.to_json() for s in self.steps]}


def _actions(change: str, before: dict[str, Res], after: dict[str, Res]) -> tuple[list[str], list[str], list[str]]:
    """(writes, reads, late-able writes) a change makes, so troubles land where something happens. The
    last are the unkeyed 1.0 writes no 2.0 resource makes in the same change (faults match on action
    names, and a 2.0 DeleteNodes is another story)."""
    writes: set[str] = set()
    reads: set[str] = set()
    writes2: set[str] = set()
    for name in set(before) | set(after):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        kind = (new or old).kind  # type: ignore[union-attr]
        if kind == GROUP1:
            reads |= {"ListTasks", "ListNodes"}
            if old is None or new is None or old.instance_type != new.instance_type:
                writes |= {"AddNodes", "DeleteNodes"} if new is not None else {"DeleteNodes"}
                if old is None:
                    writes.discard("DeleteNodes")
            elif new.count > old.count:
                writes.add("AddNodes")
            elif new.count < old.count:
                writes.add("DeleteNodes")
            if old and new and old.running != new.running:
                writes.add("StartNodes" if new.running else "StopNodes")
            if old and new and old.reset != new.reset:
                writes.add("ResetNodes")
            if old is None and not new.running:  # type: ignore[union-attr]
                writes.add("StopNodes")
        elif kind == CLUSTER1:
            reads |= {"ListTasks", "DescribeCluster"}
            if old is None:
                writes.add("CreateCluster")
            elif new is None:
                writes.add("DeleteCluster")
            elif old.running != new.running:
                writes.add("StartCluster" if new.running else "StopCluster")
        else:
            reads |= {"ListNodes", "ListCommonLogs"}
            if old is None or new is None or old.instance_type != new.instance_type:
                writes2 |= {"CreateNodes"} if new is not None else set()
                writes2 |= {"DeleteNodes"} if old is not None else set()
            elif new.count > old.count:
                writes2.add("CreateNodes")
            elif new.count < old.count:
                writes2.add("DeleteNodes")
    late = sorted((writes & set(UNKEYED_1)) - writes2)
    return sorted(writes | writes2), sorted(reads), late


def _trouble(rng: random.Random, kind: str, writes: list[str], reads: list[str], late: list[str],
             spec: dict[str, Res]) -> Trouble:
    every = writes + reads
    if kind == "late":
        if not late:  # nothing this limit is about in this change: an answer lost after processing
            return Trouble("drop-after", rng.choice(writes or every), times=1)
        return Trouble(kind, rng.choice(late), delay_s=round(rng.uniform(UNCLEAR_WINDOW_S + 1.5, 16.0), 2))
    if kind == "forget":
        creates = [w for w in writes if w in KEYED_CREATES]
        if not creates:
            kind = "kill"
        else:
            return Trouble(kind, rng.choice(creates), nth=1, delay_s=round(rng.uniform(0.0, 1.0), 2),
                           stall_s=round(rng.uniform(3.0, 5.0), 2))
    if kind == "error":
        return Trouble(kind, rng.choice(every), code=rng.choice(TRANSIENT), times=rng.randint(1, 3))
    if kind == "throttle":
        return Trouble(kind, rng.choice(every), code="Throttling", times=rng.randint(1, 5))
    if kind == "permanent":
        return Trouble(kind, rng.choice(every), code=rng.choice(PERMANENT))
    if kind == "latency":
        return Trouble(kind, rng.choice(reads or every), times=1)
    if kind in ("drop-before", "drop-after"):
        return Trouble(kind, rng.choice(writes or every), times=1)
    if kind == "partial":
        creating = [w for w in writes if w in ("AddNodes", "CreateNodes")]
        action = rng.choice(creating or writes or every)
        biggest = max([r.count for r in spec.values() if r.kind in (GROUP1, GROUP2)] or [1])
        return Trouble(kind, action, succeed=rng.randint(0, max(0, biggest - 1)))
    if kind == "failed":
        return Trouble(kind, rng.choice(writes or every))
    if kind == "stall":
        return Trouble(kind, rng.choice(writes or every), stall_s=round(rng.uniform(2.0, 6.0), 2))
    # kill / restart: on the nth call of one of the step's actions, after a short delay; the action's
    # task is made to last a few seconds so the disruption can land while it runs.
    return Trouble(kind, rng.choice(every), nth=rng.randint(1, 2), delay_s=round(rng.uniform(0.0, 1.5), 2),
                   stall_s=round(rng.uniform(2.0, 5.0), 2))


def _new_resource(rng: random.Random, name: str, spec: dict[str, Res], *, allow_cluster: bool) -> Res:
    kinds = [GROUP1, GROUP2] + ([CLUSTER1] if allow_cluster else [])
    kind = rng.choice(kinds)
    if kind == CLUSTER1:
        return Res(name, CLUSTER1, running=True)
    # Groups go only on running clusters (AddNodes on a stopped cluster is the user's error, not chaos).
    clusters = [r.name for r in spec.values() if r.kind == CLUSTER1 and r.running]
    return Res(name, kind, count=rng.randint(1, MAX_COUNT), running=kind == GROUP2 or rng.random() < 0.8,
               policy=rng.choice(POLICIES), instance_type=TYPES[kind][0],
               on=rng.choice([DEMO, *clusters]) if kind == GROUP1 else DEMO)


def _toggleable(spec: dict[str, Res]) -> list[Res]:
    """Groups of 1.0, and 1.0 clusters no group stands on (stopping a cluster under its groups would
    make their next AddNodes the user's error)."""
    used = {r.on for r in spec.values() if r.kind == GROUP1}
    return [r for r in spec.values() if r.kind == GROUP1 or (r.kind == CLUSTER1 and r.name not in used)]


def _change(rng: random.Random, spec: dict[str, Res], serial: list[int]) -> tuple[str, dict[str, Res]]:
    """One random program change applicable to `spec`; returns its label and the new spec."""
    new = dict(spec)
    groups = [r for r in spec.values() if r.kind in (GROUP1, GROUP2)]
    options = ["add"] if len(spec) < 8 else []
    if groups:
        options += ["scale", "scale", "replace", "destroy"]
    toggles = _toggleable(spec)
    if toggles:
        options += ["stop/start"]
    if [r for r in groups if r.kind == GROUP1 and r.running]:
        options += ["reset"]
    choice = rng.choice(options)
    if choice == "add":
        serial[0] += 1
        res = _new_resource(rng, f"r{serial[0]}", spec, allow_cluster=True)
        new[res.name] = res
        return f"add {res.kind} {res.name}", new
    if choice == "scale":
        g = rng.choice(groups)
        count = rng.choice([c for c in range(1, MAX_COUNT + 1) if c != g.count])
        new[g.name] = replace(g, count=count)
        return f"scale {g.name} {g.count}->{count}", new
    if choice == "replace":
        g = rng.choice(groups)
        itype = next(t for t in TYPES[g.kind] if t != g.instance_type)
        new[g.name] = replace(g, instance_type=itype)
        return f"replace {g.name} ({g.instance_type}->{itype})", new
    if choice == "destroy":
        r = rng.choice(list(spec.values()))
        del new[r.name]
        gone = [r.name]
        for other in list(new.values()):  # a cluster's groups go with it
            if other.kind == GROUP1 and other.on == r.name:
                del new[other.name]
                gone.append(other.name)
        return f"destroy {', '.join(gone)}", new
    if choice == "stop/start":
        r = rng.choice(toggles)
        new[r.name] = replace(r, running=not r.running)
        return f"{'start' if not r.running else 'stop'} {r.name}", new
    g = rng.choice([r for r in groups if r.kind == GROUP1 and r.running])
    new[g.name] = replace(g, reset=g.reset + 1)
    return f"reset {g.name}", new


def draw(seed: int) -> Plan:
    """The plan of run `seed`: an initial stack of 1-8 resources, then 3-6 changes; each of those
    steps (the initial create included) draws 0-3 troubles."""
    rng = random.Random(seed)
    serial = [0]
    spec: dict[str, Res] = {}
    for _ in range(rng.randint(1, 8)):
        serial[0] += 1
        res = _new_resource(rng, f"r{serial[0]}", spec, allow_cluster=True)
        spec[res.name] = res
    if not [r for r in spec.values() if r.kind != CLUSTER1]:  # at least one group: something to break
        serial[0] += 1
        spec[f"r{serial[0]}"] = Res(f"r{serial[0]}", GROUP1, count=rng.randint(1, MAX_COUNT))
    changes: list[tuple[str, dict[str, Res]]] = [("create", spec)]
    for _ in range(rng.randint(3, 6)):  # an emptied stack gets a resource added back
        changes.append(_change(rng, changes[-1][1], serial))
    if rng.random() < 0.3 and changes[-1][1]:
        changes.append(("destroy the stack", {}))
    steps = []
    before: dict[str, Res] = {}
    kinds, weights = list(FAULT_KINDS), list(FAULT_KINDS.values())
    for label, after in changes:
        writes, reads, late = _actions(label, before, after)
        troubles = []
        if writes or reads:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                kind = rng.choices(kinds, weights)[0]
                troubles.append(_trouble(rng, kind, writes, reads, late, after))
        # At most one kill (a `forget` is one) and one restart per step: two of the same disruption in
        # one step add nothing.
        seen: set[str] = set()
        kept = []
        for t in troubles:
            family = "kill" if t.kind in KILLS else t.kind
            if family in ("kill", "restart", "late") and family in seen:
                continue
            seen.add(family)
            kept.append(t)
        steps.append(Step(label, tuple(sorted(after.values(), key=lambda r: r.name)), tuple(kept)))
        before = after
    return Plan(seed, tuple(steps))


def from_json(data: dict[str, Any]) -> Plan:
    """A plan printed by a failing run, read back (for replays of an edited plan)."""
    return Plan(int(data["seed"]), tuple(
        Step(s["change"], tuple(Res(**r) for r in s["spec"]), tuple(Trouble(**t) for t in s["troubles"]))
        for s in data["steps"]))
