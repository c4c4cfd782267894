"""The STS operations (Version 2015-04-01) on the emulator's endpoint: parameters in, `render` out.

Parameter names are the ones Alibaba's `alibabacloud-credentials` sends (provider/ram_role_arn.py,
provider/oidc.py); AssumeRoleWithOIDC is the one STS operation that is not signed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import render
from .errors import ApiError
from .params import Params
from .sts import Caller, Sts


@dataclass
class StsContext:
    sts: Sts
    request_id: str
    params: Params
    caller: Caller | None  # None for the unsigned AssumeRoleWithOIDC
    now: float

    def duration(self) -> int | None:
        raw = self.params.text("DurationSeconds")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError("InvalidParameter.DurationSeconds", f"DurationSeconds {raw!r} is not an integer.") from None


StsHandler = Callable[[StsContext], dict[str, Any]]


def assume_role(ctx: StsContext) -> dict[str, Any]:
    assert ctx.caller is not None
    p = ctx.params
    token = ctx.sts.assume_role(
        ctx.caller,
        p.req("RoleArn"),
        p.req("RoleSessionName"),
        ctx.duration(),
        p.text("Policy"),
        p.text("ExternalId"),
        ctx.now,
    )
    return render.assumed_role(ctx.request_id, token, ctx.sts.caller(token.access_key_id))


def assume_role_with_oidc(ctx: StsContext) -> dict[str, Any]:
    p = ctx.params
    token, claims = ctx.sts.assume_role_with_oidc(
        p.req("RoleArn"),
        p.req("OIDCProviderArn"),
        p.values.get("OIDCToken", ""),  # an empty one gets OIDC's own error, not MissingParameter
        # Required here although Alibaba's page may default it: the official library always sends it.
        p.req("RoleSessionName"),
        ctx.duration(),
        p.text("Policy"),
        ctx.now,
    )
    body = render.assumed_role(ctx.request_id, token, ctx.sts.caller(token.access_key_id))
    body["OIDCTokenInfo"] = render.oidc_token_info(claims)
    return body


def get_caller_identity(ctx: StsContext) -> dict[str, Any]:
    assert ctx.caller is not None
    return render.caller_identity(ctx.request_id, ctx.caller)


STS_HANDLERS: dict[str, StsHandler] = {
    "AssumeRole": assume_role,
    "AssumeRoleWithOIDC": assume_role_with_oidc,
    "GetCallerIdentity": get_caller_identity,
}
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithOIDC"})

__all__ = ["STS_HANDLERS", "UNSIGNED_ACTIONS", "StsContext"]
