"""E-HPC 2.0 through the real engine against the emulator's API 2024-07-30: a cluster, a queue and a node
group of 4 whose CreateNodes leaves one node in `exception` (partial_failure='accept'), scaled up and
down, then destroyed; the emulator's 2.0 inventory is empty at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import ehpc2
from pulumi_ehpc_tasks.wire import EhpcClient2024
from pulumi_ehpc_tasks.wire.signing import Credentials

from .harness import DEMO_KEY_ID, DEMO_SECRET, EmulatorProcess, inline_stack

pytestmark = pytest.mark.e2e


def _program() -> None:
    cfg = pulumi.Config()
    cluster = ehpc2.Cluster("hpc", cluster_name="e2e-v2", scheduler_type="SLURM")
    queue = ehpc2.Queue("comp", cluster_id=cluster.cluster_id, queue_name="comp")
    group = ehpc2.NodeGroup("workers", cluster_id=cluster.cluster_id, queue_name=queue.queue_name,
                            count=cfg.require_int("count"), partial_failure="accept",
                            timeouts={"create": "5m", "update": "5m", "delete": "5m"})
    pulumi.export("cluster", cluster.cluster_id)
    pulumi.export("ids", group.instance_ids)
    pulumi.export("failed", group.failed_instances)
    pulumi.export("failed_count", group.failed_count)


def test_node_group_partial_accept_scale_destroy(tmp_path: Path, pulumi_env: dict[str, str],
                                                 emulator: EmulatorProcess) -> None:
    client = EhpcClient2024(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))
    with client:
        emulator.admin("POST", "next-task", json={"action": "CreateNodes", "outcome": "PartialFail",
                                                  "succeed_count": 3})
        stack = inline_stack("v2", _program, emulator.endpoint, {"count": "4"})
        up = stack.up()
        cluster = up.outputs["cluster"].value
        ids = up.outputs["ids"].value
        [failed] = up.outputs["failed"].value
        assert client.get_cluster(cluster).cluster_status == "running"
        assert len(ids) == 3 and up.outputs["failed_count"].value == 1
        assert failed["status"] == "exception" and failed["reason"] and failed["instance_id"] not in ids
        assert "3 of 4 nodes running" in up.stdout

        def live() -> set[str]:
            return {n.id for n in client.list_nodes(cluster).nodes}

        assert live() == set(ids)
        stack.set_config("count", auto.ConfigValue("6"))
        grown = stack.up().outputs["ids"].value
        assert len(grown) == 6 and grown[:3] == ids and live() == set(grown)

        stack.set_config("count", auto.ConfigValue("2"))
        shrunk = stack.up().outputs["ids"].value
        assert shrunk == grown[:2] and live() == set(shrunk)

        stack.destroy()
        assert client.list_clusters().total_count == 0  # cluster delete awaited until ClusterNotFound
        assert emulator.admin("GET", "stats")["requests"].get("CreateCluster") == 1


def _policy_program() -> None:
    cfg = pulumi.Config()
    cluster = ehpc2.Cluster("hpc", cluster_name="e2e-v2-policy", scheduler_type="SLURM")
    queue = ehpc2.Queue("comp", cluster_id=cluster.cluster_id, queue_name="comp")
    group = ehpc2.NodeGroup("workers", cluster_id=cluster.cluster_id, queue_name=queue.queue_name, count=4,
                            partial_failure=cfg.require("policy"), timeouts={"create": "5m", "delete": "5m"})
    pulumi.export("cluster", cluster.cluster_id)
    pulumi.export("ids", group.instance_ids)
    pulumi.export("failed", group.failed_instances)


@pytest.mark.parametrize("policy", ["rollback", "retry"])
def test_partial_failure_rollback_and_retry(policy: str, pulumi_env: dict[str, str],
                                            emulator: EmulatorProcess) -> None:
    client = EhpcClient2024(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))
    with client:
        emulator.admin("POST", "next-task", json={"action": "CreateNodes", "outcome": "PartialFail",
                                                  "succeed_count": 3})
        stack = inline_stack(f"v2-{policy}", _policy_program, emulator.endpoint, {"policy": policy})

        def live() -> list[Any]:
            [cluster] = client.list_clusters().clusters
            return list(client.list_nodes(cluster.cluster_id).nodes)

        if policy == "rollback":
            with pytest.raises(auto.CommandError) as failed:
                stack.up()
            text = str(failed.value)
            assert "3 of 4 nodes reached running" in text and "deleted again" in text
            assert "NodeInitFailed" in text  # the failed node's Reason
            assert live() == []  # the 3 that ran were deleted, the failed one released
            emulator.admin("POST", "next-task", json={"action": "CreateNodes"})  # the cause is fixed
            up = stack.up()  # the documented recovery: run `pulumi up` again
            assert len(up.outputs["ids"].value) == 4 and up.outputs["failed"].value == []
        else:
            up = stack.up()
            ids = up.outputs["ids"].value
            [failed_node] = up.outputs["failed"].value
            assert len(ids) == 4 and failed_node["instance_id"] not in ids and failed_node["reason"]
            assert "retry 1/2 for 1" in up.stdout
        assert {n.id for n in live()} == set(up.outputs["ids"].value)
        assert all(n.status == "running" for n in live())
        stack.destroy()
        assert client.list_clusters().total_count == 0
