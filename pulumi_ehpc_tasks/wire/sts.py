"""STS (version 2015-04-01, RPC style): AssumeRole, AssumeRoleWithOIDC, GetCallerIdentity.

The wire format is that of Alibaba's `alibabacloud-credentials`: a GET with every parameter in the
query; AssumeRole and GetCallerIdentity signed with RPC V1 (HMAC-SHA1) by the caller's current
credentials, AssumeRoleWithOIDC unsigned (the OIDC token is the proof). `Temporary` is what a call
returns: credentials and the epoch second they expire at.
"""

from __future__ import annotations

import calendar
import json
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .endpoint import resolve_endpoint, tls_verify
from .errors import EhpcError, EhpcTransportError, EndpointError, IdentityError, StsError, api_error, scrub
from .signing import Credentials, new_nonce, percent_encode, sign_v1, timestamp

__all__ = [
    "DEFAULT_STS_ENDPOINT",
    "STS_ENDPOINT_ENV",
    "STS_VERSION",
    "StsClient",
    "Temporary",
    "parse_expiration",
    "sts_endpoint",
]

STS_VERSION = "2015-04-01"
DEFAULT_STS_ENDPOINT = "https://sts.aliyuncs.com"
STS_ENDPOINT_ENV = "EHPC_STS_ENDPOINT"  # ours; Alibaba's library only has the region and VPC switches
_STS_REGION_ENV = "ALIBABA_CLOUD_STS_REGION"
_VPC_ENV = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"
_TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # the library's read / connect timeouts


@dataclass(frozen=True)
class Temporary:
    """Temporary credentials and when they expire (epoch seconds)."""

    credentials: Credentials
    expires_at: float


def sts_endpoint(
    explicit: str | None,
    env: Mapping[str, str],
    *,
    region: str | None = None,
    vpc: bool | None = None,
    name: str = "sts_endpoint",
) -> str:
    """Base URL of STS: `explicit` → `EHPC_STS_ENDPOINT` → a region (argument, `ALIBABA_CLOUD_STS_REGION`;
    `sts-vpc.` when `vpc` / `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`) → `https://sts.aliyuncs.com`.

    Plain http only to loopback (the emulator); `name` is the input named when the value is refused.
    """
    raw, given = explicit, name
    if not raw and env.get(STS_ENDPOINT_ENV):
        raw, given = env[STS_ENDPOINT_ENV], STS_ENDPOINT_ENV
    if not raw:
        region = region or env.get(_STS_REGION_ENV)
        use_vpc = vpc if vpc is not None else env.get(_VPC_ENV, "").lower() == "true"
        prefix = "sts-vpc" if use_vpc else "sts"
        raw = f"https://{prefix}.{region}.aliyuncs.com" if region else DEFAULT_STS_ENDPOINT
    try:
        return resolve_endpoint(None, raw)
    except EndpointError as exc:
        raise IdentityError(f"{given}: {exc}") from None


def parse_expiration(expiration: str) -> float:
    """`2025-01-01T00:00:00Z` (STS and the metadata service) as epoch seconds; ValueError otherwise."""
    return float(calendar.timegm(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")))


class StsClient:
    """One STS endpoint; thread-safe (one `httpx.Client`, made on first use). Owns no credentials."""

    def __init__(
        self,
        endpoint: str = DEFAULT_STS_ENDPOINT,
        *,
        verify: bool | str | ssl.SSLContext = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(None, endpoint)
        self._verify = tls_verify(verify)
        self._transport = transport
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"StsClient({self.endpoint!r})"

    def assume_role(
        self,
        base: Credentials,
        *,
        role_arn: str,
        session_name: str,
        duration_s: int,
        policy: str | None = None,
        external_id: str | None = None,
        subject: str = "",
    ) -> Temporary:
        """AssumeRole signed with `base`; `subject` names the role and its input in errors."""
        params = {"DurationSeconds": str(duration_s), "RoleArn": role_arn, "RoleSessionName": session_name}
        params.update({k: v for k, v in (("Policy", policy), ("ExternalId", external_id)) if v})
        body = self._call("AssumeRole", params, base, subject=subject, secrets=())
        return self._temporary(body, "AssumeRole", subject, source=f"ram_role_arn/{role_arn}")

    def assume_role_with_oidc(
        self,
        *,
        role_arn: str,
        oidc_provider_arn: str,
        oidc_token: str,
        session_name: str,
        duration_s: int,
        policy: str | None = None,
        subject: str = "",
    ) -> Temporary:
        """AssumeRoleWithOIDC (unsigned); the token is scrubbed from anything an error carries."""
        params = {
            "DurationSeconds": str(duration_s),
            "RoleArn": role_arn,
            "OIDCProviderArn": oidc_provider_arn,
            "OIDCToken": oidc_token,
            "RoleSessionName": session_name,
        }
        if policy:
            params["Policy"] = policy
        body = self._call("AssumeRoleWithOIDC", params, None, subject=subject, secrets=(oidc_token,))
        return self._temporary(body, "AssumeRoleWithOIDC", subject, source=f"oidc_role_arn/{role_arn}")

    def get_caller_identity(self, creds: Credentials) -> dict[str, Any]:
        """Who `creds` are (`Arn`, `AccountId`, `IdentityType`, ...)."""
        return self._call("GetCallerIdentity", {}, creds, subject=creds.source, secrets=())

    def request(self, action: str, params: Mapping[str, str], creds: Credentials | None) -> httpx.Request:
        """The GET request of one call, signed with `creds` (V1) unless None (AssumeRoleWithOIDC)."""
        query = {"Action": action, "Format": "JSON", "Version": STS_VERSION, "Timestamp": timestamp(), **params}
        if creds is not None:
            query.update(
                {
                    "AccessKeyId": creds.access_key_id,
                    "SignatureMethod": "HMAC-SHA1",
                    "SignatureVersion": "1.0",
                    "SignatureNonce": new_nonce(),
                }
            )
            if creds.security_token:
                query["SecurityToken"] = creds.security_token
            query["Signature"] = sign_v1(query, "GET", creds.access_key_secret)
        encoded = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())
        return httpx.Request("GET", f"{self.endpoint}/?{encoded}", headers={"accept": "application/json"})

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(verify=self._verify, timeout=_TIMEOUT, transport=self._transport)
            return self._http

    def _call(
        self,
        action: str,
        params: Mapping[str, str],
        creds: Credentials | None,
        *,
        subject: str,
        secrets: Iterable[str],
    ) -> dict[str, Any]:
        hidden = [*secrets, *((creds.access_key_secret, creds.security_token) if creds else ())]
        try:
            response = self._client().send(self.request(action, params, creds))
        except httpx.TransportError as exc:
            raise EhpcTransportError(
                f"STS {action} at {self.endpoint}: {type(exc).__name__}: {scrub(str(exc), hidden)}"
                + (f" (identity: {subject})" if subject else ""),
                action=action,
                may_have_reached_server=True,
            ) from None
        try:
            body = json.loads(response.text) if response.text.strip() else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 200 and "Code" not in body:
            return body
        raise api_error(
            action=action,
            http_status=response.status_code,
            body=body,
            retry_after_ms=None,
            secrets=hidden,
            error_class=StsError,
            subject=subject,
        )

    def _temporary(self, body: Mapping[str, Any], action: str, subject: str, *, source: str) -> Temporary:
        cred = body.get("Credentials")
        try:
            assert isinstance(cred, dict)
            creds = Credentials(
                str(cred["AccessKeyId"]), str(cred["AccessKeySecret"]), str(cred["SecurityToken"]), source=source
            )
            return Temporary(creds, parse_expiration(str(cred["Expiration"])))
        except (AssertionError, KeyError, ValueError):
            # Never echo the body: it may hold the credentials we failed to read.
            raise EhpcError(
                f"STS {action} at {self.endpoint} answered without usable Credentials "
                f"(AccessKeyId, AccessKeySecret, SecurityToken, Expiration)"
                + (f" (identity: {subject})" if subject else "")
            ) from None

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None
