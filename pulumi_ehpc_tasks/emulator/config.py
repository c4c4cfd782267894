"""Emulator settings shared by the CLI, the test helper and the app factory."""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import Fault
from .profiles import Profile
from .sts import OidcProviderSpec, RoleSpec

DEFAULT_ACCESS_KEY_ID = "LTAIemulatorDEMO0001"
DEFAULT_ACCESS_KEY_SECRET = "emulatorDemoSecret0123456789ABCDEF"
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_CLUSTER_ID = "ehpc-hz-demo000001"
DEFAULT_ACCOUNT_ID = "1609982529920000"  # Alibaba account ids are 16 digits


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    access_key_id: str = DEFAULT_ACCESS_KEY_ID
    access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET
    # Optional STS triple (id, secret, token) accepted in addition to the plain key pair.
    sts: tuple[str, str, str] | None = None
    step_seconds: float = 2.0
    """Mean step length; a task lasts this times its number of steps unless scripted."""
    profile: Profile | None = None
    """Step profile of every task; None: each task type's default (`profiles.TASK_SHAPES`)."""
    seed: int | None = None
    state_path: str | None = None
    region: str = DEFAULT_REGION
    cluster_id: str = DEFAULT_CLUSTER_ID
    capacity: int = 500
    capacity_overrides: dict[tuple[str, str], int] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    latency_s: float = 0.0
    tick_s: float = 0.02  # background ticker period; completion times come from the schedule, not this
    account_id: str = DEFAULT_ACCOUNT_ID
    """The account the configured access key (a RAM user's) belongs to."""
    roles: list[RoleSpec] = field(default_factory=list)
    oidc_providers: list[OidcProviderSpec] = field(default_factory=list)
    sts_lifetime_s: int | None = None
    """Cap on the lifetime of issued STS tokens (None: as DurationSeconds asks)."""
    tls: bool = False
    """Serve HTTPS with a CA generated at start (`tls.TlsFiles`)."""
    tls_dir: str | None = None
    """Where the CA and leaf live; a CA found there is reused. None: beside `state_path`, else a temp dir."""
