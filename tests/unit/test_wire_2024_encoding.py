"""API 2024-07-30 encoding: shrink JSON parameters and both signatures, against ehpc-2024-api.md §1.3/§1.4."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from pulumi_ehpc_tasks.wire import ACTIONS_2024, EhpcClient2024, RequestValidationError
from pulumi_ehpc_tasks.wire import models_2024 as v2
from pulumi_ehpc_tasks.wire.signing import canonical_query, sign_v1, sign_v3

EMPTY = hashlib.sha256(b"").hexdigest()
LIST_NODES = {"cluster_id": "ehpc-hz-FYUr32****", "page_number": 1, "page_size": 50,
              "queue_names": ["comp"], "status": ["running", "exception"]}


def _query(action: str, **fields: object) -> list[tuple[str, str]]:
    return ACTIONS_2024[action].request.build(**fields).to_query()


def test_list_nodes_query_and_canonical_form_match_the_doc() -> None:
    query = _query("ListNodes", **LIST_NODES)
    assert dict(query) == {"ClusterId": "ehpc-hz-FYUr32****", "PageNumber": "1", "PageSize": "50",
                           "QueueNames": '["comp"]', "Status": '["running","exception"]'}
    assert canonical_query(query) == (
        "ClusterId=ehpc-hz-FYUr32%2A%2A%2A%2A&PageNumber=1&PageSize=50&QueueNames=%5B%22comp%22%5D&"
        "Status=%5B%22running%22%2C%22exception%22%5D"
    )


def test_v3_vector() -> None:
    headers = [("accept", "application/json"), ("host", "ehpc.cn-hangzhou.aliyuncs.com"),
               ("x-acs-action", "ListNodes"), ("x-acs-content-sha256", EMPTY),
               ("x-acs-date", "2024-09-01T12:00:00Z"),
               ("x-acs-signature-nonce", "3f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e"), ("x-acs-version", "2024-07-30")]
    sig, _ = sign_v3("POST", "/", _query("ListNodes", **LIST_NODES), headers, EMPTY, "testsecret")
    assert sig == "43e70a8847f604adcc33aceaadc2af43b4194a1513e400a6cd3bcc91d1aa1fda"


def test_v1_vector() -> None:
    params = dict(_query("ListNodes", **LIST_NODES))
    params.update({"Action": "ListNodes", "Format": "json", "Version": "2024-07-30",
                   "Timestamp": "2024-09-01T12:00:00Z", "SignatureNonce": "3f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e",
                   "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "AccessKeyId": "testid"})
    assert sign_v1(params, "POST", "testsecret") == "h/T2jvJXztdaCwQL5IACviGybv0="


def test_struct_parameter_is_compact_json_with_lists_always_emitted() -> None:
    query = dict(_query("CreateNodes", cluster_id="ehpc-hz-abc", queue_name="comp", count=2, min_count=1,
                        compute_node={"EnableHT": True, "InstanceType": "ecs.c7.large",
                                      "SystemDisk": {"Category": "cloud_essd", "Size": 40}},
                        hostnames=["n1", "n2"], keep_alive=True, v_switch_id="vsw-x"))
    assert query["ComputeNode"] == ('{"DataDisks":[],"EnableHT":true,"InstanceType":"ecs.c7.large",'
                                    '"SystemDisk":{"Category":"cloud_essd","Size":40}}')
    assert query["Hostnames"] == '["n1","n2"]'
    assert query["KeepAlive"] == "true" and query["Count"] == "2" and query["VSwitchId"] == "vsw-x"


def test_nested_lists_top_level_bools_and_unicode() -> None:
    queue = dict(_query("UpdateQueue", cluster_id="c", queue={"QueueName": "q2", "EnableScaleOut": True,
                                                               "MaxCount": 8}))
    assert queue["Queue"] == '{"ComputeNodes":[],"EnableScaleOut":true,"MaxCount":8,"QueueName":"q2"}'
    update = dict(_query("UpdateNodes", cluster_id="c", instances=[{"InstanceId": "i-1", "KeepAlive": True}]))
    assert update["Instances"] == '[{"InstanceId":"i-1","KeepAlive":true}]'
    cluster = dict(_query("CreateCluster", cluster_name="démo", deletion_protection=False,
                          tags=[{"Key": "k", "Value": "v"}]))
    assert cluster["DeletionProtection"] == "false" and cluster["Tags"] == '[{"Key":"k","Value":"v"}]'
    assert cluster["ClusterName"] == "démo"
    assert canonical_query([("ClusterName", "démo a+b")]) == "ClusterName=d%C3%A9mo%20a%2Bb"


def test_secret_inside_a_struct_is_masked_in_safe_params() -> None:
    req = v2.CreateCluster2024Request.build(cluster_name="demo", cluster_credentials={"Password": "Passw0rd!x"})
    assert '"Password":"Passw0rd!x"' in dict(req.to_query())["ClusterCredentials"]
    assert "Passw0rd" not in str(req.safe_params()) and "Passw0rd" not in repr(req)


@pytest.mark.parametrize(
    ("fields", "culprit"),
    [({"count": 0}, "Count"), ({"count": 100}, "Count"), ({"count": 2, "min_count": 3}, "MinCount"),
     ({"count": 2, "hostnames": ["a"]}, "Hostnames")],
)
def test_create_nodes_bad_counts_name_the_field(fields: dict[str, object], culprit: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        v2.CreateNodes2024Request.build(cluster_id="c", queue_name="comp", **fields)
    assert info.value.field == culprit


def test_queue_name_rules() -> None:
    with pytest.raises(RequestValidationError) as info:
        v2.CreateQueueRequest.build(cluster_id="c", queue={"QueueName": "bad_name"})
    assert info.value.field == "Queue.QueueName"


def test_client_posts_with_the_2024_version_and_an_empty_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"RequestId": "R1", "InstanceIds": ["i-1"], "Success": True})

    with EhpcClient2024(endpoint="http://127.0.0.1:9", credentials=_creds(),
                        transport=httpx.MockTransport(handler)) as client:
        out = client.create_nodes("c", queue_name="comp", count=1)
    assert out.instance_ids == ["i-1"] and out.request_id == "R1"
    sent = seen[0]
    assert sent.method == "POST" and sent.content == b""
    assert sent.headers["x-acs-version"] == "2024-07-30" and sent.headers["x-acs-action"] == "CreateNodes"
    assert dict(sent.url.params) == {"ClusterId": "c", "Count": "1", "QueueName": "comp"}


def test_v1_client_puts_the_2024_version_in_the_query() -> None:
    from pulumi_ehpc_tasks.wire.signing import SignatureVersion

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"RequestId": "R1", "Queue": {"QueueName": "comp"}})

    with EhpcClient2024(endpoint="http://127.0.0.1:9", credentials=_creds(), signature_version=SignatureVersion.V1,
                        transport=httpx.MockTransport(handler)) as client:
        assert client.get_queue("c", queue_name="comp").queue.queue_name == "comp"
    params = dict(seen[0].url.params)
    assert params["Version"] == "2024-07-30" and params["Action"] == "GetQueue"
    signed = {k: v for k, v in params.items() if k != "Signature"}
    assert params["Signature"] == sign_v1(signed, "POST", "testsecret")


def _creds():  # type: ignore[no-untyped-def]
    from pulumi_ehpc_tasks.wire.signing import Credentials

    return Credentials("testid", "testsecret")
