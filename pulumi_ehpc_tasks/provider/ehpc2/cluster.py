"""`ehpc2.Cluster`: an E-HPC 2.0 cluster (API 2024-07-30), created awaited until `running` and deleted
awaited until GetCluster answers ClusterNotFound (Terraform's `alicloud_ehpc_cluster_v2` does not wait on
delete). `exception` fails the create with the reason from the call's operation log, after deleting the
failed cluster (awaited): a failed create leaves nothing in the state, so it would otherwise be leaked.

Idempotency (no ClientToken): the cluster name is the key. Before CreateCluster the provider lists
clusters by that name (ListClusters `ClusterNames`); one that exists and is not being released is adopted
and awaited instead of created again. Guarantee: a create retried after a crash or a lost answer creates
no second cluster, provided the first is listed when the retry looks; cluster names are not unique in
E-HPC, so two stacks giving the same name to clusters in one region adopt each other's: name them apart.
"""

from __future__ import annotations

import time
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ...waiting import Outcome
from ...waiting.states import LOG_MARGIN_S, Goal
from ...wire import EhpcApiError, NotFoundError
from ..base import EhpcProvider
from ..errors import register_user_facing
from ..inputs import input_default
from .context import Op2
from .inputs import Cluster2Inputs
from .unkeyed import cluster_releasing, send_unless_seen

__all__ = ["Cluster2Error", "ClusterProvider"]


class Cluster2Error(Exception):
    """An E-HPC 2.0 cluster could not reach the requested state; the message says why."""


register_user_facing(Cluster2Error)


def _log_message(op: Op2, request_id: str, called_at: float) -> str:
    """Why `request_id` failed: the operation log's message and, from GetCommonLogDetail, the stages that
    failed with theirs (two reads, only once the write has failed)."""
    from_, to = int(called_at) - LOG_MARGIN_S, int(time.time()) + LOG_MARGIN_S
    logs = op.client.list_common_logs(from_=from_, to=to, log_request_id=request_id).logs
    reasons = [log.message for log in logs if log.message]
    try:
        detail = op.client.get_common_log_detail(log_request_id=request_id, from_=from_, to=to)
    except EhpcApiError:  # the detail only adds precision; the summary above is enough to act on
        detail = None
    for stage, entry in detail.failures() if detail is not None else ():
        where = f"stage {stage}" + (f" ({entry.method})" if entry.method else "")
        reasons.append(f"{where} failed" + (f": {entry.message}" if entry.message else ""))
    return "; ".join(dict.fromkeys(reasons)) or "no reason in the operation log"


class ClusterProvider(EhpcProvider[Cluster2Inputs]):
    """CRUD for `ehpc2.Cluster`."""

    INPUTS = Cluster2Inputs

    def _op2(self, inputs: Cluster2Inputs, cluster_id: str = "") -> Op2:
        return Op2(self.settings.client_2024(inputs.connection), cluster_id, inputs.urn or "")

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = self._comparable(olds), self._comparable(news)
        replaces = [k for k in Cluster2Inputs.creation_inputs() if old.get(k) != new.get(k)]
        # An unset input is its default: a refresh records what it read (deletion_protection=False) even where
        # the program never set it, and that is no change.
        changed = [k for k in ("deletion_protection", "timeouts")
                   if old.get(k, input_default(Cluster2Inputs, k)) != new.get(k, input_default(Cluster2Inputs, k))]
        moved, rehomed = self._connection_diff(olds, news)
        return DiffResult(changes=bool(replaces or changed or moved), replaces=replaces + rehomed,
                          delete_before_replace=True)  # names are the idempotency key: the old goes first

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op2(inputs)
        found = [c for c in op.client.list_clusters(cluster_names=[inputs.cluster_name], page_size=100).clusters
                 if c.cluster_name == inputs.cluster_name and c.cluster_status != "releasing"]
        called_at, request_id = time.time(), "(adopted)"
        if found:
            op.cluster_id = found[0].cluster_id
            op.info(f"found cluster {op.cluster_id} named {inputs.cluster_name} (an earlier attempt's): "
                    "adopting it instead of creating another")
        else:
            created = op.client.create_cluster(**inputs.create_params())
            op.cluster_id, request_id = created.cluster_id, created.request_id
            op.info(f"CreateCluster (RequestId {request_id}): {op.cluster_id}")
        done = op.wait("CreateCluster", request_id, Goal.CLUSTER_RUNNING, (), called_at, inputs.timeouts.create)
        if done.outcome is not Outcome.SUCCESS:
            reason = "see its operation logs" if found else _log_message(op, request_id, called_at)
            raise Cluster2Error(f"cluster {op.cluster_id} ended {done.cluster_status}: {reason}. "
                                f"{self._discard(op, inputs)} Fix the cause, then run `pulumi up` again.")
        outs = {**props, "cluster_id": op.cluster_id, "cluster_status": done.cluster_status,
                "request_id": request_id}
        return CreateResult(op.cluster_id, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op2(inputs, id_)
        if inputs.deletion_protection != bool(olds.get("deletion_protection", False)):
            op.client.update_cluster(id_, deletion_protection=inputs.deletion_protection)
        return UpdateResult({**olds, **news, "cluster_id": id_})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        op = self._op2(self._inputs(props), id_)
        try:
            got = op.client.get_cluster(id_)
        except NotFoundError:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "cluster_status": got.cluster_status,
                                "deletion_protection": got.deletion_protected})

    def _discard(self, op: Op2, inputs: Cluster2Inputs) -> str:
        """Delete a cluster whose create failed (a failed create leaves no state, so `pulumi destroy` would
        not know it: [decision] it is deleted here rather than leaked); says what happened."""
        try:
            self._delete_cluster(op, inputs)
        except Exception as exc:  # the create's failure is the error to report; this says what is left
            return (f"Deleting it failed too ({exc}): delete cluster {op.cluster_id} yourself (console or "
                    "`aliyun ehpc DeleteCluster`), it is not in the Pulumi state.")
        return f"The failed cluster {op.cluster_id} was deleted (nothing is left behind)."

    def _delete_cluster(self, op: Op2, inputs: Cluster2Inputs) -> None:
        called_at = time.time()
        try:
            request_id = send_unless_seen(op, "DeleteCluster",
                                          lambda: op.client.delete_cluster(op.cluster_id).request_id,
                                          cluster_releasing(op))
        except NotFoundError:
            return
        op.info(f"DeleteCluster (RequestId {request_id}): {op.cluster_id}")
        done = op.wait("DeleteCluster", request_id, Goal.CLUSTER_GONE, (), called_at, inputs.timeouts.delete)
        if done.outcome is not Outcome.SUCCESS:
            raise Cluster2Error(f"DeleteCluster {request_id} on {op.cluster_id} failed: "
                                f"{_log_message(op, request_id, called_at)}")

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = self._inputs(props)
        self._delete_cluster(self._op2(inputs, id_), inputs)
