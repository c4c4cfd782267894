"""Region, endpoint, CA bundle and identity, resolved inside the provider process.

The serialized provider (pickled into state) carries none of this: `configure()` runs in the
provider process with the whole stack config (the engine passes every namespace to dynamic
providers), so rotating a key needs no state edit and no secret is ever written into state.
The identity keys (`IDENTITY_KEYS`) name an identity by reference (a profile, a role, OIDC
settings); the client's provider refreshes temporary credentials before they expire. A resource's
`connection` (connection.py) names another region, endpoint or identity; its client is built here too,
once per distinct target, from references only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..wire import EhpcClient, EhpcClient2024, IdentitySpec, credentials_provider, resolve_region
from ..wire.endpoint import resolve_endpoint
from ..wire.errors import IdentityError
from ..wire.identity import CredentialsProvider
from .connection import CONNECTION, ConnectionInputs

__all__ = ["IDENTITY_KEYS", "ProviderSettings", "Target", "identity_from_config", "settings_from_config"]

ClientT = TypeVar("ClientT", EhpcClient, EhpcClient2024)

# Stack-config keys, ours first, then the ones pulumi-alicloud users already set.
_REGION_KEYS = ("ehpc:region", "alicloud:region")
_ENDPOINT_KEYS = ("ehpc:endpoint",)
_CREDENTIAL_KEYS = {
    "accessKeyId": ("ehpc:accessKeyId", "alicloud:accessKey"),
    "accessKeySecret": ("ehpc:accessKeySecret", "alicloud:secretKey"),
    "securityToken": ("ehpc:securityToken", "alicloud:securityToken"),
}
_CA_BUNDLE_KEYS = ("ehpc:caBundle",)
# IdentitySpec field -> stack-config keys, ours first, then pulumi-alicloud's (`alicloud:assumeRole.x` is
# member x of the `alicloud:assumeRole` object, `alicloud:assumeRoleWithOidc.x` likewise).
IDENTITY_KEYS: Mapping[str, tuple[str, ...]] = {
    "profile": ("ehpc:profile", "alicloud:profile"),
    "ecs_role_name": ("ehpc:ecsRoleName", "alicloud:ecsRoleName"),
    "role_arn": ("ehpc:roleArn", "alicloud:assumeRoleWithOidc.roleArn", "alicloud:assumeRole.roleArn"),
    "role_session_name": (
        "ehpc:roleSessionName", "alicloud:assumeRoleWithOidc.roleSessionName", "alicloud:assumeRole.sessionName",
    ),
    "duration_s": (
        "ehpc:roleDurationSeconds", "alicloud:assumeRoleWithOidc.sessionExpiration",
        "alicloud:assumeRole.sessionExpiration",
    ),
    "policy": ("ehpc:rolePolicy", "alicloud:assumeRoleWithOidc.policy", "alicloud:assumeRole.policy"),
    "external_id": ("ehpc:roleExternalId", "alicloud:assumeRole.externalId"),
    "oidc_provider_arn": ("ehpc:oidcProviderArn", "alicloud:assumeRoleWithOidc.oidcProviderArn"),
    "oidc_token_file": ("ehpc:oidcTokenFile", "alicloud:assumeRoleWithOidc.oidcTokenFile"),
    "sts_endpoint": ("ehpc:stsEndpoint", "alicloud:stsEndpoint"),
}


def _first(config: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    found = _first_key(config, keys)
    return found[1] if found else None


def _first_key(config: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str, str] | None:
    """The first key set (an `object.member` key reads a member of a JSON object value) and its value."""
    for key in keys:
        name, _, member = key.partition(".")
        value = config.get(name)
        if member and value not in (None, ""):
            value = _member(name, value, member)
        if value not in (None, ""):
            return key, str(value)
    return None


def _member(name: str, value: Any, member: str) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise IdentityError(f"{name}: expected an object (e.g. {{\"roleArn\": ...}}), got a string") from None
    return value.get(member) if isinstance(value, Mapping) else None


def identity_from_config(config: Mapping[str, Any]) -> tuple[IdentitySpec, dict[str, str]]:
    """The stack-level `IdentitySpec` and, per field set, the config key it came from (for messages)."""
    values: dict[str, Any] = {}
    inputs: dict[str, str] = {}
    for spec_field, keys in IDENTITY_KEYS.items():
        found = _first_key(config, keys)
        if found:
            inputs[spec_field], values[spec_field] = found
    # Where a field is not set, a message still names our key for it.
    inputs = {f: keys[0] for f, keys in IDENTITY_KEYS.items()} | inputs
    if "duration_s" in values:
        try:
            values["duration_s"] = int(values["duration_s"])
        except ValueError:
            given = values["duration_s"]
            raise IdentityError(f"{inputs['duration_s']}: {given!r} is not a number of seconds") from None
    return IdentitySpec(**values), inputs


@dataclass(frozen=True)
class Target:
    """Where one client's calls go and who makes them: the stack's settings, or a resource's connection
    over them. Equal targets share one client (and so its node listings and pollers)."""

    region: str | None
    endpoint: str | None
    identity: IdentitySpec | None = None
    """None: the stack-level identity."""
    ca_bundle: str | None = None

    @property
    def location(self) -> str | None:
        """The API the resources live behind: the region, else the endpoint (None: neither is set)."""
        if self.region:
            return self.region
        return resolve_endpoint(None, self.endpoint) if self.endpoint else None


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    clients: dict[type, Any] = field(default_factory=dict)
    """One client per API generation (`EhpcClient`, `EhpcClient2024`)."""
    credentials: CredentialsProvider | None = None
    """Shared by those clients: one identity refreshes (calls STS) once, whichever generation asks."""


@dataclass
class ProviderSettings:
    """What a provider call needs to reach E-HPC; `client()` builds (and reuses) one client per target."""

    region: str | None = None
    endpoint: str | None = None
    stack_credentials: dict[str, str] = field(default_factory=dict, repr=False)
    identity: IdentitySpec = field(default_factory=IdentitySpec)
    identity_inputs: dict[str, str] = field(default_factory=dict, repr=False)
    ca_bundle: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The whole stack config, for identities that name keys in it (`config_namespace`)."""
    identity_error: IdentityError | None = field(default=None, repr=False)  # raised by client(), not configure()
    _client: EhpcClient | None = field(default=None, repr=False)
    """The stack-level client, once built (or as given, in tests)."""
    _client_2024: EhpcClient2024 | None = field(default=None, repr=False)
    """The stack-level API 2024-07-30 (E-HPC 2.0) client, likewise."""
    _stack: Target | None = field(default=None, repr=False)
    _slots: dict[Target, _Slot] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def verify(self) -> bool | str:
        """TLS verification for E-HPC and STS: the CA bundle when set, else the system's CAs."""
        return self.ca_bundle or True

    def target(self, connection: ConnectionInputs | None = None) -> Target:
        """The stack's region and endpoint unless `connection` places the resource; its identity, if any."""
        if self._stack is None:
            # Stack config first, then the environment and the CLI profile, like the credentials.
            region = None if self.endpoint and not self.region else resolve_region(self.region)
            self._stack = Target(region, self.endpoint)
        if connection is None:
            return self._stack
        region, endpoint = (connection.region, connection.endpoint) if connection.places else (
            self._stack.region, self._stack.endpoint)
        return Target(region, endpoint, connection.identity(), connection.ca_bundle)

    def client(self, connection: ConnectionInputs | None = None) -> EhpcClient:
        # Resolved lazily so `check`/`diff` never fail on missing credentials, only calls that need them.
        return self._cached(connection, EhpcClient, "_client")

    def client_2024(self, connection: ConnectionInputs | None = None) -> EhpcClient2024:
        """`client()` for API 2024-07-30 (E-HPC 2.0 resources): same targets, identities and reuse."""
        return self._cached(connection, EhpcClient2024, "_client_2024")

    def _cached(self, connection: ConnectionInputs | None, kind: type[ClientT], stack_attr: str) -> ClientT:
        target = self.target(connection)
        with self._lock:
            stack = target == self._stack
            given: ClientT | None = getattr(self, stack_attr)
            if stack and given is not None:
                return given
            slot = self._slots.setdefault(target, _Slot())
        with slot.lock:  # one connection's credentials (maybe an STS call) never hold up another's
            client: ClientT | None = slot.clients.get(kind)
            if client is None:
                if slot.credentials is None:
                    slot.credentials = self._provider(target)
                client = kind(region=target.region, endpoint=target.endpoint, credentials=slot.credentials,
                              verify=self._verify(target))
                slot.clients[kind] = client
            if stack:
                setattr(self, stack_attr, client)
            return client

    def identity_problems(self, connection: ConnectionInputs | None = None) -> list[tuple[str, str]]:
        """(input, reason) when the identity a resource would use is unusable in a way known without a
        network call (no such profile, token file missing or expired, malformed role ARN): for preview."""
        target = self.target(connection)
        if target.identity is None and self.identity_error is not None:
            return [("", str(self.identity_error))]
        if target.identity is None and self.identity.is_default:
            return []  # the default chain: credentials are looked up when a call needs them
        try:
            self._provider(target)  # builds the provider only: no STS call until its first get()
        except IdentityError as exc:
            message = str(exc)
            prop = CONNECTION if target.identity is not None else next(
                (key for key in self.identity_inputs.values() if message.startswith(key)), "")
            return [(prop, message)]
        return []

    def _verify(self, target: Target) -> bool | str:
        return target.ca_bundle or self.verify

    def _provider(self, target: Target) -> CredentialsProvider:
        if target.identity is None:  # the stack-level identity (stack config keys, env, profile, ...)
            if self.identity_error is not None:
                raise self.identity_error
            identity, inputs = self.identity, self.identity_inputs
        else:
            identity = target.identity
            inputs = {name: f"{CONNECTION}.{name}" for name in identity.__dataclass_fields__}
        return credentials_provider(
            identity, config={**self.config, **self.stack_credentials}, verify=self._verify(target), inputs=inputs
        )


def settings_from_config(config: Any) -> ProviderSettings:
    """Read our keys from the dynamic provider's `Config` (or a plain mapping, in tests)."""
    raw: Mapping[str, Any] = getattr(config, "_props", None) or (config if isinstance(config, Mapping) else {})
    creds = {name: value for name, keys in _CREDENTIAL_KEYS.items() if (value := _first(raw, keys))}
    try:
        identity, inputs, error = *identity_from_config(raw), None
    except IdentityError as exc:  # a malformed identity key fails the calls that need credentials only
        identity, inputs, error = IdentitySpec(), {}, exc
    return ProviderSettings(
        region=_first(raw, _REGION_KEYS),
        endpoint=_first(raw, _ENDPOINT_KEYS),
        stack_credentials=creds,
        identity=identity,
        identity_inputs=inputs,
        ca_bundle=_first(raw, _CA_BUNDLE_KEYS),
        config=dict(raw),
        identity_error=error,
    )
