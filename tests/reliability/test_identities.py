"""Identities under stress: temporary credentials that expire several times during one wait, an STS
outage while they are still valid, and every bad identity input refused before any write, naming the
config key and never echoing a token. The provider's own methods, against the emulator's STS over HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_ehpc_tasks.emulator.sts import OidcProviderSpec, RoleSpec
from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider
from pulumi_ehpc_tasks.provider.settings import settings_from_config
from tests.e2e.harness import mutations
from tests.emulator.helpers import OidcIssuer

from . import report
from .engine import find_leaks

ACCOUNT = "1609982529920000"
ROLE = f"acs:ram::{ACCOUNT}:role/ci-deployer"
OTHER_ROLE = f"acs:ram::{ACCOUNT}:role/nobody-may"
PROVIDER = f"acs:ram::{ACCOUNT}:oidc-provider/ci"
URN = "urn:pulumi:rel::reliability::pulumi-python:dynamic:ehpc:NodeGroup::federated"
ISSUER = OidcIssuer()


@contextlib.contextmanager
def _sts_world(tmp_path: Path, lifetime_s: int | None = None) -> Iterator[tuple[EmulatorHandle, Path, str]]:
    token_file = tmp_path / "oidc-token"
    jwt = ISSUER.token(lifetime_s=3600)
    token_file.write_text(jwt)
    oidc = OidcProviderSpec(PROVIDER, ISSUER.issuer, (ISSUER.audience,), ISSUER.public_pem)
    with running_emulator(step_seconds=0.05, roles=[RoleSpec(ROLE, (f"oidc:{PROVIDER}",)),
                                                    RoleSpec(OTHER_ROLE, ("LTAInobody",))],
                          oidc_providers=[oidc], sts_lifetime_s=lifetime_s) as emu:
        yield emu, token_file, jwt


def _provider(emu: EmulatorHandle, token_file: Path, **config: str) -> NodeGroupProvider:
    prov = NodeGroupProvider()
    prov._settings = settings_from_config({  # type: ignore[attr-defined]
        "ehpc:endpoint": emu.endpoint, "ehpc:stsEndpoint": emu.endpoint, "ehpc:roleArn": ROLE,
        "ehpc:oidcProviderArn": PROVIDER, "ehpc:oidcTokenFile": str(token_file), **config})
    return prov


def _props(emu: EmulatorHandle, count: int = 2) -> dict[str, Any]:
    return {"cluster_id": emu.cluster_id, "count": count, "urn": URN, "host_name_prefix": "fed-",
            "timeouts": {"create": "5m", "update": "5m", "delete": "5m"}}


def _ours(emu: EmulatorHandle) -> set[str]:
    return {n["InstanceId"] for n in emu.nodes() if n["HostName"].startswith("fed-")}


def _issued_secrets(emu: EmulatorHandle) -> list[str]:
    return [s for t in emu.backend.sts_tokens.values() for s in (t.access_key_secret, t.security_token)]


def test_tokens_expiring_during_a_wait_are_renewed(tmp_path: Path) -> None:
    row = report.record("identities", "OIDC tokens living 3 s, AddNodes task of 12 s, then DeleteNodes",
                        "provider/HTTP", "create and delete succeed; tokens renewed while polling; "
                        "1 AddNodes; no secret in outputs or errors")
    with _sts_world(tmp_path, lifetime_s=3) as (emu, token_file, jwt):
        emu.next_task(action="AddNodes", duration_s=12, total_steps=4)
        prov = _provider(emu, token_file)
        before = emu.stats()["requests"]
        made = prov.create(_props(emu))
        ids = set(made.outs["instance_ids"])
        prov.delete(made.id, dict(made.outs))
        after = emu.stats()["requests"]
        renewals = after.get("AssumeRoleWithOIDC", 0) - before.get("AssumeRoleWithOIDC", 0)
        adds = mutations(before, after).get("AddNodes", 0)
        leaks = find_leaks([repr(made.outs)], [jwt, *_issued_secrets(emu)])
        ok = len(ids) == 2 and renewals >= 3 and adds == 1 and not _ours(emu) and not leaks
        row.finish(f"{len(ids)} nodes, {renewals} token renewals, {adds} AddNodes; {len(_ours(emu))} left",
                   duplicates=adds - 1, leaks=len(_ours(emu)), ok=ok)
    assert ok, row.outcome


def test_an_sts_outage_while_the_credentials_are_valid_does_not_fail_the_wait(tmp_path: Path) -> None:
    row = report.record("identities", "STS answers ServiceUnavailable to every renewal for 6 s (tokens "
                        "living 8 s)", "provider/HTTP", "the wait goes on with the still-valid credentials; "
                        "create succeeds; 1 AddNodes")
    with _sts_world(tmp_path, lifetime_s=8) as (emu, token_file, _jwt):
        emu.next_task(action="AddNodes", duration_s=10, total_steps=4)
        prov = _provider(emu, token_file)
        first = prov._settings.client().credentials  # type: ignore[attr-defined]  # before the outage
        emu.fault(action="AssumeRoleWithOIDC", code="ServiceUnavailable", times=3)
        before = emu.stats()["requests"]
        made = prov.create(_props(emu))
        after = emu.stats()["requests"]
        adds = mutations(before, after).get("AddNodes", 0)
        tried = after.get("AssumeRoleWithOIDC", 0) - before.get("AssumeRoleWithOIDC", 0)
        ok = len(made.outs["instance_ids"]) == 2 and adds == 1 and tried >= 3 and first.access_key_id
        row.finish(f"{len(made.outs['instance_ids'])} nodes, {adds} AddNodes, {tried} renewal attempts "
                   "(3 refused)", duplicates=adds - 1, ok=bool(ok))
        prov.delete(made.id, dict(made.outs))
    assert ok, row.outcome


def _bad(name: str, change: Callable[[Path, dict[str, str]], None], names: str) -> Any:
    return pytest.param(name, change, names, id=name)


def _no_token_file(token_file: Path, config: dict[str, str]) -> None:
    config["ehpc:oidcTokenFile"] = str(token_file.parent / "missing-token")


def _expired_token(token_file: Path, config: dict[str, str]) -> None:
    token_file.write_text(ISSUER.token(lifetime_s=-60))


def _not_allowed(token_file: Path, config: dict[str, str]) -> None:
    config["ehpc:roleArn"] = OTHER_ROLE


def _unknown_profile(token_file: Path, config: dict[str, str]) -> None:
    for key in ("ehpc:roleArn", "ehpc:oidcProviderArn", "ehpc:oidcTokenFile"):
        config[key] = ""
    config["ehpc:profile"] = "no-such-profile"


def _malformed_arn(token_file: Path, config: dict[str, str]) -> None:
    config["ehpc:roleArn"] = "ci-deployer"


@pytest.mark.parametrize("name,change,names", [
    _bad("oidc-token-file-missing", _no_token_file, "ehpc:oidcTokenFile"),
    _bad("oidc-token-expired", _expired_token, "ehpc:oidcTokenFile"),
    _bad("role-not-assumable", _not_allowed, "ehpc:roleArn"),
    _bad("unknown-profile", _unknown_profile, "ehpc:profile"),
    _bad("malformed-role-arn", _malformed_arn, "ehpc:roleArn"),
])
def test_bad_identities_fail_before_any_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                              change: Callable[[Path, dict[str, str]], None], names: str) -> None:
    # Only STS knows who may assume a role: that one fails at create; the rest already at preview.
    at_preview = name != "role-not-assumable"
    row = report.record("identities", f"bad identity: {name}", "provider/HTTP",
                        f"{'preview (check) and ' if at_preview else ''}create fail naming `{names}`; 0 writes; "
                        "no token echoed")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ambient CLI profile
    with _sts_world(tmp_path) as (emu, token_file, jwt):
        config: dict[str, str] = {}
        change(token_file, config)
        prov = _provider(emu, token_file, **config)
        before = emu.stats()["requests"]
        checked = "; ".join(f"{f.property}: {f.reason}" for f in prov.check({}, _props(emu)).failures or [])
        with pytest.raises(Exception) as failed:
            prov.create(_props(emu))
        text = str(failed.value)
        wrote = mutations(before, emu.stats()["requests"])
        leaks = find_leaks([text, checked], [jwt, token_file.read_text(), *_issued_secrets(emu)])
        ok = names in text and (names in checked) == at_preview and not wrote and not _ours(emu) and not leaks
        row.finish(f"{text.splitlines()[0][:130]}; writes {wrote or 0}", leaks=len(_ours(emu)), ok=ok)
    assert ok, row.outcome
