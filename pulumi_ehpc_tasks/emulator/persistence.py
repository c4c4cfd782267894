"""SQLite persistence: each entity is one JSON row (its dataclass fields), written through after every
change.

Task schedules are absolute epoch times, so a restarted emulator simply carries on with them. Rows are
read back with pydantic, which rebuilds the nested dataclasses and enums.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from typing import Any

from pydantic import TypeAdapter

from ..wire.actions import snake_case
from .backend import Backend
from .state import Cluster, IdempotencyRecord, IssuedToken, Node, Task
from .state_2024 import Cluster2, Node2, OperationLog, Queue2

_TABLES: dict[str, TypeAdapter[Any]] = {
    "cluster": TypeAdapter(Cluster),
    "node": TypeAdapter(Node),
    "task": TypeAdapter(Task),
    "token": TypeAdapter(IdempotencyRecord),
    "sts_token": TypeAdapter(IssuedToken),  # so a restart keeps a running wait's credentials valid
    # E-HPC 2.0 (API 2024-07-30); a state file from before them gets them empty (CREATE TABLE IF NOT EXISTS).
    "cluster2": TypeAdapter(Cluster2),
    "queue2": TypeAdapter(Queue2),
    "node2": TypeAdapter(Node2),
    "oplog2": TypeAdapter(OperationLog),
}
_V2 = ("cluster2", "queue2", "node2", "oplog2")


def _upgrade(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Rows written before the state was typed held wire-shaped dicts: the same facts under the wire's
    key names (`InstanceId`, `requestId`), a result list and a token's whole answer."""
    if kind == "task":
        data["errors"] = [{snake_case(k): v for k, v in e.items()} for e in data.get("errors", [])]
        if "result_instances" in data:
            data["created"] = [{snake_case(k): v for k, v in i.items()} for i in data.pop("result_instances")]
        data["request"] = {snake_case(k): v for k, v in data["request"].items()}  # not its params' keys
    elif kind == "token" and "response" in data:
        data["task_id"] = data.pop("response")["TaskId"]
    return data


class Store:
    """One SQLite file; `flush` writes what the backend marked as changed or removed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for kind in _TABLES:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {kind} (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def is_empty(self) -> bool:
        kinds = ("cluster", "task", "cluster2")
        counts = [int(self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in kinds]
        return sum(counts) == 0

    def load_into(self, backend: Backend) -> None:
        rows: dict[str, list[Any]] = {}
        for kind, adapter in _TABLES.items():
            rows[kind] = [
                adapter.validate_python(_upgrade(kind, json.loads(data)))
                for (data,) in self._db.execute(f"SELECT data FROM {kind}")
            ]
        backend.load(rows["cluster"], rows["node"], rows["task"], rows["token"], rows["sts_token"],
                     {kind: rows[kind] for kind in _V2})
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if "rng" in meta:
            version, state, gauss = json.loads(meta["rng"])
            # Continue the id sequence instead of replaying it, so new ids never collide with old ones.
            backend.rng.setstate((version, tuple(state), gauss))

    def flush(self, backend: Backend) -> None:
        with backend.lock:
            changes, removed = backend.take_changes()
            upserts = [(kind, key, json.dumps(dataclasses.asdict(entity))) for kind, key, entity in changes]
            rng = json.dumps(backend.rng.getstate())
        if not upserts and not removed:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for kind, key, data in upserts:
                    self._db.execute(f"INSERT OR REPLACE INTO {kind} (id, data) VALUES (?, ?)", (key, data))
                for kind, key in removed:
                    self._db.execute(f"DELETE FROM {kind} WHERE id = ?", (key,))
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rng', ?)", (rng,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
