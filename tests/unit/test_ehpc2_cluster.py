"""`ehpc2.Cluster` diff: what replaces, what updates in place, and what is no change at all."""

from __future__ import annotations

from pulumi_ehpc_tasks.provider.ehpc2.cluster import ClusterProvider

BASE = {"cluster_name": "research", "scheduler_type": "SLURM"}


def test_a_refreshed_default_is_no_change() -> None:
    # A refresh records deletion_protection=False though the program never set it.
    p = ClusterProvider()
    refreshed = {**BASE, "cluster_id": "ehpc-hz-1", "deletion_protection": False,
                 "timeouts": {"create": 3600.0, "update": 3600.0, "delete": 1800.0}}
    assert not p.diff("ehpc-hz-1", refreshed, dict(BASE)).changes


def test_protection_turned_on_outside_is_turned_back_and_a_new_name_replaces() -> None:
    p = ClusterProvider()
    assert p.diff("ehpc-hz-1", {**BASE, "deletion_protection": True}, dict(BASE)).changes
    assert p.diff("ehpc-hz-1", dict(BASE), {**BASE, "deletion_protection": True}).replaces == []
    assert p.diff("ehpc-hz-1", dict(BASE), {**BASE, "cluster_name": "other"}).replaces == ["cluster_name"]
