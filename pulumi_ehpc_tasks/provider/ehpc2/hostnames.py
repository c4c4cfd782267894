"""Deterministic host names: the idempotency key of 2.0 node creation (API 2024-07-30 has no ClientToken).

A node group's i-th node is always called `<prefix>-<digest>-<i>`, where the digest hashes the group's URN
and the inputs CreateNodes fixes (its "generation": a replacement changes one of them, so the new group's
names never collide with the old group's while both exist). Indexes only grow (`next_index` in the state),
so a name is never reused within a generation, and a create or scale-up retried after a crash or a lost
answer asks for the same names again: it finds (ListNodes `Hostnames`) and adopts what the first attempt
created instead of creating it twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["generation", "host_name", "index_of"]


def generation(urn: str, fixed: Mapping[str, Any]) -> str:
    """8 hex digits of the URN and the creation inputs (`NodeGroup2Inputs.creation_inputs`)."""
    seed = json.dumps({"urn": urn, **fixed}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(seed.encode()).hexdigest()[:8]


def host_name(prefix: str, gen: str, index: int) -> str:
    return f"{prefix}-{gen}-{index:03d}"


def index_of(name: str, prefix: str, gen: str) -> int | None:
    """The index of one of this generation's names (None: not one of them)."""
    head = f"{prefix}-{gen}-"
    tail = name[len(head):]
    return int(tail) if name.startswith(head) and tail.isdigit() else None
