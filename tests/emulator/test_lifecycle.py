"""Operations over real HTTP: node and cluster lifecycles, wire shapes, POST form bodies, errors."""

from __future__ import annotations

import json

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle

from .helpers import V1, V3, Api, error, wait_for


def node_status(emu: EmulatorHandle, instance_id: str) -> str | None:
    return next((n["Status"] for n in emu.nodes() if n["InstanceId"] == instance_id), None)


def add(api: Api, emu: EmulatorHandle, count: int = 2, **extra: object) -> tuple[str, list[str]]:
    body = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": count, **extra})
    return body["TaskId"], body["InstanceIds"]["InstanceId"]


@pytest.mark.parametrize("version", [V3, V1])
def test_add_nodes_lifecycle(api: Api, emu: EmulatorHandle, version: object) -> None:
    body = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 3}, version=version)
    assert set(body) == {"RequestId", "TaskId", "InstanceIds"}
    ids = body["InstanceIds"]["InstanceId"]
    assert len(ids) == 3 and all(i.startswith("i-") for i in ids)
    assert {node_status(emu, i) for i in ids} <= {"initing", "running"}
    task = api.wait_task(emu.cluster_id, body["TaskId"])
    assert task["Status"] == "Success" and task["TaskType"] == "AddComputes"
    assert task["CurrentStep"] == task["TotalSteps"]
    result = json.loads(task["Result"])
    assert [i["InstanceId"] for i in result["Instances"]] == ids
    assert set(result["Instances"][0]) == {"InstanceId", "Ip", "Hostname", "role"}
    assert json.loads(task["Errors"]) == []
    assert json.loads(task["Request"])["clusterId"] == emu.cluster_id
    wait_for(lambda: all(node_status(emu, i) == "running" for i in ids))


def test_node_starts_initing(api: Api, emu: EmulatorHandle) -> None:
    emu.next_task(action="AddNodes", stuck_at_step=2)
    task_id, ids = add(api, emu, 1)
    assert node_status(emu, ids[0]) == "initing"
    assert api.task(emu.cluster_id, task_id)["Status"] == "Processing"


def test_delete_nodes_releasing_then_gone(api: Api, emu: EmulatorHandle) -> None:
    task_id, ids = add(api, emu, 2)
    api.wait_task(emu.cluster_id, task_id)
    emu.next_task(action="DeleteNodes", stuck_at_step=1)
    body = api.ok("DeleteNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": ids[0], "ReleaseInstance": "True"})
    assert set(body) == {"RequestId", "TaskId"}
    assert node_status(emu, ids[0]) == "releasing"
    delete = api.ok("DeleteNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": ids[1]})
    assert api.wait_task(emu.cluster_id, delete["TaskId"])["TaskType"] == "DeleteComputes"
    wait_for(lambda: node_status(emu, ids[1]) is None)
    listed = api.ok("ListNodes", {"ClusterId": emu.cluster_id})["Nodes"]["NodeInfo"]
    assert ids[1] not in {n["Id"] for n in listed}


def test_stop_start_reset_nodes(api: Api, emu: EmulatorHandle) -> None:
    task_id, ids = add(api, emu, 1)
    api.wait_task(emu.cluster_id, task_id)
    target = {"ClusterId": emu.cluster_id, "Instance.1.Id": ids[0]}
    for action, task_type, final in (
        ("StopNodes", "StopComputes", "stopped"),
        ("StartNodes", "StartComputes", "running"),
        ("ResetNodes", "ResetCompute", "running"),
    ):
        task = api.wait_task(emu.cluster_id, api.ok(action, target)["TaskId"])
        assert (task["TaskType"], task["Status"], task["Result"]) == (task_type, "Success", "{}")
        wait_for(lambda final=final: node_status(emu, ids[0]) == final)


def test_reset_nodes_initing_while_running(api: Api, emu: EmulatorHandle) -> None:
    task_id, ids = add(api, emu, 1)
    api.wait_task(emu.cluster_id, task_id)
    emu.next_task(action="ResetNodes", stuck_at_step=1)
    api.ok("ResetNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": ids[0]})
    assert node_status(emu, ids[0]) == "initing"


def test_list_nodes_shape_and_filters(api: Api, emu: EmulatorHandle) -> None:
    task_id, ids = add(api, emu, 3)
    api.wait_task(emu.cluster_id, task_id)
    body = api.ok("ListNodes", {"ClusterId": emu.cluster_id, "PageSize": 100})
    assert body["TotalCount"] == 5 and body["PageSize"] == 100
    info = body["Nodes"]["NodeInfo"]
    assert {"Id", "HostName", "Status", "Roles", "InstanceType", "IpAddress", "ZoneId"} <= set(info[0])
    assert info[0]["Roles"]["Role"] == ["Scheduler", "Account"]
    computes = api.ok("ListNodes", {"ClusterId": emu.cluster_id, "Role": "Compute"})["Nodes"]["NodeInfo"]
    assert {n["Id"] for n in computes} == set(ids)
    running = api.ok("ListNodes", {"ClusterId": emu.cluster_id, "Filter": '{"status":"running"}'})
    assert running["TotalCount"] == 5
    page = api.ok("ListNodes", {"ClusterId": emu.cluster_id, "PageSize": 2, "PageNumber": 3})
    assert page["TotalCount"] == 5 and len(page["Nodes"]["NodeInfo"]) == 1


def test_cluster_stop_start_describe_list(api: Api, emu: EmulatorHandle) -> None:
    cid = emu.cluster_id
    stop = api.wait_task(cid, api.ok("StopCluster", {"ClusterId": cid})["TaskId"])
    assert stop["TaskType"] == "StopCluster" and stop["Status"] == "Success"
    wait_for(lambda: api.ok("DescribeCluster", {"ClusterId": cid})["ClusterInfo"]["Status"] == "stopped")
    assert {n["Status"] for n in emu.nodes()} == {"stopped"}
    api.wait_task(cid, api.ok("StartCluster", {"ClusterId": cid})["TaskId"])
    info = wait_for(
        lambda: (i := api.ok("DescribeCluster", {"ClusterId": cid})["ClusterInfo"])["Status"] == "running" and i
    )
    assert info["Id"] == cid and info["EcsInfo"]["Manager"]["Count"] == 1
    clusters = api.ok("ListClusters")
    assert clusters["TotalCount"] == 1
    assert clusters["Clusters"]["ClusterInfoSimple"][0]["Id"] == cid


def test_create_and_delete_cluster(api: Api, emu: EmulatorHandle) -> None:
    body = api.ok(
        "CreateCluster",
        {
            "Name": "demo-2",
            "EcsOrder.Compute.Count": 2,
            "HaEnable": "False",
            "EcsOrder.Compute.InstanceType": "ecs.c7.xlarge",
        },
    )
    cid = body["ClusterId"]
    task = api.wait_task(cid, body["TaskId"])
    assert task["TaskType"] == "CreateCluster" and task["Status"] == "Success"
    roles = sorted(i["role"] for i in json.loads(task["Result"])["Instances"])
    assert roles == ["compute", "compute", "login", "manager"]
    wait_for(lambda: api.ok("DescribeCluster", {"ClusterId": cid})["ClusterInfo"]["Status"] == "running")
    delete = api.ok("DeleteCluster", {"ClusterId": cid, "ReleaseInstance": "true"})
    assert api.wait_task(cid, delete["TaskId"])["TaskType"] == "DeleteCluster"
    wait_for(lambda: api.call("DescribeCluster", {"ClusterId": cid}).status_code == 404)
    assert not [n for n in emu.nodes() if n["ClusterId"] == cid]
    assert api.ok("ListClusters")["TotalCount"] == 1


@pytest.mark.parametrize("version", [V3, V1])
def test_post_form_body(api: Api, emu: EmulatorHandle, version: object) -> None:
    body = api.ok(
        "AddNodes",
        {"ClusterId": emu.cluster_id, "Count": 1, "HostNamePrefix": "a b+c"},
        version=version,
        method="POST",
    )
    task = api.wait_task(emu.cluster_id, body["TaskId"])
    assert json.loads(task["Result"])["Instances"][0]["Hostname"].startswith("a b+c")
    listed = api.ok("ListTasks", {"ClusterId": emu.cluster_id, "Archived": "TRUE"}, version=version, method="POST")
    assert listed["TotalCount"] == 1


def test_missing_cluster_is_404(api: Api, emu: EmulatorHandle) -> None:
    for action, params in (
        ("AddNodes", {"Count": 1}),
        ("ListTasks", {}),
        ("ListNodes", {}),
        ("DescribeCluster", {}),
        ("StopCluster", {}),
        ("DeleteNodes", {"Instance.1.Id": "i-x"}),
    ):
        response = api.call(action, {"ClusterId": "ehpc-hz-nope", **params})
        assert error(response) == (404, "ClusterNotFound"), action
    assert emu.stats()["tasks"] == {}


def test_unknown_node_names_the_id(api: Api, emu: EmulatorHandle) -> None:
    response = api.call("DeleteNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": "i-missing"})
    assert error(response) == (400, "InvalidParams")
    assert "i-missing" in response.json()["Message"]


def test_busy_node_and_cluster_conflict(api: Api, emu: EmulatorHandle) -> None:
    emu.next_task(action="AddNodes", stuck_at_step=1)
    _, ids = add(api, emu, 1)
    busy = api.call("StopNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": ids[0]})
    assert error(busy) == (409, "OperationConflict")
    assert error(api.call("DeleteCluster", {"ClusterId": emu.cluster_id})) == (409, "OperationConflict")


def test_bad_parameters_are_400(api: Api, emu: EmulatorHandle) -> None:
    cid = emu.cluster_id
    for params in (
        {"Count": 0},
        {"Count": 100},
        {"Count": "x"},
        {"Count": 2, "MinCount": 3},
        {"Count": 1, "Sync": "maybe"},
        {"Count": 1, "ClientToken": "t" * 65},
    ):
        assert error(api.call("AddNodes", {"ClusterId": cid, **params})) == (400, "InvalidParams"), params
    assert error(api.call("AddNodes", {"ClusterId": cid})) == (400, "MissingParameter")
    assert error(api.call("ListTasks", {})) == (400, "MissingParameter")
    assert error(api.call("NoSuchAction", {})) == (404, "InvalidAction.NotFound")
    assert emu.stats()["tasks"] == {}


def test_the_chaos_checker_knows_the_task_types_the_emulator_shows(api: Api, emu: EmulatorHandle) -> None:
    # The checker ties tasks to writes by TaskType; a wrong name silently disables a rule (it once read
    # "ResetComputes", so a ResetNodes run twice could never be seen).
    from tests.chaos import check as checker

    task_id, ids = add(api, emu, 1)
    api.wait_task(emu.cluster_id, task_id)
    reset = api.ok("ResetNodes", {"ClusterId": emu.cluster_id, "Instance.1.Id": ids[0]})
    api.wait_task(emu.cluster_id, reset["TaskId"])
    created = api.ok("CreateCluster", {"Name": "typed", "ClientToken": "typed-1"})
    shown = {t["TaskType"] for t in emu.stats()["tasks"].values()}
    assert {checker.ADD_TASK, checker.RESET_TASK, checker.CREATE_CLUSTER_TASK} <= shown, shown
    targets = [t["Targets"] for t in emu.stats()["tasks"].values() if t["TaskType"] == checker.RESET_TASK]
    assert targets == [ids] and created["ClusterId"]
