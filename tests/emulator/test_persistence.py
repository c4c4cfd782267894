"""SQLite state survives a restart, and unfinished tasks carry on from their stored schedule."""

from __future__ import annotations

import json
from pathlib import Path

from pulumi_ehpc_tasks.emulator.testing import running_emulator

from .helpers import Api, wait_for


def test_restart_keeps_state_and_finishes_tasks(tmp_path: Path) -> None:
    state = str(tmp_path / "emulator.sqlite")
    with running_emulator(state_path=state, step_seconds=0.02, seed=3) as emu:
        api = Api(emu.endpoint, emu.credentials)
        done = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 2, "ClientToken": "persist-1"})
        api.wait_task(emu.cluster_id, done["TaskId"])
        emu.next_task(action="AddNodes", duration_s=1.5)
        pending = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})
        assert api.task(emu.cluster_id, pending["TaskId"])["Status"] == "Processing"
        created = api.ok("CreateCluster", {"Name": "second"})["ClusterId"]
        planned_end = emu.stats()["tasks"][pending["TaskId"]]["CreatedAt"] + 1.5
        api.close()
    with running_emulator(state_path=state, step_seconds=0.02, seed=3) as emu:
        api = Api(emu.endpoint, emu.credentials)
        history = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "true"})
        assert {t["TaskId"] for t in history["Tasks"]} == {done["TaskId"], pending["TaskId"]}
        task = api.wait_task(emu.cluster_id, pending["TaskId"])
        assert task["Status"] == "Success"
        assert emu.stats()["tasks"][pending["TaskId"]]["CompletedAt"] == planned_end
        ids = set(done["InstanceIds"]["InstanceId"]) | set(pending["InstanceIds"]["InstanceId"])
        wait_for(lambda: {n["InstanceId"] for n in emu.nodes() if n["Status"] == "running"} >= ids)
        assert api.ok("DescribeCluster", {"ClusterId": created})["ClusterInfo"]["Name"] == "second"
        again = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 2, "ClientToken": "persist-1"})
        assert again["TaskId"] == done["TaskId"]
        fresh = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})
        assert not set(fresh["InstanceIds"]["InstanceId"]) & ids  # the id sequence continues
        assert json.loads(api.wait_task(emu.cluster_id, fresh["TaskId"])["Result"])["Instances"]
        api.close()
