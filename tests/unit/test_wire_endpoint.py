"""Endpoint and TLS rules."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from pulumi_ehpc_tasks.wire import EhpcClient, EndpointError, is_loopback, resolve_endpoint

from .test_wire_support import CREDS, ok


@pytest.mark.parametrize(
    ("region", "endpoint", "expected"),
    [
        ("cn-hangzhou", None, "https://ehpc.cn-hangzhou.aliyuncs.com"),
        ("cn-hangzhou", "ehpc-vpc.cn-hangzhou.aliyuncs.com", "https://ehpc-vpc.cn-hangzhou.aliyuncs.com"),
        (None, "https://proxy.example.com:8443/", "https://proxy.example.com:8443"),
        (None, "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        (None, "http://127.9.9.9:1", "http://127.9.9.9:1"),
        (None, "http://localhost:9", "http://localhost:9"),
        (None, "http://[::1]:9", "http://[::1]:9"),
    ],
)
def test_resolve_endpoint(region: str | None, endpoint: str | None, expected: str) -> None:
    assert resolve_endpoint(region, endpoint) == expected


@pytest.mark.parametrize(
    ("region", "endpoint", "fragment"),
    [
        (None, None, "no region"),
        ("cn-hangzhou/../x", None, "invalid region"),
        (None, "http://10.0.0.5:8080", "refusing plain http"),
        (None, "http://ehpc.example.com", "refusing"),
        (None, "ftp://x", "invalid endpoint"),
        (None, "https://x/path", "no path"),
        (None, "https://user:pw@x", "no path"),
    ],
)
def test_bad_endpoints(region: str | None, endpoint: str | None, fragment: str) -> None:
    with pytest.raises(EndpointError, match=fragment):
        resolve_endpoint(region, endpoint)


def test_insecure_http_needs_explicit_opt_in() -> None:
    assert resolve_endpoint(None, "http://10.0.0.5", allow_insecure_http=True) == "http://10.0.0.5"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("128.0.0.1")


def test_tls_cannot_be_disabled_and_ca_bundle_is_loaded(tmp_path: Path) -> None:
    with pytest.raises(EndpointError, match="cannot be disabled"):
        EhpcClient(region="cn-hangzhou", credentials=CREDS, verify=False)
    with pytest.raises(EndpointError, match="CA bundle"):
        EhpcClient(region="cn-hangzhou", credentials=CREDS, verify=str(tmp_path / "missing.pem"))
    ctx = ssl.create_default_context()
    client = EhpcClient(region="cn-hangzhou", credentials=CREDS, verify=ctx)
    assert client._core.verify is ctx
    # Nor through a context that does not verify.
    lax = ssl.create_default_context()
    lax.check_hostname = False
    with pytest.raises(EndpointError, match="cannot be disabled"):
        EhpcClient(region="cn-hangzhou", credentials=CREDS, verify=lax)
    lax.verify_mode = ssl.CERT_NONE
    with pytest.raises(EndpointError, match="cannot be disabled"):
        EhpcClient(region="cn-hangzhou", credentials=CREDS, verify=lax)


def test_explicit_endpoint_used_for_requests() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok({"Tasks": []})

    client = EhpcClient(
        endpoint="http://127.0.0.1:9999", credentials=CREDS, transport=httpx.MockTransport(handler)
    )
    client.list_tasks("c")
    assert str(seen[0].url).startswith("http://127.0.0.1:9999/?ClusterId=c")
    assert seen[0].headers["host"] == "127.0.0.1:9999"
