"""API errors raised by the emulator's backend and verifier; rendered in one place (`render.error_body`)."""

from __future__ import annotations

# HTTP statuses of the documented service errors (ListTasks seed page) and the gateway errors we emit.
STATUS_BY_CODE: dict[str, int] = {
    "InvalidParams": 400,
    "NotEnabled": 400,
    "ClusterNotFound": 404,
    "DbError": 406,
    "RedisError": 406,
    "NotAuthorized": 407,
    "UnknownError": 500,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "Throttling": 400,
    "Throttling.User": 400,
    "Throttling.Api": 400,
    "IdempotentParameterMismatch": 400,
    # Chosen for "resource busy with another running task" (ECS spells it the same way); 409 so that
    # a client can never confuse it with a validation error.
    "OperationConflict": 409,
    # API 2024-07-30 per-operation codes (ehpc-2024-api.md §6.1), and EcsError from the 2018 table.
    "InvalidClusterStatus": 403,
    "InvalidNodeStatus": 400,
    "AgentError": 406,
    "AliyunError": 406,
    "EcsError": 406,
    "InvalidAccessKeyId.NotFound": 404,
    "SignatureDoesNotMatch": 400,
    "IncompleteSignature": 400,
    "InvalidTimeStamp.Expired": 400,
    "InvalidTimeStamp.Format": 400,
    "SignatureNonceUsed": 400,
    "MissingParameter": 400,
    "MissingSecurityToken": 400,
    "InvalidSecurityToken.MismatchWithAccessKey": 400,
    "InvalidSecurityToken.Malformed": 400,
    # Status not documented where we could read (docs/emulator.md); 400 like its siblings.
    "InvalidSecurityToken.Expired": 400,
    "InvalidSignatureMethod": 400,
    "InvalidAction.NotFound": 404,
    "InvalidVersion": 400,
    "UnsupportedHTTPMethod": 400,
    # STS (2015-04-01 error-code page): the OIDC failures are all 401 there.
    "AuthenticationFail.NoPermission": 401,
    "AuthenticationFail.OIDCToken.Invalid": 401,
    "AuthenticationFail.OIDCToken.InvalidSignature": 401,
    "AuthenticationFail.OIDCToken.Expired": 401,
    "AuthenticationFail.OIDCToken.AudienceNotMatch": 401,
    # Not on the page we could read: named and numbered like AudienceNotMatch.
    "AuthenticationFail.OIDCToken.IssuerNotMatch": 401,
    # Not stated on the page: 403 for a caller the role does not trust (authenticated, not allowed),
    # 404 for a role that does not exist (what RAM answers for a missing entity).
    "NoPermission": 403,
    "EntityNotExist.Role": 404,
}

DEFAULT_MESSAGES: dict[str, str] = {
    "NotEnabled": "You have not enabled this service",
    "ClusterNotFound": "The specified cluster does not exist.",
    "DbError": "A database service error occurred.",
    "RedisError": "A Redis service error occurred.",
    "NotAuthorized": "You are not authorized by RAM for this request.",
    "UnknownError": "An unknown error occurred.",
    "InternalError": "The request processing has failed due to some unknown error.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server",
    "Throttling": "Request was denied due to request throttling.",
}


class ApiError(Exception):
    """An error answered to the caller as the gateway's JSON error body."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, code)
        self.status = status or STATUS_BY_CODE.get(code, 400)
        self.headers = headers or {}
        super().__init__(f"{self.code}: {self.message}")


def invalid_param(name: str, detail: str = "") -> ApiError:
    """`InvalidParams` with the seed's message, plus an optional detail."""
    msg = f"The specified parameter {name} is invalid."
    return ApiError("InvalidParams", f"{msg} {detail}".strip())
