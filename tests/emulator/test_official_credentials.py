"""Fidelity: Alibaba's own credentials library (RamRoleArn and OIDC providers) fetches tokens from the
TLS emulator's STS, and our client calls E-HPC with them until they expire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_ehpc_tasks.emulator.config import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCOUNT_ID
from pulumi_ehpc_tasks.emulator.sts import OidcProviderSpec
from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.wire.client import EhpcClient
from pulumi_ehpc_tasks.wire.errors import EhpcApiError
from pulumi_ehpc_tasks.wire.signing import Credentials

from .conftest import FAST
from .helpers import OidcIssuer

providers = pytest.importorskip("alibabacloud_credentials.provider")
tea_core = pytest.importorskip("Tea.core")

ROLE = f"acs:ram::{DEFAULT_ACCOUNT_ID}:role/deployer"
CHAINED = f"acs:ram::{DEFAULT_ACCOUNT_ID}:role/admin"
PROVIDER = f"acs:ram::{DEFAULT_ACCOUNT_ID}:oidc-provider/ci"
LIFETIME = 60  # below the library's own minimum DurationSeconds (900): the server caps it
ISSUER = OidcIssuer()


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    roles = [f"{ROLE}={DEFAULT_ACCESS_KEY_ID},oidc:{PROVIDER}", f"{CHAINED}={ROLE}"]
    oidc = [OidcProviderSpec(PROVIDER, ISSUER.issuer, (ISSUER.audience,), ISSUER.public_pem)]
    with running_emulator(tls=True, roles=roles, oidc_providers=oidc, sts_lifetime_s=LIFETIME, **FAST) as handle:
        yield handle
    for session in tea_core.TeaCore._sessions.values():  # its kept-alive connections would delay shutdown
        session.close()
    tea_core.TeaCore._sessions.clear()


@pytest.fixture(autouse=True)
def trust_the_emulator(emu: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    # The library calls STS over https (hard-coded) through requests/aiohttp with an SSL context from
    # `ssl.create_default_context()` plus certifi; its providers expose no CA option, but the default
    # context honours OpenSSL's SSL_CERT_FILE.
    assert emu.ca_path
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_path)


def _ours(creds: Any) -> Credentials:
    return Credentials(
        creds.get_access_key_id(), creds.get_access_key_secret(), creds.get_security_token(), source="official"
    )


def _list_nodes(emu: EmulatorHandle, creds: Credentials) -> Any:
    with EhpcClient(endpoint=emu.endpoint, credentials=creds, verify=emu.ca_path, retry=None) as client:
        return client.list_nodes(emu.cluster_id)


def _expires_then_refused(emu: EmulatorHandle, creds: Credentials) -> None:
    emu.shift_clock(LIFETIME)
    with pytest.raises(EhpcApiError) as err:
        _list_nodes(emu, creds)
    assert err.value.code == "InvalidSecurityToken.Expired"


def test_ram_role_arn_provider_gets_tokens_our_client_uses(emu: EmulatorHandle) -> None:
    provider = providers.RamRoleArnCredentialsProvider(
        access_key_id=emu.credentials.access_key_id,
        access_key_secret=emu.credentials.access_key_secret,
        role_arn=ROLE,
        role_session_name="fidelity",
        duration_seconds=900,
        # Spaces: the library signs them as `+` (quote_plus), not the spec's %20; the emulator accepts it.
        policy='{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ehpc:*", "Resource": "*"}]}',
        external_id="ext-1234",
        sts_endpoint=emu.host_port,
    )
    got = provider.get_credentials()
    assert got.get_access_key_id().startswith("STS.") and got.get_expiration() > 0
    creds = _ours(got)
    assert _list_nodes(emu, creds).nodes
    # Chained: a RamRoleArn provider whose base is the first one's session.
    chained = providers.RamRoleArnCredentialsProvider(
        credentials_provider=provider, role_arn=CHAINED, role_session_name="chained", sts_endpoint=emu.host_port
    )
    assert _list_nodes(emu, _ours(chained.get_credentials())).nodes
    _expires_then_refused(emu, creds)


def test_oidc_provider_gets_tokens_our_client_uses(emu: EmulatorHandle, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(ISSUER.token(lifetime_s=3 * LIFETIME))
    provider = providers.OIDCRoleArnCredentialsProvider(
        role_arn=ROLE,
        oidc_provider_arn=PROVIDER,
        oidc_token_file_path=str(token_file),
        role_session_name="fidelity-oidc",
        sts_endpoint=emu.host_port,
    )
    creds = _ours(provider.get_credentials())
    assert _list_nodes(emu, creds).nodes
    _expires_then_refused(emu, creds)


async def test_async_paths_of_the_library_too(emu: EmulatorHandle, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(ISSUER.token())
    oidc = providers.OIDCRoleArnCredentialsProvider(
        role_arn=ROLE, oidc_provider_arn=PROVIDER, oidc_token_file_path=str(token_file), sts_endpoint=emu.host_port
    )
    ram = providers.RamRoleArnCredentialsProvider(
        access_key_id=emu.credentials.access_key_id,
        access_key_secret=emu.credentials.access_key_secret,
        role_arn=ROLE,
        sts_endpoint=emu.host_port,
    )
    for provider in (oidc, ram):
        got = await provider.get_credentials_async()
        assert _list_nodes(emu, _ours(got)).nodes
