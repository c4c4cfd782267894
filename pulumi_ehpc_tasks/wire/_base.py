"""Base classes for wire models: flattening of requests into Alibaba's query keys, lenient responses.

Requests are strict (extra keys forbidden, ranges and enums checked) because a bad value should fail
before anything is signed and sent. Responses are lenient (extra keys kept, numbers may arrive as
strings) because the gateway's shapes drift and we must not break on a new field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from .errors import RequestValidationError

__all__ = [
    "SECRET_PLACEHOLDER",
    "CrossFieldError",
    "LooseModel",
    "WireModel",
    "WireRequest",
    "WireResponse",
    "bool_str",
    "client_token_check",
    "flatten",
    "unwrap",
]

SECRET_PLACEHOLDER = "<redacted>"


class CrossFieldError(ValueError):
    """Raised from a request's model validator to blame one field (python name) for a cross-field rule."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class WireModel(BaseModel):
    """Nested request object (e.g. a data disk): same rules as a request, no action of its own."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", validate_assignment=True)


class WireRequest(WireModel):
    """A request of one Action. `to_query()` yields the flattened Alibaba parameters in field order."""

    ACTION: ClassVar[str] = ""

    @classmethod
    def build(cls, **fields: Any) -> WireRequest:
        """Validate `fields` (python or Alibaba names); `RequestValidationError` names the culprit."""
        clean = {k: v for k, v in fields.items() if v is not None}
        try:
            return cls.model_validate(clean)
        except ValidationError as exc:
            raise _to_request_error(cls, exc) from None

    def to_query(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        _flatten_model("", self, out)
        return out

    def safe_params(self) -> dict[str, str]:
        """The query parameters with secret values (e.g. Password) masked: safe for errors and logs."""
        secret_keys = {
            f.alias or n for n, f in type(self).model_fields.items() if _is_secret_field(f.annotation)
        }
        return {k: (SECRET_PLACEHOLDER if k in secret_keys else v) for k, v in self.to_query()}

    def __repr_args__(self) -> Any:
        # Never show secrets, even though SecretStr already masks itself: belt and braces for subclasses.
        for name, value in super().__repr_args__():
            yield name, (SECRET_PLACEHOLDER if isinstance(value, SecretStr) else value)


class LooseModel(BaseModel):
    """Nested response object: unknown keys kept, numbers accepted as strings and vice versa."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", coerce_numbers_to_str=True)


class WireResponse(BaseModel):
    """A decoded response body. Unknown keys are kept (`model_extra`); numbers may come as strings."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", coerce_numbers_to_str=True)

    request_id: str = Field("", alias="RequestId")


def _is_secret_field(annotation: Any) -> bool:
    return annotation is SecretStr or "SecretStr" in str(annotation)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a value the way Alibaba's RPC gateway expects (lists from 1, dotted objects)."""
    out: list[tuple[str, str]] = []
    _flatten(prefix, value, out, None)
    return out


def _flatten_model(prefix: str, model: BaseModel, out: list[tuple[str, str]]) -> None:
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        item_key = extra.get("item_key")
        _flatten(f"{prefix}.{key}" if prefix else key, getattr(model, name), out, item_key)


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]], item_key: Any) -> None:
    if value is None:
        return
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, BaseModel):
        _flatten_model(prefix, value, out)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value, 1):
            # `Instance.N.Id`: a list of scalars that the API wants wrapped in an object member.
            key = f"{prefix}.{i}.{item_key}" if item_key else f"{prefix}.{i}"
            _flatten(key, item, out, None)
    elif isinstance(value, bool):
        out.append((prefix, "true" if value else "false"))  # the SDK's `True` is a quirk, docs say lower case
    elif isinstance(value, Enum):
        out.append((prefix, str(value.value)))
    elif isinstance(value, float):
        out.append((prefix, str(int(value)) if value.is_integer() else repr(value)))
    elif isinstance(value, dict):
        out.append((prefix, json.dumps(value, separators=(",", ":"))))
    else:
        out.append((prefix, str(value)))


def _to_request_error(cls: type[WireRequest], exc: ValidationError) -> RequestValidationError:
    err = exc.errors()[0]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, CrossFieldError):
        field = cls.model_fields[cause.field]
        return RequestValidationError(
            action=cls.ACTION, field=field.alias or cause.field, python_field=cause.field, reason=cause.reason
        )
    alibaba, python = _name_paths(cls, tuple(err["loc"]))
    reason = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        reason = "is required"
    elif "input" in err and not _looks_secret(alibaba) and err["type"] != "extra_forbidden":
        reason = f"{reason} (got {err['input']!r})"
    return RequestValidationError(action=cls.ACTION, field=alibaba, python_field=python, reason=reason)


def _looks_secret(name: str) -> bool:
    return "password" in name.lower() or "secret" in name.lower()


def _name_paths(cls: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, str]:
    """Turn a pydantic error location into (`DataDisks.2.DataDiskSize`, `data_disks[1].data_disk_size`)."""
    alibaba: list[str] = []
    python: list[str] = []
    model: type[BaseModel] | None = cls
    for part in loc:
        if isinstance(part, int):
            alibaba.append(str(part + 1))
            python[-1:] = [f"{python[-1]}[{part}]"] if python else [f"[{part}]"]
            continue
        name, field_model = _lookup(model, str(part))
        alias = model.model_fields[name].alias if (model is not None and name is not None) else None
        alibaba.append(alias or name or str(part))
        python.append(name or str(part))
        model = field_model
    return ".".join(alibaba), ".".join(python)


def _lookup(model: type[BaseModel] | None, part: str) -> tuple[str | None, type[BaseModel] | None]:
    if model is None:
        return None, None
    for name, field in model.model_fields.items():
        if part in (name, field.alias):
            return name, _inner_model(field.annotation)
    return None, None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def unwrap(member: str) -> Callable[[Any], Any]:
    """Before-validator for XML-style wrappers: `{"InstanceId": [...]}` → `[...]`, null → `[]`."""

    def _unwrap(value: Any) -> Any:
        if value is None or value == "":
            return []
        if isinstance(value, Mapping) and member in value:
            inner = value[member]
            return [] if inner is None else inner
        return value

    return _unwrap


def bool_str(value: Any) -> Any:
    """Before-validator for parameters the API types as *string* "true"/"false" (AutoRenew...)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return value


def client_token_check(value: str | None) -> str | None:
    """ClientToken: non-empty ASCII, at most 64 characters (ehpc-api.md §6)."""
    if value is None:
        return None
    if not value:
        raise ValueError("must not be empty")
    if not value.isascii():
        raise ValueError("must be ASCII only")
    if len(value) > 64:
        raise ValueError(f"must be at most 64 characters (got {len(value)})")
    return value
