"""Region, endpoint and credentials, resolved inside the provider process.

The serialized provider (pickled into state) carries none of this: `configure()` runs in the
provider process with the whole stack config (the engine passes every namespace to dynamic
providers), so rotating a key needs no state edit and no secret is ever written into state.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..wire import EhpcClient, resolve_credentials, resolve_region

__all__ = ["ProviderSettings", "settings_from_config"]

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


@dataclass
class ProviderSettings:
    """What a provider call needs to reach E-HPC; `client()` builds (and reuses) the client."""

    region: str | None = None
    endpoint: str | None = None
    stack_credentials: dict[str, str] = field(default_factory=dict, repr=False)
    _client: EhpcClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self) -> EhpcClient:
        # Resolved lazily so `check`/`diff` never fail on missing credentials, only calls that need them.
        with self._lock:
            if self._client is None:
                creds = resolve_credentials(config=self.stack_credentials)
                # Stack config first, then the environment and the CLI profile, like the credentials.
                region = None if self.endpoint and not self.region else resolve_region(self.region)
                self._client = EhpcClient(region=region, endpoint=self.endpoint, credentials=creds)
            return self._client


def settings_from_config(config: Any) -> ProviderSettings:
    """Read our keys from the dynamic provider's `Config` (or a plain mapping, in tests)."""
    raw: Mapping[str, Any] = getattr(config, "_props", None) or (config if isinstance(config, Mapping) else {})
    creds = {name: value for name, keys in _CREDENTIAL_KEYS.items() if (value := _first(raw, keys))}
    return ProviderSettings(
        region=_first(raw, _REGION_KEYS),
        endpoint=_first(raw, _ENDPOINT_KEYS),
        stack_credentials=creds,
    )
