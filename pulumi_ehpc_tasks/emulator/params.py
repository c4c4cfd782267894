"""Typed access to request parameters (everything arrives as a string)."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ApiError, invalid_param

# Gateway/common parameters that are not part of an operation's own request.
COMMON = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "Timestamp",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "AccessKeyId",
        "SecurityToken",
        "RegionId",
        "BearerToken",
    }
)


class Params:
    """The merged query and form parameters of one request."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def business(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k not in COMMON}

    def text(self, name: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(
                    "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
                )
            return None
        if max_len is not None and len(value) > max_len:
            raise invalid_param(name, f"It must be at most {max_len} characters.")
        return value

    def req(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        lo: int | None = None,
        hi: int | None = None,
        required: bool = False,
    ) -> int | None:
        raw = self.text(name, required=required)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise invalid_param(name, f"{raw!r} is not an integer.") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise invalid_param(name, f"Valid values: {lo} to {hi}.")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        # Any case: the official Python SDK sends str(True) == "True".
        if raw.lower() == "true":
            return True
        if raw.lower() == "false":
            return False
        raise invalid_param(name, f"{raw!r} is not a boolean.")

    def indexed(self, prefix: str, member: str | None = None, limit: int = 100) -> list[str]:
        """Repeat-list values `Prefix.N[.Member]` in N order (N from 1, possibly sparse)."""
        pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)" + (rf"\.{re.escape(member)}$" if member else "$"))
        found = sorted((int(m.group(1)), v) for k, v in self.values.items() if (m := pattern.match(k)))
        if len(found) > limit:
            raise invalid_param(f"{prefix}.N", f"At most {limit} items are allowed.")
        if any(n < 1 for n, _ in found):
            raise invalid_param(f"{prefix}.N", "Items are numbered from 1.")
        return [v for _, v in found]

    def num(self, name: str, default: int, *, lo: int | None = None, hi: int | None = None) -> int:
        value = self.integer(name, default, lo=lo, hi=hi)
        assert value is not None
        return value

    def req_num(self, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
        value = self.integer(name, lo=lo, hi=hi, required=True)
        assert value is not None
        return value

    def shrink(self, name: str, default: Any = None) -> Any:
        """A 2024-07-30 list/struct parameter: one JSON value (`Name=[...]`, the SDK), or repeat-list values
        (`Name.1=...`, Terraform's DeleteQueues, ehpc-2024-api.md §1.3)."""
        raw = self.text(name)
        if raw is None:
            listed = self.indexed(name)
            return listed if listed else default
        try:
            return json.loads(raw)
        except ValueError:
            raise invalid_param(name, "It must be a JSON value.") from None

    def shrink_list(self, name: str, *, limit: int = 100) -> list[Any]:
        value = self.shrink(name, [])
        if not isinstance(value, list):
            raise invalid_param(name, "It must be a JSON array.")
        if len(value) > limit:
            raise invalid_param(name, f"At most {limit} items are allowed.")
        return value

    def shrink_struct(self, name: str) -> dict[str, Any]:
        value = self.shrink(name, {})
        if not isinstance(value, dict):
            raise invalid_param(name, "It must be a JSON object.")
        return value
