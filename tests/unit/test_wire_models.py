"""Response models: the seed sample, unknown fields/statuses/task types, JSON-in-string tolerance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pulumi_ehpc_tasks.wire import (
    AddNodesResponse,
    DescribeClusterResponse,
    ListClustersResponse,
    ListNodesResponse,
    ListTasksResponse,
    TaskInfo,
    TaskStatus,
    TaskType,
)

SEED = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "listtasks-seed-response.json"


def task(**over: Any) -> TaskInfo:
    base = {
        "TaskId": "t-1",
        "ClusterId": "c-1",
        "TaskType": "AddComputes",
        "Status": "Processing",
        "CurrentStep": 1,
        "TotalSteps": 4,
        "Result": "{}",
        "Errors": "[]",
        "Request": "{}",
    }
    return TaskInfo.model_validate({**base, **over})


def test_seed_sample_parses() -> None:
    resp = ListTasksResponse.model_validate(json.loads(SEED.read_text()))
    assert (resp.request_id, resp.total_count, resp.page_number, resp.page_size) == (
        "89A1AC0F-4A6C-4F3D-98F9-BEF9A823****",
        10,
        1,
        10,
    )
    (t,) = resp.tasks
    assert t.task_id == "B745C159-3155-4B94-95D0-4B73D4D2****"
    assert t.cluster_id == "ehpc-hz-FYUr32****"
    assert t.task_type == TaskType.STOP_CLUSTER == "StopCluster"
    assert t.status is TaskStatus.PROCESSING and t.raw_status == "Processing" and not t.is_terminal
    assert (t.current_step, t.total_steps) == (16, 35)
    (inst,) = t.result.instances
    assert (inst.instance_id, inst.ip, inst.hostname, inst.role) == (
        "i-bp1inb1j2xz8pnoi****",
        "192.168.*.*",
        "login0",
        "login",
    )
    assert t.result.instance_ids == ["i-bp1inb1j2xz8pnoi****"]
    assert t.errors == []
    assert t.request["clusterId"] == "ehpc-hz-ysQtcZ****"
    assert t.raw_errors == "[]"


def test_doc_page_double_escaped_result_still_parses() -> None:
    good = '{"Instances":[{"InstanceId":"i-1","Ip":"10.0.0.1","Hostname":"c0","role":"compute"}]}'
    raw = good.replace('"', '\\"')  # as printed on the doc page: every quote backslash-escaped
    assert task(Result=raw).result.instance_ids == ["i-1"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Processing", TaskStatus.PROCESSING),
        ("Success", TaskStatus.SUCCESS),
        ("Failed", TaskStatus.FAILED),
        ("Fail", TaskStatus.FAILED),
        ("PartialFail", TaskStatus.PARTIAL_FAIL),
        ("Exploded", TaskStatus.UNKNOWN),
        ("", TaskStatus.UNKNOWN),
    ],
)
def test_status_mapping_keeps_raw(raw: str, status: TaskStatus) -> None:
    t = task(Status=raw)
    assert t.status is status and t.raw_status == raw
    assert t.is_terminal == (status in (TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.PARTIAL_FAIL))


def test_unknown_task_type_and_extra_fields_are_kept() -> None:
    t = task(TaskType="UpgradeClient", Brand="new", CreateTime="2024-01-01")
    assert t.task_type == "UpgradeClient"
    assert t.model_extra == {"Brand": "new", "CreateTime": "2024-01-01"}


@pytest.mark.parametrize("empty", ["", "{}", "[]", None, "null"])
def test_empty_json_strings(empty: Any) -> None:
    t = task(Result=empty, Errors=empty, Request=empty)
    assert t.result.instances == [] and t.errors == [] and t.request == {}


def test_malformed_strings_are_kept_raw() -> None:
    t = task(Result="{not json", Errors="Node i-1 failed: quota exceeded", Request="oops")
    assert t.result.instances == [] and t.raw_result == "{not json"
    assert [e.message for e in t.errors] == ["Node i-1 failed: quota exceeded"]
    assert t.request == {} and t.raw_request == "oops"


def test_structured_errors() -> None:
    errors = json.dumps(
        [
            {"Code": "QuotaExceeded", "Message": "no quota", "InstanceId": "i-3"},
            {"code": "X", "message": "lower"},
            "plain text",
        ]
    )
    t = task(Status="PartialFail", Errors=errors)
    assert [(e.code, e.message, e.instance_id) for e in t.errors] == [
        ("QuotaExceeded", "no quota", "i-3"),
        ("X", "lower", ""),
        ("", "plain text", ""),
    ]
    single = task(Errors=json.dumps({"Code": "E1", "Message": "m"}))
    assert [e.code for e in single.errors] == ["E1"]


def test_lenient_numbers_and_missing_fields() -> None:
    t = TaskInfo.model_validate({"TaskId": "t", "CurrentStep": "3", "TotalSteps": None, "Status": "Success"})
    assert (t.current_step, t.total_steps, t.task_type) == (3, 0, "")
    resp = ListTasksResponse.model_validate({"RequestId": "r", "TotalCount": "2", "PageNumber": "1"})
    assert resp.total_count == 2 and resp.tasks == []


def test_wrapped_lists_unwrap() -> None:
    add = AddNodesResponse.model_validate(
        {"RequestId": "r", "TaskId": "t", "InstanceIds": {"InstanceId": ["i-1"]}}
    )
    assert add.instance_ids == ["i-1"]
    assert AddNodesResponse.model_validate({"TaskId": "t"}).instance_ids == []
    nodes = ListNodesResponse.model_validate(
        {
            "Nodes": {
                "NodeInfo": [
                    {
                        "Id": "i-1",
                        "HostName": "c0",
                        "Status": "running",
                        "Roles": {"Role": ["Compute"]},
                        "CreatedByEhpc": "true",
                        "TotalResources": {"Cpu": "4", "Gpu": 0, "Memory": 16},
                        "Brand": "x",
                    }
                ]
            },
            "TotalCount": 1,
        }
    )
    (n,) = nodes.nodes
    assert (n.id, n.roles, n.created_by_ehpc, n.total_resources and n.total_resources.cpu) == (
        "i-1",
        ["Compute"],
        True,
        4,
    )
    clusters = ListClustersResponse.model_validate(
        {
            "Clusters": {
                "ClusterInfoSimple": [
                    {"Id": "c", "Status": "running", "ComputeSpotPriceLimit": "0.5", "Computes": {"Total": 2}}
                ]
            }
        }
    )
    assert clusters.clusters[0].compute_spot_price_limit == 0.5
    assert clusters.clusters[0].computes and clusters.clusters[0].computes.total == 2


def test_describe_cluster_string_typed_numbers() -> None:
    resp = DescribeClusterResponse.model_validate(
        {
            "ClusterInfo": {
                "Id": "c",
                "Status": "running",
                "Period": 1,
                "AutoRenewPeriod": 3,
                "NewKey": {"a": 1},
                "ComputeSpotPriceLimit": 0.5,
                "Applications": {"ApplicationInfo": [{"Name": "x"}]},
            }
        }
    )
    info = resp.cluster_info
    assert (info.period, info.auto_renew_period, info.compute_spot_price_limit) == ("1", "3", "0.5")
    assert info.applications == [{"Name": "x"}] and info.model_extra == {"NewKey": {"a": 1}}
