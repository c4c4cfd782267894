"""The emulator's STS: roles, who may assume them, OIDC providers, and the tokens it issues.

No HTTP here (`sts_handlers` reads parameters, `render` builds the answers). Identities follow RAM:
the configured access key belongs to a RAM user, an issued token to a session of the role assumed.
Error codes and statuses are Alibaba's STS ones (the 2015-04-01 error-code page) unless a comment
says the choice is ours.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ApiError
from .state import IssuedToken

STS_API_VERSION = "2015-04-01"
DEFAULT_DURATION_S = 3600
MIN_DURATION_S = 900
# A RAM role's MaxSessionDuration unless changed in RAM; we do not model changing it.
MAX_SESSION_DURATION_S = 3600
OIDC_PRINCIPAL_PREFIX = "oidc:"
# The configured access key is a RAM user's (the account's root may not assume roles in RAM).
EMULATOR_USER = "emulator"
# What a `--sts ID:SECRET:TOKEN` triple is a session of: it predates roles, so it gets a fixed one.
STATIC_STS_ROLE, STATIC_STS_SESSION = "emulator-sts", "emulator"
# Alibaba's OIDC providers sign with RSA; HS* are refused as "unknown" (error-code page).
OIDC_ALGORITHMS = ["RS256", "RS384", "RS512"]

_ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([\w.+=,@-]{1,64})$")
_OIDC_ARN = re.compile(r"^acs:ram::(\d+):oidc-provider/([\w.-]{1,128})$")
_SESSION_NAME = re.compile(r"^[\w.@-]{2,64}$")
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def _numeric_id(text: str, digits: int) -> str:
    """A stable numeric id (RAM user and role ids are digits) derived from a name."""
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[:digits]


def role_parts(arn: str) -> tuple[str, str]:
    """(account id, role name) of a role ARN, or `InvalidParameter.RoleArn`."""
    match = _ROLE_ARN.match(arn)
    if match is None:
        # Code as the STS docs name it; 400 like every InvalidParameter.* of that page.
        raise ApiError("InvalidParameter.RoleArn", f"The parameter RoleArn is wrongly formed: {arn!r}.")
    return match.group(1), match.group(2)


@dataclass(frozen=True)
class RoleSpec:
    """A RAM role and its trust policy: who may assume it (`--role ARN=PRINCIPAL[,PRINCIPAL...]`).

    A principal is an access key id, another role's ARN (its sessions may chain into this role), or
    `oidc:PROVIDER_ARN` (federated tokens of that OIDC provider)."""

    arn: str
    principals: tuple[str, ...]

    @classmethod
    def parse_cli(cls, spec: str) -> RoleSpec:
        arn, sep, rest = spec.partition("=")
        principals = tuple(p.strip() for p in rest.split(",") if p.strip())
        if not sep or not principals:
            raise ValueError(f"--role {spec!r}: expected ARN=PRINCIPAL[,PRINCIPAL...]")
        try:
            role_parts(arn.strip())
        except ApiError:
            raise ValueError(f"--role {spec!r}: {arn!r} is not a role ARN (acs:ram::ACCOUNT:role/NAME)") from None
        return cls(arn.strip(), principals)

    @property
    def account_id(self) -> str:
        return role_parts(self.arn)[0]

    @property
    def name(self) -> str:
        return role_parts(self.arn)[1]

    @property
    def role_id(self) -> str:
        return _numeric_id(self.arn.lower(), 17)


@dataclass(frozen=True)
class OidcProviderSpec:
    """An OIDC identity provider registered in RAM: its issuer, accepted audiences (client ids) and
    the public key its tokens are signed with (PEM text)."""

    arn: str
    issuer: str
    audiences: tuple[str, ...]
    public_key_pem: str

    @classmethod
    def parse_cli(cls, spec: str) -> OidcProviderSpec:
        """`ARN,issuer=URL,audience=AUD[,audience=AUD2...],key=PATH_TO_PUBLIC_KEY_PEM`."""
        arn, *fields = [f.strip() for f in spec.split(",")]
        if not _OIDC_ARN.match(arn):
            raise ValueError(f"--oidc-provider: {arn!r} is not an ARN like acs:ram::ACCOUNT:oidc-provider/NAME")
        values: dict[str, list[str]] = {}
        for item in fields:
            key, sep, value = item.partition("=")
            if not sep or key not in ("issuer", "audience", "key") or not value:
                raise ValueError(f"--oidc-provider {arn}: unexpected {item!r} (issuer=, audience=, key=)")
            values.setdefault(key, []).append(value)
        if len(values.get("issuer", [])) != 1 or len(values.get("key", [])) != 1 or not values.get("audience"):
            raise ValueError(f"--oidc-provider {arn}: needs one issuer=, one key= and at least one audience=")
        try:
            pem = Path(values["key"][0]).read_text()
        except OSError as exc:
            raise ValueError(f"--oidc-provider {arn}: cannot read key {values['key'][0]!r}: {exc}") from None
        return cls(arn, values["issuer"][0], tuple(values["audience"]), pem)


@dataclass(frozen=True)
class Caller:
    """Who signed a request, as GetCallerIdentity tells it."""

    identity_type: str  # RAMUser or AssumedRoleUser (the account's root is not modelled)
    account_id: str
    arn: str
    principal_id: str
    user_id: str | None = None  # RAMUser only (GetCallerIdentity docs)
    role_id: str | None = None  # AssumedRoleUser only
    role_arn: str | None = None  # the role of a session: what another role may trust


@dataclass(frozen=True)
class OidcClaims:
    """What AssumeRoleWithOIDC reports of the token it accepted."""

    subject: str
    issuer: str
    audiences: tuple[str, ...]
    issued_at: float | None
    expires_at: float


class Sts:
    """Roles, OIDC providers and issued tokens; `tokens` is the backend's table (it persists them)."""

    def __init__(
        self,
        *,
        account_id: str,
        access_key_id: str,
        roles: Sequence[RoleSpec],
        oidc_providers: Sequence[OidcProviderSpec],
        lifetime_cap_s: int | None,
        static_sts_key_id: str | None,
        tokens: Callable[[], dict[str, IssuedToken]],
        remember: Callable[[IssuedToken], None],
    ) -> None:
        self.account_id = account_id
        self.access_key_id = access_key_id
        self.roles = {r.arn.lower(): r for r in roles}  # RAM role names are case-insensitive
        self.providers = {p.arn: p for p in oidc_providers}
        self.lifetime_cap_s = lifetime_cap_s
        self.static_sts_key_id = static_sts_key_id
        self._tokens = tokens
        self._remember = remember

    # ---- identities ----------------------------------------------------------------------------
    def caller(self, access_key_id: str) -> Caller:
        """The identity behind a verified access key id."""
        token = self._tokens().get(access_key_id)
        if token is not None:
            return self._session(token.role_arn, token.session_name)
        if access_key_id == self.static_sts_key_id:
            arn = f"acs:ram::{self.account_id}:role/{STATIC_STS_ROLE}"
            return self._session(arn, STATIC_STS_SESSION)
        user_id = _numeric_id(f"{self.account_id}/{EMULATOR_USER}", 16)
        return Caller(
            "RAMUser", self.account_id, f"acs:ram::{self.account_id}:user/{EMULATOR_USER}", user_id, user_id=user_id
        )

    def _session(self, role_arn: str, session_name: str) -> Caller:
        account, name = role_parts(role_arn)
        role_id = _numeric_id(role_arn.lower(), 17)
        principal = f"{role_id}:{session_name}"
        arn = f"acs:ram::{account}:assumed-role/{name.lower()}/{session_name}"
        return Caller("AssumedRoleUser", account, arn, principal, role_id=role_id, role_arn=role_arn)

    def _role(self, arn: str) -> RoleSpec:
        role_parts(arn)
        role = self.roles.get(arn.lower())
        if role is None:
            raise ApiError("EntityNotExist.Role", f"The specified Role not exists: {arn}.")
        return role

    # ---- operations ----------------------------------------------------------------------------
    def assume_role(
        self,
        caller: Caller,
        role_arn: str,
        session_name: str,
        duration_s: int | None,
        policy: str | None,
        external_id: str | None,
        now: float,
    ) -> IssuedToken:
        role = self._role(role_arn)
        trusted = {p.lower() for p in role.principals}
        ak_ok = caller.identity_type == "RAMUser" and self.access_key_id.lower() in trusted
        chain_ok = caller.role_arn is not None and caller.role_arn.lower() in trusted
        if not (ak_ok or chain_ok):
            raise ApiError(
                "NoPermission",
                f"You are not authorized to assume role {role.arn} as {caller.arn}: it is not in the role's "
                "trust policy.",
            )
        if external_id is not None and not 2 <= len(external_id) <= 1224:
            raise ApiError("InvalidParameter.ExternalId", "The parameter ExternalId is wrongly formed.")
        return self._issue(role, session_name, duration_s, policy, now)

    def assume_role_with_oidc(
        self,
        role_arn: str,
        provider_arn: str,
        token: str,
        session_name: str,
        duration_s: int | None,
        policy: str | None,
        now: float,
    ) -> tuple[IssuedToken, OidcClaims]:
        provider = self.providers.get(provider_arn)
        if provider is None:
            raise ApiError("AuthenticationFail.NoPermission", "No such OIDC Provider registered.")
        role = self._role(role_arn)
        claims = verify_oidc_token(provider, token, now)
        if (OIDC_PRINCIPAL_PREFIX + provider.arn).lower() not in {p.lower() for p in role.principals}:
            raise ApiError("AuthenticationFail.NoPermission", "There is no permission")
        return self._issue(role, session_name, duration_s, policy, now), claims

    def _issue(
        self, role: RoleSpec, session_name: str, duration_s: int | None, policy: str | None, now: float
    ) -> IssuedToken:
        if not _SESSION_NAME.match(session_name):
            raise ApiError("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
        duration = DEFAULT_DURATION_S if duration_s is None else duration_s
        if not MIN_DURATION_S <= duration <= MAX_SESSION_DURATION_S:
            raise ApiError(
                "InvalidParameter.DurationSeconds",
                f"The Min/Max value of DurationSeconds is {MIN_DURATION_S}s/{MAX_SESSION_DURATION_S}s.",
            )
        if policy is not None:
            _check_policy(policy)
        lifetime = min(duration, self.lifetime_cap_s) if self.lifetime_cap_s else duration
        issued = IssuedToken(
            access_key_id="STS." + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(25)),
            access_key_secret="".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(44)),
            security_token="CAIS" + secrets.token_urlsafe(96),
            # Whole seconds: Expiration is rendered to the second and must be exactly when it expires.
            expires_at=float(int(now) + lifetime),
            role_arn=role.arn,
            session_name=session_name,
        )
        self._remember(issued)
        return issued


def _check_policy(policy: str) -> None:
    try:
        doc: Any = json.loads(policy)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list):
        raise ApiError("InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check.")


def require_oidc_support() -> None:
    """Fail early, naming the extra, when OIDC providers are configured without PyJWT."""
    try:
        import jwt  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "OIDC providers need PyJWT with its crypto backend: pip install 'pulumi-ehpc-tasks[oidc]'"
        ) from None


def verify_oidc_token(provider: OidcProviderSpec, token: str, now: float) -> OidcClaims:
    """The claims of a token signed by `provider`'s key for one of its audiences, or the STS error.

    Times are checked against `now` (the emulator's clock), the rest by PyJWT."""
    import jwt  # `require_oidc_support` checked it is there when the providers were configured

    def fail(code: str, message: str) -> ApiError:
        return ApiError(f"AuthenticationFail.OIDCToken.{code}", message)

    if not token:
        raise fail("Invalid", "The OIDCToken can not empty.")
    if token.count(".") != 2:
        raise fail("Invalid", "The number of Jwt field should be divided into 3 parts with '.' .")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            provider.public_key_pem,
            algorithms=OIDC_ALGORITHMS,
            audience=list(provider.audiences),
            issuer=provider.issuer,
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": ["exp", "iss", "aud"]},
        )
    except jwt.InvalidSignatureError:
        raise fail("InvalidSignature", "OIDC token validate failed: invalid signature.") from None
    except jwt.InvalidAudienceError:
        raise fail("AudienceNotMatch", "Invalid audience.") from None
    except jwt.InvalidIssuerError:
        raise fail("IssuerNotMatch", "Invalid issuer.") from None
    except jwt.InvalidAlgorithmError:
        raise fail("Invalid", "The algorithm that be specified in Jwt header is unknown.") from None
    except jwt.PyJWTError:
        raise fail("Invalid", "The Jwt content is invalid that cannot be recognized.") from None
    try:
        exp = float(claims["exp"])
        nbf = float(claims.get("nbf", claims.get("iat", now)))
        iat = float(claims["iat"]) if "iat" in claims else None
    except (TypeError, ValueError):
        raise fail("Invalid", "The Jwt content is invalid that cannot be recognized.") from None
    if exp <= now:
        raise fail("Expired", "This JsonWebToken is expired.")
    if nbf > now:
        # Our choice: the page lists no code for a token not valid yet, so it is an invalid one.
        raise fail("Invalid", "The JsonWebToken is not valid yet (nbf/iat is in the future).")
    aud = claims["aud"]
    audiences = (aud,) if isinstance(aud, str) else tuple(aud)
    return OidcClaims(str(claims.get("sub", "")), str(claims["iss"]), audiences, iat, exp)


__all__ = [
    "OIDC_PRINCIPAL_PREFIX",
    "STS_API_VERSION",
    "Caller",
    "OidcClaims",
    "OidcProviderSpec",
    "RoleSpec",
    "Sts",
    "require_oidc_support",
    "role_parts",
    "verify_oidc_token",
]
