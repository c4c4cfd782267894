"""Adoption and drift through the real engine: a Cluster and two NodeGroups (by ids, by host-name prefix)
take over what exists with no write at all, then scale, see drift at refresh, converge or replace, and
destroy; `import_` fails in the stock dynamic-provider host (pulumi/pulumi#16175)."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import Cluster, NodeGroup
from pulumi_ehpc_tasks.waiting import wait_for_task
from pulumi_ehpc_tasks.wire import ACTIONS, Credentials, EhpcClient

from .harness import DEMO_CLUSTER, DEMO_KEY_ID, DEMO_SECRET, EmulatorProcess, inline_stack, mutations, resource_outputs

pytestmark = pytest.mark.e2e


def _client(emulator: EmulatorProcess) -> EhpcClient:
    return EhpcClient(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))


def _outside(emulator: EmulatorProcess, action: str, **params: object) -> list[str]:
    """An operation made behind Pulumi's back, with the same signed API any other tool uses."""
    client = _client(emulator)
    task = getattr(client, ACTIONS[action].method_name)(cluster_id=DEMO_CLUSTER, **params).task_id
    finished = wait_for_task(client, DEMO_CLUSTER, task, timeout_s=60)
    finished.raise_for_outcome()
    return finished.task.result.instance_ids


def _program() -> None:
    cfg = pulumi.Config()
    cluster = Cluster("hpc", name="emulator-demo", adopt_cluster_id=DEMO_CLUSTER)
    by_ids = NodeGroup("byids", cluster_id=cluster.cluster_id, count=1, adopt_instance_ids=cfg.require_object("ids"))
    by_prefix = NodeGroup("byprefix", cluster_id=cluster.cluster_id, count=cfg.require_int("count"),
                          adopt_host_name_prefix="legacy-", instance_type="ecs.c7.large")
    pulumi.export("ids", by_ids.instance_ids)
    pulumi.export("prefixed", by_prefix.instance_ids)
    pulumi.export("cluster", cluster.cluster_id)


def test_adopt_scale_drift_destroy(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    [lone] = _outside(emulator, "AddNodes", count=1, instance_type="ecs.c7.large")
    legacy = _outside(emulator, "AddNodes", count=2, instance_type="ecs.c7.large", host_name_prefix="legacy-")
    stack = inline_stack("adopt", _program, emulator.endpoint, {"count": "2"})
    stack.set_config("ids", auto.ConfigValue(f'["{lone}"]'))

    before = emulator.requests()
    up = stack.up()
    assert mutations(before, emulator.requests()) == {}  # adoption reads only
    assert up.outputs["ids"].value == [lone] and sorted(up.outputs["prefixed"].value) == sorted(legacy)
    assert up.outputs["cluster"].value == DEMO_CLUSTER

    # Scale the adopted prefix group like any other.
    stack.set_config("count", auto.ConfigValue("3"))
    before = emulator.requests()
    grown = stack.up().outputs["prefixed"].value
    assert len(grown) == 3 and set(legacy) < set(grown)
    assert mutations(before, emulator.requests()) == {"AddNodes": 1}

    # Drift: a node stopped, a node deleted, another's instance type and image changed, all outside Pulumi.
    _outside(emulator, "StopNodes", instance_ids=[lone])
    _outside(emulator, "DeleteNodes", instance_ids=[legacy[0]])
    emulator.admin("PATCH", f"nodes/{legacy[1]}", json={"InstanceType": "ecs.c7.xlarge", "ImageId": "m-outside"})
    stack.refresh()
    ids_state, prefix_state = resource_outputs(stack, "byids"), resource_outputs(stack, "byprefix")
    assert ids_state["running"] is False and ids_state["drift"][0]["property"] == "running"
    assert legacy[0] not in prefix_state["instance_ids"] and prefix_state["count"] == 2
    assert {f["property"] for f in prefix_state["drift"]} == {"exists", "instance_type", "image_id"}
    preview = stack.preview(diff=True)
    assert all(p in preview.stdout for p in ("running", "instance_type", "image_id"))

    # The next up: `running` converges in place (the stopped node started), `instance_type`/`image_id` replace.
    before = emulator.requests()
    up = stack.up()
    assert up.outputs["ids"].value == [lone]
    replaced = up.outputs["prefixed"].value
    assert len(replaced) == 3 and not set(replaced) & set(grown)
    statuses = {n["InstanceId"]: n["Status"] for n in emulator.compute_nodes()}
    assert statuses[lone] == "running" and set(statuses) == {lone, *replaced}
    done = mutations(before, emulator.requests())
    assert done["StartNodes"] == 1 and done["AddNodes"] >= 1 and done["DeleteNodes"] >= 1

    stack.destroy()
    assert emulator.nodes(DEMO_CLUSTER) == []  # the adopted cluster is managed now: destroy deleted it


def test_import_option_fails_in_the_stock_dynamic_host(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess
) -> None:
    """The engine's import Read carries neither inputs nor state, so the host cannot find the pickled
    provider (`props["__provider"]`): pinned here so a Pulumi that fixes it shows up (README, "Adopting")."""

    def program() -> None:
        NodeGroup("imported", cluster_id=DEMO_CLUSTER, count=1,
                  opts=pulumi.ResourceOptions(import_=f"{DEMO_CLUSTER}/adopted-i-x"))

    stack = inline_stack("imp", program, emulator.endpoint)
    before = emulator.requests()
    with pytest.raises(auto.CommandError) as err:
        stack.up()
    assert "__provider" in str(err.value)
    assert mutations(before, emulator.requests()) == {}
