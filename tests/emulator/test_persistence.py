"""SQLite state survives a restart, and unfinished tasks carry on from their stored schedule."""

from __future__ import annotations

import json
import sqlite3
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


def test_loads_state_written_before_typed_tasks(tmp_path: Path) -> None:
    """Rows written by commit 03a4187 (wire-shaped errors, results, requests and token answers)."""
    rows = json.loads((Path(__file__).parent / "data" / "state-03a4187.json").read_text())
    state = tmp_path / "old.sqlite"
    db = sqlite3.connect(state)
    for kind, items in rows.items():
        db.execute(f"CREATE TABLE {kind} (id TEXT PRIMARY KEY, data TEXT NOT NULL)")
        for item in items:
            key = item.get("task_id") or item.get("instance_id") or item.get("cluster_id") or item["key"]
            db.execute(f"INSERT INTO {kind} VALUES (?, ?)", (key, json.dumps(item)))
    db.commit()
    db.close()
    old_task = rows["task"][0]
    with running_emulator(state_path=str(state), step_seconds=0.02) as emu:
        api = Api(emu.endpoint, emu.credentials)
        task = api.task(emu.cluster_id, old_task["task_id"])
        assert task["Status"] == "PartialFail"
        assert json.loads(task["Errors"]) == old_task["errors"]
        assert json.loads(task["Result"]) == {"Instances": old_task["result_instances"]}
        assert json.loads(task["Request"]) == old_task["request"]
        again = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 5, "ClientToken": "old-1"})
        assert again["TaskId"] == old_task["task_id"]
        assert again["InstanceIds"] == rows["token"][0]["response"]["InstanceIds"]
        api.close()


def test_completions_an_admin_read_applies_are_written_too(tmp_path: Path) -> None:
    """The admin API advances tasks without writing; the ticker writes whatever is left unwritten."""
    state = tmp_path / "emulator.sqlite"
    with running_emulator(state_path=str(state), step_seconds=0.02, tick_s=0.3) as emu:
        api = Api(emu.endpoint, emu.credentials)
        emu.next_task(action="AddNodes", duration_s=0.05)
        task_id = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})["TaskId"]
        api.close()
        wait_for(lambda: emu.stats()["tasks"][task_id]["Status"] == "Success", interval_s=0.005)

        def written() -> bool:
            db = sqlite3.connect(state)
            try:
                (data,) = db.execute("SELECT data FROM task WHERE id = ?", (task_id,)).fetchone()
            finally:
                db.close()
            return bool(json.loads(data)["applied"])

        wait_for(written)
