"""The credentials providers behind `credentials_provider()`: one factory per identity mode.

- static: an AK pair or an STS triple (`StaticProvider`)
- `ecs_ram_role_provider`: the instance RAM role, refreshed from the metadata service
- `ram_role_arn_provider`: AssumeRole signed by ANY base provider's current credentials (so a role
  chained from another role, `ChainableRamRoleArn`, is one provider over another)
- `oidc_role_provider`: AssumeRoleWithOIDC, the token file read again on every refresh
- `profile_provider`: an Alibaba CLI profile, modes AK, StsToken, EcsRamRole, RamRoleArn,
  ChainableRamRoleArn (`source_profile`), OIDC; field names as the CLI writes them
- `default_provider`: the default chain (`credentials.resolve_chain`) with those modes
- `build_provider`: an `IdentitySpec`

Every bad input is an `IdentityError` naming it (`IdentityContext.inputs` maps a spec field to the
config key or option it came from); no message carries a secret, an STS token or an OIDC token.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .credentials import ChainHooks, fetch_ecs_role_temporary, profile_entry, profile_file, resolve_chain
from .errors import IdentityError
from .identity import NAMESPACE_KEYS, CredentialsProvider, IdentitySpec, StaticProvider, missing_namespace_keys
from .refresh import RefreshingProvider
from .signing import Credentials
from .sts import StsClient, Temporary, sts_endpoint

__all__ = [
    "DEFAULT_DURATION_S",
    "PROFILE_MODES",
    "IdentityContext",
    "build_provider",
    "default_provider",
    "ecs_ram_role_provider",
    "identity_key",
    "oidc_role_provider",
    "profile_provider",
    "ram_role_arn_provider",
]

DEFAULT_DURATION_S = 3600
_DURATION_RANGE = (900, 43200)  # STS: at least 15 min, at most the role's MaxSessionDuration (≤ 12 h)
_ROLE_ARN = re.compile(r"^acs:ram::\d+:role/[A-Za-z0-9._@+=,/-]{1,128}$")
_OIDC_PROVIDER_ARN = re.compile(r"^acs:ram::\d+:oidc-provider/[A-Za-z0-9._-]{1,128}$")
_SESSION_NAME = re.compile(r"^[A-Za-z0-9.@_-]{2,64}$")
_SESSION_ENV = "ALIBABA_CLOUD_ROLE_SESSION_NAME"
_OIDC_ENV = {
    "role_arn": "ALIBABA_CLOUD_ROLE_ARN",
    "oidc_provider_arn": "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "oidc_token_file": "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "role_session_name": _SESSION_ENV,
}
_TRUE = ("1", "true", "yes")
PROFILE_MODES = ("AK", "StsToken", "EcsRamRole", "RamRoleArn", "ChainableRamRoleArn", "OIDC")
_Name = Callable[[str], str]


@dataclass(frozen=True)
class IdentityContext:
    """How providers reach STS and the metadata service, and what to call each input; no secrets.

    `sts_endpoint` is the explicit one (spec or stack config); `inputs` maps an `IdentitySpec` field
    to the name the user gave it (`ehpc:roleArn`, `--role-arn`...), for messages.
    """

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    verify: bool | str | ssl.SSLContext = True
    sts_endpoint: str | None = None
    sts_transport: httpx.BaseTransport | None = None
    metadata_transport: httpx.BaseTransport | None = None
    profile_path: str | os.PathLike[str] | None = None
    now: Callable[[], float] = time.time
    inputs: Mapping[str, str] = field(default_factory=dict)
    _clients: dict[str, StsClient] = field(default_factory=dict, compare=False, repr=False)

    def name(self, spec_field: str) -> str:
        return self.inputs.get(spec_field, spec_field)

    def sts(self, *, region: str | None = None, vpc: bool | None = None) -> StsClient:
        """The STS client of the endpoint that applies (one per endpoint, reused)."""
        endpoint = sts_endpoint(self.sts_endpoint, self.env, region=region, vpc=vpc, name=self.name("sts_endpoint"))
        client = self._clients.get(endpoint)
        if client is None:
            client = self._clients.setdefault(
                endpoint, StsClient(endpoint, verify=self.verify, transport=self.sts_transport)
            )
        return client


def identity_key(provider: CredentialsProvider) -> str:
    """A name of the identity that survives refreshes (the key id of a static one)."""
    key = getattr(provider, "identity_key", None)
    if isinstance(key, str):
        return key
    if isinstance(provider, StaticProvider):
        return provider.credentials.access_key_id
    return provider.source


def _check(value: str, pattern: re.Pattern[str], name: str, what: str, example: str) -> str:
    if not pattern.match(value):
        raise IdentityError(f"{name}: {value!r} is not {what} (expected e.g. {example})")
    return value


def _role_arn(value: str, name: str) -> str:
    return _check(value, _ROLE_ARN, name, "a RAM role ARN", "acs:ram::1234567890123456:role/ehpc-deployer")


def _duration(value: Any, name: str) -> int:
    low, high = _DURATION_RANGE
    try:
        seconds = DEFAULT_DURATION_S if value in (None, "") else int(value)
    except (TypeError, ValueError):
        raise IdentityError(f"{name}: {value!r} is not a number of seconds ({low}-{high})") from None
    if not low <= seconds <= high:
        raise IdentityError(f"{name}: {seconds} s is outside what STS accepts ({low}-{high} s)")
    return seconds


def _session(value: str | None, ctx: IdentityContext, name: str) -> str:
    given = value or ctx.env.get(_SESSION_ENV)
    if not given:
        return f"pulumi-ehpc-tasks-{int(ctx.now())}"
    where = name if value else _SESSION_ENV
    return _check(given, _SESSION_NAME, where, "a role session name (2-64 of A-Z a-z 0-9 . @ - _)", "ci-deploy")


def ecs_ram_role_provider(role: str, ctx: IdentityContext, *, name: str = "ecs_role_name") -> RefreshingProvider:
    """The instance RAM role `role`, refreshed from the metadata service before it expires."""
    allow_v1 = ctx.env.get("ALIBABA_CLOUD_IMDSV1_DISABLED", "").lower() not in _TRUE

    def fetch() -> Temporary:
        try:
            return fetch_ecs_role_temporary(
                role, transport=ctx.metadata_transport, allow_imds_v1=allow_v1, now=ctx.now
            )
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise IdentityError(
                f"{name}: ECS RAM role {role!r}: the metadata service gave no credentials "
                f"({type(exc).__name__}: {first}); is this an ECS instance with that role attached?"
            ) from None

    return RefreshingProvider(fetch, source=f"ecs_ram_role/{role}", identity_key=f"ecs:{role}", now=ctx.now)


def ram_role_arn_provider(
    base: CredentialsProvider,
    role_arn: str,
    ctx: IdentityContext,
    *,
    session_name: str | None = None,
    duration_s: Any = None,
    policy: str | None = None,
    external_id: str | None = None,
    sts: StsClient | None = None,
    name: _Name | None = None,
) -> RefreshingProvider:
    """AssumeRole `role_arn`, signed by `base`'s current credentials at every refresh."""
    name = name or ctx.name
    role_arn = _role_arn(role_arn, name("role_arn"))
    duration = _duration(duration_s, name("duration_s"))
    session = _session(session_name, ctx, name("role_session_name"))
    client = sts or ctx.sts()
    subject = f"role {role_arn} ({name('role_arn')}) assumed by {base.source}"

    def fetch() -> Temporary:
        return client.assume_role(
            base.get(),
            role_arn=role_arn,
            session_name=session,
            duration_s=duration,
            policy=policy or None,
            external_id=external_id or None,
            subject=subject,
        )

    return RefreshingProvider(
        fetch,
        source=f"ram_role_arn/{role_arn} <- {base.source}",
        identity_key=f"role:{role_arn}<-{identity_key(base)}",
        now=ctx.now,
        base=base,
    )


def _jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT, if the token is one (the signature is STS's business, not ours)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(claims["exp"]) if isinstance(claims, dict) and "exp" in claims else None
    except (ValueError, TypeError):
        return None


def _read_token(path: Path, name: str, now: float) -> str:
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise IdentityError(
            f"{name}: cannot read the OIDC token file {str(path)!r} ({type(exc).__name__}); the CI job or the "
            "RRSA webhook writes it: check the path and that the token is mounted"
        ) from None
    if not token:
        raise IdentityError(f"{name}: the OIDC token file {str(path)!r} is empty")
    expiry = _jwt_expiry(token)
    if expiry is not None and expiry <= now:
        raise IdentityError(
            f"{name}: the OIDC token in {str(path)!r} expired {now - expiry:.0f} s ago; its issuer must "
            "renew the file (a CI job's token lives as long as the job allows)"
        )
    return token


def oidc_role_provider(
    role_arn: str,
    oidc_provider_arn: str,
    token_file: str,
    ctx: IdentityContext,
    *,
    session_name: str | None = None,
    duration_s: Any = None,
    policy: str | None = None,
    sts: StsClient | None = None,
    name: _Name | None = None,
) -> RefreshingProvider:
    """AssumeRoleWithOIDC; the token file is read at every refresh (its issuer rotates it)."""
    name = name or ctx.name
    role_arn = _role_arn(role_arn, name("role_arn"))
    provider_arn = _check(
        oidc_provider_arn, _OIDC_PROVIDER_ARN, name("oidc_provider_arn"), "an OIDC provider ARN",
        "acs:ram::1234567890123456:oidc-provider/ci",
    )
    duration = _duration(duration_s, name("duration_s"))
    session = _session(session_name, ctx, name("role_session_name"))
    path = Path(token_file).expanduser()
    if not path.is_file():
        raise IdentityError(
            f"{name('oidc_token_file')}: the OIDC token file {token_file!r} does not exist; point it at the "
            "file the CI job or the RRSA webhook writes"
        )
    _read_token(path, name("oidc_token_file"), ctx.now())  # an empty or expired token fails now (at preview)
    client = sts or ctx.sts()
    tokens: collections.deque[str] = collections.deque(maxlen=2)  # current and previous, for redaction
    subject = f"role {role_arn} ({name('role_arn')}) via OIDC provider {provider_arn}"

    def fetch() -> Temporary:
        token = _read_token(path, name("oidc_token_file"), ctx.now())
        tokens.append(token)
        return client.assume_role_with_oidc(
            role_arn=role_arn,
            oidc_provider_arn=provider_arn,
            oidc_token=token,
            session_name=session,
            duration_s=duration,
            policy=policy or None,
            subject=subject,
        )

    return RefreshingProvider(
        fetch,
        source=f"oidc_role_arn/{role_arn}",
        identity_key=f"oidc:{provider_arn}:{role_arn}",
        now=ctx.now,
        extra_secrets=lambda: tuple(tokens),
    )


def oidc_from_env(ctx: IdentityContext) -> RefreshingProvider | None:
    """The `ALIBABA_CLOUD_ROLE_ARN` + `..._OIDC_PROVIDER_ARN` + `..._OIDC_TOKEN_FILE` convention, if set."""
    values = {f: ctx.env.get(var) or None for f, var in _OIDC_ENV.items()}
    if not (values["oidc_provider_arn"] or values["oidc_token_file"]):
        return None  # ALIBABA_CLOUD_ROLE_ARN alone is not OIDC
    missing = [_OIDC_ENV[f] for f in ("role_arn", "oidc_provider_arn", "oidc_token_file") if not values[f]]
    if missing:
        raise IdentityError(f"OIDC from the environment: {', '.join(missing)} not set (all three are needed)")
    return oidc_role_provider(
        str(values["role_arn"]), str(values["oidc_provider_arn"]), str(values["oidc_token_file"]), ctx,
        session_name=values["role_session_name"], name=lambda f: _OIDC_ENV.get(f, f),
    )


def profile_provider(profile: str | None, ctx: IdentityContext, *, name: str = "profile") -> CredentialsProvider:
    """The CLI profile `profile` (None: the file's `current`), any supported mode."""
    path = profile_file(ctx.env, ctx.profile_path)
    entry, why = profile_entry(path, profile)
    if entry is None:
        raise IdentityError(
            f"{name}: CLI profile {profile or '(current)'!r} not usable: {why} in {str(path)!r}; create it with "
            f"`aliyun configure --profile {profile or 'NAME'}` or name another profile"
        )
    return entry_provider(entry, ctx, path=path)


def entry_provider(
    entry: Mapping[str, Any], ctx: IdentityContext, *, path: Path, chain: tuple[str, ...] = ()
) -> CredentialsProvider:
    """The provider of one profile entry (`chain`: the profiles that led here, to refuse a cycle)."""
    profile = str(entry.get("name", "?"))
    mode = str(entry.get("mode") or "AK")
    label = f"CLI profile {profile!r} ({path}, mode {mode})"

    def field_name(spec_field: str) -> str:
        return f"{label} field {_PROFILE_FIELDS.get(spec_field, spec_field)}"

    def need(key: str) -> str:
        value = entry.get(key)
        if value in (None, ""):
            raise IdentityError(
                f"{label}: field {key!r} is missing; set it with `aliyun configure --mode {mode} "
                f"--profile {profile}` or edit the file"
            )
        return str(value)

    if mode in ("AK", "StsToken"):
        token = need("sts_token") if mode == "StsToken" else None
        return StaticProvider(Credentials(need("access_key_id"), need("access_key_secret"), token, source=label))
    if mode == "EcsRamRole":
        return ecs_ram_role_provider(need("ram_role_name"), ctx, name=f"{label} field ram_role_name")
    sts = ctx.sts(region=entry.get("sts_region") or None, vpc=_flag(entry.get("enable_vpc")))
    common: dict[str, Any] = {
        "duration_s": entry.get("expired_seconds"),
        "policy": entry.get("policy"),
        "sts": sts,
        "name": field_name,
    }
    if mode == "OIDC":
        return oidc_role_provider(
            need("ram_role_arn"), need("oidc_provider_arn"), need("oidc_token_file"), ctx,
            session_name=entry.get("role_session_name"), **common,
        )
    if mode == "RamRoleArn":
        base: CredentialsProvider = StaticProvider(
            Credentials(need("access_key_id"), need("access_key_secret"), source=label)
        )
    elif mode == "ChainableRamRoleArn":
        source = need("source_profile")
        if source in (*chain, profile):
            loop = " -> ".join((*chain, profile, source))
            raise IdentityError(f"{label}: source_profile {source!r} leads back to itself ({loop})")
        found, why = profile_entry(path, source)
        if found is None:
            raise IdentityError(f"{label}: source_profile {source!r}: {why}")
        base = entry_provider(found, ctx, path=path, chain=(*chain, profile))
    else:
        raise IdentityError(
            f"{label}: mode {mode!r} is not supported by pulumi-ehpc-tasks (supported: {', '.join(PROFILE_MODES)})"
        )
    return ram_role_arn_provider(
        base, need("ram_role_arn"), ctx, session_name=entry.get("ram_session_name"),
        external_id=entry.get("external_id"), **common,
    )


# The CLI's field names for the spec's (its session name differs by mode: ram_session_name for roles).
_PROFILE_FIELDS = {
    "role_arn": "ram_role_arn",
    "duration_s": "expired_seconds",
    "role_session_name": "ram_session_name / role_session_name",
    "oidc_provider_arn": "oidc_provider_arn",
    "oidc_token_file": "oidc_token_file",
    "sts_endpoint": "sts_region",
}


def _flag(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    return value is True or str(value).lower() in _TRUE


def default_provider(
    ctx: IdentityContext, *, config: Mapping[str, Any] | None = None, caller_sources: bool = True
) -> CredentialsProvider:
    """The default chain (`resolve_chain`) with every profile mode, OIDC from the env and a refreshing ECS role."""
    return resolve_chain(
        config=config,
        env=ctx.env,
        profile_path=ctx.profile_path,
        metadata_transport=ctx.metadata_transport,
        caller_sources=caller_sources,
        hooks=ChainHooks(
            oidc_env=lambda: oidc_from_env(ctx),
            profile=lambda entry, _label: entry_provider(entry, ctx, path=profile_file(ctx.env, ctx.profile_path)),
            ecs=lambda role: ecs_ram_role_provider(role, ctx, name="ALIBABA_CLOUD_ECS_METADATA"),
        ),
    )


def _namespace_provider(namespace: str, config: Mapping[str, Any], name: str) -> StaticProvider:
    missing = missing_namespace_keys(namespace, config)
    if missing:
        raise IdentityError(
            f"{name}: stack config {' and '.join(missing)} not set; set them with "
            f"`pulumi config set --secret {missing[0]} ...`"
        )
    key_id, secret, token = (str(config.get(f"{namespace}:{k}") or "").strip() for k in NAMESPACE_KEYS)
    return StaticProvider(Credentials(key_id, secret, token or None, source=f"Pulumi config {namespace}:*"))


_BASES = ("profile", "config_namespace", "ecs_role_name", "oidc_provider_arn")
_ROLE_OPTIONS = ("role_session_name", "duration_s", "policy", "external_id")


def build_provider(
    spec: IdentitySpec, ctx: IdentityContext, *, config: Mapping[str, Any] | None = None, caller_sources: bool = True
) -> CredentialsProvider:
    """The provider of `spec` (empty: the default chain). Bad input raises `IdentityError` naming it."""
    cfg = config or {}
    unused = [ctx.name(f) for f in _ROLE_OPTIONS if getattr(spec, f) is not None]
    if unused and not spec.role_arn:
        raise IdentityError(f"{', '.join(unused)}: given without a role ARN ({ctx.name('role_arn')}) to apply to")
    if all(getattr(spec, f) is None for f in (*_BASES, "role_arn", "oidc_token_file")):
        return default_provider(ctx, config=cfg, caller_sources=caller_sources)
    bases = [f for f in _BASES if getattr(spec, f)]
    if len(bases) > 1:
        raise IdentityError(
            f"{' and '.join(ctx.name(b) for b in bases)}: each names a base identity, give one (chain a role "
            f"with {ctx.name('role_arn')}, or roles with a ChainableRamRoleArn profile)"
        )
    if spec.oidc_provider_arn or spec.oidc_token_file:
        needed = ("role_arn", "oidc_provider_arn", "oidc_token_file")
        missing = [ctx.name(f) for f in needed if not getattr(spec, f)]
        if missing:
            raise IdentityError(f"OIDC identity: {', '.join(missing)} not set (all three are needed)")
        return oidc_role_provider(
            str(spec.role_arn), str(spec.oidc_provider_arn), str(spec.oidc_token_file), ctx,
            session_name=spec.role_session_name, duration_s=spec.duration_s, policy=spec.policy,
        )
    base: CredentialsProvider
    if spec.profile:
        base = profile_provider(spec.profile, ctx, name=ctx.name("profile"))
    elif spec.config_namespace:
        base = _namespace_provider(spec.config_namespace, cfg, ctx.name("config_namespace"))
    elif spec.ecs_role_name:
        base = ecs_ram_role_provider(spec.ecs_role_name, ctx, name=ctx.name("ecs_role_name"))
    else:
        base = default_provider(ctx, config=cfg, caller_sources=caller_sources)
    if not spec.role_arn:
        return base
    return ram_role_arn_provider(
        base, spec.role_arn, ctx, session_name=spec.role_session_name, duration_s=spec.duration_s,
        policy=spec.policy, external_id=spec.external_id,
    )
