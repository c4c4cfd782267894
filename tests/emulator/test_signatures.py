"""Every signature rejection is an error body and executes nothing; STS tokens are checked."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import httpx
import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.wire.signing import Credentials, sign_v1

from .conftest import FAST
from .helpers import V1, V3, Api, error

ADD = "AddNodes"


def add_params(emu: EmulatorHandle) -> dict[str, object]:
    return {"ClusterId": emu.cluster_id, "Count": 1}


def nothing_executed(emu: EmulatorHandle) -> None:
    assert emu.stats()["tasks"] == {}
    assert not [n for n in emu.nodes() if n["Role"] == "Compute"]


def with_query(request: httpx.Request, **changes: str) -> httpx.Request:
    params = dict(request.url.params.multi_items())
    params.update(changes)
    return httpx.Request(
        request.method, request.url.copy_with(params=params), headers=request.headers, content=request.content
    )


@pytest.mark.parametrize("version", [V3, V1])
def test_tampered_param_after_signing(api: Api, emu: EmulatorHandle, version: object) -> None:
    request = with_query(api.request(ADD, add_params(emu), version=version), Count="5")
    response = api.send(request)
    assert error(response) == (400, "SignatureDoesNotMatch")
    assert "server string to sign is:" in response.json()["Message"]
    nothing_executed(emu)


def test_v3_string_to_sign_is_reported(api: Api, emu: EmulatorHandle) -> None:
    response = api.call(ADD, add_params(emu), credentials=Credentials(emu.credentials.access_key_id, "wrong"))
    assert error(response) == (400, "SignatureDoesNotMatch")
    assert response.json()["Message"].split("server string to sign is:")[1].startswith("ACS3-HMAC-SHA256\n")
    nothing_executed(emu)


@pytest.mark.parametrize("version", [V3, V1])
def test_wrong_secret(api: Api, emu: EmulatorHandle, version: object) -> None:
    bad = Credentials(emu.credentials.access_key_id, "not-the-secret")
    assert error(api.call(ADD, add_params(emu), version=version, credentials=bad)) == (
        400,
        "SignatureDoesNotMatch",
    )
    nothing_executed(emu)


@pytest.mark.parametrize("version", [V3, V1])
def test_unknown_key(api: Api, emu: EmulatorHandle, version: object) -> None:
    bad = Credentials("LTAInobody", emu.credentials.access_key_secret)
    response = api.call(ADD, add_params(emu), version=version, credentials=bad)
    assert error(response) == (404, "InvalidAccessKeyId.NotFound")
    nothing_executed(emu)


def _resign_v3(request: httpx.Request, secret: str, **headers: str) -> httpx.Request:
    """Re-sign a V3 request after changing headers (so only the changed header is 'wrong')."""
    from pulumi_ehpc_tasks.wire.signing import sign_v3

    for k, v in headers.items():
        request.headers[k] = v
    signed = [
        (k, v)
        for k, v in request.headers.multi_items()
        if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")
    ]
    sig, names = sign_v3(
        request.method,
        request.url.path,
        request.url.params.multi_items(),
        signed,
        request.headers["x-acs-content-sha256"],
        secret,
    )
    key_id = request.headers["authorization"].split("Credential=")[1].split(",")[0]
    request.headers["authorization"] = f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={names},Signature={sig}"
    return request


def test_expired_timestamp_v3(api: Api, emu: EmulatorHandle) -> None:
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    request = _resign_v3(api.request(ADD, add_params(emu)), emu.credentials.access_key_secret, **{"x-acs-date": old})
    assert error(api.send(request)) == (400, "InvalidTimeStamp.Expired")
    nothing_executed(emu)


def test_expired_timestamp_v1(api: Api, emu: EmulatorHandle) -> None:
    request = api.request(ADD, add_params(emu), version=V1)
    params = dict(request.url.params.multi_items())
    params["Timestamp"] = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params.pop("Signature")
    params["Signature"] = sign_v1(params, "GET", emu.credentials.access_key_secret)
    assert error(api.send(with_query(request, **params))) == (400, "InvalidTimeStamp.Expired")
    bad_format = dict(params, Timestamp="yesterday")
    bad_format["Signature"] = sign_v1(
        {k: v for k, v in bad_format.items() if k != "Signature"}, "GET", emu.credentials.access_key_secret
    )
    assert error(api.send(with_query(request, **bad_format))) == (400, "InvalidTimeStamp.Format")
    nothing_executed(emu)


@pytest.mark.parametrize("version", [V3, V1])
def test_replayed_nonce(api: Api, emu: EmulatorHandle, version: object) -> None:
    request = api.request("ListTasks", {"ClusterId": emu.cluster_id}, version=version)
    assert api.send(request).status_code == 200
    assert error(api.send(request)) == (400, "SignatureNonceUsed")
    add = api.request(ADD, add_params(emu), version=version)
    assert api.send(add).status_code == 200
    assert error(api.send(add)) == (400, "SignatureNonceUsed")
    assert len(emu.stats()["tasks"]) == 1


@pytest.mark.parametrize("header", ["x-acs-date", "x-acs-signature-nonce"])
def test_missing_v3_header(api: Api, emu: EmulatorHandle, header: str) -> None:
    request = api.request(ADD, add_params(emu))
    del request.headers[header]
    assert error(api.send(request)) == (400, "MissingParameter")
    nothing_executed(emu)


def test_malformed_or_unsigned_v3(api: Api, emu: EmulatorHandle) -> None:
    request = api.request(ADD, add_params(emu))
    request.headers["authorization"] = "ACS3-HMAC-SHA256 Credential=x"
    assert error(api.send(request)) == (400, "IncompleteSignature")
    request = api.request(ADD, add_params(emu))
    request.headers["x-acs-extra"] = "added after signing"
    assert error(api.send(request)) == (400, "IncompleteSignature")
    request = api.request(ADD, add_params(emu))
    request.headers["x-acs-content-sha256"] = hashlib.sha256(b"other").hexdigest()
    assert error(api.send(request)) == (400, "SignatureDoesNotMatch")
    nothing_executed(emu)


def test_unsigned_request(api: Api, emu: EmulatorHandle) -> None:
    response = api.http.get("/", params={"Action": ADD, **add_params(emu)})
    assert error(response) == (400, "IncompleteSignature")
    request = api.request(ADD, add_params(emu), version=V1)
    for missing in ("Signature", "SignatureNonce", "Timestamp", "AccessKeyId"):
        params = {k: v for k, v in request.url.params.multi_items() if k != missing}
        stripped = httpx.Request("GET", request.url.copy_with(params=params))
        assert error(api.send(stripped))[1] in ("MissingParameter", "IncompleteSignature"), missing
    nothing_executed(emu)


@pytest.fixture(scope="module")
def sts_emulator() -> Iterator[EmulatorHandle]:
    with running_emulator(sts=("STS.tempKeyId", "tempSecret", "CAIS+token/with*chars=="), **FAST) as handle:
        yield handle


@pytest.mark.parametrize("version", [V3, V1])
def test_sts_token(sts_emulator: EmulatorHandle, version: object) -> None:
    api = Api(sts_emulator.endpoint, sts_emulator.credentials)
    good = Credentials("STS.tempKeyId", "tempSecret", "CAIS+token/with*chars==")
    params = {"ClusterId": sts_emulator.cluster_id}
    assert api.call("ListTasks", params, version=version, credentials=good).status_code == 200
    wrong = Credentials("STS.tempKeyId", "tempSecret", "CAIS+other")
    assert error(api.call("ListTasks", params, version=version, credentials=wrong)) == (
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    )
    missing = Credentials("STS.tempKeyId", "tempSecret")
    assert error(api.call("ListTasks", params, version=version, credentials=missing)) == (
        400,
        "MissingSecurityToken",
    )
    assert api.call("ListTasks", params, version=version).status_code == 200  # the plain pair still works
    api.close()
