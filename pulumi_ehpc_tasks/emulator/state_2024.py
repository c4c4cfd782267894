"""The emulator's E-HPC 2.0 (API 2024-07-30) state: clusters, queues, nodes and operation logs.

Plain dataclasses, apart from the 1.0 model (`state`) and from the wire format (`render_2024`). A
status is a function of time: each entity carries its `timeline` of (from epoch, status) fixed when the
mutating call arrived, so a restarted emulator carries on with it, and "" as a status means gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GONE = ""


def status_at(timeline: list[tuple[float, str]], now: float) -> str:
    """The status in force at `now`: the last entry that has begun (the first one before any)."""
    current = timeline[0][1]
    for since, status in timeline:
        if since <= now:
            current = status
    return current


@dataclass
class Cluster2:
    cluster_id: str
    name: str
    created_at: float
    timeline: list[tuple[float, str]]
    settings: dict[str, Any] = field(default_factory=dict)
    """The cluster's request fields by Alibaba name (ClusterCategory, DeletionProtection, MaxCount, ...)."""
    modified_at: float = 0.0
    reason: str = ""
    """Why it ended in `exception` (its operation log says so)."""
    host_counter: int = 0
    ip_counter: int = 10

    @property
    def key(self) -> str:
        return self.cluster_id

    def status(self, now: float) -> str:
        return status_at(self.timeline, now)


@dataclass
class Queue2:
    cluster_id: str
    name: str
    template: dict[str, Any]
    """The QueueTemplate JSON as last created or replaced (UpdateQueue is a full replace)."""
    created_at: float
    updated_at: float

    @property
    def key(self) -> str:
        return f"{self.cluster_id}:{self.name}"


@dataclass
class Node2:
    instance_id: str
    cluster_id: str
    queue_name: str
    hostname: str
    ip: str
    zone_id: str
    vswitch_id: str
    instance_type: str
    image_id: str
    added_at: float
    timeline: list[tuple[float, str]]
    reason: str = ""
    """Set with an `exception` ending; ListNodes shows it once the node is in `exception`."""
    keep_alive: bool = False
    ht_enabled: bool = True
    spot_strategy: str = "NoSpot"

    @property
    def key(self) -> str:
        return self.instance_id

    def status(self, now: float) -> str:
        return status_at(self.timeline, now)


@dataclass
class LogTarget:
    """One resource an operation acts on, and how it ends for it (`reason` empty = fine)."""

    target: str
    reason: str = ""


@dataclass
class OperationLog:
    """The log of one mutating call, keyed by its RequestId: ListCommonLogs shows it as InProgress until
    its last stage ends, then Finished, or Failed when any target failed."""

    request_id: str
    action: str
    cluster_id: str
    started_at: float
    stage_ends: list[float]
    """Absolute end of each stage (inf: scripted never to finish)."""
    targets: list[LogTarget] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.request_id

    @property
    def failed(self) -> bool:
        return any(t.reason for t in self.targets)

    def status(self, now: float) -> str:
        if now < self.stage_ends[-1]:
            return "InProgress"
        return "Failed" if self.failed else "Finished"
