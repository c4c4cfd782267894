"""Shared helpers for the wire tests (no tests here): a recording MockTransport and signature checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from pulumi_ehpc_tasks.wire import Credentials, EhpcClient, RetryConfig, SignatureVersion
from pulumi_ehpc_tasks.wire.signing import sign_v1, sign_v3

CREDS = Credentials("LTAItestKEYid0001", "testSecretValue0123456789", source="test")
STS_CREDS = Credentials("STS.tempKEYid0001", "stsSecretValue0123456789", "CAIS+sts/Token==x", source="test")


def query_pairs(request: httpx.Request) -> list[tuple[str, str]]:
    """Decoded query parameters in wire order (`%2B` → `+`, `%20` → space)."""
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


def business_params(request: httpx.Request) -> dict[str, str]:
    common = {
        "Format",
        "Version",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "Signature",
        "SecurityToken",
        "Action",
    }
    return {k: v for k, v in query_pairs(request) if k not in common}


def verify_v3(request: httpx.Request, creds: Credentials) -> bool:
    auth = request.headers["authorization"]
    fields = dict(part.split("=", 1) for part in auth.split(" ", 1)[1].split(","))
    names = fields["SignedHeaders"].split(";")
    headers = [(n, request.headers[n]) for n in names]
    sig, _ = sign_v3(
        "GET", "/", query_pairs(request), headers, hashlib.sha256(b"").hexdigest(), creds.access_key_secret
    )
    return fields["Credential"] == creds.access_key_id and hmac.compare_digest(sig, fields["Signature"])


def verify_v1(request: httpx.Request, creds: Credentials) -> bool:
    params = dict(query_pairs(request))
    got = params.pop("Signature")
    base64.b64decode(got)
    return (
        params["AccessKeyId"] == creds.access_key_id
        and sign_v1(params, "GET", creds.access_key_secret) == got
    )


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """Replies from a script (last one repeats) and records every request sent."""

    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    @property
    def actions(self) -> list[str]:
        return [r.headers["x-acs-action"] for r in self.requests]


def ok(body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"RequestId": "req-ok", **(body or {})})


def api_err(
    status: int, code: str, message: str = "boom", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"RequestId": "req-err-1", "Code": code, "Message": message, "HostId": "h"},
        headers=headers,
    )


@dataclass
class FakeSleep:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(
    replies: Iterable[Reply],
    *,
    creds: Credentials = CREDS,
    version: SignatureVersion = SignatureVersion.V3,
    max_attempts: int = 5,
    seed: int = 7,
) -> tuple[EhpcClient, Recorder, FakeSleep]:
    rec = Recorder(list(replies))
    sleep = FakeSleep()
    import random

    client = EhpcClient(
        region="cn-hangzhou",
        credentials=creds,
        signature_version=version,
        transport=httpx.MockTransport(rec),
        sleep=sleep,
        retry=RetryConfig(max_attempts=max_attempts, rng=random.Random(seed)),
    )
    return client, rec, sleep
