"""Cluster (CreateCluster, StopCluster, StartCluster, DeleteCluster) and TaskWait through the engine."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import Cluster, TaskWait
from pulumi_ehpc_tasks.wire import Credentials, EhpcClient

from .harness import DEMO_CLUSTER, DEMO_KEY_ID, DEMO_SECRET, EmulatorProcess, inline_stack, mutations

pytestmark = pytest.mark.e2e
PASSWORD = "Cl0ud-Pa55word!"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in state


def _cluster_program() -> None:
    cfg = pulumi.Config()
    cluster = Cluster(
        "hpc",
        name="e2e-cluster",
        deploy_mode="Simple",
        compute_count=cfg.get_int("computes") or 0,
        running=cfg.get_bool("running") is not False,
        password=cfg.require_secret("password"),
    )
    pulumi.export("cluster_id", cluster.cluster_id)
    pulumi.export("instances", cluster.instances)
    pulumi.export("task_type", cluster.task_type)


def _cluster_status(emulator: EmulatorProcess, cluster_id: str) -> str:
    client = EhpcClient(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))
    return client.describe_cluster(cluster_id).cluster_info.status


def test_cluster_lifecycle(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    stack = inline_stack("cluster", _cluster_program, emulator.endpoint, {"computes": "2"})
    stack.set_config("password", auto.ConfigValue(PASSWORD, secret=True))
    up = stack.up()
    cluster_id = up.outputs["cluster_id"].value
    roles = sorted(i["role"].lower() for i in up.outputs["instances"].value)
    assert roles.count("compute") == 2 and "manager" in roles
    # The root password is kept as a secret in state (inputs and outputs), never as plain text.
    state = next(r for r in stack.export_stack().deployment["resources"] if r["urn"].endswith("::hpc"))
    for section in ("inputs", "outputs"):
        assert SECRET_SIG in state[section]["password"]

    before = emulator.requests()
    stack.set_config("running", auto.ConfigValue("false"))
    assert stack.up().outputs["task_type"].value == "StopCluster"
    assert _cluster_status(emulator, cluster_id).lower() == "stopped"
    stack.set_config("running", auto.ConfigValue("true"))
    assert stack.up().outputs["task_type"].value == "StartCluster"
    assert mutations(before, emulator.requests()) == {"StopCluster": 1, "StartCluster": 1}

    stack.destroy()
    assert emulator.nodes(cluster_id) == []


def _wait_program(task_id: str) -> object:
    def program() -> None:
        wait = TaskWait("existing", cluster_id=DEMO_CLUSTER, task_id=task_id, fail_on_error=False)
        pulumi.export("status", wait.task_status)
        pulumi.export("type", wait.task_type)
        pulumi.export("instances", wait.instances)

    return program


def test_taskwait_waits_on_a_task_issued_elsewhere(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess
) -> None:
    client = EhpcClient(endpoint=emulator.endpoint, credentials=Credentials(DEMO_KEY_ID, DEMO_SECRET))
    resp = client.add_nodes(DEMO_CLUSTER, count=2, instance_type="ecs.c7.large")
    stack = inline_stack("wait", _wait_program(resp.task_id), emulator.endpoint)
    outs = stack.up().outputs
    assert outs["status"].value == "Success" and outs["type"].value == "AddComputes"
    assert sorted(i["instance_id"] for i in outs["instances"].value) == sorted(resp.instance_ids)
    # Destroying the TaskWait forgets the task; the nodes it reported belong to whoever added them.
    stack.destroy()
    assert len(emulator.compute_nodes()) == 2
