"""Verifies V1 (HMAC-SHA1 query) and V3 (ACS3-HMAC-SHA256 header) signatures like the POP gateway.

Canonicalisation comes from `wire.signing`, which is pinned to the official vectors, so the emulator
and the client cannot agree on a shared mistake.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from ..wire.signing import (
    API_VERSION,
    V3_ALGORITHM,
    canonical_query,
    percent_encode,
    sign_v1,
    v3_canonical_request,
)
from .errors import ApiError

MAX_SKEW_S = 15 * 60


@dataclass(frozen=True)
class KeyPair:
    """An access key; `security_token` is set for an STS triple, `expires_at` (epoch s) for one STS issued."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    expires_at: float | None = None


@dataclass(frozen=True)
class Verified:
    access_key_id: str
    scheme: str  # "v1" or "v3"
    action: str | None
    version: str | None


class NonceCache:
    """Nonces seen within the timestamp window; older ones cannot be replayed anyway."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str, now: float) -> None:
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen = {n: t for n, t in self._seen.items() if t > now}
            expiry = self._seen.get(nonce)
            if expiry is not None and expiry > now:
                raise ApiError("SignatureNonceUsed", "Specified signature nonce was used already.")
            self._seen[nonce] = now + 2 * MAX_SKEW_S

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def _missing(name: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def _check_time(value: str, now: float) -> None:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            ts = calendar.timegm(time.strptime(value, fmt))
            break
        except ValueError:
            continue
    else:
        raise ApiError(
            "InvalidTimeStamp.Format", f"Specified time stamp or date value is not well formatted: {value!r}."
        )
    if abs(now - ts) > MAX_SKEW_S:
        raise ApiError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")


def _quote_plus_signed(params: dict[str, str], method: str, secret: str, signature: str) -> bool:
    """Whether `signature` is what Alibaba's `alibabacloud-credentials` (1.0.12,
    `parameter_helper.compose_string_to_sign`) signs for STS: it canonicalises with `quote_plus`, which
    differs from the spec only for spaces (`+`, not `%20`), e.g. in a pretty-printed Policy. Our
    choice: accept that too, since it is what the official library sends."""
    if not any(" " in k or " " in v for k, v in params.items()):
        return False  # the two canonical forms are then identical
    canon = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(params.items()))
    string_to_sign = "&".join([method.upper(), quote_plus("/"), quote_plus(canon)])
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), signature)


class Verifier:
    """Checks one request against the configured keys; raises `ApiError`, never anything else."""

    def __init__(
        self,
        keys: Sequence[KeyPair],
        issued: Callable[[str], KeyPair | None] = lambda key_id: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`keys` are the configured ones, `issued` finds the temporary keys STS issued, and `clock`
        is the emulator's time, which their expiry is measured by."""
        self.keys = {k.access_key_id: k for k in keys}
        self.issued = issued
        self.clock = clock
        self.nonces = NonceCache()

    def _key(self, key_id: str) -> KeyPair:
        key = self.keys.get(key_id) or self.issued(key_id)
        if key is None:
            raise ApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        return key

    def verify(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
        headers: list[tuple[str, str]],
        body: bytes,
        now: float,
    ) -> Verified:
        lower = [(k.lower(), v) for k, v in headers]
        auth = next((v for k, v in lower if k == "authorization"), None)
        if auth is not None:
            return self._verify_v3(method, path, query, lower, body, auth, now)
        return self._verify_v1(method, query + form, now)

    def _verify_v3(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: list[tuple[str, str]],
        body: bytes,
        auth: str,
        now: float,
    ) -> Verified:
        algorithm, _, rest = auth.strip().partition(" ")
        if algorithm != V3_ALGORITHM:
            raise ApiError("IncompleteSignature", f"Unsupported signature algorithm {algorithm!r}.")
        parts: dict[str, str] = {}
        for piece in rest.split(","):
            name, sep, value = piece.strip().partition("=")
            if sep:
                parts[name] = value
        if not all(parts.get(p) for p in ("Credential", "SignedHeaders", "Signature")):
            raise ApiError(
                "IncompleteSignature",
                "The Authorization header must carry Credential, SignedHeaders and Signature.",
            )
        key = self._key(parts["Credential"])
        present: dict[str, list[str]] = {}
        for name, value in headers:
            present.setdefault(name, []).append(value)
        for required in ("x-acs-date", "x-acs-signature-nonce"):
            if required not in present:
                raise _missing(required)
        _check_time(present["x-acs-date"][0], now)
        signed = parts["SignedHeaders"].split(";")
        unsigned = [h for h in present if h.startswith("x-acs-") and h not in signed]
        if "host" not in signed or unsigned or any(h not in present for h in signed):
            raise ApiError(
                "IncompleteSignature",
                "SignedHeaders must list host and every x-acs-* header "
                f"sent, and only headers that were sent (unsigned: {unsigned}).",
            )
        body_hash = hashlib.sha256(body).hexdigest()
        claimed = present.get("x-acs-content-sha256", [body_hash])[0]
        if claimed != body_hash:
            raise ApiError("SignatureDoesNotMatch", "x-acs-content-sha256 does not match the request body.")
        pairs = [(h, v) for h in signed for v in present[h]]
        creq, _ = v3_canonical_request(method, path, query, pairs, claimed)
        string_to_sign = f"{V3_ALGORITHM}\n{hashlib.sha256(creq.encode()).hexdigest()}"
        expected = hmac.new(key.access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts["Signature"]):
            raise ApiError(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the "
                f"signature you provided. server string to sign is:{string_to_sign}",
            )
        self._check_token(key, present.get("x-acs-security-token", [None])[0])
        self.nonces.use(present["x-acs-signature-nonce"][0], now)
        action = present.get("x-acs-action", [None])[0] or dict(query).get("Action")
        return Verified(key.access_key_id, "v3", action, present.get("x-acs-version", [API_VERSION])[0])

    def _verify_v1(self, method: str, params_list: list[tuple[str, str]], now: float) -> Verified:
        params = dict(params_list)
        if "Signature" not in params:
            if "AccessKeyId" in params:
                raise _missing("Signature")
            raise ApiError(
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: "
                "send an Authorization header (V3) or a Signature parameter (V1).",
            )
        for name in ("AccessKeyId", "SignatureMethod", "SignatureNonce", "Timestamp"):
            if not params.get(name):
                raise _missing(name)
        if params["SignatureMethod"] != "HMAC-SHA1":
            raise ApiError("InvalidSignatureMethod", "Specified signature method is not supported.")
        if params.get("SignatureVersion", "1.0") != "1.0":
            raise ApiError("InvalidParameter", "Specified SignatureVersion is not valid.")
        key = self._key(params["AccessKeyId"])
        _check_time(params["Timestamp"], now)
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        expected = sign_v1(unsigned, method, key.access_key_secret)
        if not hmac.compare_digest(expected, params["Signature"]) and not _quote_plus_signed(
            unsigned, method, key.access_key_secret, params["Signature"]
        ):
            canon = canonical_query(unsigned.items())
            sts = "&".join([method.upper(), percent_encode("/"), percent_encode(canon)])
            raise ApiError(
                "SignatureDoesNotMatch",
                f"Specified signature is not matched with our calculation. server string to sign is:{sts}",
            )
        self._check_token(key, params.get("SecurityToken"))
        self.nonces.use(params["SignatureNonce"], now)
        return Verified(key.access_key_id, "v1", params.get("Action"), params.get("Version"))

    def _check_token(self, key: KeyPair, token: str | None) -> None:
        if key.security_token is None:
            return
        if token is None:
            raise ApiError("MissingSecurityToken", "The security token of this STS access key is missing.")
        if not hmac.compare_digest(token, key.security_token):
            raise ApiError(
                "InvalidSecurityToken.MismatchWithAccessKey",
                "The security token does not match the access key.",
            )
        if key.expires_at is not None and self.clock() >= key.expires_at:
            # The docs table gives no status for it; 400 like the other InvalidSecurityToken.* errors.
            raise ApiError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
