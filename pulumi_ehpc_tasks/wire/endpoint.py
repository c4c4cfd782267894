"""Endpoint and TLS rules: https by default, plain http only to loopback unless explicitly allowed."""

from __future__ import annotations

import ipaddress
import re
import ssl
from urllib.parse import urlsplit

from .errors import EndpointError

__all__ = ["default_endpoint", "is_loopback", "resolve_endpoint", "tls_verify"]

_REGION = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")


def default_endpoint(region: str) -> str:
    """`https://ehpc.<region>.aliyuncs.com` (the SDK's `regional` rule; no per-region table)."""
    if not _REGION.match(region):
        raise EndpointError(f"invalid region id {region!r} (expected e.g. cn-hangzhou)")
    return f"https://ehpc.{region}.aliyuncs.com"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost` (including `*.localhost`)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_endpoint(region: str | None, endpoint: str | None, *, allow_insecure_http: bool = False) -> str:
    """Base URL (scheme://host[:port], no trailing slash). An explicit endpoint wins over the region.

    An endpoint without scheme (`ehpc-vpc.cn-hangzhou.aliyuncs.com`) means https.
    """
    if not endpoint:
        if not region:
            raise EndpointError(
                "no region and no endpoint: set ehpc:region / ALIBABA_CLOUD_REGION_ID or an endpoint"
            )
        return default_endpoint(region)
    raw = endpoint.strip()
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"invalid endpoint {endpoint!r}: expected https://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise EndpointError(f"invalid endpoint {endpoint!r}: no path, query or user info allowed")
    if parts.scheme == "http" and not (allow_insecure_http or is_loopback(parts.hostname)):
        raise EndpointError(
            f"refusing plain http to {parts.hostname!r}: requests carry signatures and may carry STS tokens; "
            "use https, a loopback address (emulator), or allow_insecure_http=True if you really mean it"
        )
    return f"{parts.scheme}://{parts.netloc}"


def tls_verify(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext | bool:
    """TLS verification is always on: `True` (system/certifi CAs), a CA bundle path, or an SSLContext."""
    if verify is False:
        raise EndpointError(
            "TLS verification cannot be disabled; pass verify='/path/to/ca-bundle.pem' instead"
        )
    if isinstance(verify, str):
        try:
            return ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            raise EndpointError(f"cannot load CA bundle {verify!r}: {exc}") from None
    if isinstance(verify, ssl.SSLContext) and (verify.verify_mode == ssl.CERT_NONE or not verify.check_hostname):
        # A context is how one would switch verification off without saying so: refuse that too.
        raise EndpointError(
            "TLS verification cannot be disabled: the SSLContext given has verify_mode=CERT_NONE or "
            "check_hostname=False; load your CA into a verifying context instead"
        )
    return verify
