"""Reads of what the writes target: a cluster's compute nodes, a cluster's own status."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import get_args

from ..wire import EhpcClient, NodeInfo, NotFoundError
from ..wire.actions import ACTIONS
from ..wire.models import ListNodesRequest

__all__ = ["GONE", "UNTRACKING", "cluster_status", "list_cluster_nodes", "list_compute_nodes"]

GONE = ""
"""The status of a target that no longer exists (as `Effect.on_success` spells it)."""
UNTRACKING = "untracking"
"""E-HPC removing a node from the cluster without releasing it; no task of ours shows it."""
# Nodes on their way out: the in-progress status of every write whose success is "gone", plus UNTRACKING.
_LEAVING = frozenset(
    {e.in_progress for e in (s.effect for s in ACTIONS.values()) if e and e.on_success == GONE and e.in_progress}
    | {UNTRACKING}
)
_PAGE = 100


def list_compute_nodes(client: EhpcClient, cluster_id: str, *, leaving: bool = False) -> dict[str, NodeInfo]:
    """Every compute node of the cluster that is not on its way out (with `leaving`: every one), by id.

    The listing began after this call did, so it shows every effect the caller already knows of;
    concurrent callers on one cluster share it (`_NodeListings`). A node on its way out is not gone:
    the task removing it may still fail and leave it running, so a delete is done only once the node
    is not listed at all (`leaving=True`).
    """
    nodes = _LISTINGS.get(client, cluster_id)
    return dict(nodes) if leaving else {i: n for i, n in nodes.items() if n.status.lower() not in _LEAVING}


def list_cluster_nodes(client: EhpcClient, cluster_id: str) -> list[tuple[str, NodeInfo]]:
    """(role, node) for every node of the cluster not on its way out, by the roles ListNodes filters on
    (its `Roles` list the services, e.g. a manager's `Scheduler`). Not shared: rarely read."""
    roles = get_args(next(a for a in get_args(ListNodesRequest.model_fields["role"].annotation) if get_args(a)))
    return [(role, node) for role in roles for node in _fetch_compute_nodes(client, cluster_id, role).values()]


def _fetch_compute_nodes(client: EhpcClient, cluster_id: str, role: str = "Compute", *,
                         leaving: bool = False) -> dict[str, NodeInfo]:
    nodes: dict[str, NodeInfo] = {}
    page = 1
    while True:
        resp = client.list_nodes(cluster_id=cluster_id, role=role, page_number=page, page_size=_PAGE)
        for node in resp.nodes:
            if leaving or node.status.lower() not in _LEAVING:
                nodes[node.id] = node
        if page * _PAGE >= resp.total_count or not resp.nodes:
            return nodes
        page += 1


@dataclass
class _Listing:
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    error: BaseException | None = None


class _NodeListings:
    """Single-flight listings of each cluster's compute nodes, shared by the provider's threads.

    Sixteen 99-node groups finishing together used to page through all 1,600 nodes sixteen times
    (256 ListNodes); a caller now joins a listing that started after it asked, or starts one, so a
    burst costs one or two listings. A listing that started before the caller asked may predate
    what the caller knows (its own task's end), so it is never reused for that caller.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Keyed by the client object: every resource of one connection shares its client (settings).
        self._latest: dict[tuple[EhpcClient, str], _Listing] = {}

    def get(self, client: EhpcClient, cluster_id: str) -> dict[str, NodeInfo]:
        asked = time.monotonic()
        key = (client, cluster_id)
        while True:
            with self._lock:
                listing = self._latest.get(key)
                fresh = listing is not None and listing.started >= asked
                start = not fresh and (listing is None or listing.done.is_set())
                if start:
                    listing = self._latest[key] = _Listing(time.monotonic())
            assert listing is not None
            if start:
                try:
                    listing.nodes = _fetch_compute_nodes(client, cluster_id, leaving=True)
                except BaseException as exc:
                    listing.error = exc
                    raise
                finally:
                    listing.done.set()
                return listing.nodes
            listing.done.wait()
            if fresh:
                if listing.error is not None:
                    raise listing.error
                return listing.nodes
            # It started before we asked: wait for it to end, then join or start the next one.


_LISTINGS = _NodeListings()


def cluster_status(client: EhpcClient, cluster_id: str) -> str:
    """The cluster's status, lower case; `GONE` once DescribeCluster no longer knows it."""
    try:
        return client.describe_cluster(cluster_id).cluster_info.status.lower()
    except NotFoundError:
        return GONE
