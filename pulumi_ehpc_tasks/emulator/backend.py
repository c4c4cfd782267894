"""The emulator backend: clusters, nodes and tasks, and how tasks change them over time.

No HTTP here: handlers call these methods with Python values and get model objects back; errors are
raised as `ApiError` and rendered by the app.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .errors import ApiError, invalid_param
from .state import (
    DEFAULT_STEPS,
    FAILED,
    PARTIAL_FAIL,
    PROCESSING,
    SUCCESS,
    TASK_TYPES,
    Cluster,
    IdempotencyRecord,
    Node,
    Task,
    TaskScript,
    make_schedule,
)

DEFAULT_CAPACITY = 500
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ROLE_HOST = {"Manager": "manager", "Login": "login", "Compute": "compute"}

# Terminal effect of each task type on its target nodes: (status on success, status on failure or
# None to roll back to the status before the task). "" means the node is removed.
_NODE_EFFECTS: dict[str, tuple[str, str | None]] = {
    "AddComputes": ("running", ""),
    "DeleteComputes": ("", None),
    "StartComputes": ("running", None),
    "StopComputes": ("stopped", None),
    "ResetCompute": ("running", "exception"),
    "CreateCluster": ("running", ""),
    "StartCluster": ("running", None),
    "StopCluster": ("stopped", None),
    "DeleteCluster": ("", None),
}


class Backend:
    """All emulator state, guarded by one lock (the ASGI loop and test threads both touch it)."""

    def __init__(
        self,
        *,
        region: str = "cn-hangzhou",
        step_seconds: float = 2.0,
        seed: int | None = None,
        capacity: int = DEFAULT_CAPACITY,
        capacity_overrides: dict[tuple[str, str], int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.region = region
        self.step_seconds = step_seconds
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
        self.scripts: list[TaskScript] = []
        self._open: set[str] = set()  # tasks whose terminal effects are not applied yet
        self.changed: set[tuple[str, str]] = set()  # (kind, id) to persist
        self.removed: set[tuple[str, str]] = set()

    # ---- ids and bookkeeping -------------------------------------------------------------------
    def _rand(self, n: int) -> str:
        return "".join(self.rng.choice(_ALNUM) for _ in range(n))

    def _new_instance_id(self) -> str:
        while True:
            iid = "i-bp1" + self._rand(17)
            if iid not in self.nodes:
                return iid

    def _new_task_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4)).upper()

    def _mark(self, kind: str, key: str, removed: bool = False) -> None:
        (self.removed if removed else self.changed).add((kind, key))
        (self.changed if removed else self.removed).discard((kind, key))

    def load(
        self,
        clusters: Iterable[Cluster],
        nodes: Iterable[Node],
        tasks: Iterable[Task],
        tokens: Iterable[IdempotencyRecord],
    ) -> None:
        """Replace the state with what persistence read back; unfinished tasks carry on."""
        with self.lock:
            self.clusters = {c.cluster_id: c for c in clusters}
            self.nodes = {n.instance_id: n for n in nodes}
            self.tasks = {t.task_id: t for t in tasks}
            self.tokens = {r.key: r for r in tokens}
            self._open = {t.task_id for t in self.tasks.values() if not t.applied}

    def reset(self) -> None:
        """Forget everything (admin `reset`); the caller seeds the demo cluster again."""
        with self.lock:
            for kind, table in (
                ("cluster", self.clusters),
                ("node", self.nodes),
                ("task", self.tasks),
                ("token", self.tokens),
            ):
                for key in table:
                    self._mark(kind, key, removed=True)
            self.clusters, self.nodes, self.tasks, self.tokens = {}, {}, {}, {}
            self.scripts.clear()
            self._open.clear()
            self.rng = random.Random(self.seed)

    # ---- clusters and nodes --------------------------------------------------------------------
    def seed_cluster(self, cluster_id: str, name: str = "emulator-demo") -> Cluster:
        """A running cluster with one manager and one login node, created without a task."""
        with self.lock:
            if cluster_id in self.clusters:
                return self.clusters[cluster_id]
            now = self.clock()
            cluster = Cluster(cluster_id, name, "running", self.region, f"{self.region}-i", now)
            self.clusters[cluster_id] = cluster
            self._mark("cluster", cluster_id)
            for role in ("Manager", "Login"):
                self._new_node(cluster, role, cluster.manager_instance_type, cluster.zone_id, "running", now)
            return cluster

    def cluster(self, cluster_id: str) -> Cluster:
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            raise ApiError("ClusterNotFound")
        return cluster

    def nodes_of(self, cluster_id: str) -> list[Node]:
        return sorted((n for n in self.nodes.values() if n.cluster_id == cluster_id), key=lambda n: n.added_at)

    def _new_node(
        self,
        cluster: Cluster,
        role: str,
        itype: str,
        zone: str,
        status: str,
        now: float,
        prefix: str = "",
        suffix: str = "",
    ) -> Node:
        base = _ROLE_HOST[role]
        idx = cluster.host_counters.get(role, 0)
        cluster.host_counters[role] = idx + 1
        cluster.ip_counter += 1
        ip = f"192.168.{cluster.ip_counter // 250}.{cluster.ip_counter % 250 + 2}"
        node = Node(
            self._new_instance_id(),
            cluster.cluster_id,
            role,
            status,
            f"{prefix}{base}{idx}{suffix}",
            ip,
            zone,
            itype,
            now,
        )
        self.nodes[node.instance_id] = node
        self._mark("node", node.instance_id)
        self._mark("cluster", cluster.cluster_id)
        return node

    def free_capacity(self, zone: str, itype: str) -> int:
        limit = self.capacity_overrides.get((zone, itype), self.capacity)
        used = sum(1 for n in self.nodes.values() if n.zone_id == zone and n.instance_type == itype)
        return max(0, limit - used)

    def _target_nodes(self, cluster: Cluster, ids: list[str]) -> list[Node]:
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

    def _check_not_busy(self, cluster: Cluster, nodes: Iterable[Node] = (), whole_cluster: bool = False) -> None:
        if cluster.busy_task:
            raise ApiError("OperationConflict", f"Cluster {cluster.cluster_id} is busy with task {cluster.busy_task}.")
        if whole_cluster:
            nodes = self.nodes_of(cluster.cluster_id)
        for node in nodes:
            if node.busy_task:
                raise ApiError("OperationConflict", f"Node {node.instance_id} is busy with task {node.busy_task}.")

    # ---- tasks ---------------------------------------------------------------------------------
    def _next_script(self, action: str) -> TaskScript | None:
        for i, script in enumerate(self.scripts):
            if script.action in (None, "*", action):
                return self.scripts.pop(i)
        return None

    def _start_task(
        self,
        action: str,
        cluster: Cluster,
        request: dict[str, Any],
        targets: list[Node],
        *,
        cluster_level: bool = False,
        errors: list[dict[str, str]] | None = None,
        force_outcome: str | None = None,
    ) -> Task:
        now = self.clock()
        task_type = TASK_TYPES[action]
        script = self._next_script(action) or TaskScript()
        steps = script.total_steps or DEFAULT_STEPS[task_type]
        ends = make_schedule(self.rng, now, steps, self.step_seconds, script.duration_s, script.stuck_at_step)
        ids = [n.instance_id for n in targets]
        outcome = force_outcome or script.outcome
        if outcome == SUCCESS:
            succeed = list(ids)
        elif outcome == FAILED:
            succeed = []
        else:
            k = script.succeed_count if script.succeed_count is not None else len(ids) // 2
            succeed = ids[: max(0, min(k, len(ids)))] if force_outcome is None else list(ids)
        task = Task(
            self._new_task_id(),
            cluster.cluster_id,
            task_type,
            now,
            ends,
            outcome,
            request,
            targets=ids,
            succeed=succeed,
            errors=list(errors or []),
        )
        task.prev_status = {n.instance_id: n.status for n in targets}
        task.prev_status["@cluster"] = cluster.status
        for node in targets:
            node.busy_task = task.task_id
            self._mark("node", node.instance_id)
        if cluster_level:
            cluster.busy_task = task.task_id
        self._mark("cluster", cluster.cluster_id)
        self.tasks[task.task_id] = task
        self._open.add(task.task_id)
        self._mark("task", task.task_id)
        return task

    def advance(self, now: float | None = None) -> list[Task]:
        """Apply the terminal effects of every task whose final step has ended by `now`."""
        with self.lock:
            now = self.clock() if now is None else now
            done = [self.tasks[t] for t in self._open if self.tasks[t].status_at(now) != PROCESSING]
            for task in sorted(done, key=lambda t: t.step_ends[-1]):
                self._finish(task)
            return done

    def _finish(self, task: Task) -> None:
        ok_status, fail_status = _NODE_EFFECTS[task.task_type]
        cluster = self.clusters.get(task.cluster_id)
        for iid in task.targets:
            node = self.nodes.get(iid)
            if node is None:
                continue
            node.busy_task = None
            new = ok_status if iid in task.succeed else fail_status
            if new is None:
                new = task.prev_status.get(iid, node.status)
            if new == "":
                del self.nodes[iid]
                self._mark("node", iid, removed=True)
            else:
                node.status = new
                self._mark("node", iid)
            if iid not in task.succeed:
                verb = {"AddComputes": "create", "CreateCluster": "create"}.get(task.task_type, "operate on")
                task.errors.append(
                    {
                        "Code": "NodeOperationFailed",
                        "Message": f"Failed to {verb} node {iid}.",
                        "InstanceId": iid,
                    }
                )
        if task.task_type in ("AddComputes", "CreateCluster"):
            task.result_instances = [i for i in task.result_instances if i["InstanceId"] in task.succeed]
        if cluster is not None:
            self._finish_cluster(task, cluster)
        task.applied = True
        self._open.discard(task.task_id)
        self._mark("task", task.task_id)

    def _finish_cluster(self, task: Task, cluster: Cluster) -> None:
        if cluster.busy_task == task.task_id:
            cluster.busy_task = None
        ok = task.outcome != FAILED
        before = task.prev_status.get("@cluster", cluster.status)
        if task.task_type == "DeleteCluster" and ok:
            for node in self.nodes_of(cluster.cluster_id):
                del self.nodes[node.instance_id]
                self._mark("node", node.instance_id, removed=True)
            del self.clusters[cluster.cluster_id]
            self._mark("cluster", cluster.cluster_id, removed=True)
            return
        if task.task_type == "CreateCluster":
            cluster.status = "running" if ok else "exception"
        elif task.task_type in ("StartCluster", "StopCluster", "DeleteCluster"):
            target = {"StartCluster": "running", "StopCluster": "stopped"}.get(task.task_type, before)
            cluster.status = target if ok else before
        self._mark("cluster", cluster.cluster_id)

    def has_open_task(self, cluster_id: str) -> bool:
        return any(self.tasks[t].cluster_id == cluster_id for t in self._open)

    def open_task_ids(self) -> list[str]:
        with self.lock:
            return list(self._open)


__all__ = ["DEFAULT_CAPACITY", "FAILED", "PARTIAL_FAIL", "SUCCESS", "Backend"]
