"""The signer reproduces every vector made by Alibaba's official signing code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from pulumi_ehpc_tasks.wire import signing
from pulumi_ehpc_tasks.wire.signing import Credentials, EhpcAuth, SignatureVersion

# shared/ sits beside the repository, on developer machines and in CI alike.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "testdata"
VECTORS = json.loads((SHARED / "signature-vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["v1"], ids=lambda v: v["id"])
def test_v1_vectors(vector: dict) -> None:
    got = signing.sign_v1(vector["params"], vector["method"], vector["access_key_secret"])
    assert got == vector["expected_signature"]


@pytest.mark.parametrize("vector", VECTORS["v3"], ids=lambda v: v["id"])
def test_v3_vectors(vector: dict) -> None:
    payload_hash = hashlib.sha256(vector["body"].encode()).hexdigest()
    creq, names = signing.v3_canonical_request(
        vector["method"], vector["pathname"], vector["query"].items(), vector["headers"].items(), payload_hash
    )
    assert creq == vector["canonical_request"]
    sig, names = signing.sign_v3(
        vector["method"],
        vector["pathname"],
        vector["query"].items(),
        vector["headers"].items(),
        payload_hash,
        vector["access_key_secret"],
    )
    header = f"ACS3-HMAC-SHA256 Credential={vector['access_key_id']},SignedHeaders={names},Signature={sig}"
    assert header == vector["expected_authorization"]


def test_auth_flow_signs_fresh_each_attempt() -> None:
    auth = EhpcAuth(Credentials("ak", "S3cr3tValue", "T0kenValue"))
    req = httpx.Request(
        "GET", "https://ehpc.cn-hangzhou.aliyuncs.com/?ClusterId=c1", headers={"x-acs-action": "ListTasks"}
    )
    first = next(auth.sync_auth_flow(req)).headers["Authorization"]
    nonce1 = req.headers["x-acs-signature-nonce"]
    second = next(auth.sync_auth_flow(req)).headers["Authorization"]
    assert req.headers["x-acs-signature-nonce"] != nonce1
    assert first != second
    assert "x-acs-security-token" in first.split("SignedHeaders=")[1]
    assert "S3cr3tValue" not in repr(auth) and "T0kenValue" not in repr(auth)


def test_v1_auth_flow_encodes_plus_and_signs() -> None:
    auth = EhpcAuth(Credentials("ak", "secret"), SignatureVersion.V1)
    req = httpx.Request("GET", "https://h/", params={"Action": "AddNodes", "HostNamePrefix": "a+b c"})
    signed = next(auth.sync_auth_flow(req))
    raw = signed.url.query.decode()
    assert "HostNamePrefix=a%2Bb%20c" in raw
    params = dict(signed.url.params.multi_items())
    assert params["HostNamePrefix"] == "a+b c"
    sig = params.pop("Signature")
    assert sig == signing.sign_v1(params, "GET", "secret")
