"""Error classes and the retry contract (ClientToken reuse, no blind re-send of non-idempotent writes)."""

from __future__ import annotations

import pickle

import httpx
import pytest

from pulumi_ehpc_tasks.wire import (
    ACTIONS,
    DEFAULT_RETRY,
    ERROR_CODE_POLICY,
    AmbiguousResultError,
    AuthError,
    EhpcApiError,
    EhpcTransportError,
    NotFoundError,
    Policy,
    ThrottledError,
    classify,
)

from .test_wire_support import STS_CREDS, api_err, business_params, make_client, ok

C = "ehpc-hz-demo"
ADD_OK = {"TaskId": "t-1", "InstanceIds": {"InstanceId": ["i-1"]}}


@pytest.mark.parametrize(
    ("code", "status", "policy"),
    [
        ("Throttling", 400, Policy.THROTTLE),
        ("Throttling.User", 400, Policy.THROTTLE),
        ("Throttling.Api", 400, Policy.THROTTLE),
        ("ServiceUnavailable", 503, Policy.TRANSIENT),
        ("UnknownError", 500, Policy.TRANSIENT),
        ("InternalError", 500, Policy.TRANSIENT),
        ("InternalFailure", 500, Policy.TRANSIENT),
        ("DbError", 406, Policy.TRANSIENT),
        ("RedisError", 406, Policy.TRANSIENT),
        ("SomethingNew", 502, Policy.TRANSIENT),
        ("SignatureNonceUsed", 400, Policy.RESIGN),
        ("SignatureDoesNotMatch", 400, Policy.AUTH),
        ("IncompleteSignature", 400, Policy.AUTH),
        ("InvalidAccessKeyId.NotFound", 404, Policy.AUTH),
        ("InvalidAccessKeyId.Inactive", 400, Policy.AUTH),
        ("InvalidSecurityToken.Expired", 400, Policy.AUTH),
        ("InvalidTimeStamp.Expired", 400, Policy.AUTH),
        ("ClusterNotFound", 404, Policy.FATAL),
        ("InvalidParams", 400, Policy.FATAL),
        ("Forbidden.RAM", 403, Policy.FATAL),
    ],
)
def test_policy_table(code: str, status: int, policy: Policy) -> None:
    assert classify(code, status) is policy
    assert all(isinstance(p, Policy) for p in ERROR_CODE_POLICY.values())


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("Throttling.User", 400, ThrottledError),
        ("SignatureDoesNotMatch", 400, AuthError),
        ("InvalidSecurityToken.Expired", 400, AuthError),
        ("ClusterNotFound", 404, NotFoundError),
        ("InvalidParams", 400, EhpcApiError),
    ],
)
def test_error_classes_and_fields(code: str, status: int, cls: type[EhpcApiError]) -> None:
    client, _, _ = make_client([api_err(status, code, "the message")], max_attempts=1)
    with pytest.raises(cls) as info:
        client.list_tasks(C)
    err = info.value
    assert type(err) is cls
    assert (err.code, err.message, err.request_id, err.http_status, err.action) == (
        code,
        "the message",
        "req-err-1",
        status,
        "ListTasks",
    )
    assert str(err).startswith(f"ListTasks failed: {code} (HTTP {status}, RequestId req-err-1): the message.")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is cls and str(clone) == str(err) and clone.code == code


def test_auth_error_message_tells_what_to_check_and_keeps_server_string_to_sign() -> None:
    msg = "Signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId"
    client, _, _ = make_client([api_err(400, "SignatureDoesNotMatch", msg)])
    with pytest.raises(AuthError) as info:
        client.add_nodes(C, count=1)
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in str(info.value) and "ehpc:accessKeySecret" in str(info.value)
    assert info.value.server_string_to_sign == "GET&%2F&AccessKeyId"
    client, rec, _ = make_client([api_err(400, "InvalidTimeStamp.Expired", "too old")])
    with pytest.raises(AuthError, match="clock"):
        client.list_tasks(C)
    assert len(rec.requests) == 1  # AUTH is never retried


def test_secrets_scrubbed_from_server_messages() -> None:
    token = STS_CREDS.security_token or ""
    enc = "CAIS%252Bsts%252FToken%253D%253Dx"  # the token percent-encoded twice, as in a V1 string-to-sign
    secret = STS_CREDS.access_key_secret
    msg = f"bad. server string to sign is:GET&%2F&SecurityToken%3D{enc}%26Timestamp {token} {secret}"
    client, _, _ = make_client([api_err(400, "SignatureDoesNotMatch", msg)], creds=STS_CREDS)
    with pytest.raises(AuthError) as info:
        client.list_tasks(C)
    text = str(info.value) + repr(info.value.body) + info.value.message
    assert token not in text and enc not in text and "CAIS" not in text
    assert STS_CREDS.access_key_secret not in text
    assert "SecurityToken%3D<redacted>" in text


def test_throttle_then_success_honours_retry_after() -> None:
    client, rec, sleep = make_client(
        [api_err(400, "Throttling.User", headers={"x-acs-retry-after": "1500"}), ok({"Tasks": []})]
    )
    assert client.list_tasks(C).tasks == []
    assert len(rec.requests) == 2 and len(sleep.calls) == 1
    assert sleep.calls[0] >= 1.5


def test_throttling_exhausts_attempts_then_raises() -> None:
    client, rec, sleep = make_client([api_err(400, "Throttling")], max_attempts=3)
    with pytest.raises(ThrottledError, match="retries ran out"):
        client.list_tasks(C)
    assert len(rec.requests) == 3 and len(sleep.calls) == 2
    assert all(0 <= s <= 20 for s in sleep.calls)


def test_add_nodes_retried_with_the_same_client_token() -> None:
    client, rec, _ = make_client(
        [
            httpx.ReadTimeout("slow"),
            api_err(500, "InternalError"),
            api_err(503, "ServiceUnavailable"),
            ok(ADD_OK),
        ]
    )
    assert client.add_nodes(C, count=2).task_id == "t-1"
    tokens = {business_params(r)["ClientToken"] for r in rec.requests}
    assert len(rec.requests) == 4 and len(tokens) == 1 and next(iter(tokens))
    client, rec, _ = make_client([httpx.RemoteProtocolError("dropped"), ok(ADD_OK)])
    client.add_nodes(C, count=2, client_token="caller-token")
    assert [business_params(r)["ClientToken"] for r in rec.requests] == ["caller-token"] * 2


def test_create_cluster_also_carries_a_stable_token() -> None:
    client, rec, _ = make_client([httpx.ReadTimeout("slow"), ok({"TaskId": "t", "ClusterId": "c"})])
    client.create_cluster(name="hpc")
    assert len({business_params(r)["ClientToken"] for r in rec.requests}) == 1
    client.create_cluster(name="hpc")  # a new logical call gets a new token
    assert len({business_params(r)["ClientToken"] for r in rec.requests}) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped after send"),
        httpx.ReadError("reset"),
        api_err(500, "InternalError"),
        api_err(503, "ServiceUnavailable"),
        api_err(502, "BadGateway"),
        httpx.Response(200, text="<html>proxy</html>"),
    ],
    ids=["read-timeout", "dropped", "read-error", "500", "503", "502", "garbage-2xx"],
)
def test_delete_nodes_not_resent_after_ambiguous_failure(failure: object) -> None:
    client, rec, sleep = make_client([failure, ok({"TaskId": "t"})])  # type: ignore[list-item]
    with pytest.raises(AmbiguousResultError) as info:
        client.delete_nodes(C, instance_ids=["i-1", "i-2"], release_instance=True)
    assert len(rec.requests) == 1 and sleep.calls == []
    err = info.value
    assert isinstance(err, EhpcTransportError) and err.may_have_reached_server
    assert err.action == "DeleteNodes"
    assert err.params["Instance.2.Id"] == "i-2" and err.params["ClusterId"] == C
    assert "not re-sent" in str(err) and err.__cause__ is not None


@pytest.mark.parametrize("action", [a.method_name for a in ACTIONS.values() if not a.idempotent])
def test_every_non_idempotent_write_raises_ambiguous(action: str) -> None:
    client, rec, _ = make_client([httpx.ReadTimeout("slow")])
    kwargs = {"instance_ids": ["i-1"]} if action.endswith("_nodes") else {}
    with pytest.raises(AmbiguousResultError):
        getattr(client, action)(C, **kwargs)
    assert len(rec.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no route"),
        api_err(400, "Throttling.User"),
        api_err(400, "SignatureNonceUsed"),
    ],
    ids=["connect", "connect-timeout", "throttled", "nonce"],
)
def test_delete_nodes_retried_when_not_processed(failure: object) -> None:
    client, rec, _ = make_client([failure, ok({"TaskId": "t"})])  # type: ignore[list-item]
    assert client.delete_nodes(C, instance_ids=["i-1"]).task_id == "t"
    assert len(rec.requests) == 2


def test_nonce_resign_happens_once_with_a_fresh_nonce() -> None:
    client, rec, sleep = make_client([api_err(400, "SignatureNonceUsed"), api_err(400, "SignatureNonceUsed")])
    with pytest.raises(EhpcApiError) as info:
        client.list_tasks(C)
    assert info.value.code == "SignatureNonceUsed" and len(rec.requests) == 2
    assert (
        rec.requests[0].headers["x-acs-signature-nonce"] != rec.requests[1].headers["x-acs-signature-nonce"]
    )
    assert sleep.calls == []


def test_reads_retry_transport_and_5xx_freely() -> None:
    client, rec, sleep = make_client(
        [httpx.ReadTimeout("slow"), api_err(500, "UnknownError"), httpx.ConnectError("x"), ok({"Tasks": []})]
    )
    client.list_tasks(C)
    assert len(rec.requests) == 4 and len(sleep.calls) == 3


def test_transport_errors_exhausted() -> None:
    client, rec, _ = make_client([httpx.ConnectError("refused")], max_attempts=2)
    with pytest.raises(EhpcTransportError) as info:
        client.describe_cluster(C)
    assert not info.value.may_have_reached_server and "not sent" in str(info.value)
    assert not isinstance(info.value, AmbiguousResultError) and len(rec.requests) == 2 + DEFAULT_RETRY.outage_attempts


@pytest.mark.parametrize("seed", range(20))
def test_an_endpoint_away_for_15_s_is_always_ridden_out(seed: int) -> None:
    # Whatever the jitter draws, the backoff before giving up on a refused connection adds up to 15.75 s.
    client, rec, sleep = make_client([httpx.ConnectError("refused")], seed=seed)
    with pytest.raises(EhpcTransportError):
        client.add_nodes(C, count=1)  # keyed: safe to re-send with its ClientToken
    assert len(rec.requests) == 5 + DEFAULT_RETRY.outage_attempts and sum(sleep.calls) >= 15.75


def test_xml_error_body_and_unknown_body() -> None:
    xml = "<Error><RequestId>R1</RequestId><Code>Forbidden.RAM</Code><Message>denied</Message></Error>"
    client, _, _ = make_client([httpx.Response(403, text=xml)])
    with pytest.raises(EhpcApiError) as info:
        client.list_tasks(C)
    assert (info.value.code, info.value.request_id, info.value.message) == ("Forbidden.RAM", "R1", "denied")
    assert "RAM policy" in str(info.value)
    client, _, _ = make_client([httpx.Response(404, text="not here")])
    with pytest.raises(EhpcApiError, match="HTTP404"):
        client.list_tasks(C)
