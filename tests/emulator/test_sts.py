"""The emulator's STS peer: AssumeRole (and chaining), AssumeRoleWithOIDC, GetCallerIdentity, and the
tokens it issues on the E-HPC API until they expire."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pulumi_ehpc_tasks.emulator import cli, server
from pulumi_ehpc_tasks.emulator.config import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCOUNT_ID, EmulatorConfig
from pulumi_ehpc_tasks.emulator.sts import OidcProviderSpec, RoleSpec
from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.wire.signing import Credentials

from .conftest import FAST
from .helpers import STS_VERSION, V1, V3, Api, OidcIssuer, error, sts_call

ACCOUNT = DEFAULT_ACCOUNT_ID
DEPLOY = f"acs:ram::{ACCOUNT}:role/deploy"  # trusted by the access key
ADMIN = f"acs:ram::{ACCOUNT}:role/admin"  # trusted by deploy's sessions only (a chain)
FEDERATED = f"acs:ram::{ACCOUNT}:role/federated"  # trusted by the OIDC provider
PROVIDER = f"acs:ram::{ACCOUNT}:oidc-provider/ci"
OTHER_PROVIDER = f"acs:ram::{ACCOUNT}:oidc-provider/other"
LIFETIME = 60
OIDC = "AuthenticationFail.OIDCToken."
ISSUER = OidcIssuer()
STRANGER = OidcIssuer()  # same issuer and audience, another key


@pytest.fixture(scope="module")
def sts_emu() -> Iterator[EmulatorHandle]:
    providers = [
        OidcProviderSpec(PROVIDER, ISSUER.issuer, (ISSUER.audience, "second-audience"), ISSUER.public_pem),
        OidcProviderSpec(OTHER_PROVIDER, "https://other.example", ("x",), STRANGER.public_pem),
    ]
    roles = [
        f"{DEPLOY}={DEFAULT_ACCESS_KEY_ID}",
        f"{ADMIN}={DEPLOY}",
        f"{FEDERATED}=oidc:{PROVIDER},{DEFAULT_ACCESS_KEY_ID}",
    ]
    with running_emulator(roles=roles, oidc_providers=providers, sts_lifetime_s=LIFETIME, **FAST) as handle:
        yield handle


@pytest.fixture
def emu(sts_emu: EmulatorHandle) -> EmulatorHandle:
    """What conftest's `api` fixture calls (without its reset: the STS tests share their tokens' server)."""
    return sts_emu


def _assume(api: Api, role: str = DEPLOY, *, credentials: Credentials | None = None, **extra: Any) -> httpx.Response:
    params = {"RoleArn": role, "RoleSessionName": "tests", **extra}
    return sts_call(api, "AssumeRole", params, credentials=credentials)


def _creds(body: dict[str, Any]) -> Credentials:
    c = body["Credentials"]
    return Credentials(c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"], source="test")


def _epoch(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _oidc(api: Api, token: str, role: str = FEDERATED, provider: str = PROVIDER, **extra: str) -> httpx.Response:
    """Unsigned, as GET with these parameters: what Alibaba's credentials library sends."""
    params = {
        "Action": "AssumeRoleWithOIDC",
        "Format": "JSON",
        "Version": STS_VERSION,
        "DurationSeconds": "3600",
        "RoleArn": role,
        "OIDCProviderArn": provider,
        "OIDCToken": token,
        "RoleSessionName": "ci-run",
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **extra,
    }
    return api.http.get("/", params=params)


def _list_tasks(api: Api, emu: EmulatorHandle, creds: Credentials, version: Any = V3) -> httpx.Response:
    return api.call("ListTasks", {"ClusterId": emu.cluster_id}, credentials=creds, version=version)


@pytest.mark.parametrize("version", [V3, V1])
def test_assume_role_answers_like_alibaba_and_its_token_works_on_ehpc(
    api: Api, sts_emu: EmulatorHandle, version: Any
) -> None:
    before = int(time.time())
    response = sts_call(api, "AssumeRole", {"RoleArn": DEPLOY, "RoleSessionName": "tests"}, version=version)
    after = int(time.time())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"RequestId", "AssumedRoleUser", "Credentials"}
    creds = body["Credentials"]
    assert set(creds) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    assert creds["AccessKeyId"].startswith("STS.")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", creds["Expiration"])
    # DurationSeconds defaults to 3600; the server's --sts-lifetime caps it.
    assert before + LIFETIME <= _epoch(creds["Expiration"]) <= after + LIFETIME
    user = body["AssumedRoleUser"]
    assert user["Arn"] == f"{DEPLOY}/tests"
    assert re.fullmatch(r"\d+:tests", user["AssumedRoleId"])
    for v in (V3, V1):
        assert _list_tasks(api, sts_emu, _creds(body), v).status_code == 200


def test_duration_below_the_cap_is_kept() -> None:
    with running_emulator(roles=[f"{DEPLOY}={DEFAULT_ACCESS_KEY_ID}"], **FAST) as emu:
        client = Api(emu.endpoint, emu.credentials)
        before = int(time.time())
        body = _assume(client, DurationSeconds=900).json()
        assert before + 900 <= _epoch(body["Credentials"]["Expiration"]) <= int(time.time()) + 900
        client.close()


def test_caller_identity_of_the_access_key_and_of_a_session(api: Api) -> None:
    me = sts_call(api, "GetCallerIdentity").json()
    assert me["IdentityType"] == "RAMUser" and me["AccountId"] == ACCOUNT
    assert me["Arn"] == f"acs:ram::{ACCOUNT}:user/emulator"
    assert me["UserId"] == me["PrincipalId"] and "RoleId" not in me and me["RequestId"]
    session = _creds(_assume(api).json())
    who = sts_call(api, "GetCallerIdentity", credentials=session, version=V1).json()
    assert who["IdentityType"] == "AssumedRoleUser" and who["AccountId"] == ACCOUNT
    assert who["Arn"] == f"acs:ram::{ACCOUNT}:assumed-role/deploy/tests"
    assert who["PrincipalId"] == f"{who['RoleId']}:tests" and "UserId" not in who


def test_role_chaining_follows_the_trust_policy(api: Api, sts_emu: EmulatorHandle) -> None:
    deploy = _creds(_assume(api).json())
    chained = _assume(api, ADMIN, credentials=deploy)
    assert chained.status_code == 200, chained.text
    admin = _creds(chained.json())
    assert sts_call(api, "GetCallerIdentity", credentials=admin).json()["Arn"].endswith(":assumed-role/admin/tests")
    assert _list_tasks(api, sts_emu, admin).status_code == 200
    assert error(_assume(api, ADMIN)) == (403, "NoPermission")  # the access key is not trusted by admin
    assert error(_assume(api, DEPLOY, credentials=admin)) == (403, "NoPermission")  # nor admin's sessions by deploy


def test_bad_assume_role_requests(api: Api) -> None:
    assert error(_assume(api, f"acs:ram::{ACCOUNT}:role/nope")) == (404, "EntityNotExist.Role")
    assert error(_assume(api, "arn:not-a-role")) == (400, "InvalidParameter.RoleArn")
    for duration in ("899", "3601", "soon"):
        assert error(_assume(api, DurationSeconds=duration)) == (400, "InvalidParameter.DurationSeconds")
    assert error(_assume(api, RoleSessionName="x")) == (400, "InvalidParameter.RoleSessionName")
    assert error(_assume(api, RoleSessionName="has space")) == (400, "InvalidParameter.RoleSessionName")
    assert error(_assume(api, Policy="{not json")) == (400, "InvalidParameter.PolicyGrammar")
    policy = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"ehpc:*","Resource":"*"}]}'
    assert _assume(api, Policy=policy, ExternalId="abc-123").status_code == 200
    assert error(sts_call(api, "AssumeRole", {"RoleSessionName": "tests"})) == (400, "MissingParameter")
    assert error(sts_call(api, "DescribeRegions")) == (404, "InvalidAction.NotFound")
    assert error(sts_call(api, "ListTasks", {"ClusterId": "x"})) == (404, "InvalidAction.NotFound")
    unsigned = {"Action": "AssumeRole", "Version": STS_VERSION, "RoleArn": DEPLOY, "RoleSessionName": "tests"}
    assert error(api.http.get("/", params=unsigned)) == (400, "IncompleteSignature")


def test_issued_token_refused_when_paired_wrongly_or_expired(api: Api, sts_emu: EmulatorHandle) -> None:
    one, two = _creds(_assume(api).json()), _creds(_assume(api).json())
    swapped = Credentials(one.access_key_id, one.access_key_secret, two.security_token)
    assert error(_list_tasks(api, sts_emu, swapped)) == (400, "InvalidSecurityToken.MismatchWithAccessKey")
    bare = Credentials(one.access_key_id, one.access_key_secret)
    assert error(_list_tasks(api, sts_emu, bare)) == (400, "MissingSecurityToken")
    assert _list_tasks(api, sts_emu, one).status_code == 200
    sts_emu.shift_clock(LIFETIME)  # exactly at Expiration: no longer valid
    for version in (V3, V1):
        assert error(_list_tasks(api, sts_emu, one, version)) == (400, "InvalidSecurityToken.Expired")
    assert error(_assume(api, ADMIN, credentials=one)) == (400, "InvalidSecurityToken.Expired")  # no chaining either
    assert _list_tasks(api, sts_emu, sts_emu.credentials).status_code == 200  # the access key is not affected
    fresh = _creds(_assume(api).json())  # issued on the shifted clock
    assert _list_tasks(api, sts_emu, fresh).status_code == 200


def test_assume_role_with_oidc(api: Api, sts_emu: EmulatorHandle) -> None:
    response = _oidc(api, ISSUER.token())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"RequestId", "AssumedRoleUser", "Credentials", "OIDCTokenInfo"}
    assert body["AssumedRoleUser"]["Arn"] == f"{FEDERATED}/ci-run"
    info = body["OIDCTokenInfo"]
    assert info["Issuer"] == ISSUER.issuer and info["Subject"] == "system:serviceaccount:ci:deployer"
    assert info["ClientIds"] == ISSUER.audience and info["ExpirationTime"] and info["IssuanceTime"]
    assert _list_tasks(api, sts_emu, _creds(body)).status_code == 200
    listed = _oidc(api, ISSUER.token(aud=["someone-else", "second-audience"]))  # any accepted audience will do
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize(
    ("name", "token", "code"),
    [
        ("expired", lambda: ISSUER.token(lifetime_s=-5), OIDC + "Expired"),
        ("wrong audience", lambda: ISSUER.token(aud="someone-else"), OIDC + "AudienceNotMatch"),
        ("wrong issuer", lambda: ISSUER.token(iss="https://evil.example"), OIDC + "IssuerNotMatch"),
        ("signed by another key", lambda: STRANGER.token(), OIDC + "InvalidSignature"),
        ("not yet valid", lambda: ISSUER.token(nbf=int(time.time()) + 600), OIDC + "Invalid"),
        ("no exp", lambda: ISSUER.token(exp=None), OIDC + "Invalid"),
        ("not a jwt", lambda: "garbage", OIDC + "Invalid"),
        ("three garbage parts", lambda: "a.b.c", OIDC + "Invalid"),
        ("empty", lambda: "", OIDC + "Invalid"),
    ],
)
def test_bad_oidc_token_refused(api: Api, name: str, token: Any, code: str) -> None:
    assert error(_oidc(api, token())) == (401, code), name


def test_oidc_provider_and_role_checks(api: Api) -> None:
    good = ISSUER.token()
    unknown = f"acs:ram::{ACCOUNT}:oidc-provider/unknown"
    assert error(_oidc(api, good, provider=unknown)) == (401, "AuthenticationFail.NoPermission")
    assert error(_oidc(api, good, role=DEPLOY)) == (401, "AuthenticationFail.NoPermission")  # not trusted
    assert error(_oidc(api, good, role=f"acs:ram::{ACCOUNT}:role/nope")) == (404, "EntityNotExist.Role")
    other = STRANGER.token(iss="https://other.example")  # the provider's own key and issuer, not its audience
    assert error(_oidc(api, other, provider=OTHER_PROVIDER)) == (401, "AuthenticationFail.OIDCToken.AudienceNotMatch")


def test_oidc_token_expiry_follows_the_emulator_clock(sts_emu: EmulatorHandle) -> None:
    with running_emulator(
        roles=[f"{FEDERATED}=oidc:{PROVIDER}"],
        oidc_providers=[OidcProviderSpec(PROVIDER, ISSUER.issuer, (ISSUER.audience,), ISSUER.public_pem)],
        **FAST,
    ) as emu:
        client = Api(emu.endpoint, emu.credentials)
        token = ISSUER.token(lifetime_s=300)
        assert _oidc(client, token).status_code == 200
        emu.shift_clock(301)
        assert error(_oidc(client, token)) == (401, "AuthenticationFail.OIDCToken.Expired")
        client.close()


def test_issued_tokens_survive_a_restart(tmp_path: Path) -> None:
    options: dict[str, Any] = {"roles": [f"{DEPLOY}={DEFAULT_ACCESS_KEY_ID}"], "state_path": str(tmp_path / "s.db")}
    with running_emulator(**options, **FAST) as first:
        client = Api(first.endpoint, first.credentials)
        creds = _creds(_assume(client).json())
        client.close()
    with running_emulator(**options, **FAST) as second:
        client = Api(second.endpoint, second.credentials)
        assert _list_tasks(client, second, creds).status_code == 200
        assert sts_call(client, "GetCallerIdentity", credentials=creds).json()["Arn"].endswith("/deploy/tests")
        client.close()


def test_faults_apply_to_sts_too() -> None:
    with running_emulator(roles=[f"{DEPLOY}={DEFAULT_ACCESS_KEY_ID}"], faults=["AssumeRole:Throttling"], **FAST) as emu:
        client = Api(emu.endpoint, emu.credentials)
        assert error(_assume(client))[1] == "Throttling"
        assert sts_call(client, "GetCallerIdentity").status_code == 200
        client.close()


# ---- configuration ----------------------------------------------------------------------------
def test_role_and_provider_specs_parse_and_refuse(tmp_path: Path) -> None:
    role = RoleSpec.parse_cli(f"{ADMIN}={DEPLOY}, LTAIx ,oidc:{PROVIDER}")
    assert role.principals == (DEPLOY, "LTAIx", f"oidc:{PROVIDER}") and role.account_id == ACCOUNT
    for bad in (ADMIN, f"{ADMIN}=", "role/x=LTAIx"):
        with pytest.raises(ValueError, match="--role"):
            RoleSpec.parse_cli(bad)
    pem = tmp_path / "key.pem"
    pem.write_text(ISSUER.public_pem)
    spec = OidcProviderSpec.parse_cli(f"{PROVIDER},issuer=https://i.example,audience=a,audience=b,key={pem}")
    assert spec.audiences == ("a", "b") and spec.public_key_pem == ISSUER.public_pem
    for bad in (
        f"{PROVIDER},issuer=https://i.example,key={pem}",  # no audience
        f"{PROVIDER},audience=a,key={pem}",  # no issuer
        f"{PROVIDER},issuer=https://i.example,audience=a,key={tmp_path / 'missing.pem'}",
        f"{PROVIDER},issuer=https://i.example,audience=a,key={pem},colour=blue",
        f"acs:ram::{ACCOUNT}:role/x,issuer=https://i.example,audience=a,key={pem}",
    ):
        with pytest.raises(ValueError, match="--oidc-provider"):
            OidcProviderSpec.parse_cli(bad)


def test_sts_flags_reach_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[EmulatorConfig] = []
    monkeypatch.setattr(server, "run", lambda config, sock: (seen.append(config), sock.close()))
    pem = tmp_path / "key.pem"
    pem.write_text(ISSUER.public_pem)
    args = [
        "--account-id", "1234567890123456",
        "--role", f"{DEPLOY}={DEFAULT_ACCESS_KEY_ID}",
        "--role", f"{ADMIN}={DEPLOY}",
        "--oidc-provider", f"{PROVIDER},issuer={ISSUER.issuer},audience={ISSUER.audience},key={pem}",
        "--sts-lifetime", "60",
    ]  # fmt: skip
    result = CliRunner().invoke(cli.serve, args)
    assert result.exit_code == 0, result.output
    config = seen[0]
    assert config.account_id == "1234567890123456" and config.sts_lifetime_s == 60
    assert [r.arn for r in config.roles] == [DEPLOY, ADMIN]
    assert config.oidc_providers[0].issuer == ISSUER.issuer
    assert "account id:        1234567890123456" in result.output
    for bad in (["--role", "nonsense"], ["--sts-lifetime", "0"], ["--oidc-provider", f"{PROVIDER},issuer=x"]):
        assert CliRunner().invoke(cli.serve, bad).exit_code == 2, bad


def test_v1_policy_with_spaces_in_both_canonical_forms_and_a_forged_one_refused(api: Api) -> None:
    policy = '{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ehpc:*", "Resource": "*"}]}'
    params = {"RoleArn": DEPLOY, "RoleSessionName": "tests", "Policy": policy}
    assert sts_call(api, "AssumeRole", params, version=V1).status_code == 200  # the spec's %20 form
    request = sts_call(api, "AssumeRole", params, version=V1).request
    forged = str(request.url).replace("Signature=", "Signature=x")
    assert error(api.http.get(forged)) == (400, "SignatureDoesNotMatch")
