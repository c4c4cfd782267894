"""A resource's own connection: its region or endpoint, CA bundle, and an identity given by reference.

Without a `connection` input a resource uses the stack-level settings (`settings.py`). With one, it
uses the client of that connection, built once per distinct connection in the provider process. The
identity fields are `IdentitySpec`'s: names of where credentials come from, never a secret value, so
the connection can live in inputs, outputs and state; a value that looks like a key, a secret or a
token is refused at preview, naming the property.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..wire import EhpcError
from ..wire._base import CrossFieldError
from ..wire.endpoint import resolve_endpoint, tls_verify
from ..wire.identity import IdentitySpec, missing_namespace_keys

__all__ = ["CONNECTION", "IDENTITY_FIELDS", "ConnectionInputs", "secret_shape", "unusable"]

CONNECTION = "connection"
"""The input every resource takes its connection by."""
IDENTITY_FIELDS = tuple(f.name for f in dataclasses.fields(IdentitySpec))
"""The connection's identity fields: exactly `IdentitySpec`'s."""
_BASES = ("profile", "config_namespace", "ecs_role_name")
"""Identities a role assumption chains from; at most one may be named."""
_NEEDS_ROLE = ("role_session_name", "duration_s", "policy", "external_id", "oidc_provider_arn")

RegionId = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z0-9]+)*-([a-z0-9]{2,}|[0-9])$")]
"""`cn-hangzhou`, `ap-southeast-1`; not a zone (`cn-hangzhou-k`)."""

# What credentials look like, so that one pasted into a connection is refused rather than stored.
_SECRET_SHAPES = (
    (re.compile(r"^(LTAI|STS\.)[A-Za-z0-9]{6,}$"), "an access key id"),
    (re.compile(r"^eyJ[\w-]*\.[\w-]+\.[\w-]*$"), "a JWT (an OIDC token)"),
    (re.compile(r"^CAIS[A-Za-z0-9+/=]{16,}$"), "an STS security token"),
)
_OPAQUE = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9+=][A-Za-z0-9+/=]{19,}$")
# Bits per character above which an opaque string is random rather than a name: a 30-character AK
# secret has ~4.5, names like `ProductionAccount2024Main` or `ehpcDeploymentRoleSession2024` under 4.
_RANDOM_BITS = 4.3
_SECRET_NAMES = re.compile(r"(secret|token|password|access_?key|credential)", re.IGNORECASE)
_ADVICE = ("a connection names an identity, it never holds one: keep keys in the stack config as secrets "
           "(`pulumi config set --secret acct2:accessKeySecret ...`) and name them with config_namespace, "
           "or use profile, role_arn or oidc_token_file")


def secret_shape(value: str) -> str | None:
    """What credential `value` looks like (an access key id, a token, a secret), or None."""
    for pattern, what in _SECRET_SHAPES:
        if pattern.match(value):
            return what
    if _OPAQUE.match(value) and _entropy(value) >= _RANDOM_BITS:
        return "a secret (a long random string)"
    return None


def _entropy(value: str) -> float:
    """Shannon entropy of the characters of `value`, in bits per character."""
    counts, n = Counter(value), len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


class ConnectionInputs(BaseModel):
    """Where a resource's E-HPC API is and who calls it. Frozen: it keys the clients and the shards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: RegionId | None = None
    endpoint: str | None = None
    ca_bundle: str | None = None
    profile: str | None = Field(default=None, min_length=1)
    config_namespace: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$")
    ecs_role_name: str | None = Field(default=None, min_length=1)
    role_arn: str | None = Field(default=None, pattern=r"^acs:ram::\d+:role/.+$")
    role_session_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._@-]{2,64}$")
    duration_s: int | None = Field(default=None, ge=900, le=43200)
    policy: str | None = None
    external_id: str | None = None
    oidc_provider_arn: str | None = Field(default=None, pattern=r"^acs:ram::\d+:oidc-provider/.+$")
    oidc_token_file: str | None = None
    sts_endpoint: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            if name not in cls.model_fields and _SECRET_NAMES.search(str(name)):
                raise CrossFieldError(f"{CONNECTION}.{name}", f"not a connection field: {_ADVICE}")
            what = secret_shape(value) if isinstance(value, str) else None
            if what is not None:
                raise CrossFieldError(f"{CONNECTION}.{name}", f"the value looks like {what}: {_ADVICE}")
        return data

    @field_validator("duration_s", mode="before")
    @classmethod
    def _whole_seconds(cls, value: Any) -> Any:
        # The engine sends every number as a float.
        return int(value) if isinstance(value, float) and value.is_integer() else value

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                document = json.loads(value)
            except ValueError:
                document = None
            if not isinstance(document, dict):
                raise ValueError("must be a RAM policy document (a JSON object)")
        return value

    @field_validator("endpoint", "sts_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                resolve_endpoint(None, value)
            except EhpcError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _identity_rules(self) -> ConnectionInputs:
        named = [n for n in _BASES if getattr(self, n) is not None]
        if len(named) > 1:
            raise CrossFieldError(f"{CONNECTION}.{named[1]}", f"name one base identity, not {' and '.join(named)}")
        for name in _NEEDS_ROLE:
            if getattr(self, name) is not None and self.role_arn is None:
                raise CrossFieldError(f"{CONNECTION}.{name}", "needs role_arn (the role to assume)")
        if self.oidc_provider_arn is not None and self.oidc_token_file is None:
            raise CrossFieldError(f"{CONNECTION}.oidc_token_file", "oidc_provider_arn needs oidc_token_file")
        if self.oidc_token_file is not None and self.oidc_provider_arn is None:
            raise CrossFieldError(f"{CONNECTION}.oidc_provider_arn", "oidc_token_file needs oidc_provider_arn")
        return self

    def identity(self) -> IdentitySpec | None:
        """The identity it names; None for the stack-level one."""
        spec = IdentitySpec(**{n: getattr(self, n) for n in IDENTITY_FIELDS})
        return None if spec.is_default else spec

    @property
    def places(self) -> bool:
        """Whether it says where the API is (else the stack's region and endpoint apply)."""
        return self.region is not None or self.endpoint is not None


def unusable(connection: ConnectionInputs, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for what this provider process cannot use: a CA bundle it cannot load, stack-config
    keys the connection names that are not set. Checked at preview, after the shape of the inputs."""
    problems = []
    if connection.ca_bundle is not None:
        try:
            tls_verify(connection.ca_bundle)
        except EhpcError as exc:
            problems.append((f"{CONNECTION}.ca_bundle", str(exc)))
    if connection.config_namespace is not None:
        missing = missing_namespace_keys(connection.config_namespace, config)
        if missing:
            problems.append((f"{CONNECTION}.config_namespace", f"the stack config has no {', '.join(missing)}: "
                             "set them with `pulumi config set --secret <key> <value>`"))
    return problems
