"""`ehpc2.NodeGroup`: nodes of one shape in a queue of an E-HPC 2.0 cluster (API 2024-07-30).

Lifecycle: create = CreateNodes awaited until every instance is `running` (waiting/states.py); `count` up =
CreateNodes of the difference; `count` down = DeleteNodes of the newest nodes, awaited until ListNodes no
longer lists them; delete likewise; `keep_alive` = UpdateNodes (deletion protection), lifted by our own
deletes only. Changing what CreateNodes fixes (queue, instance type, image, vswitch, host-name prefix)
replaces the group.

Partial failure: nodes that end in `exception` (or `untracking`) failed; the policies are the 1.0 group's:
`accept` keeps the running ones, `rollback` deletes them too and fails, `retry` asks again for the missing
count (new host names) up to `max_retries` times. Failed nodes are always released ([INF] decision: such a
node never joins the queue, yet holds its host name and quota); `failed_instances` lists them with their
`Reason`, and the next `pulumi up` adds the missing ones.

Idempotency (no ClientToken in 2024-07-30): every node's host name is derived (hostnames.py) and looked up
before CreateNodes; only the names not found are created. Guarantee: a create or scale-up retried with the
same URN and the same creation inputs — after a crash, a lost answer, a timeout or a failed `up` — never
creates a node twice, as long as the first attempt's nodes are listed by ListNodes when the retry looks
(and, since the service refuses a host name in use [INF: as the emulator does], a retry that races an
unlisted node gets an error and not a duplicate). It cannot hold when the nodes' host names were changed
outside Pulumi, when two stacks share a URN on one cluster, or for a node released (by someone) between
the look-up and the wait: its name is free again, and is not re-created by that same attempt.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ...waiting import Outcome
from ...waiting.states import FinishedWrite, Goal
from ...wire import EhpcApiError, NotFoundError
from ...wire.models_2024 import V2Node
from ..base import EhpcProvider
from ..errors import register_user_facing
from ..inputs import PartialFailure
from .context import Op2, listed
from .hostnames import generation, host_name
from .inputs import NodeGroup2Inputs
from .unkeyed import LOST_REQUEST_ID, nodes_releasing, send_unless_seen

__all__ = ["NodeGroup2Error", "NodeGroupProvider"]

_IN_PLACE_KEYS = ("count", "min_count", "keep_alive", "partial_failure", "max_retries", "timeouts")


class NodeGroup2Error(Exception):
    """An E-HPC 2.0 node group could not reach the requested state; the message says what to do."""


register_user_facing(NodeGroup2Error)


def _node_out(node: V2Node) -> dict[str, str]:
    return {"instance_id": node.id, "hostname": node.hostname, "ip": node.ip_address, "status": node.status}


def _failed_out(node: V2Node) -> dict[str, str]:
    return {"instance_id": node.id, "hostname": node.hostname, "status": node.status,
            "reason": node.reason or "no reason given"}


@dataclass
class _Adds:
    """What the CreateNodes calls of one operation produced."""

    running: list[V2Node] = field(default_factory=list)
    failed: list[V2Node] = field(default_factory=list)
    next_index: int = 0
    last: FinishedWrite | None = None


class NodeGroupProvider(EhpcProvider[NodeGroup2Inputs]):
    """CRUD for `ehpc2.NodeGroup`."""

    INPUTS = NodeGroup2Inputs

    def _op2(self, inputs: NodeGroup2Inputs) -> Op2:
        return Op2(self.settings.client_2024(inputs.connection), inputs.cluster_id, inputs.urn or "")

    @staticmethod
    def _generation(inputs: NodeGroup2Inputs) -> str:
        fixed = {k: getattr(inputs, k) for k in NodeGroup2Inputs.creation_inputs()}
        return generation(inputs.urn or "", fixed)

    # -- nodes -----------------------------------------------------------------------------------
    def _create(self, op: Op2, inputs: NodeGroup2Inputs, names: Sequence[str]) -> FinishedWrite:
        """Create the nodes called `names` that do not exist yet, and wait for all of them."""
        existing = {n.hostname: n for n in listed(op, hostnames=list(names)).values()}
        foreign = sorted(n for n, node in existing.items() if node.queue_name != inputs.queue_name)
        if foreign:
            raise NodeGroup2Error(f"host name(s) {', '.join(foreign)} are in use in another queue of "
                                  f"{op.cluster_id}; change hostname_prefix")
        missing = [n for n in names if n not in existing]
        if existing:
            op.info(f"found {len(existing)} node(s) an earlier attempt created "
                    f"({', '.join(sorted(existing))}): adopting them instead of creating them again")
        request_id, called_at = "", time.time()
        if missing:
            params: dict[str, Any] = {"hostnames": missing, "compute_node": inputs.compute_node(),
                                      "v_switch_id": inputs.vswitch_id,
                                      "keep_alive": "true" if inputs.keep_alive else None}
            if inputs.min_count is not None:
                params["min_count"] = min(inputs.min_count, len(missing))
            def send() -> str:
                return op.client.create_nodes(op.cluster_id, queue_name=inputs.queue_name, count=len(missing),
                                              **{k: v for k, v in params.items() if v is not None}).request_id

            def seen() -> bool:  # an applied CreateNodes lists every node at once (with its instance id)
                return len(listed(op, hostnames=missing)) == len(missing)

            try:
                # A lost answer: the names are looked up (the key), and sent again only if they do not show.
                request_id = send_unless_seen(op, "CreateNodes", send, seen)
            except EhpcApiError as exc:
                if exc.code != "InvalidParams" or "in use" not in exc.message:
                    raise
                # A host name is taken, though not listed a moment ago: an earlier attempt's node,
                # listed late. Adopt what is listed now; never send the names again blindly.
                op.warning(f"CreateNodes refused: {exc.message}; looking the names up again")
            else:
                op.info(f"CreateNodes (RequestId {request_id}): {len(missing)} node(s) into queue "
                        f"{inputs.queue_name} of {op.cluster_id}: {', '.join(missing)}")
                if request_id == LOST_REQUEST_ID:
                    request_id = ""
        ids = list(listed(op, hostnames=list(names)))
        if not ids:
            raise NodeGroup2Error(f"CreateNodes on {op.cluster_id} created none of {', '.join(names)}")
        return op.wait("CreateNodes", request_id or "(adopted)", Goal.NODES_RUNNING, ids, called_at,
                       inputs.timeouts.create)

    def _delete(self, op: Op2, ids: Sequence[str], timeout_s: float) -> None:
        """DeleteNodes those of `ids` that still exist (lifting our keep-alive first) and wait until gone."""
        live = listed(op)
        targets = [i for i in ids if i in live]
        if not targets:
            return
        kept = [i for i in targets if live[i].keep_alive]
        if kept:
            op.client.update_nodes(op.cluster_id, instances=[{"InstanceId": i, "KeepAlive": False} for i in kept])
        called_at = time.time()
        request_id = send_unless_seen(
            op, "DeleteNodes", lambda: op.client.delete_nodes(op.cluster_id, instance_ids=targets).request_id,
            nodes_releasing(op, targets))
        op.info(f"DeleteNodes (RequestId {request_id}): {len(targets)} node(s) of {op.cluster_id}")
        done = op.wait("DeleteNodes", request_id, Goal.NODES_GONE, targets, called_at, timeout_s)
        if done.outcome is not Outcome.SUCCESS:
            raise NodeGroup2Error(f"DeleteNodes {request_id} on {op.cluster_id} ended {done.log_status}: "
                                  f"{', '.join(done.missing)} still listed; run `pulumi up` or destroy again")

    def _grow(self, op: Op2, inputs: NodeGroup2Inputs, need: int, first_index: int) -> _Adds:
        """Add `need` running nodes (names from `first_index` on), applying the partial-failure policy."""
        gen = self._generation(inputs)
        adds = _Adds(next_index=first_index)
        attempt, want = 0, need
        while True:
            names = [host_name(inputs.hostname_prefix, gen, i) for i in range(adds.next_index, adds.next_index + want)]
            adds.next_index += want
            done = self._create(op, inputs, names)
            adds.last = done
            adds.running.extend(done.running)
            adds.failed.extend(done.failed)
            # Failed nodes never join: release them (their Reason stays in the outputs).
            self._delete(op, [n.id for n in done.failed] + list(done.missing), inputs.timeouts.create)
            want = need - len(adds.running)
            if want <= 0 or inputs.partial_failure is not PartialFailure.RETRY or attempt >= inputs.max_retries:
                break
            if done.outcome is Outcome.FAILURE:
                break
            attempt += 1
            op.warning(f"CreateNodes: {need - want} of {need} running; retry {attempt}/{inputs.max_retries} "
                       f"for {want}")
        short = need - len(adds.running)
        if short <= 0:
            return adds
        reasons = "; ".join(f"{n.hostname} ({n.id}): {n.reason or 'no reason given'}" for n in adds.failed[-5:])
        if adds.running and inputs.partial_failure is not PartialFailure.ROLLBACK:
            op.warning(f"CreateNodes: {need - short} of {need} nodes running, {short} failed ({reasons}); the failed "
                       f"were released, the rest kept (partial_failure='{inputs.partial_failure.value}'); the "
                       "outputs list the failures and the next `pulumi up` adds the missing nodes")
            return adds
        if adds.running:
            op.warning(f"rolling back: deleting the {len(adds.running)} node(s) this operation added")
            self._delete(op, [n.id for n in adds.running], inputs.timeouts.delete)
        policy = inputs.partial_failure.value
        raise NodeGroup2Error(
            f"CreateNodes on {op.cluster_id} queue {inputs.queue_name}: {need - short} of {need} nodes reached "
            f"running ({'deleted again, ' if adds.running else ''}partial_failure='{policy}'). Failed: "
            f"{reasons or 'none listed'}. Fix the cause (capacity, quota, instance type) or use "
            "partial_failure='accept'/'retry', then run `pulumi up` again.")

    def _keep_alive(self, op: Op2, ids: Sequence[str], keep: bool) -> None:
        if ids:
            op.client.update_nodes(op.cluster_id, instances=[{"InstanceId": i, "KeepAlive": keep} for i in ids])

    # -- outputs ---------------------------------------------------------------------------------
    @staticmethod
    def _outputs(inputs: NodeGroup2Inputs, props: Mapping[str, Any], prior: Sequence[dict[str, str]],
                 adds: _Adds, next_index: int) -> dict[str, Any]:
        instances = [*prior, *(_node_out(n) for n in adds.running)]
        outs = {k: v for k, v in props.items() if not k.startswith("__")}
        outs.update(
            instance_ids=[i["instance_id"] for i in instances],
            instances=instances,
            failed_instances=[_failed_out(n) for n in adds.failed],
            failed_count=max(0, inputs.count - len(instances)),
            next_index=max(next_index, adds.next_index),
            generation=NodeGroupProvider._generation(inputs),
        )
        if adds.last is not None:
            outs.update(request_id=adds.last.request_id, log_status=adds.last.log_status)
        return outs

    # -- the provider protocol ---------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = self._comparable(olds), self._comparable(news)
        replaces = [k for k in NodeGroup2Inputs.creation_inputs() if old.get(k) != new.get(k)]
        changed = [k for k in _IN_PLACE_KEYS if old.get(k) != new.get(k)]
        if "count" not in changed and len(olds.get("instance_ids") or []) != new.get("count"):
            changed.append("count")  # nodes missing (a partial failure accepted, or removed outside): add them
        moved, rehomed = self._connection_diff(olds, news)
        changed, replaces = changed + moved, replaces + rehomed
        return DiffResult(changes=bool(replaces or changed), replaces=replaces,
                          stables=["cluster_id"] if not replaces else [], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op2(inputs)
        adds = self._grow(op, inputs, inputs.count, 0)
        if inputs.keep_alive:
            self._keep_alive(op, [n.id for n in adds.running if not n.keep_alive], True)
        outs = self._outputs(inputs, props, [], adds, 0)
        return CreateResult(f"{inputs.cluster_id}/{inputs.queue_name}/{outs['generation']}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op2(inputs)
        live = listed(op)
        prior = [i for i in olds.get("instances") or [] if i["instance_id"] in live]
        next_index = int(olds.get("next_index") or 0)
        adds = _Adds(next_index=next_index)
        if len(prior) < inputs.count:
            adds = self._grow(op, inputs, inputs.count - len(prior), next_index)
        elif len(prior) > inputs.count:
            victims = [i["instance_id"] for i in reversed(prior)][: len(prior) - inputs.count]
            self._delete(op, victims, inputs.timeouts.update)
            prior = [i for i in prior if i["instance_id"] not in set(victims)]
        ids = [i["instance_id"] for i in prior] + [n.id for n in adds.running]
        if inputs.keep_alive != bool(olds.get("keep_alive", False)):
            self._keep_alive(op, ids, inputs.keep_alive)
        elif inputs.keep_alive:
            self._keep_alive(op, [n.id for n in adds.running if not n.keep_alive], True)
        return UpdateResult(self._outputs(inputs, news, prior, adds, next_index))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self._inputs(props)
        op = self._op2(inputs)
        try:
            live = listed(op)
        except NotFoundError:
            return ReadResult(None, {})  # the cluster is gone, and its nodes with it
        instances = [{**i, "status": live[i["instance_id"]].status}
                     for i in props.get("instances") or [] if i["instance_id"] in live]
        outs = {**props, "instances": instances, "instance_ids": [i["instance_id"] for i in instances],
                "failed_count": max(0, inputs.count - len(instances))}
        return ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = self._inputs(props)
        op = self._op2(inputs)
        with contextlib.suppress(NotFoundError):  # the cluster went, and its nodes with it
            self._delete(op, list(props.get("instance_ids") or []), inputs.timeouts.delete)
