"""The emulator backend: clusters, nodes and tasks, and how tasks change them over time.

No HTTP here: operations call the public methods with Python values and get model objects back; errors
are raised as `ApiError` and rendered by the app. What a task does to its targets comes from the
registry (`ActionSpec.effect` and `.cluster_effect`), never from a table of our own.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..wire.actions import ActionSpec, Target, TaskType
from ..wire.task_models import TaskStatus
from .backend_2024 import Backend2024
from .errors import ApiError, invalid_param
from .profiles import EXPLICIT, TASK_SHAPES, Profile, ends_of, step_ends
from .state import (
    Cluster,
    CreatedInstance,
    IdempotencyRecord,
    IssuedToken,
    Node,
    Task,
    TaskFailure,
    TaskRequest,
    TaskScript,
)

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ROLE_HOST = {"Manager": "manager", "Login": "login", "Compute": "compute"}
_CLUSTER_KEY = "@cluster"  # the cluster's own status in Task.prev_status


class Backend:
    """All emulator state, guarded by one lock (the ASGI loop and test threads both touch it)."""

    def __init__(
        self,
        *,
        region: str,
        step_seconds: float,
        seed: int | None,
        capacity: int,
        profile: Profile | None = None,
        capacity_overrides: dict[tuple[str, str], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.region = region
        self.step_seconds = step_seconds
        self.profile = profile  # None: each task type's own (profiles.TASK_SHAPES)
        self.seed = seed
        self.capacity = capacity
        self.capacity_overrides = dict(capacity_overrides or {})
        self.clock = clock
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.clusters: dict[str, Cluster] = {}
        self.nodes: dict[str, Node] = {}
        self.tasks: dict[str, Task] = {}
        self.tokens: dict[str, IdempotencyRecord] = {}
        self.sts_tokens: dict[str, IssuedToken] = {}  # by their access key id
        self._scripts: list[TaskScript] = []
        self._open: set[str] = set()  # tasks whose terminal effects are not applied yet
        self._pinned: float | None = None  # the time of the session in progress
        self.changed: set[tuple[str, str]] = set()  # (kind, id) to persist
        self.removed: set[tuple[str, str]] = set()
        self.v2 = Backend2024(self)  # E-HPC 2.0 (API 2024-07-30) state, beside the 1.0 state above

    # ---- sessions, loading, reset --------------------------------------------------------------
    @contextlib.contextmanager
    def session(self) -> Iterator[float]:
        """Hold the lock with every task advanced to now, and keep that instant as `now()` until the
        end, so a task never shows a status whose effects are not applied yet (each API request runs
        in one). Yields that instant."""
        with self.lock:
            outer = self._pinned
            now = self.clock() if outer is None else outer
            self._pinned = now
            try:
                self.advance(now)
                yield now
            finally:
                self._pinned = outer

    def now(self) -> float:
        """The session's instant inside a session, else the clock."""
        return self.clock() if self._pinned is None else self._pinned

    @property
    def dirty(self) -> bool:
        """Something changed since the last flush."""
        return bool(self.changed or self.removed)

    def load(
        self,
        clusters: Iterable[Cluster],
        nodes: Iterable[Node],
        tasks: Iterable[Task],
        tokens: Iterable[IdempotencyRecord],
        sts_tokens: Iterable[IssuedToken] = (),
        v2: dict[str, Iterable[Any]] | None = None,
    ) -> None:
        """Replace the state with what persistence read back; unfinished tasks carry on. `v2`: the 2.0
        rows by table (`Backend2024.tables`)."""
        with self.lock:
            self.v2.clear()
            for kind, rows in (v2 or {}).items():
                table = self.v2.tables()[kind]
                for row in rows:
                    table[row.key] = row
            self.clusters = {c.cluster_id: c for c in clusters}
            self.nodes = {n.instance_id: n for n in nodes}
            self.tasks = {t.task_id: t for t in tasks}
            self.tokens = {r.key: r for r in tokens}
            self.sts_tokens = {t.access_key_id: t for t in sts_tokens}
            self._open = {t.task_id for t in self.tasks.values() if not t.applied}

    def reset(self) -> None:
        """Forget everything (admin `reset`); the caller seeds the demo cluster again."""
        with self.lock:
            for kind, table in self._tables().items():
                for key in table:
                    self._mark(kind, key, removed=True)
            self.clusters, self.nodes, self.tasks, self.tokens, self.sts_tokens = {}, {}, {}, {}, {}
            self.v2.clear()
            self._scripts.clear()
            self._open.clear()
            self.rng = random.Random(self.seed)

    def _tables(self) -> dict[str, dict[str, Any]]:
        return {
            "cluster": self.clusters,
            "node": self.nodes,
            "task": self.tasks,
            "token": self.tokens,
            "sts_token": self.sts_tokens,
            **self.v2.tables(),
        }

    def take_changes(self) -> tuple[list[tuple[str, str, Any]], list[tuple[str, str]]]:
        """What to write since the last call: (kind, key, entity) upserts and (kind, key) removals."""
        with self.lock:
            tables = self._tables()
            upserts = [(kind, key, tables[kind][key]) for kind, key in self.changed if key in tables[kind]]
            removed = list(self.removed)
            self.changed.clear()
            self.removed.clear()
            return upserts, removed

    def _mark(self, kind: str, key: str, removed: bool = False) -> None:
        (self.removed if removed else self.changed).add((kind, key))
        (self.changed if removed else self.removed).discard((kind, key))

    # ---- ids -----------------------------------------------------------------------------------
    def _rand(self, n: int) -> str:
        return "".join(self.rng.choice(_ALNUM) for _ in range(n))

    def _new_instance_id(self) -> str:
        while True:
            iid = "i-bp1" + self._rand(17)
            if iid not in self.nodes:
                return iid

    def _new_cluster_id(self) -> str:
        while True:
            cid = "ehpc-" + self.region.split("-")[-1][:2] + "-" + self._rand(10)
            if cid not in self.clusters:
                return cid

    def _new_task_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4)).upper()

    # ---- looking things up ---------------------------------------------------------------------
    def cluster(self, cluster_id: str) -> Cluster:
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            raise ApiError("ClusterNotFound")
        return cluster

    def clusters_by_age(self) -> list[Cluster]:
        return sorted(self.clusters.values(), key=lambda c: c.created_at)

    def nodes_of(self, cluster_id: str) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.cluster_id == cluster_id), key=lambda n: n.added_at)

    def all_nodes(self) -> list[Node]:
        """Every live node of every cluster, oldest first, as of now."""
        with self.session():
            return sorted(self.nodes.values(), key=lambda n: n.added_at)

    def all_tasks(self) -> tuple[float, list[Task]]:
        """Every task, with terminal effects applied up to the instant returned with them."""
        with self.session() as now:
            return now, list(self.tasks.values())

    def task(self, task_id: str) -> Task:
        return self.tasks[task_id]

    def tasks_of(self, cluster_id: str) -> list[Task] | None:
        """The tasks of a cluster, deleted or not; None if no such cluster ever had one or exists."""
        tasks = [t for t in self.tasks.values() if t.cluster_id == cluster_id]
        return tasks if tasks or cluster_id in self.clusters else None

    def target_nodes(self, cluster: Cluster, ids: list[str]) -> list[Node]:
        """The listed nodes of `cluster` (`Instance.N.Id`), or the service's error for a bad list."""
        if not ids:
            raise ApiError(
                "MissingParameter",
                "The input parameter Instance.1.Id that is mandatory for processing this request is not supplied.",
            )
        found: list[Node] = []
        for i, iid in enumerate(ids, start=1):
            node = self.nodes.get(iid)
            if node is None or node.cluster_id != cluster.cluster_id:
                # The service's documented client error is InvalidParams; we name the id in the message.
                raise invalid_param(f"Instance.{i}.Id", f"Node {iid} does not exist in cluster {cluster.cluster_id}.")
            found.append(node)
        return found

    def check_not_busy(self, cluster: Cluster, nodes: Iterable[Node] = (), whole_cluster: bool = False) -> None:
        if cluster.busy_task:
            raise ApiError("OperationConflict", f"Cluster {cluster.cluster_id} is busy with task {cluster.busy_task}.")
        if whole_cluster:
            nodes = self.nodes_of(cluster.cluster_id)
        for node in nodes:
            if node.busy_task:
                raise ApiError("OperationConflict", f"Node {node.instance_id} is busy with task {node.busy_task}.")

    def has_open_task(self, cluster_id: str) -> bool:
        return any(self.tasks[t].cluster_id == cluster_id for t in self._open)

    def open_task_ids(self) -> list[str]:
        with self.lock:
            return list(self._open)

    def free_capacity(self, zone: str, itype: str) -> int:
        limit = self.capacity_overrides.get((zone, itype), self.capacity)
        used = sum(1 for n in self.nodes.values() if n.zone_id == zone and n.instance_type == itype)
        used += self.v2.used(zone, itype)  # [INF] both generations draw on the same stock
        return max(0, limit - used)

    def token(self, key: str) -> IdempotencyRecord | None:
        return self.tokens.get(key)

    def remember_token(self, record: IdempotencyRecord) -> None:
        self.tokens[record.key] = record
        self._mark("token", record.key)

    def forget_tokens(self) -> int:
        """Drop every ClientToken record, as the cloud does once its (undocumented) retention has passed:
        a write that reuses a token then runs anew. Returns how many were dropped."""
        with self.lock:
            keys = list(self.tokens)
            for key in keys:
                del self.tokens[key]
                self._mark("token", key, removed=True)
            return len(keys)

    def remember_sts_token(self, token: IssuedToken) -> None:
        with self.lock:
            self.sts_tokens[token.access_key_id] = token
            self._mark("sts_token", token.access_key_id)

    # ---- creating clusters and nodes -----------------------------------------------------------
    def new_cluster(self, name: str, status: str, zone_id: str | None = None, **settings: Any) -> Cluster:
        """A cluster with a fresh id; `settings` are further `Cluster` fields."""
        with self.lock:
            zone = zone_id or f"{self.region}-i"
            cluster = Cluster(self._new_cluster_id(), name, status, self.region, zone, self.now(), **settings)
            self.clusters[cluster.cluster_id] = cluster
            self._mark("cluster", cluster.cluster_id)
            return cluster

    def seed_cluster(self, cluster_id: str, name: str = "emulator-demo") -> Cluster:
        """A running cluster with one manager and one login node, created without a task."""
        with self.lock:
            if cluster_id in self.clusters:
                return self.clusters[cluster_id]
            now = self.now()
            cluster = Cluster(cluster_id, name, "running", self.region, f"{self.region}-i", now)
            self.clusters[cluster_id] = cluster
            self._mark("cluster", cluster_id)
            for role in ("Manager", "Login"):
                self.new_node(cluster, role, cluster.manager_instance_type, cluster.zone_id, "running")
            return cluster

    def new_node(
        self,
        cluster: Cluster,
        role: str,
        itype: str,
        zone: str,
        status: str,
        prefix: str = "",
        suffix: str = "",
        **settings: Any,
    ) -> Node:
        """A node of `cluster` with the next host name and IP of its role; `settings` are `Node` fields."""
        base = _ROLE_HOST[role]
        idx = cluster.host_counters.get(role, 0)
        cluster.host_counters[role] = idx + 1
        cluster.ip_counter += 1
        ip = f"192.168.{cluster.ip_counter // 250}.{cluster.ip_counter % 250 + 2}"
        hostname = f"{prefix}{base}{idx}{suffix}"
        iid = self._new_instance_id()
        node = Node(iid, cluster.cluster_id, role, status, hostname, ip, zone, itype, self.now(), **settings)
        self.nodes[node.instance_id] = node
        self._mark("node", node.instance_id)
        self._mark("cluster", cluster.cluster_id)
        return node

    def change_node(self, instance_id: str, **fields: str) -> Node:
        """Change a node's `Node` fields behind the API's back (admin: drift made outside any tool)."""
        with self.session():
            node = self.nodes.get(instance_id)
            if node is None:
                raise KeyError(instance_id)
            for name, value in fields.items():
                setattr(node, name, value)
            self._mark("node", instance_id)
            return node

    def set_compute_type(self, cluster: Cluster, itype: str) -> None:
        """Later adds default to the last instance type used (the SDK docs)."""
        cluster.compute_instance_type = itype
        self._mark("cluster", cluster.cluster_id)

    # ---- tasks ---------------------------------------------------------------------------------
    def queue_script(self, script: TaskScript) -> int:
        """Script the next matching task (FIFO); returns how many scripts are queued."""
        with self.lock:
            self._scripts.append(script)
            return len(self._scripts)

    def clear_scripts(self) -> int:
        """Drop every queued script; returns how many were dropped."""
        with self.lock:
            dropped = len(self._scripts)
            self._scripts.clear()
            return dropped

    def _next_script(self, action: str) -> TaskScript | None:
        for i, script in enumerate(self._scripts):
            if script.action in (None, "*", action):
                return self._scripts.pop(i)
        return None

    def start_task(
        self,
        spec: ActionSpec,
        cluster: Cluster,
        request: TaskRequest,
        targets: list[Node],
        *,
        errors: Iterable[TaskFailure] = (),
        force_outcome: TaskStatus | None = None,
    ) -> Task:
        """A task of `spec` over `targets`, which show the Action's in-progress status until it ends.

        `force_outcome` fixes the outcome whatever a script says (e.g. capacity ran out); unless it is
        Failed, every target succeeds, the shortfall being in `errors`.
        """
        assert spec.task_type is not None and spec.effect is not None, f"{spec.name} starts no task"
        now = self.now()
        script = self._next_script(spec.name) or TaskScript()
        profile, ends = self._schedule(spec.task_type, script, now)
        ids = [n.instance_id for n in targets]
        outcome = force_outcome or script.outcome
        if outcome is TaskStatus.FAILED:
            succeed = []
        elif outcome is TaskStatus.SUCCESS or force_outcome is not None:
            succeed = list(ids)
        else:
            k = script.succeed_count if script.succeed_count is not None else len(ids) // 2
            succeed = ids[: max(0, min(k, len(ids)))]
        task = Task(
            self._new_task_id(),
            cluster.cluster_id,
            spec.task_type,
            now,
            ends,
            outcome,
            request,
            targets=ids,
            succeed=succeed,
            errors=list(errors),
            created=[CreatedInstance.of(n) for n in targets] if spec.effect.creates else [],
            profile=profile,
        )
        task.prev_status = {n.instance_id: n.status for n in targets}
        task.prev_status[_CLUSTER_KEY] = cluster.status
        for node in targets:
            node.busy_task = task.task_id
            node.status = spec.effect.in_progress or node.status
            self._mark("node", node.instance_id)
        if spec.target is Target.CLUSTER:
            cluster.busy_task = task.task_id
            if spec.cluster_effect is not None:
                cluster.status = spec.cluster_effect.in_progress or cluster.status
        self._mark("cluster", cluster.cluster_id)
        self.tasks[task.task_id] = task
        self._open.add(task.task_id)
        self._mark("task", task.task_id)
        return task

    def _schedule(self, task_type: TaskType, script: TaskScript, now: float) -> tuple[str, list[float]]:
        """The task's profile and the absolute end of each step (inf from a step scripted to hang).

        Unless scripted, a task lasts `step_seconds` per step, its steps shaped by the profile."""
        shape = TASK_SHAPES[task_type]
        if script.step_durations is not None:
            name, offsets = EXPLICIT, ends_of(script.step_durations)
        else:
            profile = script.profile or self.profile or shape.profile
            steps = script.total_steps or shape.steps
            total = script.duration_s if script.duration_s is not None else self.step_seconds * steps
            name, offsets = profile.value, step_ends(profile, total, steps, self.rng)
        stuck = script.stuck_at_step
        return name, [math.inf if stuck is not None and i >= stuck else now + o for i, o in enumerate(offsets, 1)]

    def advance(self, now: float | None = None) -> list[Task]:
        """Apply the terminal effects of every task whose final step has ended by `now`."""
        with self.lock:
            now = self.now() if now is None else now
            done = [self.tasks[t] for t in self._open if self.tasks[t].status_at(now) is not TaskStatus.PROCESSING]
            for task in sorted(done, key=lambda t: t.step_ends[-1]):
                self._finish(task)
            self.v2.purge(now)
            return done

    def _finish(self, task: Task) -> None:
        effect = task.spec.effect
        assert effect is not None
        for iid in task.targets:
            node = self.nodes.get(iid)
            if node is None:
                continue
            node.busy_task = None
            ok = iid in task.succeed
            new = effect.on_success if ok else effect.on_failure
            if new is None:
                new = task.prev_status.get(iid, node.status)
            if new == "":
                self._remove_node(iid)
            else:
                node.status = new
                self._mark("node", iid)
            if not ok:
                verb = "create" if effect.creates else "operate on"
                task.errors.append(TaskFailure("NodeOperationFailed", f"Failed to {verb} node {iid}.", iid))
        task.created = [i for i in task.created if i.instance_id in task.succeed]
        cluster = self.clusters.get(task.cluster_id)
        if cluster is not None:
            self._finish_cluster(task, cluster)
        task.applied = True
        self._open.discard(task.task_id)
        self._mark("task", task.task_id)

    def _finish_cluster(self, task: Task, cluster: Cluster) -> None:
        if cluster.busy_task == task.task_id:
            cluster.busy_task = None
        self._mark("cluster", cluster.cluster_id)
        effect = task.spec.cluster_effect
        if effect is None:
            return
        ok = task.outcome is not TaskStatus.FAILED
        before = task.prev_status.get(_CLUSTER_KEY, cluster.status)
        new = effect.on_success if ok else (effect.on_failure or before)
        if new == "":
            for node in self.nodes_of(cluster.cluster_id):
                self._remove_node(node.instance_id)
            del self.clusters[cluster.cluster_id]
            self._mark("cluster", cluster.cluster_id, removed=True)
        else:
            cluster.status = new

    def _remove_node(self, iid: str) -> None:
        del self.nodes[iid]
        self._mark("node", iid, removed=True)


__all__ = ["Backend"]
