"""`Op2`: one E-HPC 2.0 provider call's context (2024 client, cluster, URN), its waits and listings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...waiting.states import FinishedWrite, Goal, list_all_nodes, wait_for_write
from ...wire import EhpcClient2024
from ...wire.models_2024 import V2Node
from ..context import Messages

__all__ = ["Op2", "listed"]


@dataclass
class Op2(Messages):
    """One 2.0 provider call's context."""

    client: EhpcClient2024
    cluster_id: str
    urn: str

    def wait(self, action: str, request_id: str, goal: Goal, ids: Sequence[str], called_at: float,
             timeout_s: float) -> FinishedWrite:
        """`wait_for_write`, with its progress in the resource's row."""
        try:
            return wait_for_write(self.client, self.cluster_id, action=action, request_id=request_id, goal=goal,
                                  instance_ids=ids, called_at=called_at, timeout_s=timeout_s,
                                  on_progress=lambda p: self.status(f"{action}: {p.text}"))
        finally:
            self.status("")


def listed(op: Op2, **filters: Any) -> dict[str, V2Node]:
    """Every node ListNodes lists for `op`'s cluster (all pages), by instance id."""
    return list_all_nodes(op.client, op.cluster_id, **filters)[0]
