"""ERROR_CODE_POLICY: how each API error code is handled (prefix match), as data rather than branches."""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType

__all__ = ["ERROR_CODE_POLICY", "NOT_FOUND_CODES", "Policy", "classify"]


class Policy(str, Enum):
    """What the client does with an error code."""

    THROTTLE = "throttle"  # rejected by the gateway before processing: back off and retry (any action)
    TRANSIENT = "transient"  # server-side hiccup: may have been processed, retry only if idempotent
    RESIGN = "resign"  # replayed nonce: rejected before processing, retry once with a fresh signature
    AUTH = "auth"  # credentials or clock: fatal, the message says what to check
    FATAL = "fatal"  # everything else: the caller must change something


# Longest matching prefix wins; an entry ending in "." or "*"-free prefix matches `Code` and `Code.Sub`.
ERROR_CODE_POLICY: MappingProxyType[str, Policy] = MappingProxyType(
    {
        "Throttling": Policy.THROTTLE,
        "ServiceUnavailable": Policy.TRANSIENT,
        "UnknownError": Policy.TRANSIENT,
        "InternalError": Policy.TRANSIENT,
        "InternalFailure": Policy.TRANSIENT,
        "DbError": Policy.TRANSIENT,
        "RedisError": Policy.TRANSIENT,
        "SignatureNonceUsed": Policy.RESIGN,
        "SignatureDoesNotMatch": Policy.AUTH,
        "IncompleteSignature": Policy.AUTH,
        "InvalidAccessKeyId": Policy.AUTH,
        "InvalidSecurityToken": Policy.AUTH,
        "MissingSecurityToken": Policy.AUTH,
        "InvalidTimeStamp": Policy.AUTH,
        "IllegalTimestamp": Policy.AUTH,
    }
)

NOT_FOUND_CODES = frozenset({"ClusterNotFound"})


def classify(code: str, http_status: int) -> Policy:
    """Policy for `code` (prefix match on the table); unknown codes with a 5xx status are TRANSIENT."""
    best = ""
    for prefix in ERROR_CODE_POLICY:
        if code.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    if best:
        return ERROR_CODE_POLICY[best]
    return Policy.TRANSIENT if http_status >= 500 else Policy.FATAL
