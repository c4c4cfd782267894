"""Wire format of every operation: exact query keys (flattening, booleans), headers, signatures."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_ehpc_tasks.wire import ACTIONS, AddNodesRequest, SignatureVersion, snake_case

from .test_wire_support import (
    CREDS,
    STS_CREDS,
    business_params,
    make_client,
    ok,
    query_pairs,
    verify_v1,
    verify_v3,
)

C = "ehpc-hz-FYUr32****"

# (method, args, kwargs, response body, expected business parameters in wire order)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], dict[str, Any], dict[str, str]]] = [
    (
        "add_nodes",
        (C,),
        {
            "count": 3,
            "min_count": 2,
            "client_token": "tok-1",
            "instance_type": "ecs.c7.large",
            "auto_renew": True,
            "compute_enable_ht": False,
            "sync": False,
            "system_disk_size": 40,
            "data_disks": [
                {"data_disk_category": "cloud_essd", "data_disk_size": 100, "data_disk_encrypted": True},
                {"data_disk_size": 200, "data_disk_delete_with_instance": False},
            ],
            "host_name_prefix": "a b+c",
            "compute_spot_price_limit": 0.25,
        },
        {"TaskId": "t-1", "InstanceIds": {"InstanceId": ["i-1", "i-2"]}},
        {
            "ClusterId": C,
            "Count": "3",
            "MinCount": "2",
            "ClientToken": "tok-1",
            "InstanceType": "ecs.c7.large",
            "AutoRenew": "true",
            "ComputeSpotPriceLimit": "0.25",
            "ComputeEnableHt": "false",
            "SystemDiskSize": "40",
            "DataDisks.1.DataDiskCategory": "cloud_essd",
            "DataDisks.1.DataDiskSize": "100",
            "DataDisks.1.DataDiskEncrypted": "true",
            "DataDisks.2.DataDiskSize": "200",
            "DataDisks.2.DataDiskDeleteWithInstance": "false",
            "HostNamePrefix": "a b+c",
            "Sync": "false",
        },
    ),
    (
        "delete_nodes",
        (C,),
        {"instance_ids": [f"i-{n}" for n in range(1, 12)], "release_instance": True},
        {"TaskId": "t-2"},
        {"ClusterId": C, **{f"Instance.{n}.Id": f"i-{n}" for n in range(1, 12)}, "ReleaseInstance": "true"},
    ),
    (
        "start_nodes",
        (C,),
        {"instance_ids": ["i-1"], "role": "Compute"},
        {"TaskId": "t"},
        {"ClusterId": C, "Instance.1.Id": "i-1", "Role": "Compute"},
    ),
    (
        "stop_nodes",
        (C,),
        {"instance_ids": ["i-1", "i-2"]},
        {"TaskId": "t"},
        {"ClusterId": C, "Instance.1.Id": "i-1", "Instance.2.Id": "i-2"},
    ),
    (
        "reset_nodes",
        (C,),
        {"instance_ids": ["i-9"]},
        {"TaskId": "t"},
        {"ClusterId": C, "Instance.1.Id": "i-9"},
    ),
    (
        "create_cluster",
        (),
        {
            "name": "hpc-1",
            "client_token": "ct",
            "ha_enable": False,
            "auto_renew": "false",
            "ecs_order": {
                "manager": {"instance_type": "ecs.g6.large", "count": 1},
                "compute": {"instance_type": "ecs.c7.large", "count": 0},
                "login": {"instance_type": "ecs.g6.large", "count": 1},
            },
            "additional_volumes": [{"volume_type": "nas", "roles": [{"name": "Compute"}, {"name": "Login"}]}],
            "post_install_script": [{"url": "https://x/y.sh", "args": "-v"}],
            "add_ons": [{"name": "Grafana", "port": 8080.0, "default_start": True}],
            "tag": [{"key": "env", "value": "dev"}],
            "ram_node_types": ["manager", "compute"],
            "application": [{"tag": "OpenMPI_1.8.7"}],
        },
        {"TaskId": "t-c", "ClusterId": "ehpc-hz-new"},
        {
            "Name": "hpc-1",
            "ClientToken": "ct",
            "EcsOrder.Manager.InstanceType": "ecs.g6.large",
            "EcsOrder.Manager.Count": "1",
            "EcsOrder.Compute.InstanceType": "ecs.c7.large",
            "EcsOrder.Compute.Count": "0",
            "EcsOrder.Login.InstanceType": "ecs.g6.large",
            "EcsOrder.Login.Count": "1",
            "HaEnable": "false",
            "AutoRenew": "false",
            "Application.1.Tag": "OpenMPI_1.8.7",
            "AdditionalVolumes.1.VolumeType": "nas",
            "AdditionalVolumes.1.Roles.1.Name": "Compute",
            "AdditionalVolumes.1.Roles.2.Name": "Login",
            "PostInstallScript.1.Url": "https://x/y.sh",
            "PostInstallScript.1.Args": "-v",
            "AddOns.1.Name": "Grafana",
            "AddOns.1.Port": "8080",
            "AddOns.1.DefaultStart": "true",
            "Tag.1.Key": "env",
            "Tag.1.Value": "dev",
            "RamNodeTypes.1": "manager",
            "RamNodeTypes.2": "compute",
        },
    ),
    (
        "delete_cluster",
        (C,),
        {"release_instance": False},
        {"TaskId": "t"},
        {"ClusterId": C, "ReleaseInstance": "false"},
    ),
    ("start_cluster", (C,), {}, {"TaskId": "t"}, {"ClusterId": C}),
    ("stop_cluster", (C,), {}, {"TaskId": "t"}, {"ClusterId": C}),
    (
        "list_tasks",
        (C,),
        {"task_id": "B745", "archived": True, "page_number": 2, "page_size": 50},
        {"Tasks": []},
        {"ClusterId": C, "TaskId": "B745", "Archived": "true", "PageNumber": "2", "PageSize": "50"},
    ),
    (
        "list_nodes",
        (C,),
        {"role": "Compute", "page_size": 100, "filter": {"status": "running"}, "host_name_prefix": "compute"},
        {"Nodes": {"NodeInfo": []}},
        {
            "ClusterId": C,
            "Role": "Compute",
            "Filter": '{"status":"running"}',
            "HostNamePrefix": "compute",
            "PageSize": "100",
        },
    ),
    ("describe_cluster", (C,), {}, {"ClusterInfo": {"Id": C}}, {"ClusterId": C}),
    (
        "list_clusters",
        (),
        {"page_number": 1, "page_size": 10},
        {"Clusters": {"ClusterInfoSimple": []}},
        {"PageNumber": "1", "PageSize": "10"},
    ),
]


def test_every_action_has_a_case() -> None:
    assert {snake_case(a) for a in ACTIONS} == {case[0] for case in CASES}
    assert len(ACTIONS) == 13


@pytest.mark.parametrize("version", [SignatureVersion.V3, SignatureVersion.V1], ids=["v3", "v1"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_wire_query_and_signature(case: tuple[Any, ...], version: SignatureVersion) -> None:
    method, args, kwargs, body, expected = case
    client, rec, _ = make_client([ok(body)], version=version)
    result = getattr(client, method)(*args, **kwargs)
    assert result.request_id == "req-ok"
    (request,) = rec.requests
    assert request.method == "GET"
    assert request.url.host == "ehpc.cn-hangzhou.aliyuncs.com"
    assert request.url.scheme == "https"
    assert request.url.path == "/"
    assert list(business_params(request).items()) == list(expected.items())
    action = ACTIONS[request.headers["x-acs-action"]]
    assert action.method_name == method
    assert request.headers["x-acs-version"] == "2018-04-12"
    if version is SignatureVersion.V3:
        assert verify_v3(request, CREDS)
        signed = request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        assert {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} <= set(
            signed
        )
        assert "Action" not in dict(query_pairs(request))
    else:
        params = dict(query_pairs(request))
        assert params["Action"] == action.name and params["SignatureMethod"] == "HMAC-SHA1"
        assert verify_v1(request, CREDS)


def test_query_is_rfc3986_encoded_on_the_wire() -> None:
    client, rec, _ = make_client([ok({"TaskId": "t", "InstanceIds": {"InstanceId": []}})])
    client.add_nodes(C, count=1, client_token="pulumi:urn/ehpc nodes:0001", host_name_prefix="a b+c*~")
    raw = rec.requests[0].url.query.decode()
    assert "ClusterId=ehpc-hz-FYUr32%2A%2A%2A%2A" in raw
    assert "ClientToken=pulumi%3Aurn%2Fehpc%20nodes%3A0001" in raw
    assert "HostNamePrefix=a%20b%2Bc%2A~" in raw
    assert "+" not in raw


def test_sts_token_is_signed_in_both_schemes() -> None:
    client, rec, _ = make_client([ok({"Tasks": []})], creds=STS_CREDS)
    client.list_tasks(C)
    req = rec.requests[0]
    assert req.headers["x-acs-security-token"] == STS_CREDS.security_token
    assert "x-acs-security-token" in req.headers["authorization"]
    assert verify_v3(req, STS_CREDS)
    client, rec, _ = make_client([ok({"Tasks": []})], creds=STS_CREDS, version=SignatureVersion.V1)
    client.list_tasks(C)
    assert dict(query_pairs(rec.requests[0]))["SecurityToken"] == STS_CREDS.security_token
    assert verify_v1(rec.requests[0], STS_CREDS)


def test_none_fields_and_empty_lists_are_omitted() -> None:
    req = AddNodesRequest.build(cluster_id=C, count=1, min_count=None, data_disks=[])
    assert req.to_query() == [("ClusterId", C), ("Count", "1")]


def test_call_with_prebuilt_request_and_alibaba_names() -> None:
    client, rec, _ = make_client([ok({"TaskId": "t", "InstanceIds": {"InstanceId": ["i-1"]}})])
    resp = client.call(AddNodesRequest.build(ClusterId=C, Count=1, InstanceType="ecs.c7.large"))
    assert resp.model_dump()["task_id"] == "t"
    params = business_params(rec.requests[0])
    assert params["InstanceType"] == "ecs.c7.large" and params["ClientToken"]


def test_each_attempt_gets_a_fresh_nonce_and_date_header() -> None:
    client, rec, _ = make_client(
        [httpx.Response(503, json={"Code": "ServiceUnavailable"}), ok({"Tasks": []})]
    )
    client.list_tasks(C)
    nonces = [r.headers["x-acs-signature-nonce"] for r in rec.requests]
    assert len(nonces) == 2 and nonces[0] != nonces[1]
