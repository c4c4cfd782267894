"""One credentials chain, tried in a fixed order; every source tried is reported when none works.

Order: explicit arguments → Pulumi stack config (mapping passed by the caller) → environment
(`ALIBABA_CLOUD_*`, then the pulumi-alicloud `ALICLOUD_*` names) → [OIDC from the environment] →
Alibaba CLI profile (`~/.aliyun/config.json`) → ECS instance RAM role via the metadata service (only
when configured: never probed by default) → optionally the official `alibabacloud-credentials` chain
(imported lazily, not a dependency).

`resolve_credentials` returns one key pair (profile modes AK/StsToken/EcsRamRole, fetched once);
`resolve_chain` with `ChainHooks` (see `providers.default_provider`) returns a provider and covers
the refreshing modes too.

Nothing here logs or formats a secret; `Credentials.__repr__` redacts.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import httpx

from .errors import CredentialsNotFoundError, IdentityError
from .identity import CredentialsProvider, StaticProvider
from .signing import Credentials
from .sts import Temporary, parse_expiration

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack for **kwargs needs Python 3.12

__all__ = [
    "CONFIG_KEYS",
    "ENV_ALIASES",
    "METADATA_HOST",
    "ChainHooks",
    "ChainOptions",
    "fetch_ecs_role_credentials",
    "fetch_ecs_role_temporary",
    "resolve_chain",
    "resolve_credentials",
    "resolve_region",
]

# Pulumi config keys the provider passes in (with or without the `ehpc:` namespace).
CONFIG_KEYS = {"id": "accessKeyId", "secret": "accessKeySecret", "token": "securityToken", "region": "region"}
ENV_ALIASES: tuple[tuple[str, str, str], ...] = (
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
)
REGION_ENV = ("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION", "ALICLOUD_REGION_ID")
METADATA_HOST = "http://100.100.100.200"
_METADATA_TIMEOUT = httpx.Timeout(1.0)
_TRUE = ("1", "true", "yes")

_Source = Callable[[list[str]], "CredentialsProvider | Credentials | None"]


@dataclass(frozen=True)
class ChainHooks:
    """How `resolve_chain` builds the sources that refresh (absent: the one-shot behaviour).

    `oidc_env`: the provider of the `ALIBABA_CLOUD_OIDC_*` environment convention, or None when it
    is not set; `profile(entry, label)`: the provider of a CLI profile entry, any mode (raises
    `IdentityError`); `ecs(role)`: a refreshing ECS RAM role provider.
    """

    oidc_env: Callable[[], CredentialsProvider | None]
    profile: Callable[[dict[str, Any], str], CredentialsProvider]
    ecs: Callable[[str], CredentialsProvider]


def _pair(kind: str, key_id: Any, secret: Any, token: Any, tried: list[str]) -> Credentials | None:
    key_id, secret, token = (str(v).strip() if v else "" for v in (key_id, secret, token))
    if key_id and secret:
        return Credentials(key_id, secret, token or None, source=kind)
    if key_id or secret:
        missing = "secret" if key_id else "id"
        tried.append(f"{kind}: incomplete (access key {missing} missing)")
    else:
        tried.append(f"{kind}: not set")
    return None


def _from_env(
    env: Mapping[str, str], id_var: str, secret_var: str, token_var: str, tried: list[str]
) -> Credentials | None:
    return _pair(
        f"environment {id_var}/{secret_var}", env.get(id_var), env.get(secret_var), env.get(token_var), tried
    )


def _config_get(config: Mapping[str, Any], key: str) -> Any:
    for k in (key, f"ehpc:{key}"):
        if config.get(k):
            return config[k]
    return None


class ChainOptions(TypedDict, total=False):
    """The inputs of the chain (see `resolve_credentials`)."""

    access_key_id: str | None
    access_key_secret: str | None
    security_token: str | None
    config: Mapping[str, Any] | None
    env: Mapping[str, str] | None
    profile_path: str | os.PathLike[str] | None
    profile: str | None
    ecs_role: str | None
    metadata_transport: httpx.BaseTransport | None
    use_official_chain: bool
    caller_sources: bool


def resolve_credentials(**options: Unpack[ChainOptions]) -> Credentials:
    """Return the first complete key pair; raise `CredentialsNotFoundError` listing every source tried.

    Keyword arguments (`ChainOptions`): `access_key_id`, `access_key_secret`, `security_token`
    (explicit), `config` (stack config), `env` (default `os.environ`), `profile_path` (default
    `~/.aliyun/config.json`), `profile`, `ecs_role`, `metadata_transport`, `use_official_chain`,
    `caller_sources`. The ECS metadata service is queried only if `ecs_role` is given,
    `ALIBABA_CLOUD_ECS_METADATA` names a role, or the CLI profile is in `EcsRamRole` mode.
    `caller_sources=False` is for callers that take no keys of their own (the `ehpc-tasks` CLI):
    explicit arguments and Pulumi config are then neither read nor listed.
    """
    return resolve_chain(**options).get()


def resolve_chain(*, hooks: ChainHooks | None = None, **options: Unpack[ChainOptions]) -> CredentialsProvider:
    """The provider of the first source that works (see `resolve_credentials`; `hooks`: `ChainHooks`)."""
    access_key_id, access_key_secret, security_token = (
        options.get(k) for k in ("access_key_id", "access_key_secret", "security_token")
    )
    config, env, profile_path = options.get("config"), options.get("env"), options.get("profile_path")
    profile, ecs_role, metadata_transport = options.get("profile"), options.get("ecs_role"), options.get(
        "metadata_transport"
    )
    use_official_chain = options.get("use_official_chain", False)
    caller_sources = options.get("caller_sources", True)
    env = os.environ if env is None else env
    cfg = config or {}
    tried: list[str] = []
    sources: list[_Source] = []
    if caller_sources:
        sources += [
            lambda t: _pair("explicit arguments", access_key_id, access_key_secret, security_token, t),
            lambda t: _pair(
                "Pulumi config (ehpc:accessKeyId/ehpc:accessKeySecret)",
                _config_get(cfg, CONFIG_KEYS["id"]),
                _config_get(cfg, CONFIG_KEYS["secret"]),
                _config_get(cfg, CONFIG_KEYS["token"]),
                t,
            ),
        ]
    for id_var, secret_var, token_var in ENV_ALIASES:
        sources.append(functools.partial(_from_env, env, id_var, secret_var, token_var))
    if hooks is not None:
        sources.append(functools.partial(_from_oidc_env, hooks))
    path = profile_file(env, profile_path)
    sources.append(
        lambda t: _from_cli_profile(
            path, profile or env.get("ALIBABA_CLOUD_PROFILE"), env, metadata_transport, t, hooks
        )
    )
    sources.append(
        lambda t: _from_ecs_role(
            ecs_role or env.get("ALIBABA_CLOUD_ECS_METADATA"), env, metadata_transport, t, hooks
        )
    )
    if use_official_chain:
        sources.append(_from_official_chain)
    for source in sources:
        found = source(tried)
        if found is not None:
            return StaticProvider(found) if isinstance(found, Credentials) else found
    raise CredentialsNotFoundError(tried, pulumi_config=caller_sources)


def _from_oidc_env(hooks: ChainHooks, tried: list[str]) -> CredentialsProvider | None:
    kind = "OIDC (ALIBABA_CLOUD_ROLE_ARN/ALIBABA_CLOUD_OIDC_PROVIDER_ARN/ALIBABA_CLOUD_OIDC_TOKEN_FILE)"
    found = hooks.oidc_env()
    if found is None:
        tried.append(f"{kind}: not set")
    return found


def profile_file(env: Mapping[str, str], given: str | os.PathLike[str] | None = None) -> Path:
    """The Alibaba CLI's config file: `given`, else `~/.aliyun/config.json`."""
    return Path(given) if given else _home(env) / ".aliyun" / "config.json"


def resolve_region(
    explicit: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    profile_path: str | os.PathLike[str] | None = None,
) -> str | None:
    """Region: explicit → config `region` → env (ALIBABA_CLOUD_REGION_ID, ALICLOUD_REGION) → CLI profile."""
    env = os.environ if env is None else env
    if explicit:
        return explicit
    from_config = _config_get(config or {}, CONFIG_KEYS["region"])
    if from_config:
        return str(from_config)
    for name in REGION_ENV:
        if env.get(name):
            return env[name]
    entry, _ = profile_entry(profile_file(env, profile_path), env.get("ALIBABA_CLOUD_PROFILE"))
    region = entry.get("region_id") if entry else None
    return str(region) if region else None


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or env.get("HOMEPATH")
    return Path(home) if home else Path.home()


def profile_entry(path: Path, name: str | None) -> tuple[dict[str, Any] | None, str]:
    """The profile `name` (else the file's `current`, else `default`) and its name, or None and why not."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None, "no file"
    except (OSError, ValueError) as exc:
        return None, f"unreadable ({type(exc).__name__})"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    wanted = name or data.get("current") or "default"
    for entry in data.get("profiles") or []:
        if isinstance(entry, dict) and entry.get("name") == wanted:
            return entry, str(wanted)
    return None, f"no profile named {wanted!r}"


def _from_cli_profile(
    path: Path,
    name: str | None,
    env: Mapping[str, str],
    transport: httpx.BaseTransport | None,
    tried: list[str],
    hooks: ChainHooks | None = None,
) -> CredentialsProvider | Credentials | None:
    kind = f"CLI profile {path}"
    if env.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "").lower() in _TRUE:
        tried.append(f"{kind}: disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED")
        return None
    entry, why = profile_entry(path, name)
    if entry is None:
        tried.append(f"{kind}: {why}")
        return None
    label, mode = f"{kind} [{why}]", str(entry.get("mode", "AK"))
    if hooks is not None:
        try:
            return hooks.profile(entry, label)
        except IdentityError as exc:
            tried.append(str(exc))
            return None
    if mode == "AK":
        return _pair(label, entry.get("access_key_id"), entry.get("access_key_secret"), None, tried)
    if mode == "StsToken":
        return _pair(
            label, entry.get("access_key_id"), entry.get("access_key_secret"), entry.get("sts_token"), tried
        )
    if mode == "EcsRamRole" and entry.get("ram_role_name"):
        return _from_ecs_role(str(entry["ram_role_name"]), env, transport, tried)
    tried.append(
        f"{label}: mode {mode!r} not supported here: resolve_credentials returns one key pair; "
        "credentials_provider() refreshes RamRoleArn, ChainableRamRoleArn and OIDC"
    )
    return None


def _from_ecs_role(
    role: str | None,
    env: Mapping[str, str],
    transport: httpx.BaseTransport | None,
    tried: list[str],
    hooks: ChainHooks | None = None,
) -> CredentialsProvider | Credentials | None:
    kind = "ECS instance RAM role (metadata service)"
    if not role:
        tried.append(f"{kind}: not configured (set ALIBABA_CLOUD_ECS_METADATA to the role name)")
        return None
    if env.get("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "").lower() in _TRUE:
        tried.append(f"{kind}: disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED")
        return None
    v1_allowed = env.get("ALIBABA_CLOUD_IMDSV1_DISABLED", "").lower() not in _TRUE
    try:
        if hooks is not None:
            provider = hooks.ecs(role)
            provider.get()  # the chain picks a source that works now
            return provider
        return fetch_ecs_role_credentials(role, transport=transport, allow_imds_v1=v1_allowed)
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        tried.append(f"{kind} {role!r}: {type(exc).__name__}: {_safe(exc)}")
        return None


def _safe(exc: Exception) -> str:
    # Response bodies could echo credentials; keep only the first line of our own messages.
    return str(exc).splitlines()[0][:200] if str(exc) else ""


def fetch_ecs_role_credentials(
    role: str, *, transport: httpx.BaseTransport | None = None, allow_imds_v1: bool = True
) -> Credentials:
    """STS credentials of the instance RAM role: IMDSv2 token first, v1 fallback; 1 s timeouts."""
    return fetch_ecs_role_temporary(role, transport=transport, allow_imds_v1=allow_imds_v1).credentials


_ECS_DEFAULT_LIFETIME_S = 3600.0  # no Expiration in the answer: treat it like the library (stale in 1 h)


def fetch_ecs_role_temporary(
    role: str,
    *,
    transport: httpx.BaseTransport | None = None,
    allow_imds_v1: bool = True,
    now: Callable[[], float] = time.time,
) -> Temporary:
    """`fetch_ecs_role_credentials` with the answer's `Expiration` (epoch seconds)."""
    with httpx.Client(base_url=METADATA_HOST, timeout=_METADATA_TIMEOUT, transport=transport) as http:
        headers: dict[str, str] = {}
        try:
            token = http.put(
                "/latest/api/token", headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "21600"}
            )
            token.raise_for_status()
            headers["X-aliyun-ecs-metadata-token"] = token.text.strip()
        except httpx.HTTPError:
            if not allow_imds_v1:
                raise
        resp = http.get(f"/latest/meta-data/ram/security-credentials/{role}", headers=headers)
        resp.raise_for_status()
        data = resp.json()
    if data.get("Code") != "Success":
        raise ValueError(f"metadata service answered Code={data.get('Code')!r}")
    creds = Credentials(
        data["AccessKeyId"],
        data["AccessKeySecret"],
        data.get("SecurityToken") or None,
        source=f"ecs_ram_role/{role}",
    )
    expiration = data.get("Expiration")
    return Temporary(creds, parse_expiration(str(expiration)) if expiration else now() + _ECS_DEFAULT_LIFETIME_S)


def _from_official_chain(tried: list[str]) -> Credentials | None:
    kind = "alibabacloud-credentials default chain"
    try:
        module = importlib.import_module("alibabacloud_credentials.client")
    except ImportError:
        tried.append(f"{kind}: package not installed (pip install alibabacloud-credentials)")
        return None
    try:
        cred = module.Client().get_credential()
        # 1.x returns a CredentialModel with attributes; older releases had getter methods.
        key_id, secret, token = (
            getattr(cred, name, None) or getattr(cred, f"get_{name}", lambda: None)()
            for name in ("access_key_id", "access_key_secret", "security_token")
        )
        return _pair(kind, key_id, secret, token, tried)
    except Exception as exc:  # the library raises its own assorted types; report, don't leak
        tried.append(f"{kind}: {type(exc).__name__}")
        return None
