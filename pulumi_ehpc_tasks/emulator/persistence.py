"""SQLite persistence: each entity is one JSON row, written through after every change.

Task schedules are absolute epoch times, so a restarted emulator simply carries on with them.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from typing import Any

from .backend import Backend
from .state import Cluster, IdempotencyRecord, Node, Task

_TABLES: dict[str, tuple[type[Any], str]] = {
    "cluster": (Cluster, "cluster_id"),
    "node": (Node, "instance_id"),
    "task": (Task, "task_id"),
    "token": (IdempotencyRecord, "key"),
}


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
        counts = [int(self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in ("cluster", "task")]
        return sum(counts) == 0

    def load_into(self, backend: Backend) -> None:
        rows: dict[str, list[Any]] = {}
        for kind, (cls, _) in _TABLES.items():
            rows[kind] = [cls(**json.loads(data)) for (data,) in self._db.execute(f"SELECT data FROM {kind}")]
        backend.load(rows["cluster"], rows["node"], rows["task"], rows["token"])
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if "rng" in meta:
            version, state, gauss = json.loads(meta["rng"])
            # Continue the id sequence instead of replaying it, so new ids never collide with old ones.
            backend.rng.setstate((version, tuple(state), gauss))

    def flush(self, backend: Backend) -> None:
        with backend.lock:
            changed, removed = set(backend.changed), set(backend.removed)
            backend.changed.clear()
            backend.removed.clear()
            tables: dict[str, dict[str, Any]] = {
                "cluster": backend.clusters,
                "node": backend.nodes,
                "task": backend.tasks,
                "token": backend.tokens,
            }
            upserts = [
                (kind, key, json.dumps(dataclasses.asdict(tables[kind][key])))
                for kind, key in changed
                if key in tables[kind]
            ]
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
