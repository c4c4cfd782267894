"""The transport-independent half of the client: build, prepare, parse, and the retry loop itself.

`ClientCore.attempts` is the whole call as a sans-IO generator: it yields an `httpx.Request` to send
(and receives the response or the transport error) or a float to sleep, and returns the parsed
response or raises the final error. The sync and async clients only drive it.
"""

from __future__ import annotations

import json
import logging
import platform
import re
import ssl
import uuid
from collections.abc import Generator, Mapping
from typing import Any, TypeAlias

import httpx

from ._base import WireRequest, WireResponse
from .actions import ACTIONS, ActionSpec
from .credentials import resolve_credentials, resolve_region
from .endpoint import resolve_endpoint, tls_verify
from .errors import AuthError, EhpcApiError, EhpcError, EhpcTransportError, api_error
from .identity import CredentialsProvider, StaticProvider
from .policy import Policy
from .refresh import provider_secrets
from .retry import DEFAULT_RETRY, RetryConfig, decide, transport_error
from .signing import KEY_ID_EXTENSION, Credentials, EhpcAuth, SignatureVersion, percent_encode

__all__ = ["DEFAULT_TIMEOUT_S", "Attempts", "ClientCore", "Reply", "Step", "new_client_token"]

logger = logging.getLogger("pulumi_ehpc_tasks.wire")

DEFAULT_TIMEOUT_S = 10.0  # the SDK's read timeout; connect is capped at its 5 s
DEFAULT_CONNECT_TIMEOUT_S = 5.0
USER_AGENT = (
    f"pulumi-ehpc-tasks/0.1 ({platform.system()}; {platform.machine()}) Python/{platform.python_version()}"
)
_EXPIRED_TOKEN = "InvalidSecurityToken.Expired"
_XML_FIELD = re.compile(r"<(Code|Message|RequestId|Recommend)>(.*?)</\1>", re.S)

Step: TypeAlias = httpx.Request | float
"""What the loop asks its driver for: send this request, or sleep this many seconds."""
Reply: TypeAlias = httpx.Response | httpx.TransportError | None
"""What the driver sends back: the response or transport error of a request; None after a sleep."""
Attempts: TypeAlias = Generator[Step, Reply, WireResponse]


def new_client_token() -> str:
    """A fresh idempotency token (ASCII, 36 chars); generated once per logical call."""
    return str(uuid.uuid4())


class ClientCore:
    """Configuration plus the pure steps of a call; owns no connection."""

    def __init__(
        self,
        *,
        region: str | None,
        endpoint: str | None,
        credentials: Credentials | CredentialsProvider | None,
        signature_version: SignatureVersion,
        timeout_s: float,
        verify: bool | str | ssl.SSLContext,
        allow_insecure_http: bool,
        retry: RetryConfig | None,
    ) -> None:
        self.region = resolve_region(region) if not endpoint else region
        self.base_url = resolve_endpoint(self.region, endpoint, allow_insecure_http=allow_insecure_http)
        if isinstance(credentials, Credentials) or credentials is None:
            credentials = StaticProvider(credentials or resolve_credentials())
        self.provider: CredentialsProvider = credentials
        self.auth = EhpcAuth(self.provider, signature_version)
        self.verify = tls_verify(verify)
        self.timeout = httpx.Timeout(timeout_s, connect=min(DEFAULT_CONNECT_TIMEOUT_S, timeout_s))
        self.retry = retry or DEFAULT_RETRY

    def __repr__(self) -> str:
        return f"ClientCore(base_url={self.base_url!r}, credentials={self.provider.source!r})"

    @property
    def credentials(self) -> Credentials:
        """The credentials valid now (a refreshing provider may fetch new ones)."""
        return self.provider.get()

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """What errors are scrubbed of: current and previous secrets and tokens (OIDC tokens too)."""
        return provider_secrets(self.provider)

    def build(self, action: str | ActionSpec, fields: Mapping[str, Any]) -> tuple[ActionSpec, WireRequest]:
        """Validate the request; give ClientToken-capable actions a token now, reused by every retry.

        A name is a 2018 Action; a 2024 caller passes its row."""
        spec = ACTIONS[action] if isinstance(action, str) else action
        request = spec.request.build(**fields)
        return spec, self.with_token(spec, request)

    def attempts(self, spec: ActionSpec, request: WireRequest) -> Attempts:
        """One logical call: every attempt, each re-signed, under the contract of `retry.py`."""
        attempt, resigned, refreshed = 0, False, False
        while True:
            attempt += 1
            reply = yield self.prepare(spec, request)
            try:
                if isinstance(reply, httpx.Response):
                    return self.parse(spec, reply)
                assert reply is not None, "a request step is answered by a response or an error"
                error: EhpcError = transport_error(spec.name, reply)
            except EhpcError as exc:
                error = exc
            if not refreshed and self._expired_token(error, reply):
                # Rejected before processing, so safe for any action: once, with credentials refreshed now.
                refreshed = True
                logger.info("%s: the STS token expired; refreshing the credentials and re-sending", spec.name)
                continue
            verdict = decide(
                spec, error, attempt=attempt, resigned=resigned, params=request.safe_params(), config=self.retry
            )
            if not verdict.retry:
                final = verdict.error or error
                if final is error:
                    raise final
                raise final from error
            log_retry(spec, attempt, error, verdict.delay_s)
            resigned = resigned or (isinstance(error, EhpcApiError) and error.policy is Policy.RESIGN)
            if verdict.delay_s > 0:
                yield verdict.delay_s

    def _expired_token(self, error: EhpcError, reply: Reply) -> bool:
        """An expired STS token from a provider that can refresh: invalidate what signed the request."""
        invalidate = getattr(self.provider, "invalidate", None)
        if not (isinstance(error, AuthError) and error.code.startswith(_EXPIRED_TOKEN) and callable(invalidate)):
            return False
        sent = reply.request if isinstance(reply, httpx.Response) else None
        invalidate(sent.extensions.get(KEY_ID_EXTENSION) if sent is not None else None)
        return True

    def with_token(self, spec: ActionSpec, request: WireRequest) -> WireRequest:
        if not isinstance(request, spec.request):
            raise TypeError(f"{spec.name} expects {spec.request.__name__}, got {type(request).__name__}")
        if spec.client_token and getattr(request, "client_token", None) is None:
            request = request.model_copy(update={"client_token": new_client_token()})
        return request

    def prepare(self, spec: ActionSpec, request: WireRequest) -> httpx.Request:
        """A fresh, unsigned request (the auth flow signs it with a new nonce on every attempt)."""
        # Encode the query ourselves (RFC 3986): httpx would leave `+`, which the gateway reads as space.
        query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in request.to_query())
        headers = {
            "x-acs-action": spec.name,
            "x-acs-version": spec.api_version,
            "accept": "application/json",
            "user-agent": USER_AGENT,
        }
        return httpx.Request(
            spec.method, f"{self.base_url}/" + (f"?{query}" if query else ""), headers=headers
        )

    def parse(self, spec: ActionSpec, response: httpx.Response) -> WireResponse:
        """Decode a 2xx into the response model, or raise the typed API error."""
        request_id = response.headers.get("x-acs-request-id", "")
        logger.debug("%s -> HTTP %s %s", spec.name, response.status_code, request_id)
        body = self._body(spec, response)
        if 200 <= response.status_code < 300 and body is not None:
            return spec.response.model_validate(body)
        raise api_error(
            action=spec.name,
            http_status=response.status_code,
            body=body or {},
            retry_after_ms=_retry_after_ms(response),
            secrets=self.secrets,
        )

    def _body(self, spec: ActionSpec, response: httpx.Response) -> dict[str, Any] | None:
        text = response.text
        try:
            body = json.loads(text) if text.strip() else {}
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
        if response.status_code >= 400:
            xml = dict(_XML_FIELD.findall(text))  # `Format=XML` style error bodies
            return xml or None
        # A 2xx we cannot read: the call may well have been applied.
        raise EhpcTransportError(
            f"{spec.name}: unreadable response body (HTTP {response.status_code})",
            action=spec.name,
            may_have_reached_server=True,
        )


def _retry_after_ms(response: httpx.Response) -> int | None:
    raw = response.headers.get("x-acs-retry-after")
    try:
        return int(float(raw)) if raw else None
    except ValueError:
        return None


def log_retry(spec: ActionSpec, attempt: int, error: EhpcError, delay_s: float) -> None:
    logger.info(
        "%s attempt %d failed (%s); retrying in %.2fs", spec.name, attempt, type(error).__name__, delay_s
    )
