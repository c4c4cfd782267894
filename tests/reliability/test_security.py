"""Nobody gets in who shouldn't: the emulator (like the POP gateway) refuses every tampered request and
executes none; the client never silently drops TLS or sends signatures over plain http to a remote
host; and (with the engine tests' scans) no secret reaches state, logs or errors."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pulumi_ehpc_tasks.provider.settings import settings_from_config
from pulumi_ehpc_tasks.wire import Credentials, EhpcClient, signing
from pulumi_ehpc_tasks.wire.signing import EhpcAuth, SignatureVersion

from . import report
from .engine import SCANNED, SECRETS
from .inproc import World, world


def _signed(w: World, creds: Credentials, version: SignatureVersion = SignatureVersion.V3,
            count: int = 1) -> httpx.Request:
    """A fully signed AddNodes request, ready to be tampered with."""
    client = EhpcClient(endpoint=w.emu.endpoint, credentials=creds, signature_version=version)
    spec, req = client._core.build("AddNodes", {"cluster_id": w.cluster_id, "count": count,
                                                "client_token": f"sec-{count}-{version.value}"})
    http = client._core.prepare(spec, req)
    return next(EhpcAuth(creds, version).auth_flow(http))


def _with(request: httpx.Request, *, url: str | None = None, drop: tuple[str, ...] = (),
          headers: dict[str, str] | None = None) -> httpx.Request:
    h = {k: v for k, v in request.headers.items() if k.lower() not in drop}
    h.update(headers or {})
    return httpx.Request(request.method, url or str(request.url), headers=h, content=request.content)


def _tamper_param(r: httpx.Request) -> httpx.Request:
    return _with(r, url=str(r.url).replace("Count=1", "Count=9"))


def _v1_tamper(r: httpx.Request) -> httpx.Request:
    return _with(r, url=str(r.url).replace("Count=1", "Count=9"))


def _drop(*names: str) -> Callable[[httpx.Request], httpx.Request]:
    return lambda r: _with(r, drop=names)


def _v1_drop(param: str) -> Callable[[httpx.Request], httpx.Request]:
    def tamper(r: httpx.Request) -> httpx.Request:
        url = r.url.copy_remove_param(param)
        return _with(r, url=str(url))

    return tamper


# name, credentials to sign with ("good", "wrong-secret", "unknown-key", "sts-no-token", "sts-bad-token"),
# signature version, tampering, expected error code prefix
TAMPERED: list[tuple[str, str, SignatureVersion, Callable[[httpx.Request], httpx.Request] | None, str]] = [
    ("V3 parameter changed after signing", "good", SignatureVersion.V3, _tamper_param, "SignatureDoesNotMatch"),
    ("V3 signed with a wrong secret", "wrong-secret", SignatureVersion.V3, None, "SignatureDoesNotMatch"),
    ("V3 unknown access key id", "unknown-key", SignatureVersion.V3, None, "InvalidAccessKeyId"),
    ("V3 expired timestamp (2 h old)", "expired", SignatureVersion.V3, None, "InvalidTimeStamp"),
    ("V3 Authorization header missing", "good", SignatureVersion.V3, _drop("authorization"), "IncompleteSignature"),
    ("V3 nonce header missing", "good", SignatureVersion.V3, _drop("x-acs-signature-nonce"), "MissingParameter"),
    ("V3 date header missing", "good", SignatureVersion.V3, _drop("x-acs-date"), "MissingParameter"),
    ("V3 action header changed", "good", SignatureVersion.V3,
     lambda r: _with(r, headers={"x-acs-action": "DeleteNodes"}), "SignatureDoesNotMatch"),
    ("V3 STS key without its token", "sts-no-token", SignatureVersion.V3, None, "MissingSecurityToken"),
    ("V3 STS key with a wrong token", "sts-bad-token", SignatureVersion.V3, None, "InvalidSecurityToken"),
    ("V1 parameter changed after signing", "good", SignatureVersion.V1, _v1_tamper, "SignatureDoesNotMatch"),
    ("V1 Signature parameter missing", "good", SignatureVersion.V1, _v1_drop("Signature"), "MissingParameter"),
    ("V1 SignatureNonce missing", "good", SignatureVersion.V1, _v1_drop("SignatureNonce"), "MissingParameter"),
    ("V1 signed with a wrong secret", "wrong-secret", SignatureVersion.V1, None, "SignatureDoesNotMatch"),
]


def _creds(w: World, kind: str) -> Credentials:
    good = w.emu.credentials
    return {
        "good": good,
        "expired": good,
        "wrong-secret": Credentials(good.access_key_id, "notTheSecret0000000000000000000000"),
        "unknown-key": Credentials("LTAIunknownKey0000", good.access_key_secret),
        "sts-no-token": Credentials("STS.sec0001", "stsSecretForSecurityTests00000000"),
        "sts-bad-token": Credentials("STS.sec0001", "stsSecretForSecurityTests00000000", "CAISwrong"),
    }[kind]


def _executed(w: World) -> int:
    return len(w.tasks("AddComputes")) + len(w.emu.nodes()) - 2  # the seeded manager + login


@pytest.mark.parametrize(("name", "creds", "version", "tamper", "code"), TAMPERED, ids=[t[0] for t in TAMPERED])
def test_tampered_request_refused(name: str, creds: str, version: SignatureVersion,
                                  tamper: Callable[[httpx.Request], httpx.Request] | None, code: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    row = report.record("security", f"tampered: {name}", "emulator", f"refused ({code}); nothing executed")
    from pulumi_ehpc_tasks.emulator.auth import KeyPair

    with world() as w:
        w.emu.emulator.verifier.keys["STS.sec0001"] = KeyPair("STS.sec0001", "stsSecretForSecurityTests00000000",
                                                             "CAISrightToken")
        if creds == "expired":
            old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
            monkeypatch.setattr(signing, "timestamp", lambda now=None: old.strftime("%Y-%m-%dT%H:%M:%SZ"))
        request = _signed(w, _creds(w, creds), version)
        if tamper:
            request = tamper(request)
        with httpx.Client() as http:
            resp = http.send(request)
        got = resp.json().get("Code", "") if resp.headers.get("content-type", "").startswith("application/json") else ""
        executed = _executed(w)
    ok = resp.status_code >= 400 and got.startswith(code) and executed == 0
    row.finish(f"HTTP {resp.status_code} {got}; executed {executed}", duplicates=0, leaks=executed, ok=ok)
    assert ok, row.outcome


def test_replayed_request_refused() -> None:
    row = report.record("security", "tampered: V3 request replayed (same nonce)", "emulator",
                        "first executes, the replay is refused (SignatureNonceUsed); one task")
    with world() as w:
        request = _signed(w, w.emu.credentials)
        with httpx.Client() as http:
            first = http.send(_with(request))
            second = http.send(_with(request))
        code = second.json().get("Code", "")
        tasks = len(w.tasks("AddComputes"))
    ok = first.status_code == 200 and second.status_code >= 400 and code == "SignatureNonceUsed" and tasks == 1
    row.finish(f"first HTTP {first.status_code}, replay HTTP {second.status_code} {code}; {tasks} task(s)",
               duplicates=tasks - 1, leaks=0, ok=ok)
    assert ok, row.outcome


def _raises(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:110]}"
    return ""


CREDS = Credentials("LTAIx", "secretValueNeverPrinted0000000000")
CLIENT_RULES: list[tuple[str, Callable[[], Any], bool]] = [
    ("verify=False is refused", lambda: EhpcClient(endpoint="https://ehpc.example.com", credentials=CREDS,
                                                   verify=False), True),
    ("plain http to a remote host is refused", lambda: EhpcClient(endpoint="http://ehpc.example.com",
                                                                 credentials=CREDS), True),
    ("plain http to a remote host via stack config is refused",
     lambda: settings_from_config({"ehpc:endpoint": "http://10.1.2.3:8765", "ehpc:accessKeyId": "LTAIx",
                                   "ehpc:accessKeySecret": "s" * 30}).client(), True),
    ("plain http to loopback (the emulator) is allowed", lambda: EhpcClient(endpoint="http://127.0.0.1:1",
                                                                            credentials=CREDS), False),
    ("plain http to a remote host with allow_insecure_http=True is allowed",
     lambda: EhpcClient(endpoint="http://ehpc.example.com", credentials=CREDS, allow_insecure_http=True), False),
    ("https default endpoint from the region", lambda: EhpcClient(region="cn-hangzhou", credentials=CREDS), False),
]


@pytest.mark.parametrize(("name", "fn", "refused"), CLIENT_RULES, ids=[c[0] for c in CLIENT_RULES])
def test_client_transport_rules(name: str, fn: Callable[[], Any], refused: bool) -> None:
    row = report.record("security", f"client: {name}", "client", "refused with a clear error" if refused
                        else "allowed")
    error = _raises(fn)
    leaked = CREDS.access_key_secret in error
    ok = bool(error) == refused and not leaked
    row.finish(error or "allowed", ok=ok)
    assert ok, row.outcome


def test_client_refuses_an_unverifying_ssl_context() -> None:
    row = report.record("security", "client: SSLContext with CERT_NONE is refused", "client",
                        "refused with a clear error")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    error = _raises(lambda: EhpcClient(endpoint="https://ehpc.example.com", credentials=CREDS, verify=ctx))
    row.finish(error or "accepted: verification silently off", ok=bool(error))
    assert error, row.outcome


def test_error_messages_never_carry_the_secret() -> None:
    """Auth failures and repr/str of clients and credentials never print the secret or the STS token."""
    row = report.record("security", "client: errors, repr and str never show secret/token", "client",
                        "no secret in any message")
    with world() as w:
        secret, token = "wrongSecretNeverShown000000000000", "CAIStokenNeverShown"
        creds = Credentials(w.emu.credentials.access_key_id, secret, token)
        client = EhpcClient(endpoint=w.emu.endpoint, credentials=creds)
        texts = [repr(client), str(creds), repr(creds), _raises(lambda: client.list_clusters()),
                 _raises(lambda: client.add_nodes(w.cluster_id, count=1))]
    leaked = [t[:60] for t in texts if secret in t or token in t or any(s in t for s in SECRETS)]
    row.finish(f"{len(texts)} texts checked; leaked in {leaked}", ok=not leaked)
    assert not leaked


def test_zz_secret_scan_totals() -> None:
    """The engine tests scanned their state, backend files, logs and outputs as they ran; this row totals it."""
    row = report.record("security", "secret/STS token scan over every engine run of the session", "pulumi",
                        "0 occurrences (each run asserts it)")
    row.finish(f"{SCANNED['runs']} scans, {SCANNED['bytes'] / 1e6:.1f} MB: 0 occurrences", ok=True)
