"""Fault injection and scripted task outcomes through the admin API."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle

from .helpers import Api, error, wait_for

SEED_ERRORS = [
    ("InvalidParams", 400),
    ("NotEnabled", 400),
    ("ClusterNotFound", 404),
    ("DbError", 406),
    ("RedisError", 406),
    ("NotAuthorized", 407),
    ("UnknownError", 500),
    ("ServiceUnavailable", 503),
]


@pytest.mark.parametrize(("code", "status"), SEED_ERRORS)
def test_every_seed_error_code(api: Api, emu: EmulatorHandle, code: str, status: int) -> None:
    emu.fault(action="ListTasks", code=code, times=1)
    assert error(api.call("ListTasks", {"ClusterId": emu.cluster_id})) == (status, code)
    assert api.call("ListTasks", {"ClusterId": emu.cluster_id}).status_code == 200  # `times` used up


def test_throttling_has_retry_after(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="AddNodes", code="Throttling")
    response = api.call("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})
    assert error(response) == (400, "Throttling")
    assert int(response.headers["x-acs-retry-after"]) > 0
    assert emu.stats()["tasks"] == {}
    assert api.call("ListTasks", {"ClusterId": emu.cluster_id}).status_code == 200  # other actions unaffected


def test_rate_and_clear(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="*", code="ServiceUnavailable", rate=0.5)
    codes = [api.call("ListTasks", {"ClusterId": emu.cluster_id}).status_code for _ in range(40)]
    assert 200 in codes and 503 in codes
    emu.admin.delete("/_emulator/faults").raise_for_status()
    assert api.call("ListTasks", {"ClusterId": emu.cluster_id}).status_code == 200


def test_latency_fault(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="ListTasks", latency_s=0.05, times=1)
    assert api.call("ListTasks", {"ClusterId": emu.cluster_id}).status_code == 200


def test_drop_before_changes_nothing(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="AddNodes", drop="before", times=1)
    with pytest.raises(httpx.TransportError):
        api.call("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})
    assert emu.stats()["tasks"] == {}
    assert api.call("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1}).status_code == 200


def test_drop_after_changes_state(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="AddNodes", drop="after", times=1)
    with pytest.raises(httpx.TransportError):
        api.call("AddNodes", {"ClusterId": emu.cluster_id, "Count": 2})
    tasks = emu.stats()["tasks"]
    assert len(tasks) == 1 and next(iter(tasks.values()))["TaskType"] == "AddComputes"
    assert len([n for n in emu.nodes() if n["Role"] == "Compute"]) == 2


def test_drop_late_applies_the_write_after_the_client_gave_up(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="AddNodes", drop="late", late_s=0.5, times=1)
    with pytest.raises(httpx.TransportError):
        api.call("AddNodes", {"ClusterId": emu.cluster_id, "Count": 2})
    assert emu.stats()["tasks"] == {}, "nothing happens before the delay"
    tasks = wait_for(lambda: emu.stats()["tasks"] or None, timeout_s=10)
    assert [t["TaskType"] for t in tasks.values()] == ["AddComputes"]
    assert len([n for n in emu.nodes() if n["Role"] == "Compute"]) == 2


def test_drop_late_write_refused_later_changes_nothing(api: Api, emu: EmulatorHandle) -> None:
    emu.fault(action="DeleteNodes", drop="late", late_s=0.3, times=1)
    with pytest.raises(httpx.TransportError):
        api.call("DeleteNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": "i-nosuchnode00000000"})
    wait_for(lambda: emu.stats()["requests"].get("DeleteNodes") == 1 or None)
    assert api.call("ListNodes", {"ClusterId": emu.cluster_id}).status_code == 200  # still serving
    assert emu.stats()["tasks"] == {}


def test_scripted_partial_fail(api: Api, emu: EmulatorHandle) -> None:
    emu.next_task(action="AddNodes", outcome="PartialFail", succeed_count=2)
    body = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 5})
    ids = body["InstanceIds"]["InstanceId"]
    task = api.wait_task(emu.cluster_id, body["TaskId"])
    assert task["Status"] == "PartialFail"
    added = [i["InstanceId"] for i in json.loads(task["Result"])["Instances"]]
    failed = [e["InstanceId"] for e in json.loads(task["Errors"])]
    assert added == ids[:2] and sorted(failed) == sorted(ids[2:])
    wait_for(lambda: {n["InstanceId"] for n in emu.nodes() if n["Role"] == "Compute"} == set(ids[:2]))


def test_scripted_failed(api: Api, emu: EmulatorHandle) -> None:
    emu.next_task(action="AddNodes", outcome="Failed")
    body = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 2})
    task = api.wait_task(emu.cluster_id, body["TaskId"])
    assert task["Status"] == "Failed" and json.loads(task["Result"]) == {"Instances": []}
    assert {e["Code"] for e in json.loads(task["Errors"])} == {"NodeOperationFailed"}
    wait_for(lambda: not [n for n in emu.nodes() if n["Role"] == "Compute"])


def test_scripted_stuck_and_exact_duration(api: Api, emu: EmulatorHandle) -> None:
    emu.next_task(action="StopCluster", stuck_at_step=3, total_steps=5)
    stuck = api.ok("StopCluster", {"ClusterId": emu.cluster_id})["TaskId"]
    wait_for(lambda: api.task(emu.cluster_id, stuck)["CurrentStep"] == 3)
    task = api.task(emu.cluster_id, stuck)
    assert (task["Status"], task["TotalSteps"]) == ("Processing", 5)
    assert emu.stats()["tasks"][stuck]["CompletedAt"] is None
    emu.admin.post("/_emulator/reset").raise_for_status()
    emu.next_task(duration_s=0.3, total_steps=4)  # any action
    task_id = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})["TaskId"]
    assert api.wait_task(emu.cluster_id, task_id)["TotalSteps"] == 4
    stats = emu.stats()["tasks"][task_id]
    assert stats["CompletedAt"] - stats["CreatedAt"] == pytest.approx(0.3, abs=1e-6)


def test_stats_counts_requests(api: Api, emu: EmulatorHandle) -> None:
    for _ in range(3):
        api.ok("ListTasks", {"ClusterId": emu.cluster_id})
    api.ok("ListNodes", {"ClusterId": emu.cluster_id})
    assert emu.stats()["requests"] == {"ListTasks": 3, "ListNodes": 1}


def test_admin_validation(emu: EmulatorHandle) -> None:
    assert emu.admin.post("/_emulator/faults", json={"code": "Nope"}).status_code == 400
    assert emu.admin.post("/_emulator/faults", json={"drop": "sideways"}).status_code == 400
    assert emu.admin.post("/_emulator/faults", json={"drop": "late", "late_s": -1}).status_code == 400
    assert emu.admin.post("/_emulator/next-task", json={"outcome": "Maybe"}).status_code == 400
    assert emu.admin.get("/_emulator/health").json()["status"] == "ok"


def test_admin_refuses_non_loopback(emu: EmulatorHandle) -> None:
    async def statuses() -> list[int]:
        transport = httpx.ASGITransport(app=emu.emulator.app, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return [
                (await client.get("/_emulator/stats")).status_code,
                (await client.post("/_emulator/reset")).status_code,
            ]

    assert asyncio.run(statuses()) == [403, 403]


def test_uncaught_exception_is_internal_error(api: Api, emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_ehpc_tasks.emulator import handlers

    def boom(ctx: object) -> dict[str, object]:
        raise RuntimeError("bug")

    monkeypatch.setitem(handlers.HANDLERS, "ListTasks", boom)
    assert error(api.call("ListTasks", {"ClusterId": emu.cluster_id})) == (500, "InternalError")


def test_scripted_partial_delete(api: Api, emu: EmulatorHandle) -> None:
    ids = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 3})["InstanceIds"]["InstanceId"]
    wait_for(lambda: all(n["Status"] == "running" for n in emu.nodes()))
    emu.next_task(action="DeleteNodes", outcome="PartialFail", succeed_count=1)
    params = {"ClusterId": emu.cluster_id, **{f"Instance.{i + 1}.Id": iid for i, iid in enumerate(ids)}}
    task = api.wait_task(emu.cluster_id, api.ok("DeleteNodes", params)["TaskId"])
    assert task["Status"] == "PartialFail"
    assert sorted(e["InstanceId"] for e in json.loads(task["Errors"])) == sorted(ids[1:])
    wait_for(
        lambda: (
            {n["InstanceId"]: n["Status"] for n in emu.nodes() if n["Role"] == "Compute"}
            == {ids[1]: "running", ids[2]: "running"}
        )
    )
