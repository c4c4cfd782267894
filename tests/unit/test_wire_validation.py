"""Request validation: every constraint fails before sending and names the field (Alibaba and python)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_ehpc_tasks.wire import (
    AddNodesRequest,
    CreateClusterRequest,
    DeleteClusterRequest,
    DeleteNodesRequest,
    ListClustersRequest,
    ListNodesRequest,
    ListTasksRequest,
    RequestValidationError,
    StartNodesRequest,
    WireRequest,
)

from .test_wire_support import make_client

ADD = {"cluster_id": "c-1", "count": 2}
DEL = {"cluster_id": "c-1", "instance_ids": ["i-1"]}
CREATE = {"name": "hpc"}

# (request class, fields, Alibaba field, python field, fragment of the reason)
BAD: list[tuple[type[WireRequest], dict[str, Any], str, str, str]] = [
    (AddNodesRequest, {"count": 1}, "ClusterId", "cluster_id", "required"),
    (AddNodesRequest, {"cluster_id": ""}, "ClusterId", "cluster_id", "at least 1"),
    (AddNodesRequest, {"cluster_id": "c"}, "Count", "count", "required"),
    (AddNodesRequest, {**ADD, "count": 0}, "Count", "count", "greater than or equal to 1"),
    (AddNodesRequest, {**ADD, "count": 100}, "Count", "count", "less than or equal to 99"),
    (AddNodesRequest, {**ADD, "count": "many"}, "Count", "count", "integer"),
    (AddNodesRequest, {**ADD, "min_count": 3}, "MinCount", "min_count", "must not exceed Count"),
    (AddNodesRequest, {**ADD, "client_token": "x" * 65}, "ClientToken", "client_token", "at most 64"),
    (AddNodesRequest, {**ADD, "client_token": "tök"}, "ClientToken", "client_token", "ASCII"),
    (AddNodesRequest, {**ADD, "client_token": ""}, "ClientToken", "client_token", "empty"),
    (AddNodesRequest, {**ADD, "image_owner_alias": "mine"}, "ImageOwnerAlias", "image_owner_alias", "system"),
    (AddNodesRequest, {**ADD, "ecs_charge_type": "Free"}, "EcsChargeType", "ecs_charge_type", "PostPaid"),
    (AddNodesRequest, {**ADD, "period": 5, "period_unit": "Week"}, "Period", "period", "PeriodUnit Week"),
    (AddNodesRequest, {**ADD, "period": 10}, "Period", "period", "PeriodUnit Month"),
    (AddNodesRequest, {**ADD, "auto_renew": "maybe"}, "AutoRenew", "auto_renew", "'true'"),
    (
        AddNodesRequest,
        {**ADD, "compute_spot_price_limit": "0.12345"},
        "ComputeSpotPriceLimit",
        "compute_spot_price_limit",
        "pattern",
    ),
    (
        AddNodesRequest,
        {**ADD, "compute_spot_duration": 2},
        "ComputeSpotDuration",
        "compute_spot_duration",
        "1",
    ),
    (AddNodesRequest, {**ADD, "system_disk_size": 39}, "SystemDiskSize", "system_disk_size", "40"),
    (AddNodesRequest, {**ADD, "system_disk_level": "PL9"}, "SystemDiskLevel", "system_disk_level", "PL0"),
    (
        AddNodesRequest,
        {**ADD, "data_disks": [{}, {"data_disk_size": 600}]},
        "DataDisks.2.DataDiskSize",
        "data_disks[1].data_disk_size",
        "500",
    ),
    (AddNodesRequest, {**ADD, "data_disks": [{}] * 17}, "DataDisks", "data_disks", "at most 16"),
    (
        AddNodesRequest,
        {**ADD, "internet_max_band_width_out": 101},
        "InternetMaxBandWidthOut",
        "internet_max_band_width_out",
        "100",
    ),
    (
        AddNodesRequest,
        {**ADD, "internet_max_band_width_in": 20},
        "InternetMaxBandWidthIn",
        "internet_max_band_width_in",
        "at most 10",
    ),
    (AddNodesRequest, {**ADD, "create_mode": "auto"}, "CreateMode", "create_mode", "manual"),
    (AddNodesRequest, {**ADD, "bogus": 1}, "bogus", "bogus", "Extra inputs"),
    (DeleteNodesRequest, {"cluster_id": "c"}, "Instance", "instance_ids", "required"),
    (DeleteNodesRequest, {**DEL, "instance_ids": []}, "Instance", "instance_ids", "at least 1"),
    (
        DeleteNodesRequest,
        {**DEL, "instance_ids": [f"i-{n}" for n in range(101)]},
        "Instance",
        "instance_ids",
        "at most 100",
    ),
    (DeleteNodesRequest, {**DEL, "instance_ids": ["i-1", ""]}, "Instance.2", "instance_ids[1]", "at least 1"),
    (StartNodesRequest, {**DEL, "role": "Boss"}, "Role", "role", "Manager"),
    (ListTasksRequest, {"cluster_id": "c", "page_number": 0}, "PageNumber", "page_number", "1"),
    (ListTasksRequest, {"cluster_id": "c", "page_number": 1000}, "PageNumber", "page_number", "999"),
    (ListTasksRequest, {"cluster_id": "c", "page_size": 51}, "PageSize", "page_size", "50"),
    (ListNodesRequest, {"cluster_id": "c", "page_size": 101}, "PageSize", "page_size", "100"),
    (ListNodesRequest, {"cluster_id": "c", "sort_by": "Age"}, "SortBy", "sort_by", "AddedTime"),
    (ListClustersRequest, {"page_size": 0}, "PageSize", "page_size", "1"),
    (
        DeleteClusterRequest,
        {"cluster_id": "c", "release_instance": "yes"},
        "ReleaseInstance",
        "release_instance",
        "'true'",
    ),
    (CreateClusterRequest, {}, "Name", "name", "required"),
    (CreateClusterRequest, {"name": "x"}, "Name", "name", "at least 2"),
    (CreateClusterRequest, {**CREATE, "description": "https://evil"}, "Description", "description", "http"),
    (
        CreateClusterRequest,
        {**CREATE, "ecs_order": {"manager": {"count": 3}}},
        "EcsOrder",
        "ecs_order",
        "Manager.Count",
    ),
    (
        CreateClusterRequest,
        {**CREATE, "ecs_order": {"compute": {"count": 100}}},
        "EcsOrder.Compute.Count",
        "ecs_order.compute.count",
        "99",
    ),
    (
        CreateClusterRequest,
        {**CREATE, "additional_volumes": [{"roles": [{"name": "r"}] * 9}]},
        "AdditionalVolumes.1.Roles",
        "additional_volumes[0].roles",
        "at most 8",
    ),
    (
        CreateClusterRequest,
        {**CREATE, "add_ons": [{"port": 70000}]},
        "AddOns.1.Port",
        "add_ons[0].port",
        "65535",
    ),
    (
        CreateClusterRequest,
        {**CREATE, "volume_id": "nas-1"},
        "VolumeMountpoint",
        "volume_mountpoint",
        "required",
    ),
    (CreateClusterRequest, {**CREATE, "password": "short"}, "Password", "password", "8-30"),
    (
        CreateClusterRequest,
        {**CREATE, "password": "alllowercaseletters"},
        "Password",
        "password",
        "at least 3",
    ),
]


@pytest.mark.parametrize(
    ("cls", "fields", "alibaba", "python", "reason"),
    BAD,
    ids=[f"{b[0].ACTION}-{b[2]}-{i}" for i, b in enumerate(BAD)],
)
def test_invalid_field_is_named(
    cls: type[WireRequest], fields: dict[str, Any], alibaba: str, python: str, reason: str
) -> None:
    with pytest.raises(RequestValidationError) as info:
        cls.build(**fields)
    err = info.value
    assert (err.field, err.python_field, err.action) == (alibaba, python, cls.ACTION)
    assert reason in err.reason
    assert alibaba in str(err) and isinstance(err, ValueError)


def test_password_value_never_echoed() -> None:
    with pytest.raises(RequestValidationError) as info:
        CreateClusterRequest.build(name="hpc", password="sh0rtSecret?" * 4)
    assert "sh0rtSecret" not in str(info.value)
    ok = CreateClusterRequest.build(name="hpc", password="Passw0rd!x")
    assert "Passw0rd" not in repr(ok)
    assert ok.safe_params()["Password"] == "<redacted>"
    assert ("Password", "Passw0rd!x") in ok.to_query()


def test_valid_edges_pass() -> None:
    AddNodesRequest.build(**ADD, min_count=2, period=4, period_unit="Week", client_token="x" * 64)
    AddNodesRequest.build(
        cluster_id="c", count=99, internet_max_band_width_out=50, internet_max_band_width_in=50
    )
    DeleteNodesRequest.build(cluster_id="c", instance_ids=[f"i-{n}" for n in range(100)])
    ListNodesRequest.build(cluster_id="c", page_size=100, page_number=999)


def test_client_validates_before_sending() -> None:
    client, rec, _ = make_client([])
    with pytest.raises(RequestValidationError, match="Count"):
        client.add_nodes("c-1", count=0)
    with pytest.raises(RequestValidationError, match="PageSize"):
        client.list_tasks("c-1", page_size=500)
    assert rec.requests == []
