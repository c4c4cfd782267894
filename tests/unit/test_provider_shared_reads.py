"""Reads the provider's threads share: one node listing per burst, and a ClientToken check that an
outage cannot turn into a failed `pulumi up`."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from pulumi_ehpc_tasks.provider.context import Op
from pulumi_ehpc_tasks.provider.state import list_compute_nodes
from pulumi_ehpc_tasks.provider.tokens import failed_before
from pulumi_ehpc_tasks.wire import EhpcTransportError, NodeInfo


class _Cluster:
    """A fake client: `nodes` compute nodes in pages; each listing can be held open by a gate."""

    def __init__(self, nodes: int, endpoint: str = "https://ehpc.test") -> None:
        self.endpoint = endpoint
        self.credentials = SimpleNamespace(access_key_id="AK")
        self.ids = [f"i-{n:04d}" for n in range(nodes)]
        self.pages = 0
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def list_nodes(self, *, cluster_id: str, role: str, page_number: int, page_size: int) -> Any:
        self.pages += 1
        self.entered.set()
        self.gate.wait(10)
        chunk = self.ids[(page_number - 1) * page_size : page_number * page_size]
        return SimpleNamespace(total_count=len(self.ids),
                               nodes=[NodeInfo(Id=i, Status="running") for i in chunk])


def _concurrently(n: int, fn: Any) -> list[Any]:
    results: list[Any] = [None] * n

    def run(k: int) -> None:
        results[k] = fn()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


def test_a_burst_of_callers_shares_listings() -> None:
    cluster = _Cluster(1600)
    cluster.gate.clear()
    first = threading.Thread(target=list_compute_nodes, args=(cluster, "c-burst"))
    first.start()
    assert cluster.entered.wait(5)
    # 16 callers arrive while the first listing runs: they may not reuse it (it began before they
    # asked), so they share one more listing between them.
    threading.Timer(0.3, cluster.gate.set).start()
    results = _concurrently(16, lambda: list_compute_nodes(cluster, "c-burst"))  # type: ignore[arg-type]
    first.join(10)
    assert all(set(r) == set(cluster.ids) for r in results)
    assert cluster.pages == 2 * 16  # two listings of 16 pages, not seventeen


def test_a_listing_that_began_before_the_call_is_not_reused() -> None:
    cluster = _Cluster(3)
    assert set(list_compute_nodes(cluster, "c-fresh")) == set(cluster.ids)  # type: ignore[arg-type]
    cluster.ids.append("i-new")  # e.g. the caller's own task just added it
    assert "i-new" in list_compute_nodes(cluster, "c-fresh")  # type: ignore[arg-type]
    assert cluster.pages == 2


def test_callers_get_their_own_copy() -> None:
    cluster = _Cluster(2)
    mine = list_compute_nodes(cluster, "c-copy")  # type: ignore[arg-type]
    mine.clear()
    assert len(list_compute_nodes(cluster, "c-copy")) == 2  # type: ignore[arg-type]


def test_clients_do_not_share() -> None:
    a, b = _Cluster(1, "https://a.test"), _Cluster(2, "https://b.test")
    assert len(list_compute_nodes(a, "c-x")) == 1  # type: ignore[arg-type]
    assert len(list_compute_nodes(b, "c-x")) == 2  # type: ignore[arg-type]


def test_a_failed_listing_fails_every_caller_that_shared_it() -> None:
    class Broken(_Cluster):
        def list_nodes(self, **kw: Any) -> Any:
            super().list_nodes(**kw)
            raise EhpcTransportError("ListNodes: connection refused", action="ListNodes")

    cluster = Broken(1)
    errors = _concurrently(4, lambda: _raised(lambda: list_compute_nodes(cluster, "c-broken")))  # type: ignore[arg-type]
    assert all(isinstance(e, EhpcTransportError) for e in errors)


def _raised(fn: Any) -> BaseException | None:
    try:
        fn()
    except BaseException as exc:
        return exc
    return None


def test_failed_before_is_false_when_the_history_cannot_be_read() -> None:
    class Down:
        endpoint = "https://down.test"

        def list_tasks(self, *args: Any, **kwargs: Any) -> Any:
            raise EhpcTransportError("ListTasks: ConnectError: [Errno 111] Connection refused", action="ListTasks",
                                     may_have_reached_server=False)

    op = Op(Down(), "c-down", "urn:pulumi:s::p::t::n")  # type: ignore[arg-type]
    assert failed_before(op, "task-1", 0.0) is False
