"""ListTasks exactly as the seed page: parameter ranges, Archived semantics, paging, JSON-string fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle

from .helpers import Api, error

# shared/ sits beside the repository (as in tests/unit).
SEED = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "listtasks-seed-response.json"


def finished_tasks(api: Api, emu: EmulatorHandle, n: int) -> list[str]:
    ids = [api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})["TaskId"] for _ in range(n)]
    for task_id in ids:
        api.wait_task(emu.cluster_id, task_id)
    return ids


@pytest.mark.parametrize(
    "params",
    [
        {"PageNumber": 0},
        {"PageNumber": 1000},
        {"PageNumber": "x"},
        {"PageSize": 0},
        {"PageSize": 51},
        {"PageSize": "1.5"},
        {"Archived": "yes"},
    ],
)
def test_out_of_range_is_invalid_params(api: Api, emu: EmulatorHandle, params: dict[str, object]) -> None:
    response = api.call("ListTasks", {"ClusterId": emu.cluster_id, **params})
    assert error(response) == (400, "InvalidParams")
    assert next(iter(params)) in response.json()["Message"]


@pytest.mark.parametrize("params", [{"PageNumber": 1}, {"PageNumber": 999}, {"PageSize": 1}, {"PageSize": 50}])
def test_range_edges_accepted(api: Api, emu: EmulatorHandle, params: dict[str, object]) -> None:
    body = api.ok("ListTasks", {"ClusterId": emu.cluster_id, **params})
    assert body["Tasks"] == []


def test_defaults_and_shape(api: Api, emu: EmulatorHandle) -> None:
    body = api.ok("ListTasks", {"ClusterId": emu.cluster_id})
    assert body == {
        "RequestId": body["RequestId"],
        "TotalCount": 0,
        "PageNumber": 1,
        "PageSize": 10,
        "Tasks": [],
    }


def test_archived_false_only_running(api: Api, emu: EmulatorHandle) -> None:
    done = finished_tasks(api, emu, 2)
    assert api.ok("ListTasks", {"ClusterId": emu.cluster_id})["Tasks"] == []
    assert api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "false"})["Tasks"] == []
    emu.next_task(action="AddNodes", stuck_at_step=1)
    running = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})["TaskId"]
    body = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "False"})
    assert [t["TaskId"] for t in body["Tasks"]] == [running] and body["TotalCount"] == 1
    assert body["Tasks"][0]["Status"] == "Processing"
    history = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "true"})
    assert {t["TaskId"] for t in history["Tasks"]} == {running, *done} and history["TotalCount"] == 3


def test_task_id_ignores_archived(api: Api, emu: EmulatorHandle) -> None:
    [task_id] = finished_tasks(api, emu, 1)
    for archived in ("false", "true"):
        body = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "TaskId": task_id, "Archived": archived})
        assert [t["TaskId"] for t in body["Tasks"]] == [task_id] and body["TotalCount"] == 1
    assert api.ok("ListTasks", {"ClusterId": emu.cluster_id, "TaskId": "nope"})["Tasks"] == []


def test_total_count_across_pages(api: Api, emu: EmulatorHandle) -> None:
    ids = finished_tasks(api, emu, 7)
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        body = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "true", "PageSize": 2, "PageNumber": page})
        assert body["TotalCount"] == 7 and body["PageNumber"] == page and body["PageSize"] == 2
        assert len(body["Tasks"]) == (1 if page == 4 else 2)
        seen += [t["TaskId"] for t in body["Tasks"]]
    assert sorted(seen) == sorted(ids)
    beyond = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "true", "PageSize": 2, "PageNumber": 9})
    assert beyond["TotalCount"] == 7 and beyond["Tasks"] == []


def test_fields_are_json_strings_like_the_seed(api: Api, emu: EmulatorHandle) -> None:
    [task_id] = finished_tasks(api, emu, 1)
    stop = api.ok("StopCluster", {"ClusterId": emu.cluster_id})["TaskId"]
    api.wait_task(emu.cluster_id, stop)
    seed = json.loads(SEED.read_text())["Tasks"][0]
    for tid in (task_id, stop):
        task = api.task(emu.cluster_id, tid)
        assert set(task) == set(seed)
        for key in ("Result", "Errors", "Request"):
            assert isinstance(task[key], str)
            json.loads(task[key])
        assert isinstance(task["CurrentStep"], int) and isinstance(task["TotalSteps"], int)
    assert api.task(emu.cluster_id, stop)["Result"] == "{}"
    assert json.loads(api.task(emu.cluster_id, task_id)["Result"])["Instances"]
