"""Identities given by reference, and the credentials providers they resolve to.

An `IdentitySpec` names *where* credentials come from (a CLI profile, a role to assume, OIDC
settings, stack-config keys, an ECS role): never a secret value, so it may live in Pulumi inputs,
outputs and state. `credentials_provider()` turns it into a `CredentialsProvider`, whose `get()`
returns credentials that are valid now (temporary ones are refreshed before they expire).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .signing import Credentials

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CredentialsProvider",
    "IdentitySpec",
    "StaticProvider",
    "credentials_provider",
    "missing_namespace_keys",
]


@dataclass(frozen=True)
class IdentitySpec:
    """Where credentials come from. Every field is a reference or a setting, none is a secret.

    - `profile`: an Alibaba CLI profile name (`~/.aliyun/config.json`), any of its modes.
    - `config_namespace`: read `<ns>:accessKeyId`, `<ns>:accessKeySecret`, `<ns>:securityToken` from
      the stack config (secret config values), e.g. `acct2`.
    - `ecs_role_name`: the ECS instance RAM role (metadata service).
    - `role_arn` (+ `role_session_name`, `duration_s`, `policy`, `external_id`): AssumeRole, chained
      from the base identity named by the fields above (or the default chain when none is named).
    - `oidc_provider_arn` + `oidc_token_file` (+ `role_arn`): AssumeRoleWithOIDC (RRSA / CI federation).
    - `sts_endpoint`: where AssumeRole* go (default Alibaba's public STS endpoint).
    An empty spec means "the default chain" (today's stack-level resolution).
    """

    profile: str | None = None
    config_namespace: str | None = None
    ecs_role_name: str | None = None
    role_arn: str | None = None
    role_session_name: str | None = None
    duration_s: int | None = None
    policy: str | None = None
    external_id: str | None = None
    oidc_provider_arn: str | None = None
    oidc_token_file: str | None = None
    sts_endpoint: str | None = None

    @property
    def is_default(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@runtime_checkable
class CredentialsProvider(Protocol):
    """Credentials valid now; thread-safe; refreshes temporary credentials before they expire."""

    @property
    def source(self) -> str:
        """Where the credentials come from, for messages (never a secret)."""
        ...

    def get(self) -> Credentials: ...


@dataclass(frozen=True)
class StaticProvider:
    """Credentials that never change (an AK pair, or an STS triple someone else refreshes)."""

    credentials: Credentials

    @property
    def source(self) -> str:
        return self.credentials.source

    def get(self) -> Credentials:
        return self.credentials


def credentials_provider(
    spec: IdentitySpec | None,
    *,
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    verify: Any = True,
    caller_sources: bool = True,
    inputs: Mapping[str, str] | None = None,
    profile_path: str | os.PathLike[str] | None = None,
    sts_transport: httpx.BaseTransport | None = None,
    metadata_transport: httpx.BaseTransport | None = None,
    now: Callable[[], float] | None = None,
) -> CredentialsProvider:
    """The provider for `spec` (None or empty: the default chain of `resolve_credentials`, every mode).

    `config` is the stack config (for `config_namespace` and stack-level keys); `verify` is the TLS
    setting for STS calls (True or a CA bundle path). Raises `CredentialsNotFoundError` (or an
    `EhpcError` naming the input) when the identity cannot be used. Optional: `inputs` maps a spec
    field to the name the user gave it (`{"role_arn": "ehpc:roleArn"}`) for messages; `profile_path`
    (default `~/.aliyun/config.json`), transports for STS and the metadata service, and a `now`
    clock (epoch seconds) are for tests. Construction calls no STS; the first `get()` does.
    """
    from .providers import IdentityContext, build_provider

    ctx = IdentityContext(
        env=os.environ if env is None else env,
        verify=verify,
        sts_endpoint=spec.sts_endpoint if spec else None,
        sts_transport=sts_transport,
        metadata_transport=metadata_transport,
        profile_path=profile_path,
        now=now or time.time,
        inputs=inputs or {},
    )
    return build_provider(spec or IdentitySpec(), ctx, config=config, caller_sources=caller_sources)


# The stack-config keys a `config_namespace` names, `<ns>:<key>`; the first two are required.
NAMESPACE_KEYS = ("accessKeyId", "accessKeySecret", "securityToken")


def missing_namespace_keys(namespace: str, config: Mapping[str, Any]) -> list[str]:
    """The required `<namespace>:...` keys the stack config lacks (names only, never values)."""
    keys = [f"{namespace}:{key}" for key in NAMESPACE_KEYS[:2]]
    return [key for key in keys if not str(config.get(key) or "").strip()]
