"""Reads of what the writes target: a cluster's compute nodes, a cluster's own status."""

from __future__ import annotations

from ..wire import EhpcClient, NodeInfo, NotFoundError
from ..wire.actions import ACTIONS

__all__ = ["GONE", "cluster_status", "list_compute_nodes"]

GONE = ""
"""The status of a target that no longer exists (as `Effect.on_success` spells it)."""
# Nodes on their way out: the in-progress status of every write whose success is "gone", plus
# `untracking` (E-HPC removing a node from the cluster without releasing it; no task of ours shows it).
_LEAVING = frozenset(
    {e.in_progress for e in (s.effect for s in ACTIONS.values()) if e and e.on_success == GONE and e.in_progress}
    | {"untracking"}
)
_PAGE = 100


def list_compute_nodes(client: EhpcClient, cluster_id: str) -> dict[str, NodeInfo]:
    """Every compute node of the cluster that is not on its way out, by instance id."""
    nodes: dict[str, NodeInfo] = {}
    page = 1
    while True:
        resp = client.list_nodes(cluster_id=cluster_id, role="Compute", page_number=page, page_size=_PAGE)
        for node in resp.nodes:
            if node.status.lower() not in _LEAVING:
                nodes[node.id] = node
        if page * _PAGE >= resp.total_count or not resp.nodes:
            return nodes
        page += 1


def cluster_status(client: EhpcClient, cluster_id: str) -> str:
    """The cluster's status, lower case; `GONE` once DescribeCluster no longer knows it."""
    try:
        return client.describe_cluster(cluster_id).cluster_info.status.lower()
    except NotFoundError:
        return GONE
