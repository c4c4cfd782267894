"""Exceptions of the wire layer. The tree:

- `EhpcError`
  - `EhpcApiError` (code, message, request_id, http_status, action, recommend, policy, retry_after_ms)
    - `ThrottledError`  (`Throttling*`; retried automatically until attempts run out)
    - `AuthError`       (signature, key id, STS token, clock; `.server_string_to_sign`)
    - `NotFoundError`   (`ClusterNotFound`)
  - `EhpcTransportError` (network failure; `.may_have_reached_server`)
    - `AmbiguousResultError` (a non-idempotent write may or may not have been applied: check state first)
  - `RequestValidationError` (also a `ValueError`; raised before anything is sent)
  - `CredentialsNotFoundError` (`.tried`: every source and why it gave nothing)
  - `IdentityError` (also a `ValueError`; an identity input is unusable: names the input and the fix)
    - `StsError` (also an `EhpcApiError`; STS refused AssumeRole*: `.subject` names the role and input)
  - `EndpointError` (also a `ValueError`; bad region/endpoint, plain http to a non-loopback host)

Messages never contain secrets: server text is scrubbed of the caller's secret and STS token.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .policy import NOT_FOUND_CODES, Policy, classify

__all__ = [
    "AmbiguousResultError",
    "AuthError",
    "CredentialsNotFoundError",
    "EhpcApiError",
    "EhpcError",
    "EhpcTransportError",
    "EndpointError",
    "IdentityError",
    "NotFoundError",
    "RequestValidationError",
    "StsError",
    "ThrottledError",
    "api_error",
    "scrub",
]

_STS_IN_STRING_TO_SIGN = re.compile(r"(SecurityToken(?:%253D|%3D|=))(.*?)(?=%2526|%26|&|\s|$)")
_SERVER_STS = "server string to sign is:"

# What the user should do, by code prefix (longest match). Kept next to the exception types.
_HINTS: Mapping[str, str] = {
    "SignatureDoesNotMatch": (
        "The access key secret does not match the key id (or the request was changed in transit): "
        "check ehpc:accessKeySecret / ALIBABA_CLOUD_ACCESS_KEY_SECRET. If the server string-to-sign "
        "differs from the client's, the canonicalisation is wrong (report a bug)."
    ),
    "IncompleteSignature": (
        "The signature is missing or malformed: check ehpc:accessKeySecret / ALIBABA_CLOUD_ACCESS_KEY_SECRET "
        "and compare the server string-to-sign with the client's."
    ),
    "InvalidAccessKeyId": (
        "The access key id is unknown or disabled (an expired STS token looks the same): "
        "check ehpc:accessKeyId / ALIBABA_CLOUD_ACCESS_KEY_ID."
    ),
    "InvalidSecurityToken": (
        "The STS security token is expired, malformed or paired with another key id: "
        "refresh ehpc:securityToken / ALIBABA_CLOUD_SECURITY_TOKEN."
    ),
    "MissingSecurityToken": (
        "An STS key id needs its token: set ehpc:securityToken / ALIBABA_CLOUD_SECURITY_TOKEN."
    ),
    "InvalidTimeStamp": (
        "The request time is more than 15 minutes off the server's: check this machine's clock (UTC/NTP)."
    ),
    "IllegalTimestamp": "The request time is invalid: check this machine's clock (UTC/NTP).",
    "Throttling": "The API is throttling this account and retries ran out: slow down or try again later.",
    "ClusterNotFound": "No such cluster in this region: check the cluster id and ehpc:region / the endpoint.",
    "Forbidden": "The RAM policy of this access key denies the action: grant the ehpc permission it names.",
    "SignatureNonceUsed": "The nonce was reused even after re-signing: check for a replaying proxy.",
}
_POLICY_HINTS: Mapping[Policy, str] = {
    Policy.TRANSIENT: "The service reported a temporary failure and retries ran out: try again later.",
}


class EhpcError(Exception):
    """Base of every error raised by the wire layer."""


class EhpcApiError(EhpcError):
    """The gateway answered with an error body (or a non-2xx status)."""

    def __init__(
        self,
        *,
        code: str,
        message: str,
        request_id: str = "",
        http_status: int = 0,
        action: str = "",
        recommend: str = "",
        retry_after_ms: int | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        self.action = action
        self.recommend = recommend
        self.retry_after_ms = retry_after_ms
        self.body: Mapping[str, Any] = body or {}
        self.policy = classify(code, http_status)
        super().__init__(self._render())

    @property
    def hint(self) -> str:
        best = max((p for p in _HINTS if self.code.startswith(p)), key=len, default="")
        return _HINTS[best] if best else _POLICY_HINTS.get(self.policy, "")

    def _render(self) -> str:
        where = f"HTTP {self.http_status}" + (f", RequestId {self.request_id}" if self.request_id else "")
        text = f"{self.action or 'request'} failed: {self.code} ({where}): {self.message.rstrip('.')}."
        if self.hint:
            text += f" {self.hint}"
        if self.recommend:
            text += f" See {self.recommend}"
        return text

    def __reduce__(self) -> Any:
        # Keyword-only constructor: make pickling (dill, multiprocessing) work.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[EhpcError], state: dict[str, Any]) -> EhpcError:
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    render = getattr(obj, "_render", None)
    obj.args = (render(),) if render else ()
    return obj


class ThrottledError(EhpcApiError):
    """`Throttling*`: the request was rejected before processing."""


class AuthError(EhpcApiError):
    """Credentials or clock are wrong; never retried."""

    @property
    def server_string_to_sign(self) -> str | None:
        """The gateway's own string-to-sign (compare with the client's), when the message carries it."""
        idx = self.message.find(_SERVER_STS)
        return self.message[idx + len(_SERVER_STS) :].strip() if idx >= 0 else None


class NotFoundError(EhpcApiError):
    """The cluster (resource) does not exist."""


class EhpcTransportError(EhpcError):
    """The HTTP exchange failed (DNS, connect, TLS, timeout, dropped connection)."""

    def __init__(self, message: str, *, action: str = "", may_have_reached_server: bool = True) -> None:
        self.action = action
        self.may_have_reached_server = may_have_reached_server
        super().__init__(message)

    def __reduce__(self) -> Any:
        return (_rebuild_plain, (type(self), self.args, self.__dict__.copy()))


def _rebuild_plain(cls: type[EhpcError], args: tuple[Any, ...], state: dict[str, Any]) -> EhpcError:
    obj = cls.__new__(cls)
    obj.args = args
    obj.__dict__.update(state)
    return obj


class AmbiguousResultError(EhpcTransportError):
    """A write without ClientToken may have been applied: it was NOT re-sent.

    Check the task/node state (ListTasks, ListNodes, DescribeCluster) before issuing it again.
    `params` are the query parameters that were sent (secrets masked); `cause` is the last failure.
    """

    def __init__(self, *, action: str, params: Mapping[str, str], cause: EhpcError) -> None:
        self.params = dict(params)
        self.cause = cause
        super().__init__(
            f"{action} may or may not have been applied ({cause}); it was not re-sent because it has no "
            f"ClientToken. Check the cluster's tasks and nodes before retrying. Parameters: {self.params}",
            action=action,
            may_have_reached_server=True,
        )


class RequestValidationError(EhpcError, ValueError):
    """A request parameter is invalid; nothing was sent."""

    def __init__(self, *, action: str, field: str, python_field: str, reason: str) -> None:
        self.action = action
        self.field = field
        self.python_field = python_field
        self.reason = reason
        where = f"{field} ({python_field})" if python_field and python_field != field else field
        super().__init__(f"{action or 'request'}: invalid parameter {where}: {reason}")

    def __reduce__(self) -> Any:
        return (_rebuild_plain, (type(self), self.args, self.__dict__.copy()))


class CredentialsNotFoundError(EhpcError):
    """No credential source produced a key pair; `tried` says what was looked at and why it failed."""

    def __init__(self, tried: Sequence[str], *, pulumi_config: bool = True) -> None:
        self.tried = list(tried)
        self.pulumi_config = pulumi_config
        lines = "\n".join(f"  - {t}" for t in self.tried)
        config = "ehpc:accessKeyId/ehpc:accessKeySecret (pulumi config set --secret), or " if pulumi_config else ""
        super().__init__(
            "No Alibaba Cloud credentials found. Sources tried, in order:\n"
            f"{lines}\n"
            f"Set {config}ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`."
        )

    def __reduce__(self) -> Any:
        return (functools.partial(type(self), pulumi_config=self.pulumi_config), (self.tried,))


class EndpointError(EhpcError, ValueError):
    """The region or endpoint cannot be used (unsafe scheme, malformed, missing)."""


class IdentityError(EhpcError, ValueError):
    """An identity input cannot be used: the message names it (config key, env var, profile field)."""


# What to do when STS refuses, by code prefix (longest match); the subject names the role and its input.
_STS_HINTS: Mapping[str, str] = {
    "NoPermission": (
        "The base identity may not assume this role: the role's trust policy must name it, and the base "
        "identity needs sts:AssumeRole (policy AliyunSTSAssumeRoleAccess)."
    ),
    "EntityNotExist.Role": "No such role: check the role ARN (acs:ram::<account id>:role/<name>).",
    "AuthenticationFail.OIDCToken": (
        "STS did not accept the OIDC token (expired, wrong issuer or audience, bad signature): check the "
        "token file is renewed by its issuer and the OIDC provider's issuer and audience."
    ),
    "AuthenticationFail.NoPermission": "The OIDC identity may not assume this role: check the role's trust policy.",
    "InvalidParameter.DurationSeconds": (
        "The session duration exceeds the role's MaxSessionDuration (or is below 900 s)."
    ),
    "InvalidParameter.RoleSessionName": "The session name must be 2-64 of letters, digits and . @ - _",
    "InvalidParameter.PolicyGrammar": "The session policy is not valid RAM policy JSON.",
}


class StsError(EhpcApiError, IdentityError):
    """STS refused a credentials request (AssumeRole, AssumeRoleWithOIDC, GetCallerIdentity)."""

    def __init__(self, *, subject: str = "", **fields: Any) -> None:
        self.subject = subject
        super().__init__(**fields)

    @property
    def hint(self) -> str:
        best = max((p for p in _STS_HINTS if self.code.startswith(p)), key=len, default="")
        return _STS_HINTS[best] if best else super().hint

    def _render(self) -> str:
        text = super()._render()
        return f"{text} (identity: {self.subject})" if self.subject else text


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Remove secrets (raw, percent-encoded once and twice) and any STS token in a string-to-sign."""
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        once = quote(secret, safe="~")
        for form in {secret, once, quote(once, safe="~")}:
            text = text.replace(form, "<redacted>")
    return _STS_IN_STRING_TO_SIGN.sub(r"\1<redacted>", text)


_CLASS_BY_POLICY: Mapping[Policy, type[EhpcApiError]] = {
    Policy.THROTTLE: ThrottledError,
    Policy.AUTH: AuthError,
}


def api_error(
    *,
    action: str,
    http_status: int,
    body: Mapping[str, Any],
    retry_after_ms: int | None,
    secrets: Iterable[str | None] = (),
    error_class: type[EhpcApiError] | None = None,
    **extra: Any,
) -> EhpcApiError:
    """Build the right `EhpcApiError` subclass from an error body (accepts `Code` or `code` spellings).

    `error_class` (with its own keyword arguments in `extra`) overrides the class chosen by policy.
    """
    secrets = list(secrets)

    def pick(*names: str) -> str:
        for n in names:
            if body.get(n) not in (None, ""):
                return scrub(str(body[n]), secrets)
        return ""

    code = pick("Code", "code") or f"HTTP{http_status}"
    message = pick("Message", "message", "Description", "Detail") or "no error message in the response"
    cls: type[EhpcApiError] = error_class or (
        NotFoundError
        if code in NOT_FOUND_CODES
        else _CLASS_BY_POLICY.get(classify(code, http_status), EhpcApiError)
    )
    return cls(
        code=code,
        message=message,
        request_id=pick("RequestId", "requestId"),
        http_status=http_status,
        action=action,
        recommend=pick("Recommend", "recommend"),
        retry_after_ms=retry_after_ms,
        body={k: (scrub(v, secrets) if isinstance(v, str) else v) for k, v in body.items()},
        **extra,
    )
