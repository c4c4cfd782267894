"""`ehpc2.Queue`: a queue of an E-HPC 2.0 cluster. CreateQueue / UpdateQueue (full replace) / DeleteQueues
are synchronous in API 2024-07-30 (Terraform treats them so too). A create finds an existing queue of
that name (GetQueue) and takes it over instead of failing, so a create retried after a lost answer works.
Delete refuses, with the nodes named, while nodes remain in the queue (the API would refuse too, with a
less helpful AgentError).
"""

from __future__ import annotations

import contextlib
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ...wire import EhpcApiError, NotFoundError
from ..base import EhpcProvider
from ..errors import register_user_facing
from .context import Op2, listed
from .inputs import Queue2Inputs

__all__ = ["Queue2Error", "QueueProvider"]

_REPLACE_KEYS = ("cluster_id", "queue_name")


class Queue2Error(Exception):
    """An E-HPC 2.0 queue could not be changed as asked; the message says what to do."""


register_user_facing(Queue2Error)


class QueueProvider(EhpcProvider[Queue2Inputs]):
    """CRUD for `ehpc2.Queue`."""

    INPUTS = Queue2Inputs

    def _op2(self, inputs: Queue2Inputs) -> Op2:
        return Op2(self.settings.client_2024(inputs.connection), inputs.cluster_id, inputs.urn or "")

    @staticmethod
    def _exists(op: Op2, name: str) -> bool:
        try:
            op.client.get_queue(op.cluster_id, queue_name=name)
        except EhpcApiError as exc:
            if exc.code in ("InvalidParams", "QueueNotFound") or isinstance(exc, NotFoundError):
                return False
            raise
        return True

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = self._comparable(olds), self._comparable(news)
        replaces = [k for k in _REPLACE_KEYS if old.get(k) != new.get(k)]
        changed = [k for k in Queue2Inputs.model_fields if k != "urn" and old.get(k) != new.get(k)]
        moved, rehomed = self._connection_diff(olds, news)
        return DiffResult(changes=bool(changed or moved), replaces=replaces + rehomed, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op2(inputs)
        if self._exists(op, inputs.queue_name):
            op.info(f"queue {inputs.queue_name} exists in {op.cluster_id}: taking it over (UpdateQueue)")
            op.client.update_queue(op.cluster_id, queue=inputs.template())
        else:
            op.client.create_queue(op.cluster_id, queue=inputs.template())
        return CreateResult(f"{op.cluster_id}/{inputs.queue_name}", dict(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op2(inputs)
        op.client.update_queue(op.cluster_id, queue=inputs.template())
        return UpdateResult(dict(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self._inputs(props)
        try:
            exists = self._exists(self._op2(inputs), inputs.queue_name)
        except NotFoundError:
            exists = False
        return ReadResult(id_ if exists else None, props if exists else {})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = self._inputs(props)
        op = self._op2(inputs)
        try:
            left = listed(op, queue_names=[inputs.queue_name])
        except NotFoundError:
            return  # the cluster went, and its queues with it
        if left:
            names = ", ".join(sorted(f"{n.hostname} ({n.id})" if n.hostname else n.id for n in left.values())[:10])
            raise Queue2Error(f"queue {inputs.queue_name} of {op.cluster_id} still has {len(left)} node(s) ({names}): "
                              "delete its node groups first (or let `pulumi destroy` order them: make the node "
                              "groups depend on the queue)")
        with contextlib.suppress(NotFoundError):
            if self._exists(op, inputs.queue_name):
                op.client.delete_queues(op.cluster_id, queue_names=[inputs.queue_name])
