"""Alibaba Cloud request signing: RPC V1 (HMAC-SHA1) and ACS3-HMAC-SHA256 (V3).

The pure functions here are shared by the client (`EhpcAuth`) and the emulator's verifier; both
are pinned to the vectors made by Alibaba's own signing code (`signature-vectors.json`), so a bug
cannot hide by being shared.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import AsyncGenerator, Generator, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx

if TYPE_CHECKING:
    from .identity import CredentialsProvider

__all__ = [
    "API_VERSION",
    "EMPTY_SHA256",
    "KEY_ID_EXTENSION",
    "V3_ALGORITHM",
    "Credentials",
    "EhpcAuth",
    "SignatureVersion",
    "canonical_query",
    "new_nonce",
    "percent_encode",
    "sign_v1",
    "sign_v3",
    "timestamp",
    "v3_canonical_request",
]

API_VERSION = "2018-04-12"
V3_ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class SignatureVersion(str, Enum):
    """Which signing scheme a client uses; V3 is the official SDK's default."""

    V3 = "v3"
    V1 = "v1"


@dataclass(frozen=True)
class Credentials:
    """An access key pair, optionally with an STS token. The repr never shows the secret."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    source: str = "explicit"

    def __post_init__(self) -> None:
        # An empty value would be signed and sent, and come back as a confusing signature error.
        missing = [name for name in ("access_key_id", "access_key_secret") if not getattr(self, name)]
        if missing:
            raise ValueError(f"Credentials: {' and '.join(missing)} must not be empty (from {self.source})")

    def __repr__(self) -> str:
        token = ", security_token=<redacted>" if self.security_token else ""
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret=<redacted>{token}, "
            f"source={self.source!r})"
        )

    __str__ = __repr__


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba canonicalises it: only `A-Za-z0-9-_.~` stay unescaped."""
    return quote(value, safe="~", encoding="utf-8")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Sorted `name=value` pairs, both encoded, joined with `&` (byte order, case-sensitive)."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params))


def timestamp(now: dt.datetime | None = None) -> str:
    """UTC time in the `YYYY-MM-DDTHH:MM:SSZ` form both schemes use."""
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_nonce() -> str:
    """A fresh nonce for every attempt; the gateway rejects a reused one (`SignatureNonceUsed`)."""
    return secrets.token_hex(16)


def sign_v1(params: Mapping[str, str], method: str, secret: str) -> str:
    """Base64 HMAC-SHA1 of `METHOD&%2F&enc(canonical query)`, keyed with `secret + '&'`."""
    canon = canonical_query((k, v) for k, v in params.items() if k != "Signature")
    string_to_sign = "&".join([method.upper(), percent_encode("/"), percent_encode(canon)])
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def _canonical_headers(headers: Iterable[tuple[str, str]]) -> tuple[str, str]:
    merged: dict[str, list[str]] = {}
    for name, value in headers:
        merged.setdefault(name.lower(), []).append(str(value).strip())
    names = sorted(merged)
    canon = "".join(f"{n}:{','.join(sorted(merged[n]))}\n" for n in names)
    return canon, ";".join(names)


def v3_canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
    payload_hash: str,
) -> tuple[str, str]:
    """Return `(canonical_request, signed_headers)` for the V3 scheme."""
    canon_headers, signed = _canonical_headers(headers)
    creq = "\n".join(
        [method.upper(), path or "/", canonical_query(query), canon_headers, signed, payload_hash]
    )
    return creq, signed


def sign_v3(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Iterable[tuple[str, str]],
    payload_hash: str,
    secret: str,
) -> tuple[str, str]:
    """Return `(signature_hex, signed_headers)`; `headers` are exactly the ones to sign."""
    creq, signed = v3_canonical_request(method, path, query, headers, payload_hash)
    string_to_sign = f"{V3_ALGORITHM}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    sig = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return sig, signed


def _is_signed_v3_header(name: str) -> bool:
    # Like the official SDK: host, every x-acs-* header, and content-type when present.
    n = name.lower()
    return n in ("host", "content-type") or (n.startswith("x-acs-") and n != "x-acs-signature")


KEY_ID_EXTENSION = "ehpc_access_key_id"
"""The request extension naming the key id an attempt was signed with (to invalidate it if expired)."""


class EhpcAuth(httpx.Auth):
    """Signs each attempt afresh (new nonce and timestamp) with V3 (default) or V1.

    Every attempt is signed with `provider.get()`, so refreshed credentials are used as soon as they
    exist. The async flow never runs a refresh on the event loop: when the provider has nothing fresh
    cached (`peek()` is None), `get()` runs in a worker thread (`asyncio.to_thread`), because the
    providers are synchronous and thread-safe; a cached answer costs no thread hop.

    The request must carry `x-acs-action` (V3) or an `Action` query parameter (V1); the client's
    operation layer puts the business parameters in the query string.
    """

    requires_request_body = True

    def __init__(
        self, credentials: Credentials | CredentialsProvider, version: SignatureVersion = SignatureVersion.V3
    ) -> None:
        from .identity import StaticProvider  # identity imports this module

        self.provider: CredentialsProvider = (
            StaticProvider(credentials) if isinstance(credentials, Credentials) else credentials
        )
        self._version = version

    def __repr__(self) -> str:
        return f"EhpcAuth(source={self.provider.source!r}, version={self._version.value})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self._sign(request, self.provider.get())
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        peek = getattr(self.provider, "peek", None)
        cached = peek() if callable(peek) else getattr(self.provider, "credentials", None)
        creds = cached if isinstance(cached, Credentials) else await asyncio.to_thread(self.provider.get)
        self._sign(request, creds)
        yield request

    def _sign(self, request: httpx.Request, creds: Credentials) -> None:
        request.extensions[KEY_ID_EXTENSION] = creds.access_key_id
        if self._version is SignatureVersion.V1:
            self._sign_v1(request, creds)
        else:
            self._sign_v3(request, creds)

    def _sign_v3(self, request: httpx.Request, creds: Credentials) -> None:
        body = request.content
        request.headers["x-acs-date"] = timestamp()
        request.headers["x-acs-signature-nonce"] = new_nonce()
        request.headers["x-acs-content-sha256"] = hashlib.sha256(body).hexdigest()
        request.headers.setdefault("x-acs-version", API_VERSION)
        if creds.security_token:
            request.headers["x-acs-security-token"] = creds.security_token
            request.headers["x-acs-accesskey-id"] = creds.access_key_id
        signed = [(k, v) for k, v in request.headers.multi_items() if _is_signed_v3_header(k)]
        sig, names = sign_v3(
            request.method,
            request.url.path,
            request.url.params.multi_items(),
            signed,
            request.headers["x-acs-content-sha256"],
            creds.access_key_secret,
        )
        request.headers["Authorization"] = (
            f"{V3_ALGORITHM} Credential={creds.access_key_id},SignedHeaders={names},Signature={sig}"
        )

    def _sign_v1(self, request: httpx.Request, creds: Credentials) -> None:
        params = dict(request.url.params.multi_items())
        params.pop("Signature", None)
        params.update(
            {
                "Format": "json",
                # The client puts the row's version in the header (2018 or 2024); V1 carries it in the query.
                "Version": request.headers.get("x-acs-version", API_VERSION),
                "AccessKeyId": creds.access_key_id,
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
                "SignatureNonce": new_nonce(),
                "Timestamp": timestamp(),
            }
        )
        if "Action" not in params and "x-acs-action" in request.headers:
            params["Action"] = request.headers["x-acs-action"]
        if creds.security_token:
            params["SecurityToken"] = creds.security_token
        signed_params = dict(params)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = httpx.QueryParams(request.content.decode())
            signed_params.update(dict(form.multi_items()))
        params["Signature"] = sign_v1(signed_params, request.method, creds.access_key_secret)
        # Encode the query ourselves: httpx would leave `+` in values, which the gateway reads as a space.
        query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        request.url = request.url.copy_with(query=query.encode())
