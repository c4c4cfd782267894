"""Let more than four provider calls run at once in the stock dynamic-provider host.

`python -m pulumi.dynamic` serves every dynamic resource of a deployment from one gRPC server whose
`ThreadPoolExecutor(max_workers=4)` is hard-coded; with four NodeGroups blocked in their waits,
every other resource's Check/Diff/Create queues behind them, so 16 groups finish in four batches.
`ThreadPoolExecutor` reads `_max_workers` on every submit, so raising it on the running server's
pool takes effect for the next call. We find that pool through the gRPC server object, in the
provider process only, the first time our provider is configured.

This relies on private attributes of grpcio and of the Pulumi host; when they are not where we
expect, nothing changes (the deploy still works, four waits at a time), and
`tests/e2e/test_concurrency.py` proves through the real engine that it takes effect.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["DEFAULT_PROVIDER_WORKERS", "raise_provider_workers"]

# Waits are blocked threads that cost little while ListTasks polling is coalesced per cluster.
DEFAULT_PROVIDER_WORKERS = 64
_done = threading.Event()
_lock = threading.Lock()


def _in_stock_host() -> bool:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", "") == "pulumi.dynamic.__main__"


def _server_pools() -> list[ThreadPoolExecutor]:
    try:
        from grpc import _server
    except ImportError:  # pragma: no cover - grpcio layout changed
        return []
    pools = []
    for obj in gc.get_objects():
        if isinstance(obj, _server._Server):
            pool = getattr(getattr(obj, "_state", None), "thread_pool", None)
            if isinstance(pool, ThreadPoolExecutor):
                pools.append(pool)
    return pools


def raise_provider_workers(workers: int | None = None) -> int:
    """Raise the host's worker limit (env `EHPC_PROVIDER_WORKERS`, default 64); return the new limit or 0."""
    if _done.is_set() or not _in_stock_host():
        return 0
    with _lock:
        if _done.is_set():
            return 0
        limit = workers or int(os.environ.get("EHPC_PROVIDER_WORKERS", DEFAULT_PROVIDER_WORKERS))
        raised = 0
        for pool in _server_pools():
            if pool._max_workers < limit:
                pool._max_workers = limit
                raised = limit
        _done.set()
        return raised
