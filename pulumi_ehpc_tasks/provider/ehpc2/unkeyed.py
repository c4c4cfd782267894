"""2024 writes without ClientToken (CreateNodes, DeleteNodes, DeleteCluster): never re-sent blindly.

After an ambiguous failure (a lost answer, a reset connection, an UnknownError: the request may or may not
have been applied), the target is read for `AMBIGUOUS_SETTLE_S`; the write is sent again only if it shows
no effect by then. A delete's effect is the action's `in_progress` status (`releasing`) or the target gone,
from the one action table (wire/actions.py); CreateNodes' is its derived host names listed (nodegroup.py).
The RequestId of a call whose answer was lost is unknown, so its wait reads resource states only (the
operation log is keyed by RequestId).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ...wire import AmbiguousResultError, NotFoundError
from ...wire.actions import ACTIONS_2024
from ..unkeyed import AMBIGUOUS_SETTLE_S
from .context import Op2, listed

__all__ = ["LOST_REQUEST_ID", "cluster_releasing", "nodes_releasing", "send_unless_seen"]

LOST_REQUEST_ID = "(answer lost)"
"""Stands for the RequestId of a write whose answer never came but whose effect was seen."""


def _in_progress(action: str) -> str:
    effect = ACTIONS_2024[action].effect
    assert effect is not None and effect.in_progress, action
    return effect.in_progress


def nodes_releasing(op: Op2, ids: Sequence[str]) -> Callable[[], bool]:
    """DeleteNodes took effect: every one of `ids` is releasing or gone."""
    status = _in_progress("DeleteNodes")

    def seen() -> bool:
        live = listed(op)
        return all(i not in live or live[i].status == status for i in ids)

    return seen


def cluster_releasing(op: Op2) -> Callable[[], bool]:
    """DeleteCluster took effect: the cluster is releasing or gone."""
    status = _in_progress("DeleteCluster")

    def seen() -> bool:
        try:
            return op.client.get_cluster(op.cluster_id).cluster_status == status
        except NotFoundError:
            return True

    return seen


def send_unless_seen(op: Op2, action: str, send: Callable[[], str], seen: Callable[[], bool]) -> str:
    """`send()` (returns the RequestId); after an ambiguous failure, `LOST_REQUEST_ID` once `seen()`, else
    `send()` again once the settle time has passed with no effect."""
    try:
        return send()
    except AmbiguousResultError as exc:
        op.warning(f"{action} on {op.cluster_id}: {exc.cause}; it may have been applied, so it is not sent "
                   f"again before its effect has had {AMBIGUOUS_SETTLE_S:.0f} s to show")
        deadline = time.monotonic() + AMBIGUOUS_SETTLE_S
        while True:
            if seen():
                op.info(f"{action} on {op.cluster_id} took effect though its answer was lost")
                return LOST_REQUEST_ID
            if time.monotonic() >= deadline:
                op.info(f"{action} on {op.cluster_id} shows no effect: sending it again")
                return send()
            time.sleep(1.0)
