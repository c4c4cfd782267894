"""The E-HPC 2.0 (API 2024-07-30) half of the backend: clusters, queues, nodes, operation logs.

Owned by `Backend` (same lock, clock, id generator, step profiles, next-task scripts, capacity and
persistence marks). A mutating call fixes its whole future at once: the target's timeline and its
operation log's stage ends, drawn from the step shape of the 2018 task its row `replaces`. Every
[INF] below is a decision where ehpc-2024-api.md says nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..wire.actions import ACTIONS, ACTIONS_2024
from ..wire.task_models import TaskStatus
from .errors import ApiError, invalid_param
from .state import TaskScript
from .state_2024 import GONE, Cluster2, LogTarget, Node2, OperationLog, Queue2

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["OUT_OF_STOCK", "SCRIPTED_FAILURE", "Backend2024"]

# [INF] Reasons in `exception` (the field is undocumented): the ECS-style cause, then a sentence.
OUT_OF_STOCK = "InsufficientInventory: the instance type {itype} is out of stock in zone {zone}."
SCRIPTED_FAILURE = "NodeInitFailed: the node failed to initialize (scripted)."
CLUSTER_FAILURE = "ClusterInitFailed: the cluster failed to initialize (scripted)."
DEFAULT_INSTANCE_TYPE = "ecs.c7.large"
# [INF] UpdateCluster applies a full state (§3.5, per Terraform): these fall back to their defaults when
# omitted; the other fields keep their value.
UPDATE_DEFAULTS: dict[str, Any] = {
    "DeletionProtection": False, "EnableScaleOut": False, "EnableScaleIn": False, "GrowInterval": 2,
    "IdleInterval": 6,
}


class Backend2024:
    def __init__(self, backend: Backend) -> None:
        self.b = backend
        self.clusters: dict[str, Cluster2] = {}
        self.queues: dict[str, Queue2] = {}  # by "<ClusterId>:<QueueName>"
        self.nodes: dict[str, Node2] = {}
        self.logs: dict[str, OperationLog] = {}  # by the mutating call's RequestId

    def tables(self) -> dict[str, dict[str, Any]]:
        return {"cluster2": self.clusters, "queue2": self.queues, "node2": self.nodes, "oplog2": self.logs}

    def clear(self) -> None:
        for table in self.tables().values():
            table.clear()

    def _mark(self, kind: str, key: str, removed: bool = False) -> None:
        self.b._mark(kind, key, removed)

    # ---- time ------------------------------------------------------------------------------------
    def _schedule(self, action: str, now: float) -> tuple[TaskScript, list[float]]:
        """The next script for `action` and the absolute end of each of its steps."""
        replaced = ACTIONS_2024[action].replaces
        task_type = ACTIONS[replaced].task_type if replaced else None
        assert task_type is not None, f"{action} has no step shape"
        script = self.b._next_script(action) or TaskScript()
        return script, self.b._schedule(task_type, script, now)[1]

    def purge(self, now: float) -> None:
        """Forget what is gone by `now` (a deleted cluster takes its queues and nodes with it; logs stay)."""
        for cid, cluster in list(self.clusters.items()):
            if cluster.status(now) == GONE:
                del self.clusters[cid]
                self._mark("cluster2", cid, removed=True)
                for key in [k for k, q in self.queues.items() if q.cluster_id == cid]:
                    del self.queues[key]
                    self._mark("queue2", key, removed=True)
        for iid, node in list(self.nodes.items()):
            if node.cluster_id not in self.clusters or node.status(now) == GONE:
                del self.nodes[iid]
                self._mark("node2", iid, removed=True)

    def _log(self, request_id: str, action: str, cluster_id: str, ends: list[float],
             targets: list[LogTarget]) -> OperationLog:
        log = OperationLog(request_id, action, cluster_id, self.b.now(), ends, targets)
        self.logs[request_id] = log
        self._mark("oplog2", request_id)
        return log

    # ---- clusters --------------------------------------------------------------------------------
    def cluster(self, cluster_id: str) -> Cluster2:
        cluster = self.clusters.get(cluster_id)
        if cluster is None or cluster.status(self.b.now()) == GONE:
            raise ApiError("ClusterNotFound")
        return cluster

    def create_cluster(self, request_id: str, settings: dict[str, Any], queues: list[dict[str, Any]]) -> Cluster2:
        now = self.b.now()
        script, ends = self._schedule("CreateCluster", now)
        failed = script.outcome in (TaskStatus.FAILED, TaskStatus.PARTIAL_FAIL)
        cid = self.b._new_cluster_id()
        while cid in self.clusters:
            cid = self.b._new_cluster_id()
        # [INF] creating until the first step ends, initing until the last, then running | exception.
        timeline = [(now, "creating"), (ends[0], "initing"), (ends[-1], "exception" if failed else "running")]
        cluster = Cluster2(cid, str(settings.get("ClusterName") or cid), now, timeline, settings, now,
                           CLUSTER_FAILURE if failed else "")
        self.clusters[cid] = cluster
        self._mark("cluster2", cid)
        for template in queues:  # [INF] inline queues exist as soon as CreateCluster answers
            self._put_queue(cid, template, now)
        self._log(request_id, "CreateCluster", cid, ends, [LogTarget(cid, cluster.reason)])
        return cluster

    def update_cluster(self, cluster_id: str, fields: dict[str, Any]) -> None:
        cluster = self.cluster(cluster_id)
        cluster.settings.update({**UPDATE_DEFAULTS, **fields})
        if "ClusterName" in fields:
            cluster.name = str(fields["ClusterName"])
        cluster.modified_at = self.b.now()
        self._mark("cluster2", cluster_id)

    def delete_cluster(self, request_id: str, cluster_id: str) -> None:
        now = self.b.now()
        cluster = self.cluster(cluster_id)
        status = cluster.status(now)
        # [INF] only a settled cluster can be deleted; deletion protection answers the same documented code.
        if status not in ("running", "exception"):
            raise ApiError("InvalidClusterStatus", f"The cluster is {status}; it cannot be deleted now.")
        if cluster.settings.get("DeletionProtection"):
            raise ApiError("InvalidClusterStatus", "The cluster has deletion protection enabled.")
        _, ends = self._schedule("DeleteCluster", now)
        cluster.timeline += [(now, "releasing"), (ends[-1], GONE)]
        self._mark("cluster2", cluster_id)
        for node in self.nodes_of(cluster_id):
            if node.status(now) != "releasing":
                node.timeline += [(now, "releasing"), (ends[-1], GONE)]
                self._mark("node2", node.instance_id)
        self._log(request_id, "DeleteCluster", cluster_id, ends, [LogTarget(cluster_id)])

    def clusters_by_age(self) -> list[Cluster2]:
        now = self.b.now()
        return sorted((c for c in self.clusters.values() if c.status(now) != GONE), key=lambda c: c.created_at)

    # ---- queues ----------------------------------------------------------------------------------
    def _put_queue(self, cluster_id: str, template: dict[str, Any], now: float) -> Queue2:
        name = str(template["QueueName"])
        old = self.queues.get(f"{cluster_id}:{name}")
        queue = Queue2(cluster_id, name, template, old.created_at if old else now, now)
        self.queues[queue.key] = queue
        self._mark("queue2", queue.key)
        return queue

    def queue(self, cluster_id: str, name: str) -> Queue2:
        self.cluster(cluster_id)
        queue = self.queues.get(f"{cluster_id}:{name}")
        if queue is None:  # what Terraform reads as "queue gone" (§3.12)
            raise invalid_param("QueueName", f"Queue {name} does not exist in cluster {cluster_id}.")
        return queue

    def queues_of(self, cluster_id: str) -> list[Queue2]:
        self.cluster(cluster_id)
        return sorted((q for q in self.queues.values() if q.cluster_id == cluster_id), key=lambda q: q.created_at)

    def create_queue(self, cluster_id: str, template: dict[str, Any]) -> Queue2:
        self.cluster(cluster_id)
        if f"{cluster_id}:{template['QueueName']}" in self.queues:
            raise invalid_param("Queue.QueueName", f"Queue {template['QueueName']} already exists.")
        return self._put_queue(cluster_id, template, self.b.now())

    def update_queue(self, cluster_id: str, template: dict[str, Any]) -> None:
        self.queue(cluster_id, str(template["QueueName"]))
        self._put_queue(cluster_id, template, self.b.now())

    def delete_queues(self, cluster_id: str, names: list[str]) -> None:
        queues = [self.queue(cluster_id, name) for name in names]
        for queue in queues:
            left = [n for n in self.nodes_of(cluster_id) if n.queue_name == queue.name]
            if left:
                # [INF] the documented AgentError (the scheduler's agent refuses); releasing nodes count too.
                raise ApiError("AgentError", f"Agent request failed: queue {queue.name} still has {len(left)} nodes.")
        for queue in queues:
            del self.queues[queue.key]
            self._mark("queue2", queue.key, removed=True)

    # ---- nodes -----------------------------------------------------------------------------------
    def nodes_of(self, cluster_id: str) -> list[Node2]:
        now = self.b.now()
        return sorted((n for n in self.nodes.values() if n.cluster_id == cluster_id and n.status(now) != GONE),
                      key=lambda n: (n.added_at, n.hostname))

    def used(self, zone: str, itype: str) -> int:
        now = self.b.now()
        return sum(1 for n in self.nodes.values()
                   if n.zone_id == zone and n.instance_type == itype and n.status(now) != GONE)

    def create_nodes(self, request_id: str, cluster_id: str, queue_name: str, count: int, min_count: int,
                     template: dict[str, Any], hostnames: list[str] | None, prefix: str | None,
                     suffix: str, vswitch_id: str | None, keep_alive: bool) -> list[Node2]:
        now = self.b.now()
        cluster = self.cluster(cluster_id)
        if cluster.status(now) != "running":
            raise ApiError("InvalidClusterStatus", f"The cluster is {cluster.status(now)}; nodes cannot be added.")
        queue = self.queue(cluster_id, queue_name)
        queue_nodes = queue.template.get("ComputeNodes") or [{}]
        itype = str(template.get("InstanceType") or queue_nodes[0].get("InstanceType") or DEFAULT_INSTANCE_TYPE)
        zone = f"{self.b.region}-i"
        live = {n.hostname for n in self.nodes_of(cluster_id)}
        prefix = prefix or queue.template.get("HostnamePrefix") or "compute"  # [INF] compute000, compute001...
        names = hostnames or self._hostnames(cluster, count, prefix, suffix, live)
        taken = sorted(set(names) & live)
        if taken or len(set(names)) != len(names):
            raise invalid_param("Hostnames", f"Host names already in use: {', '.join(taken) or 'duplicates'}.")
        in_stock = min(count, self.b.free_capacity(zone, itype))
        if in_stock < min_count:
            # [INF] MinCount not reachable: the call fails (§3.6) with the 2018 table's ECS error.
            raise ApiError("EcsError", f"Only {in_stock} instances of {itype} are available in {zone}; "
                                       f"MinCount is {min_count}.")
        script, ends = self._schedule("CreateNodes", now)
        if script.outcome is TaskStatus.FAILED:
            scripted = 0
        elif script.outcome is TaskStatus.PARTIAL_FAIL:
            scripted = script.succeed_count if script.succeed_count is not None else count // 2
        else:
            scripted = count
        vswitch = vswitch_id or (queue.template.get("VSwitchIds") or [""])[0] or str(
            cluster.settings.get("ClusterVSwitchId") or "")
        nodes: list[Node2] = []
        for i, hostname in enumerate(names):
            # [INF] out-of-stock and scripted failures still get an instance id (answered at once) and end
            # in `exception` with a Reason, after the same uninit → initing as the others.
            reason = (OUT_OF_STOCK.format(itype=itype, zone=zone) if i >= in_stock
                      else SCRIPTED_FAILURE if i >= scripted else "")
            cluster.ip_counter += 1
            ip = f"172.16.{cluster.ip_counter // 250}.{cluster.ip_counter % 250 + 2}"
            timeline = [(now, "uninit"), (ends[0], "initing"), (ends[-1], "exception" if reason else "running")]
            iid = self.b._new_instance_id()
            while iid in self.nodes:
                iid = self.b._new_instance_id()
            node = Node2(iid, cluster_id, queue_name, hostname, ip, zone, vswitch, itype,
                         str(template.get("ImageId") or "centos_7_06_64_20G_alibase_20190711.vhd"), now, timeline,
                         reason, keep_alive, bool(template.get("EnableHT", True)),
                         str(template.get("SpotStrategy") or "NoSpot"))
            self.nodes[iid] = node
            self._mark("node2", iid)
            nodes.append(node)
        self._mark("cluster2", cluster_id)
        self._log(request_id, "CreateNodes", cluster_id, ends, [LogTarget(n.instance_id, n.reason) for n in nodes])
        return nodes

    def _hostnames(self, cluster: Cluster2, count: int, prefix: str, suffix: str, live: set[str]) -> list[str]:
        out: list[str] = []
        while len(out) < count:
            name = f"{prefix}{cluster.host_counter:03d}{suffix}"
            cluster.host_counter += 1
            if name not in live:
                out.append(name)
        return out

    def _targets(self, cluster_id: str, ids: list[str]) -> list[Node2]:
        self.cluster(cluster_id)
        found: list[Node2] = []
        for iid in ids:
            node = self.nodes.get(iid)
            if node is None or node.cluster_id != cluster_id or node.status(self.b.now()) == GONE:
                raise invalid_param("InstanceIds", f"Node {iid} does not exist in cluster {cluster_id}.")
            found.append(node)
        return found

    def delete_nodes(self, request_id: str, cluster_id: str, ids: list[str]) -> None:
        now = self.b.now()
        nodes = self._targets(cluster_id, ids)
        for node in nodes:
            # [INF] deletion protection (KeepAlive) and a node already releasing refuse the whole call.
            if node.keep_alive:
                raise ApiError("InvalidNodeStatus", f"Node {node.instance_id} has deletion protection (KeepAlive).")
            if node.status(now) == "releasing":
                raise ApiError("InvalidNodeStatus", f"Node {node.instance_id} is already releasing.")
        _, ends = self._schedule("DeleteNodes", now)
        for node in nodes:
            node.timeline += [(now, "releasing"), (ends[-1], GONE)]
            self._mark("node2", node.instance_id)
        self._log(request_id, "DeleteNodes", cluster_id, ends, [LogTarget(n.instance_id) for n in nodes])

    def update_nodes(self, cluster_id: str, changes: list[tuple[str, bool]]) -> None:
        nodes = self._targets(cluster_id, [iid for iid, _ in changes])
        for node, (_, keep_alive) in zip(nodes, changes, strict=True):
            if node.status(self.b.now()) == "releasing":
                raise ApiError("InvalidNodeStatus", f"Node {node.instance_id} is releasing.")
            node.keep_alive = keep_alive
            self._mark("node2", node.instance_id)
