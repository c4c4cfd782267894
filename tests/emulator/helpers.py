"""Signed plain-httpx calls to the emulator (independent of the project's client) and polling helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from pulumi_ehpc_tasks.wire.signing import (
    Credentials,
    EhpcAuth,
    SignatureVersion,
    new_nonce,
    percent_encode,
    sign_v1,
    timestamp,
)

T = TypeVar("T")
V1 = SignatureVersion.V1
V3 = SignatureVersion.V3


class Api:
    """Calls one action with V3 (header) or V1 (query) signing, as GET or as POST with a form body."""

    def __init__(self, endpoint: str, credentials: Credentials) -> None:
        self.endpoint = endpoint
        self.credentials = credentials
        self.http = httpx.Client(base_url=endpoint, timeout=30.0)

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        version: SignatureVersion = V3,
        method: str = "GET",
        credentials: Credentials | None = None,
    ) -> httpx.Request:
        values = {k: str(v) for k, v in (params or {}).items()}
        headers = {"x-acs-action": action}
        if version is V1:
            values = {"Action": action, **values} if method == "GET" else values
        content = None
        query = values
        if method == "POST":
            content = urlencode(values).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
            query = {"Action": action} if version is V1 else {}
        url = "/?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())
        request = self.http.build_request(method, url, headers=headers, content=content)
        auth = EhpcAuth(credentials or self.credentials, version)
        return next(auth.auth_flow(request))

    def send(self, request: httpx.Request) -> httpx.Response:
        return self.http.send(request)

    def call(self, action: str, params: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return self.send(self.request(action, params, **kw))

    def ok(self, action: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response = self.call(action, params, **kw)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def task(self, cluster_id: str, task_id: str) -> dict[str, Any]:
        tasks = self.ok("ListTasks", {"ClusterId": cluster_id, "TaskId": task_id})["Tasks"]
        assert len(tasks) == 1
        task: dict[str, Any] = tasks[0]
        return task

    def wait_task(self, cluster_id: str, task_id: str, timeout_s: float = 20.0) -> dict[str, Any]:
        return wait_for(lambda: _terminal(self.task(cluster_id, task_id)), timeout_s)


def _terminal(task: dict[str, Any]) -> dict[str, Any] | None:
    return task if task["Status"] != "Processing" else None


def wait_for(probe: Callable[[], T | None], timeout_s: float = 20.0, interval_s: float = 0.02) -> T:
    """Poll until `probe` returns something truthy; generous deadlines, no timing assertions."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert {"RequestId", "HostId", "Code", "Message", "Recommend"} <= set(body), body
    return response.status_code, body["Code"]


STS_VERSION = "2015-04-01"


def sts_call(
    api: Api,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    credentials: Credentials | None = None,
    version: SignatureVersion = V3,
) -> httpx.Response:
    """A signed STS call: V3 with the STS version in its header, or V1 signed here (our V1 signer
    always says E-HPC's version)."""
    creds = credentials or api.credentials
    values = {k: str(v) for k, v in (params or {}).items()}
    if version is V3:
        url = "/?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in values.items())
        request = api.http.build_request("GET", url, headers={"x-acs-action": action, "x-acs-version": STS_VERSION})
        return api.send(next(EhpcAuth(creds, V3).auth_flow(request)))
    values.update(
        Action=action, Version=STS_VERSION, Format="JSON", AccessKeyId=creds.access_key_id,
        SignatureMethod="HMAC-SHA1", SignatureVersion="1.0", SignatureNonce=new_nonce(), Timestamp=timestamp(),
    )
    if creds.security_token:
        values["SecurityToken"] = creds.security_token
    values["Signature"] = sign_v1(values, "GET", creds.access_key_secret)
    return api.http.get("/?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in values.items()))


class OidcIssuer:
    """An OIDC identity provider of a test's own: an RSA key pair and RS256 tokens signed with it."""

    def __init__(self, issuer: str = "https://oidc.test.example", audience: str = "sts.aliyuncs.com") -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.issuer = issuer
        self.audience = audience
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def token(self, *, lifetime_s: float = 600, **claims: Any) -> str:
        import jwt

        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.audience, "sub": "system:serviceaccount:ci:deployer",
                "iat": now, "exp": now + lifetime_s, **claims}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, self.key, algorithm="RS256")
