"""`ehpc2.NodePool` through the real engine against the emulator's API 2024-07-30: a cluster, a queue and
a pool of 130 nodes in groups of at most 40 over two vswitches, grown to 200, shrunk to 70, destroyed.
At every step the emulator's live nodes are the pool's `instance_ids`, each on its shard's vswitch;
nothing is left at the end."""

from __future__ import annotations

from collections import Counter

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import ehpc2
from pulumi_ehpc_tasks.waiting.states import list_all_nodes
from pulumi_ehpc_tasks.wire import EhpcClient2024
from pulumi_ehpc_tasks.wire.signing import Credentials

from .harness import DEMO_KEY_ID, DEMO_SECRET, EmulatorProcess, inline_stack

pytestmark = pytest.mark.e2e
VSWITCHES = ("vsw-poola", "vsw-poolb")


def _program() -> None:
    cfg = pulumi.Config()
    cluster = ehpc2.Cluster("hpc", cluster_name="e2e-pool2", scheduler_type="SLURM")
    queue = ehpc2.Queue("comp", cluster_id=cluster.cluster_id, queue_name="comp", vswitch_ids=list(VSWITCHES))
    pool = ehpc2.NodePool("pool", cluster_id=cluster.cluster_id, queue_name=queue.queue_name,
                          count=cfg.require_int("count"), max_per_group=40,
                          placements=[{"vswitch_id": v} for v in VSWITCHES],
                          timeouts={"create": "5m", "update": "5m", "delete": "5m"})
    pulumi.export("cluster", cluster.cluster_id)
    pulumi.export("ids", pool.instance_ids)
    pulumi.export("failed_count", pool.failed_count)
    pulumi.export("groups", [g.urn for g in pool.groups])


def test_pool_over_two_vswitches_grow_shrink_destroy(pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    client = EhpcClient2024(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))
    with client:
        stack = inline_stack("pool2", _program, emulator.endpoint, {"count": "130"})

        def up(count: int, shards: list[str]) -> list[str]:
            stack.set_config("count", auto.ConfigValue(str(count)))
            result = stack.up(parallel=8)  # ≥ the 6 shards of 200: they all wait together
            outs = result.outputs
            ids: list[str] = outs["ids"].value
            assert len(ids) == len(set(ids)) == count and outs["failed_count"].value == 0
            assert sorted(u.rsplit("::", 1)[1] for u in outs["groups"].value) == shards
            live = list_all_nodes(client, outs["cluster"].value)[0]
            assert set(live) == set(ids)
            # Spread evenly, every node on the vswitch its placement names.
            assert Counter(n.v_switch_id for n in live.values()) == {v: count // 2 for v in VSWITCHES}
            return ids

        first = up(130, ["pool-p0-0", "pool-p0-1", "pool-p1-0", "pool-p1-1"])
        grown = up(200, [f"pool-p{p}-{s}" for p in (0, 1) for s in (0, 1, 2)])
        assert set(first) < set(grown)  # growing only adds: no node moved or replaced
        shrunk = up(70, ["pool-p0-0", "pool-p1-0"])
        assert set(shrunk) < set(first)  # the first shard of each vswitch kept its oldest nodes

        stack.destroy()
        # DeleteQueues refuses while the queue holds a node (releasing ones too), so the queue's delete
        # succeeding says every group's nodes were gone first; then the cluster went.
        assert client.list_clusters().total_count == 0
        assert stack.export_stack().deployment.get("resources") in (None, [])
        assert emulator.admin("GET", "stats")["requests"].get("CreateNodes") == 8  # 4 + 4 (two grown, two new)
