"""ClientToken replays and per-(zone, instance type) capacity."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator

from .conftest import FAST
from .helpers import Api, error


def test_same_token_same_params_returns_original(api: Api, emu: EmulatorHandle) -> None:
    params = {"ClusterId": emu.cluster_id, "Count": 2, "ClientToken": "pulumi:urn/ehpc nodes:0001"}
    first = api.ok("AddNodes", params)
    api.wait_task(emu.cluster_id, first["TaskId"])
    again = api.ok("AddNodes", params)
    assert again["TaskId"] == first["TaskId"]
    assert again["InstanceIds"] == first["InstanceIds"]
    assert again["RequestId"] != first["RequestId"]
    assert len(emu.stats()["tasks"]) == 1
    assert len([n for n in emu.nodes() if n["Role"] == "Compute"]) == 2


def test_forgotten_tokens_make_a_retry_run_anew(api: Api, emu: EmulatorHandle) -> None:
    # The cloud keeps a ClientToken for a limited time (README "Limits of the guarantees"); admin
    # `forget-tokens` is that time passing, so the limit can be shown rather than only stated.
    params = {"ClusterId": emu.cluster_id, "Count": 1, "ClientToken": "tok-forget"}
    first = api.ok("AddNodes", params)
    api.wait_task(emu.cluster_id, first["TaskId"])
    assert emu.admin.post("/_emulator/forget-tokens").json() == {"forgotten": 1}
    again = api.ok("AddNodes", params)
    assert again["TaskId"] != first["TaskId"]
    assert len([n for n in emu.nodes() if n["Role"] == "Compute"]) == 2
    assert emu.admin.post("/_emulator/forget-tokens").json() == {"forgotten": 1}  # the second one


def test_same_token_other_params_mismatch(api: Api, emu: EmulatorHandle) -> None:
    params = {"ClusterId": emu.cluster_id, "Count": 1, "ClientToken": "tok-1"}
    api.ok("AddNodes", params)
    response = api.call("AddNodes", dict(params, Count=3))
    assert error(response) == (400, "IdempotentParameterMismatch")
    assert len(emu.stats()["tasks"]) == 1


def test_create_cluster_token(api: Api, emu: EmulatorHandle) -> None:
    params = {"Name": "tokened", "ClientToken": "cc-1"}
    first = api.ok("CreateCluster", params)
    again = api.ok("CreateCluster", params)
    assert (again["ClusterId"], again["TaskId"]) == (first["ClusterId"], first["TaskId"])
    assert error(api.call("CreateCluster", dict(params, Name="other"))) == (
        400,
        "IdempotentParameterMismatch",
    )
    assert api.ok("ListClusters")["TotalCount"] == 2


@pytest.fixture(scope="module")
def small() -> Iterator[EmulatorHandle]:
    with running_emulator(capacity=5, **FAST) as handle:
        yield handle


def test_capacity_partial_fail_then_failed(small: EmulatorHandle) -> None:
    small.admin.post("/_emulator/reset").raise_for_status()
    api = Api(small.endpoint, small.credentials)
    cid = small.cluster_id
    body = api.ok("AddNodes", {"ClusterId": cid, "Count": 8, "MinCount": 2})
    assert len(body["InstanceIds"]["InstanceId"]) == 5
    task = api.wait_task(cid, body["TaskId"])
    assert task["Status"] == "PartialFail"
    assert len(json.loads(task["Result"])["Instances"]) == 5
    assert json.loads(task["Errors"])[0]["Code"] == "OperationDenied.NoStock"
    failed = api.ok("AddNodes", {"ClusterId": cid, "Count": 3, "MinCount": 1})
    assert failed["InstanceIds"]["InstanceId"] == []
    task = api.wait_task(cid, failed["TaskId"])
    assert task["Status"] == "Failed" and json.loads(task["Result"]) == {"Instances": []}
    assert len([n for n in small.nodes() if n["Role"] == "Compute"]) == 5
    # Another instance type has its own capacity.
    other = api.ok("AddNodes", {"ClusterId": cid, "Count": 2, "InstanceType": "ecs.g7.large"})
    assert api.wait_task(cid, other["TaskId"])["Status"] == "Success"
    api.close()
