"""NodeGroup: compute nodes of one shape, added by AddNodes and awaited until the task is terminal.

Lifecycle: create = AddNodes + wait (AddComputes); `count` up = AddNodes of the difference; `count`
down = DeleteNodes of failed-then-newest nodes (DeleteComputes); delete = DeleteNodes + wait.
Changing what AddNodes fixes at creation (instance type, image, zone, vswitch, ...) replaces the group.
A create with `adopt_instance_ids` / `adopt_host_name_prefix` takes over existing nodes with reads only
(adoption.py); refresh records what changed outside Pulumi (drift.py).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import ValidationError

from ..waiting import FinishedTask, Outcome
from ..wire import NodeInfo, NotFoundError
from .adoption import CLAIMS, AdoptionError, adopted_nodes, read_at_check, read_at_create
from .base import EhpcProvider, read_result
from .connection import CONNECTION
from .context import LAST_TASK_OUTPUTS, Op
from .drift import RUNNING, STOPPED, node_facts, refreshed
from .errors import register_user_facing
from .inputs import ADOPT_INPUTS, INTERNAL_INPUTS, NodeGroupInputs, PartialFailure, check_inputs, normalised
from .prelaunch import PRELAUNCH, Sibling, enabled, is_pool_shard, issue_siblings, release_unclaimed
from .state import list_compute_nodes
from .tokens import client_token, replayed_outcome, running_when_issued, send_keyed
from .unkeyed import node_write, run_unkeyed
from .waits import wait_with_progress

__all__ = ["NODE_GROUP_REPLACE_KEYS", "NodeGroupError", "NodeGroupProvider"]

# AddNodes fixes these for the nodes it adds; a change can only be applied by new nodes.
NODE_GROUP_REPLACE_KEYS = ("cluster_id", *NodeGroupInputs.add_nodes_inputs())
# Inputs that only steer the provider (or future adds): updated in place.
_CREATE = "create"  # the purpose of a create's AddNodes in its ClientToken
_IN_PLACE_KEYS = tuple(
    k for k in NodeGroupInputs.model_fields
    if k not in NODE_GROUP_REPLACE_KEYS and k not in INTERNAL_INPUTS and k != CONNECTION and k not in ADOPT_INPUTS
)


def _token_seed(params: Mapping[str, Any]) -> dict[str, Any]:
    # The token's seed leaves the cluster out (it is in the URN's resource already), as it always has.
    return {k: v for k, v in params.items() if k != "cluster_id"}


class NodeGroupError(Exception):
    """A NodeGroup operation could not reach the requested state; the message says what to do."""


register_user_facing(NodeGroupError)


def _instance_out(node_id: str, ip: str = "", hostname: str = "", role: str = "compute") -> dict[str, str]:
    return {"instance_id": node_id, "ip": ip, "hostname": hostname, "role": role.lower() or "compute"}


def _node_out(node: NodeInfo, ip: str = "", hostname: str = "") -> dict[str, str]:
    """A live node as `instances` lists it: what the task reported, else the listing, and its facts."""
    out = _instance_out(node.id, ip or node.ip_address or "", hostname or node.host_name)
    return {**out, **node_facts(node)}


class _Adds:
    """What one or more AddNodes tasks produced, accumulated for the outputs."""

    def __init__(self) -> None:
        self.instances: list[dict[str, str]] = []
        self.errors: list[dict[str, str]] = []
        self.last: FinishedTask | None = None

    def absorb(self, finished: FinishedTask, live: Mapping[str, NodeInfo]) -> int:
        """Record the instances of `finished` that exist now; return how many."""
        self.last = finished
        known = {i["instance_id"] for i in self.instances}
        added = 0
        for inst in finished.task.result.instances:
            if inst.instance_id in live and inst.instance_id not in known:
                self.instances.append(_node_out(live[inst.instance_id], inst.ip or "", inst.hostname or ""))
                added += 1
        for err in finished.task.errors:
            self.errors.append({"code": err.code, "message": err.message, "instance_id": err.instance_id})
        return added


class NodeGroupProvider(EhpcProvider[NodeGroupInputs]):
    """CRUD for `NodeGroup`."""

    INPUTS = NodeGroupInputs

    # -- helpers ---------------------------------------------------------------------------
    def _add(self, op: Op, inputs: NodeGroupInputs, count: int, purpose: str, adds: _Adds) -> FinishedTask:
        """AddNodes `count` nodes and wait; re-attach to an earlier identical call instead of duplicating."""
        params = inputs.add_nodes_params(count)

        def attempt(token: str) -> FinishedTask | None:
            resp = op.client.add_nodes(client_token=token, **params)
            replayed = replayed_outcome(op, resp.task_id, time.monotonic())
            if replayed is Outcome.FAILURE:
                op.info(f"AddNodes task {resp.task_id} (an earlier attempt) had failed; asking again")
                return None
            op.info(f"AddNodes task {resp.task_id}: adding {count} node(s) to {op.cluster_id}")
            finished = wait_with_progress(op, resp.task_id, "AddNodes", inputs.timeouts.create)
            live = list_compute_nodes(op.client, op.cluster_id)
            listed = finished.task.result.instance_ids
            if listed and not any(i in live for i in listed):
                return None  # a token from an earlier incarnation whose nodes are gone
            if not listed and replayed is Outcome.PARTIAL:
                # An earlier attempt's PartialFail that added nothing (or was rolled back): replaying it on
                # every `pulumi up` would fail for ever (found by the chaos run, seed 1).
                op.info(f"AddNodes task {resp.task_id} (an earlier attempt) ended PartialFail with no node; "
                        "asking again")
                return None
            adds.absorb(finished, live)
            return finished

        return send_keyed(op, "AddNodes", purpose, _token_seed(params), attempt)

    # -- a NodePool's shards issued together (prelaunch.py) ----------------------------------------
    def _sibling(self, inputs: NodeGroupInputs) -> Sibling:
        issued: list[str] = []  # the task id `issue` got, so `release` need not send AddNodes again

        def issue(op: Op) -> bool:
            issued_at = time.monotonic()
            task_id = self._send_create_token(op, inputs)
            issued.append(task_id)
            op.info(f"AddNodes task {task_id}: adding {inputs.count} node(s) to {op.cluster_id} "
                    "(issued early, with this group's own ClientToken, so that the pool's shards wait together)")
            return running_when_issued(op, task_id, issued_at)

        def release(op: Op) -> None:
            # Sent again (same token, so idempotent) only when the early issue itself had failed.
            task_id = issued[0] if issued else self._send_create_token(op, inputs)
            finished = wait_with_progress(op, task_id, "AddNodes", inputs.timeouts.create)
            live = list_compute_nodes(op.client, op.cluster_id)
            self._delete(op, [i for i in finished.task.result.instance_ids if i in live], True, inputs.timeouts.delete)

        return Sibling(inputs.urn or "", inputs.cluster_id, issue, release, inputs.connection)

    @staticmethod
    def _send_create_token(op: Op, inputs: NodeGroupInputs) -> str:
        """The AddNodes a create sends first (generation 0): idempotent, so it can be sent again."""
        params = inputs.add_nodes_params(inputs.count)
        token = client_token(op.urn, _CREATE, _token_seed(params), 0)
        return op.client.add_nodes(client_token=token, **params).task_id

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """As every provider's; a NodePool's first shard, new in this deployment (no prior state, so the
        pool is new), also notes its siblings as coming, for its create to issue their AddNodes."""
        result = super().check(olds, news)
        if not result.failures and not olds and not CLAIMS.has_state(news.get("urn") or ""):
            self._check_adoption(result)
        urn = news.get("urn") or ""
        if is_pool_shard(urn) and not result.failures:
            PRELAUNCH.note_checked(urn, new=not olds)
        urn = news.get("urn") or ""
        if is_pool_shard(urn) and not result.failures:
            PRELAUNCH.note_checked(urn, new=not olds)
        if olds or result.failures or not enabled() or not news.get("pool_siblings"):
            return result
        try:
            first = self._inputs(result.inputs)
        except ValidationError:
            return result  # unknowns during preview: nothing to issue for
        if is_pool_shard(first.urn):
            for given in first.pool_siblings or []:
                model, failures = check_inputs(NodeGroupInputs, given)
                sibling = self._inputs(normalised(model)) if model is not None and not failures else None
                if sibling is not None and is_pool_shard(sibling.urn):
                    PRELAUNCH.note_pending(self._sibling(sibling))
        return result

    def _check_adoption(self, result: CheckResult) -> None:
        """A new group with `adopt_*` adopts at create: mark it, and refuse at preview what create would."""
        try:
            inputs = self._inputs(result.inputs)
        except ValidationError:
            return  # unknowns during preview: create checks again before it records anything
        if not (inputs.adopt_instance_ids or inputs.adopt_host_name_prefix):
            return
        result.inputs["adopting"] = True
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        nodes = read_at_check(result, lambda: self._adoptable(op, inputs))
        if nodes is not None:
            CLAIMS.note(op.urn, op.cluster_id, [n.id for n in nodes], from_state=False)

    @staticmethod
    def _adoptable(op: Op, inputs: NodeGroupInputs) -> list[NodeInfo]:
        """The nodes `inputs` adopt, read now; AdoptionError names the input that is wrong."""
        try:
            live = list_compute_nodes(op.client, op.cluster_id)
        except NotFoundError:
            raise AdoptionError("cluster_id", f"no cluster {op.cluster_id} (ListNodes does not know it)") from None
        nodes = adopted_nodes(live, op.cluster_id, inputs.count, inputs.adopt_instance_ids,
                              inputs.adopt_host_name_prefix)
        blamed = "adopt_instance_ids" if inputs.adopt_instance_ids else "adopt_host_name_prefix"
        CLAIMS.check_free(op.urn, op.cluster_id, nodes, blamed)
        return nodes

    def _adopt(self, op: Op, inputs: NodeGroupInputs, props: Mapping[str, Any]) -> CreateResult:
        """Record existing nodes as this group's, with reads only (no write at all)."""
        nodes = read_at_create(lambda: self._adoptable(op, inputs), NodeGroupError, "NodeGroup")
        instances = [_node_out(n) for n in nodes]
        CLAIMS.note(op.urn, op.cluster_id, [n.id for n in nodes])
        outs = self._outputs(op, inputs, props, _Adds(), instances)
        wrong = [i["instance_id"] for i in instances if i["status"] == (STOPPED if inputs.running else RUNNING)]
        if wrong:
            outs["running"] = not inputs.running  # what the nodes are: the next `up` converges (drift.py)
            op.warning(f"adopted {len(wrong)} node(s) that are {'stopped' if inputs.running else 'running'} "
                       f"while running={str(inputs.running).lower()} ({', '.join(wrong)}); adopting changes "
                       "nothing, the next `pulumi up` starts or stops them")
        op.info(f"adopted {len(instances)} existing node(s) of {op.cluster_id}: {', '.join(outs['instance_ids'])}")
        return CreateResult(f"{op.cluster_id}/adopted-{instances[0]['instance_id']}", outs)

    def _delete(self, op: Op, instance_ids: Sequence[str], release: bool, timeout_s: float) -> None:
        """DeleteNodes those of `instance_ids` that still exist, and wait until they are gone."""
        live = list_compute_nodes(op.client, op.cluster_id)
        targets = [i for i in instance_ids if i in live]
        if targets:
            write = node_write(op, "DeleteNodes", targets, release_instance=release)
            run_unkeyed(op, write, f"deleting {len(targets)} node(s) from {op.cluster_id}", timeout_s)

    def _node_task(self, op: Op, action: str, instance_ids: Sequence[str], timeout_s: float) -> None:
        """StopNodes / StartNodes / ResetNodes on `instance_ids` and wait (never blindly re-sent)."""
        if instance_ids:
            what = f"{len(instance_ids)} node(s) of {op.cluster_id}"
            run_unkeyed(op, node_write(op, action, instance_ids), what, timeout_s)

    def _grow(self, op: Op, inputs: NodeGroupInputs, need: int, purpose: str, adds: _Adds) -> None:
        """Add `need` new nodes into `adds`, applying the partial-failure policy."""
        finished = self._add(op, inputs, need, purpose, adds)
        if finished.outcome is Outcome.FAILURE:
            self._rollback(op, inputs, adds)
            finished.raise_for_outcome()
        attempt = 0
        while len(adds.instances) < need and inputs.partial_failure is PartialFailure.RETRY:
            if attempt >= inputs.max_retries:
                break
            attempt += 1
            missing = need - len(adds.instances)
            op.warning(f"AddNodes added {need - missing} of {need}; retry {attempt}/{inputs.max_retries} for {missing}")
            self._add(op, inputs, missing, f"{purpose}/retry-{attempt}", adds)
        short = need - len(adds.instances)
        if short <= 0:
            return
        task = adds.last.task if adds.last else None
        summary = "; ".join(f"{e['code']}: {e['message']}" for e in adds.errors[-5:]) or "no error detail"
        if inputs.partial_failure is PartialFailure.ROLLBACK:
            self._rollback(op, inputs, adds)
            raise NodeGroupError(
                f"AddNodes task {task.task_id if task else '?'} on {op.cluster_id} ended PartialFail: "
                f"{need - short} of {need} nodes were added and have been deleted again "
                f"(partial_failure='rollback'). Errors: {summary}. Fix the cause (capacity, quota, "
                "instance type) or use partial_failure='accept'/'retry', then run `pulumi up` again."
            )
        op.warning(
            f"AddNodes task {task.task_id if task else '?'} ended PartialFail: {need - short} of {need} nodes added, "
            f"{short} failed ({summary}). Kept them (partial_failure='{inputs.partial_failure.value}'); "
            "the outputs list the failures and the next `pulumi up` adds the missing nodes."
        )

    def _rollback(self, op: Op, inputs: NodeGroupInputs, adds: _Adds) -> None:
        ids = [i["instance_id"] for i in adds.instances]
        if ids:
            op.warning(f"rolling back: deleting {len(ids)} node(s) added by this operation")
            self._delete(op, ids, True, inputs.timeouts.delete)
            adds.instances.clear()

    @staticmethod
    def _outputs(
        op: Op,
        inputs: NodeGroupInputs,
        props: Mapping[str, Any],
        adds: _Adds,
        prior: Sequence[dict[str, str]],
        olds: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        instances = [*prior, *adds.instances]
        outs = {k: v for k, v in props.items() if not k.startswith("__") and k != "pool_siblings"}
        for key in (*LAST_TASK_OUTPUTS, "errors"):
            if olds and outs.get(key) is None:
                outs[key] = olds.get(key)
        outs.update(
            instance_ids=[i["instance_id"] for i in instances],
            instances=instances,
            failed_count=max(0, inputs.count - len(instances)),
            drift=[],
        )
        if adds.last is not None:
            outs["errors"] = adds.errors
        outs.update(op.task_outputs())
        return outs

    # -- the provider protocol -----------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        _note_claims(olds)
        old, new = self._comparable(olds), self._comparable(news)
        replaces = [k for k in NODE_GROUP_REPLACE_KEYS if old.get(k) != new.get(k)]
        changed = [k for k in _IN_PLACE_KEYS if old.get(k) != new.get(k)]
        have = len(olds.get("instance_ids") or [])
        if "count" not in changed and new.get("count") is not None and have != new.get("count"):
            changed.append("count")  # nodes removed out-of-band (seen by refresh): restore the count
        moved, rehomed = self._connection_diff(olds, news)
        changed, replaces = changed + moved, replaces + rehomed
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=["cluster_id"] if not replaces else [],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        if inputs.adopting:
            return self._adopt(op, inputs, props)
        issued: list[Sibling] = []
        if enabled() and is_pool_shard(inputs.urn):
            urn = inputs.urn or ""
            being_released = PRELAUNCH.claim(urn)
            if being_released is not None:
                being_released.released.wait()  # then its token's nodes are gone: the next generation adds
            issued = PRELAUNCH.take_pending(inputs.cluster_id, urn, inputs.connection)
            issue_siblings(op, issued)
        adds = _Adds()
        try:
            self._grow(op, inputs, inputs.count, _CREATE, adds)  # nothing yet: every node is new
            if not inputs.running:
                self._node_task(op, "StopNodes", [i["instance_id"] for i in adds.instances], inputs.timeouts.create)
        finally:
            release_unclaimed(op, issued)
        first = adds.last.task.task_id if adds.last else "none"
        outs = self._outputs(op, inputs, props, adds, [])
        _note_claims(outs)
        return CreateResult(f"{inputs.cluster_id}/{first}", outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        prior: list[dict[str, str]] = list(olds.get("instances") or [])
        live = list_compute_nodes(op.client, op.cluster_id)
        prior = [i for i in prior if i["instance_id"] in live]
        adds = _Adds()
        if len(prior) < inputs.count:
            have = sorted(i["instance_id"] for i in prior)
            purpose = f"scale:{','.join(have)}->{inputs.count}"
            self._grow(op, inputs, inputs.count - len(prior), purpose, adds)
        elif len(prior) > inputs.count:
            victims = self._pick_victims(prior, live, len(prior) - inputs.count)
            self._delete(op, victims, inputs.release_instances, inputs.timeouts.update)
            prior = [i for i in prior if i["instance_id"] not in set(victims)]
        all_ids = [i["instance_id"] for i in [*prior, *adds.instances]]
        if olds.get("reset_trigger") != news.get("reset_trigger"):
            self._node_task(op, "ResetNodes", [i["instance_id"] for i in prior], inputs.timeouts.update)
        action = "StartNodes" if inputs.running else "StopNodes"
        if inputs.running != olds.get("running", True):
            self._node_task(op, action, all_ids, inputs.timeouts.update)
        else:  # nodes added now, and nodes found stopped/started outside Pulumi (drift.py), converge
            other = STOPPED if inputs.running else RUNNING
            wrong = [i["instance_id"] for i in prior if live[i["instance_id"]].status.lower() == other]
            new = [] if inputs.running else [i["instance_id"] for i in adds.instances]
            self._node_task(op, action, [*wrong, *new], inputs.timeouts.update)
        outs = self._outputs(op, inputs, news, adds, prior, olds)
        _note_claims(outs)
        return UpdateResult(outs)

    @staticmethod
    def _pick_victims(prior: Sequence[dict[str, str]], live: Mapping[str, NodeInfo], n: int) -> list[str]:
        """Failed nodes first, then the newest (the end of the list is the most recently added)."""
        order = list(reversed(prior))
        order.sort(key=lambda i: 0 if live[i["instance_id"]].status.lower() == "exception" else 1)
        return [i["instance_id"] for i in order[:n]]

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self._inputs(props)
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        try:
            live = list_compute_nodes(op.client, op.cluster_id)
        except NotFoundError:
            return ReadResult(None, {})  # the cluster is gone, and its nodes with it
        state = refreshed(props, live)
        for message in state.messages():
            op.warning(f"changed outside Pulumi: {message}")
        outs = state.outs
        outs["failed_count"] = max(0, int(outs.get("count") or 0) - len(outs["instance_ids"]))
        _note_claims(outs)
        if not state.changed:
            return ReadResult(id_, outs)
        # The inputs take the values found, so the next diff compares the program with reality.
        return read_result(id_, outs, {k: v for k, v in outs.items() if k in NodeGroupInputs.model_fields})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = self._inputs(props)
        op = self._op(inputs.cluster_id, inputs.urn, inputs.connection)
        ids = list(props.get("instance_ids") or [])
        # NotFound: the cluster was deleted (e.g. by the stack that owns it), and its nodes went with it.
        with contextlib.suppress(NotFoundError):
            self._delete(op, ids, inputs.release_instances, inputs.timeouts.delete)
        CLAIMS.release(op.urn, op.cluster_id, ids)


def _note_claims(state: Mapping[str, Any]) -> None:
    """The nodes a group's state (outputs) holds, for adoptions to check against (adoption.py)."""
    urn, cluster_id = state.get("urn"), state.get("cluster_id")
    if isinstance(urn, str) and urn and isinstance(cluster_id, str):
        CLAIMS.note(urn, cluster_id, [i for i in state.get("instance_ids") or [] if isinstance(i, str)])
