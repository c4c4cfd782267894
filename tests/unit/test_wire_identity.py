"""Identities: every mode, refresh on a virtual clock, single flight, chaining, profiles, bad input, redaction."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_ehpc_tasks.provider.settings import identity_from_config, settings_from_config
from pulumi_ehpc_tasks.wire import (
    AsyncEhpcClient,
    AuthError,
    Credentials,
    CredentialsNotFoundError,
    EhpcClient,
    IdentityError,
    IdentitySpec,
    RefreshingProvider,
    StaticProvider,
    StsClient,
    StsError,
    Temporary,
    credentials_provider,
    refresh_margin_s,
)
from pulumi_ehpc_tasks.wire.signing import sign_v1, timestamp
from pulumi_ehpc_tasks.wire.sts import sts_endpoint

BASE_SECRET = "baseSecretNeverShown0123456789"
ROLE = "acs:ram::1234567890123456:role/deployer"
ROLE2 = "acs:ram::6543210987654321:role/target"
OIDC_ARN = "acs:ram::1234567890123456:oidc-provider/ci"
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class FakeSts:
    """AssumeRole / AssumeRoleWithOIDC / GetCallerIdentity as STS answers them; checks V1 signatures."""

    def __init__(self, clock: Clock, *, lifetime_s: float = 60.0, secrets: dict[str, str] | None = None) -> None:
        self.clock = clock
        self.lifetime_s = lifetime_s
        self.secrets = {"LTAIbase": BASE_SECRET, **(secrets or {})}  # key id -> secret, issued ones added
        self.calls: list[dict[str, str]] = []
        self.refuse: str | None = None
        self.fail_transport = False
        self.echo: str | None = None  # a value the error message quotes back

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail_transport:
            raise httpx.ConnectError("down", request=request)
        q = dict(request.url.params.multi_items())
        self.calls.append(q)
        assert request.method == "GET" and q["Version"] == "2015-04-01" and q["Format"] == "JSON"
        if q["Action"] != "AssumeRoleWithOIDC":
            secret = self.secrets[q["AccessKeyId"]]
            assert q["Signature"] == sign_v1(q, "GET", secret), "bad signature"
        else:
            assert "Signature" not in q and "AccessKeyId" not in q
        if self.refuse:
            msg = "You are not authorized to do this action." + (f" token {self.echo}" if self.echo else "")
            return httpx.Response(403, json={"RequestId": "r1", "Code": self.refuse, "Message": msg})
        n = len(self.calls)
        key_id, secret, token = f"STS.key{n}", f"stsSecret{n}xxxxxxxx", f"CAIStoken{n}xxxxxxxx"
        self.secrets[key_id] = secret
        creds = {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                 "Expiration": iso(self.clock() + self.lifetime_s)}
        return httpx.Response(200, json={"RequestId": f"r{n}", "Credentials": creds,
                                         "AssumedRoleUser": {"Arn": q.get("RoleArn", ""), "AssumedRoleId": "x"}})


def env_ak() -> dict[str, str]:
    return {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIbase", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": BASE_SECRET}


def provider(spec: IdentitySpec, clock: Clock, sts: FakeSts, tmp_path: Path, env: dict[str, str] | None = None,
             **kw: Any) -> Any:
    return credentials_provider(spec, env=env_ak() if env is None else env, now=clock,
                                profile_path=tmp_path / "config.json", sts_transport=httpx.MockTransport(sts), **kw)


def write_profiles(tmp_path: Path, profiles: list[dict[str, Any]], current: str = "dev") -> None:
    (tmp_path / "config.json").write_text(json.dumps({"current": current, "profiles": profiles}))


def jwt(exp: float) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'exp': exp, 'sub': 'ci'})}.c2lnbmF0dXJl"


# --- refresh semantics -----------------------------------------------------------------------------

def test_margin_is_a_quarter_of_short_lifetimes_and_three_minutes_at_most() -> None:
    assert refresh_margin_s(60) == 15
    assert refresh_margin_s(900) == 180 == refresh_margin_s(3600)


def test_ram_role_arn_refreshes_before_expiry_on_a_virtual_clock(tmp_path: Path) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    sts.clock = clock
    p = provider(IdentitySpec(role_arn=ROLE, role_session_name="ci-run"), clock, sts, tmp_path)
    assert sts.calls == []  # construction calls no STS
    first = p.get()
    assert first.access_key_id == "STS.key1" and first.security_token == "CAIStoken1xxxxxxxx"
    q = sts.calls[0]
    assert (q["Action"], q["RoleArn"], q["RoleSessionName"], q["DurationSeconds"]) == (
        "AssumeRole", ROLE, "ci-run", "3600")
    assert q["AccessKeyId"] == "LTAIbase" and "SecurityToken" not in q
    clock.t += 44  # 16 s left of 60: still fresh
    assert p.get() is first and len(sts.calls) == 1
    clock.t += 2  # 14 s left: inside the 15 s margin
    assert p.get().access_key_id == "STS.key2" and len(sts.calls) == 2


def test_default_session_name_duration_policy_and_external_id(tmp_path: Path) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    spec = IdentitySpec(role_arn=ROLE, duration_s=900, policy='{"Version":"1"}', external_id="ext-1")
    provider(spec, clock, sts, tmp_path).get()
    q = sts.calls[0]
    assert q["RoleSessionName"] == f"pulumi-ehpc-tasks-{int(T0)}"
    assert (q["DurationSeconds"], q["Policy"], q["ExternalId"]) == ("900", '{"Version":"1"}', "ext-1")
    env = env_ak() | {"ALIBABA_CLOUD_ROLE_SESSION_NAME": "from-env"}
    provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path, env=env).get()
    assert sts.calls[1]["RoleSessionName"] == "from-env"


def test_single_flight_many_threads_one_sts_call() -> None:
    clock = Clock()
    release, calls = threading.Event(), []

    def fetch() -> Temporary:
        calls.append(1)
        release.wait(10)
        return Temporary(Credentials("STS.a", "s" * 8, "t" * 8), clock() + 60)

    p = RefreshingProvider(fetch, source="test", identity_key="k", now=clock)
    got: list[Credentials] = []
    threads = [threading.Thread(target=lambda: got.append(p.get())) for _ in range(8)]
    for t in threads:
        t.start()
    while not calls:
        time.sleep(0.001)
    release.set()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and len({id(c) for c in got}) == 1


def test_failed_refresh_keeps_valid_credentials_then_raises_once_expired(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    p = provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path)
    first = p.get()
    sts.fail_transport = True
    clock.t += 50  # due (10 s left)
    with caplog.at_level("WARNING"):
        assert p.get() is first
    assert "failed" in caplog.text and BASE_SECRET not in caplog.text and first.access_key_secret not in caplog.text
    calls = len(sts.calls)
    assert p.get() is first and len(sts.calls) == calls  # backs off instead of calling STS on every get
    clock.t += 11  # expired
    with pytest.raises(Exception, match="STS AssumeRole"):
        p.get()
    sts.fail_transport = False
    assert p.get().access_key_id != first.access_key_id


def test_ecs_ram_role_refreshes_from_the_metadata_service(tmp_path: Path) -> None:
    clock, served = Clock(), []

    def metadata(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/latest/api/token":
            return httpx.Response(200, text="imds")
        served.append(request.url.path)
        return httpx.Response(200, json={"Code": "Success", "AccessKeyId": f"STS.ecs{len(served)}",
                                         "AccessKeySecret": "ecsSecret0000", "SecurityToken": "ecsToken0000",
                                         "Expiration": iso(clock() + 3600)})

    p = credentials_provider(IdentitySpec(ecs_role_name="NodeRole"), env={}, now=clock,
                             metadata_transport=httpx.MockTransport(metadata))
    assert p.get().access_key_id == "STS.ecs1"
    clock.t += 3600 - 181
    assert p.get().access_key_id == "STS.ecs1"
    clock.t += 2
    assert p.get().access_key_id == "STS.ecs2" and served[0].endswith("/NodeRole")


# --- chaining --------------------------------------------------------------------------------------

def test_role_chained_from_a_role_signs_with_the_first_roles_sts_credentials(tmp_path: Path) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    write_profiles(tmp_path, [
        {"name": "base", "mode": "AK", "access_key_id": "LTAIbase", "access_key_secret": BASE_SECRET},
        {"name": "hop1", "mode": "ChainableRamRoleArn", "source_profile": "base", "ram_role_arn": ROLE,
         "ram_session_name": "hop-one", "expired_seconds": 900},
    ])
    p = provider(IdentitySpec(profile="hop1", role_arn=ROLE2), clock, sts, tmp_path, env={})
    creds = p.get()
    first, second = sts.calls
    assert (first["RoleArn"], first["AccessKeyId"], first["RoleSessionName"]) == (ROLE, "LTAIbase", "hop-one")
    assert (second["RoleArn"], second["AccessKeyId"], second["SecurityToken"]) == (
        ROLE2, "STS.key1", "CAIStoken1xxxxxxxx")
    assert creds.access_key_id == "STS.key2" and ROLE2 in p.source and ROLE in p.source
    # both hops expire together here; the inner one refreshes first and signs the outer one's refresh
    clock.t += 50
    p.get()
    assert [c["AccessKeyId"] for c in sts.calls[2:]] == ["LTAIbase", "STS.key3"]


def test_profile_modes(tmp_path: Path) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    token_file = tmp_path / "token"
    token_file.write_text(jwt(T0 + 600))
    write_profiles(tmp_path, [
        {"name": "ak", "mode": "AK", "access_key_id": "LTAIak", "access_key_secret": "akSecret0000"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "s0000",
         "sts_token": "tok0000"},
        {"name": "role", "mode": "RamRoleArn", "access_key_id": "LTAIbase", "access_key_secret": BASE_SECRET,
         "ram_role_arn": ROLE, "external_id": "e1"},
        {"name": "oidc", "mode": "OIDC", "ram_role_arn": ROLE, "oidc_provider_arn": OIDC_ARN,
         "oidc_token_file": str(token_file), "role_session_name": "rrsa"},
    ])
    for name, key in (("ak", "LTAIak"), ("sts", "STS.x")):
        assert provider(IdentitySpec(profile=name), clock, sts, tmp_path, env={}).get().access_key_id == key
    assert provider(IdentitySpec(profile="role"), clock, sts, tmp_path, env={}).get().access_key_id == "STS.key1"
    assert sts.calls[-1]["ExternalId"] == "e1"
    provider(IdentitySpec(profile="oidc"), clock, sts, tmp_path, env={}).get()
    q = sts.calls[-1]
    assert (q["Action"], q["OIDCProviderArn"], q["RoleSessionName"]) == ("AssumeRoleWithOIDC", OIDC_ARN, "rrsa")
    # the default chain picks the current profile in any mode
    write_profiles(tmp_path, json.loads((tmp_path / "config.json").read_text())["profiles"], current="role")
    assert provider(IdentitySpec(), clock, sts, tmp_path, env={}).get().access_key_id.startswith("STS.key")


def test_oidc_reads_the_token_file_at_every_refresh(tmp_path: Path) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    token_file = tmp_path / "token"
    token_file.write_text(jwt(T0 + 100) + "\n")
    env = {"ALIBABA_CLOUD_ROLE_ARN": ROLE, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": OIDC_ARN,
           "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file)}
    p = provider(IdentitySpec(), clock, sts, tmp_path, env=env)  # the env convention, in the default chain
    p.get()
    first_token = sts.calls[0]["OIDCToken"]
    assert first_token == jwt(T0 + 100)
    token_file.write_text(jwt(T0 + 1000))
    clock.t += 50
    p.get()
    assert sts.calls[1]["OIDCToken"] == jwt(T0 + 1000)
    assert first_token in p.secrets() and jwt(T0 + 1000) in p.secrets()


# --- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (IdentitySpec(role_arn="arn:aws:iam::1:role/x"), ["role_arn", "not a RAM role ARN"]),
        (IdentitySpec(role_arn=ROLE, duration_s=60), ["duration_s", "900"]),
        (IdentitySpec(role_session_name="x"), ["role_session_name", "without a role ARN"]),
        (IdentitySpec(oidc_provider_arn=OIDC_ARN, role_arn=ROLE), ["oidc_token_file", "not set"]),
        (IdentitySpec(oidc_provider_arn=OIDC_ARN, role_arn=ROLE, oidc_token_file="/nonexistent/token"),
         ["oidc_token_file", "/nonexistent/token", "does not exist"]),
        (IdentitySpec(profile="nope"), ["profile", "'nope'", "aliyun configure"]),
        (IdentitySpec(profile="dev", ecs_role_name="R"), ["profile and ecs_role_name", "give one"]),
        (IdentitySpec(config_namespace="acct2"), ["acct2:accessKeyId", "pulumi config set --secret"]),
    ],
)
def test_bad_identity_input_names_it(spec: IdentitySpec, words: list[str], tmp_path: Path) -> None:
    write_profiles(tmp_path, [{"name": "dev", "mode": "AK", "access_key_id": "a", "access_key_secret": "b"}])
    with pytest.raises(IdentityError) as info:
        provider(spec, Clock(), FakeSts(Clock()), tmp_path)
    assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b"}, ["'ram_role_arn' is missing"]),
        ({"mode": "OIDC", "ram_role_arn": ROLE}, ["'oidc_provider_arn' is missing"]),
        ({"mode": "EcsRamRole"}, ["'ram_role_name' is missing"]),
        ({"mode": "ChainableRamRoleArn", "source_profile": "p", "ram_role_arn": ROLE}, ["leads back to itself"]),
        ({"mode": "CloudSSO"}, ["'CloudSSO' is not supported", "ChainableRamRoleArn"]),
    ],
)
def test_profile_with_missing_fields_names_the_field(entry: dict[str, Any], words: list[str], tmp_path: Path) -> None:
    write_profiles(tmp_path, [{"name": "p", **entry}])
    with pytest.raises(IdentityError) as info:
        provider(IdentitySpec(profile="p"), Clock(), FakeSts(Clock()), tmp_path)
    assert all(w in str(info.value) for w in [*words, "'p'"]), str(info.value)


def test_expired_oidc_token_file_is_named_before_any_sts_call(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(jwt(T0 - 30))
    sts = FakeSts(Clock())
    spec = IdentitySpec(role_arn=ROLE, oidc_provider_arn=OIDC_ARN, oidc_token_file=str(token_file))
    # Already when the provider is built (what preview does), not only at its first get().
    with pytest.raises(IdentityError, match=r"ehpc:oidcTokenFile: the OIDC token .* expired 30 s ago") as info:
        provider(spec, Clock(), sts, tmp_path, inputs={"oidc_token_file": "ehpc:oidcTokenFile"})
    assert sts.calls == [] and jwt(T0 - 30) not in str(info.value)
    token_file.write_text(jwt(T0 + 60))
    p = provider(spec, Clock(), sts, tmp_path, inputs={"oidc_token_file": "ehpc:oidcTokenFile"})
    token_file.write_text(jwt(T0 - 30))  # renewed by nobody: expired by the time of the call
    with pytest.raises(IdentityError, match=r"expired 30 s ago"):
        p.get()
    assert sts.calls == []


def test_role_the_identity_may_not_assume_is_a_clear_sts_error_without_secrets(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("opaqueOidcTokenValue123")
    clock, sts = Clock(), FakeSts(Clock())
    sts.refuse, sts.echo = "NoPermission", BASE_SECRET
    with pytest.raises(StsError) as info:
        provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path, inputs={"role_arn": "ehpc:roleArn"}).get()
    text = str(info.value)
    assert "NoPermission" in text and ROLE in text and "ehpc:roleArn" in text and "trust policy" in text
    assert BASE_SECRET not in text and BASE_SECRET not in repr(info.value.body)
    sts.refuse, sts.echo = "AuthenticationFail.OIDCToken.Expired", "opaqueOidcTokenValue123"
    spec = IdentitySpec(role_arn=ROLE, oidc_provider_arn=OIDC_ARN, oidc_token_file=str(token_file))
    with pytest.raises(StsError) as info:
        provider(spec, clock, sts, tmp_path).get()
    assert "OIDC token" in str(info.value) and "opaqueOidcTokenValue123" not in str(info.value)


def test_nothing_found_lists_the_oidc_env_source(tmp_path: Path) -> None:
    with pytest.raises(CredentialsNotFoundError) as info:
        provider(IdentitySpec(), Clock(), FakeSts(Clock()), tmp_path, env={})
    assert any("OIDC" in t for t in info.value.tried)


# --- STS endpoint ----------------------------------------------------------------------------------

def test_sts_endpoint_resolution() -> None:
    assert sts_endpoint(None, {}) == "https://sts.aliyuncs.com"
    assert sts_endpoint(None, {"ALIBABA_CLOUD_STS_REGION": "cn-hangzhou"}) == "https://sts.cn-hangzhou.aliyuncs.com"
    env = {"ALIBABA_CLOUD_STS_REGION": "cn-hangzhou", "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED": "true"}
    assert sts_endpoint(None, env) == "https://sts-vpc.cn-hangzhou.aliyuncs.com"
    assert sts_endpoint(None, {"EHPC_STS_ENDPOINT": "http://127.0.0.1:9"}) == "http://127.0.0.1:9"
    assert sts_endpoint("http://localhost:8", {"EHPC_STS_ENDPOINT": "x"}) == "http://localhost:8"
    with pytest.raises(IdentityError, match="ehpc:stsEndpoint: refusing plain http"):
        sts_endpoint("http://10.0.0.1", {}, name="ehpc:stsEndpoint")
    with pytest.raises(Exception, match="cannot be disabled"):
        StsClient(verify=False)


# --- the clients -----------------------------------------------------------------------------------

def ehpc(handler: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]) -> httpx.MockTransport:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.MockTransport(record)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"RequestId": "x", "TotalCount": 0, "Tasks": {"TaskInfo": []}})


def key_of(request: httpx.Request) -> str:
    return request.headers["authorization"].split("Credential=")[1].split(",")[0]


def test_client_signs_every_call_with_the_providers_current_credentials(tmp_path: Path) -> None:
    clock, sts, seen = Clock(), FakeSts(Clock()), []
    p = provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path)
    client = EhpcClient(region="cn-hangzhou", credentials=p, transport=ehpc(ok, seen))
    client.list_tasks("ehpc-hz-x")
    clock.t += 50
    client.list_tasks("ehpc-hz-x")
    assert [key_of(r) for r in seen] == ["STS.key1", "STS.key2"]
    assert seen[1].headers["x-acs-security-token"] == "CAIStoken2xxxxxxxx"
    assert client._identity_key == f"role:{ROLE}<-LTAIbase"
    assert "CAIStoken" not in repr(client) and "stsSecret" not in repr(client)


def test_async_client_refreshes_off_the_event_loop(tmp_path: Path) -> None:
    clock, sts, seen = Clock(), FakeSts(Clock()), []
    p = provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path)
    fetch_threads: list[str] = []
    original = p._fetch
    p._fetch = lambda: (fetch_threads.append(threading.current_thread().name), original())[1]

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(request)

    async def run() -> None:
        async with AsyncEhpcClient(region="cn-hangzhou", credentials=p,
                                   transport=httpx.MockTransport(handler)) as client:
            await client.list_tasks("ehpc-hz-x")
            await client.list_tasks("ehpc-hz-x")

    asyncio.run(run())
    assert [key_of(r) for r in seen] == ["STS.key1", "STS.key1"]
    assert len(fetch_threads) == 1 and fetch_threads[0] != threading.main_thread().name


def test_expired_token_is_refreshed_and_the_call_sent_once_more(tmp_path: Path) -> None:
    clock, sts, seen = Clock(), FakeSts(Clock()), []

    def expire_first(request: httpx.Request) -> httpx.Response:
        if len(seen) == 1:
            return httpx.Response(400, json={"Code": "InvalidSecurityToken.Expired", "Message": "expired"})
        return ok(request)

    p = provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path)
    client = EhpcClient(region="cn-hangzhou", credentials=p, transport=ehpc(expire_first, seen))
    client.stop_nodes("ehpc-hz-x", instance_ids=["i-1"])  # an unkeyed write: safe, it was refused
    assert [key_of(r) for r in seen] == ["STS.key1", "STS.key2"]
    always = ehpc(lambda r: httpx.Response(400, json={"Code": "InvalidSecurityToken.Expired", "Message": "e"}), [])
    with pytest.raises(AuthError):  # once only
        EhpcClient(region="cn-hangzhou", credentials=p, transport=always).list_tasks("ehpc-hz-x")
    static = EhpcClient(region="cn-hangzhou", credentials=Credentials("STS.a", "s" * 8, "t" * 8), transport=always)
    with pytest.raises(AuthError):
        static.list_tasks("ehpc-hz-x")


def test_errors_are_scrubbed_of_previous_secrets_and_tokens(tmp_path: Path) -> None:
    clock, sts = Clock(), FakeSts(Clock())
    p = provider(IdentitySpec(role_arn=ROLE), clock, sts, tmp_path)
    old = p.get()
    clock.t += 50
    p.get()
    echo = f"{old.access_key_secret} {old.security_token} {BASE_SECRET}"
    bad = ehpc(lambda r: httpx.Response(400, json={"Code": "Forbidden", "Message": echo}), [])
    with pytest.raises(Exception) as info:
        EhpcClient(region="cn-hangzhou", credentials=p, transport=bad).list_tasks("ehpc-hz-x")
    text = str(info.value)
    assert old.access_key_secret not in text and str(old.security_token) not in text and BASE_SECRET not in text
    for shown in (repr(p), str(p), p.source, repr(StaticProvider(old))):
        assert old.access_key_secret not in shown and str(old.security_token) not in shown


def test_static_credentials_keep_working_unchanged() -> None:
    seen: list[httpx.Request] = []
    creds = Credentials("LTAIid", "secretValue000")
    client = EhpcClient(region="cn-hangzhou", credentials=creds, transport=ehpc(ok, seen))
    client.list_tasks("ehpc-hz-x")
    assert client.credentials is creds and client._identity_key == "LTAIid" and key_of(seen[0]) == "LTAIid"


# --- stack config ----------------------------------------------------------------------------------

def test_stack_config_names_the_identity_with_ehpc_then_alicloud_keys(tmp_path: Path) -> None:
    spec, inputs = identity_from_config({
        "ehpc:roleArn": ROLE, "ehpc:roleDurationSeconds": "1800", "alicloud:profile": "dev",
        "alicloud:assumeRole": json.dumps({"roleArn": ROLE2, "sessionName": "s1", "externalId": "x"}),
        "ehpc:stsEndpoint": "http://127.0.0.1:1",
    })
    assert (spec.role_arn, spec.duration_s, spec.profile, spec.role_session_name, spec.external_id) == (
        ROLE, 1800, "dev", "s1", "x")
    assert inputs["role_arn"] == "ehpc:roleArn" and inputs["role_session_name"] == "alicloud:assumeRole.sessionName"
    assert spec.sts_endpoint == "http://127.0.0.1:1"
    oidc, _ = identity_from_config({"alicloud:assumeRoleWithOidc": {"roleArn": ROLE, "oidcProviderArn": OIDC_ARN,
                                                                   "oidcTokenFile": "/t"}})
    assert (oidc.role_arn, oidc.oidc_provider_arn, oidc.oidc_token_file) == (ROLE, OIDC_ARN, "/t")


def test_bad_identity_config_fails_the_client_not_configure() -> None:
    s = settings_from_config({"ehpc:region": "cn-hangzhou", "ehpc:roleArn": "not-an-arn",
                              "ehpc:accessKeyId": "LTAIx", "ehpc:accessKeySecret": "s" * 10})
    assert s.identity.role_arn == "not-an-arn"
    with pytest.raises(IdentityError, match="ehpc:roleArn: 'not-an-arn' is not a RAM role ARN"):
        s.client()
    s = settings_from_config({"ehpc:roleDurationSeconds": "soon"})
    with pytest.raises(IdentityError, match="ehpc:roleDurationSeconds"):
        s.client()


def test_stack_keys_are_the_base_of_a_stack_level_role(tmp_path: Path) -> None:
    s = settings_from_config({"ehpc:region": "cn-hangzhou", "ehpc:roleArn": ROLE, "ehpc:caBundle": None,
                              "ehpc:accessKeyId": "LTAIbase", "ehpc:accessKeySecret": BASE_SECRET})
    p = credentials_provider(s.identity, config=s.stack_credentials, env={}, inputs=s.identity_inputs)
    assert p.source.startswith(f"ram_role_arn/{ROLE} <- Pulumi config") and timestamp()
