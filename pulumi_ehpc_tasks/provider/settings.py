"""Region, endpoint and credentials, resolved inside the provider process.

The serialized provider (pickled into state) carries none of this: `configure()` runs in the
provider process with the whole stack config (the engine passes every namespace to dynamic
providers), so rotating a key needs no state edit and no secret is ever written into state. A
resource's `connection` (connection.py) names another region, endpoint or identity; its client is
built here too, once per distinct target, from references only.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..wire import EhpcClient, resolve_region
from ..wire.endpoint import resolve_endpoint
from ..wire.identity import IdentitySpec, credentials_provider
from .connection import ConnectionInputs

__all__ = ["ProviderSettings", "Target", "settings_from_config"]

# Stack-config keys, ours first, then the ones pulumi-alicloud users already set.
_REGION_KEYS = ("ehpc:region", "alicloud:region")
_ENDPOINT_KEYS = ("ehpc:endpoint",)
_CREDENTIAL_KEYS = {
    "accessKeyId": ("ehpc:accessKeyId", "alicloud:accessKey"),
    "accessKeySecret": ("ehpc:accessKeySecret", "alicloud:secretKey"),
    "securityToken": ("ehpc:securityToken", "alicloud:securityToken"),
}


def _first(config: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = config.get(key)
        if value not in (None, ""):
            return str(value)
    return None


@dataclass(frozen=True)
class Target:
    """Where one client's calls go and who makes them: the stack's settings, or a resource's connection
    over them. Equal targets share one client (and so its node listings and pollers)."""

    region: str | None
    endpoint: str | None
    identity: IdentitySpec | None = None
    """None: the stack-level credentials."""
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
    client: EhpcClient | None = None


@dataclass
class ProviderSettings:
    """What a provider call needs to reach E-HPC; `client()` builds (and reuses) one client per target."""

    region: str | None = None
    endpoint: str | None = None
    stack_credentials: dict[str, str] = field(default_factory=dict, repr=False)
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The whole stack config, for identities that name keys in it (`config_namespace`)."""
    _client: EhpcClient | None = field(default=None, repr=False)
    """The stack-level client, once built (or as given, in tests)."""
    _stack: Target | None = field(default=None, repr=False)
    _slots: dict[Target, _Slot] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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
        target = self.target(connection)
        with self._lock:
            stack = target == self._stack
            if stack and self._client is not None:
                return self._client
            slot = self._slots.setdefault(target, _Slot())
        with slot.lock:  # one connection's credentials (maybe an STS call) never hold up another's
            if slot.client is None:
                slot.client = self._build(target)
            if stack:
                self._client = slot.client
            return slot.client

    def _build(self, target: Target) -> EhpcClient:
        verify: bool | str = target.ca_bundle or True
        config = self.stack_credentials if target.identity is None else self.config
        creds = credentials_provider(target.identity, config=config, verify=verify).get()
        return EhpcClient(region=target.region, endpoint=target.endpoint, credentials=creds, verify=verify)


def settings_from_config(config: Any) -> ProviderSettings:
    """Read our keys from the dynamic provider's `Config` (or a plain mapping, in tests)."""
    raw: Mapping[str, Any] = getattr(config, "_props", None) or (config if isinstance(config, Mapping) else {})
    creds = {name: value for name, keys in _CREDENTIAL_KEYS.items() if (value := _first(raw, keys))}
    return ProviderSettings(
        region=_first(raw, _REGION_KEYS),
        endpoint=_first(raw, _ENDPOINT_KEYS),
        stack_credentials=creds,
        config=dict(raw),
    )
