"""Production identities through the real engine, against the emulator's STS peer: an OIDC-federated
stack whose tokens live 60 s completes a wait of three minutes, and a two-hop RamRoleArn chain from an
Alibaba CLI profile manages nodes. No secret, STS token or OIDC token reaches state, logs or output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup
from tests.emulator.helpers import OidcIssuer
from tests.reliability.engine import scan_stack

from .harness import DEMO_CLUSTER, DEMO_KEY_ID, DEMO_SECRET, EmulatorProcess, wait_until

pytestmark = pytest.mark.e2e
ACCOUNT = "1609982529920000"
DEPLOYER = f"acs:ram::{ACCOUNT}:role/ci-deployer"
HOP = f"acs:ram::{ACCOUNT}:role/platform-hop"
PROVIDER = f"acs:ram::{ACCOUNT}:oidc-provider/ci"
WAIT_S = 180  # three token lifetimes of 60 s


def _program(count: int, prefix: str) -> Any:
    def program() -> None:
        group = NodeGroup("compute", cluster_id=DEMO_CLUSTER, count=count, host_name_prefix=prefix,
                          timeouts={"create": "10m"})
        pulumi.export("ids", group.instance_ids)

    return program


def _stack(name: str, count: int, prefix: str, config: dict[str, auto.ConfigValue]) -> auto.Stack:
    stack = auto.create_or_select_stack(name, project_name="identities", program=_program(count, prefix))
    stack.set_all_config(config)
    return stack


def _settled(emulator: EmulatorProcess) -> None:
    wait_until(lambda: not emulator.admin("GET", "health")["open_tasks"], timeout_s=60)


def _ours(emulator: EmulatorProcess, prefix: str) -> set[str]:
    return {n["InstanceId"] for n in emulator.compute_nodes() if n["HostName"].startswith(prefix)}


def test_oidc_identity_with_60s_tokens_completes_a_three_minute_wait(
        pulumi_env: dict[str, str], tmp_path: Path) -> None:
    issuer = OidcIssuer()
    key = tmp_path / "oidc.pem"
    key.write_text(issuer.public_pem)
    token_file = tmp_path / "oidc-token"
    jwt = issuer.token(lifetime_s=3600)
    token_file.write_text(jwt)
    args = ("--step-seconds", "0.05", "--seed", "3", "--sts-lifetime", "60",
            "--oidc-provider", f"{PROVIDER},issuer={issuer.issuer},audience={issuer.audience},key={key}",
            "--role", f"{DEPLOYER}=oidc:{PROVIDER}")
    with EmulatorProcess(*args) as emulator:
        emulator.admin("POST", "next-task", json={"action": "AddNodes", "duration_s": WAIT_S, "total_steps": 6})
        # No access key anywhere: the stack's identity is the CI job's federated token, by reference.
        config = {
            "ehpc:endpoint": auto.ConfigValue(emulator.endpoint),
            "ehpc:region": auto.ConfigValue("cn-hangzhou"),
            "ehpc:stsEndpoint": auto.ConfigValue(emulator.endpoint),
            "ehpc:roleArn": auto.ConfigValue(DEPLOYER),
            "ehpc:roleSessionName": auto.ConfigValue("ci-run-42"),
            "ehpc:oidcProviderArn": auto.ConfigValue(PROVIDER),
            "ehpc:oidcTokenFile": auto.ConfigValue(str(token_file)),
        }
        stack = _stack("oidc", 2, "oidc-", config)
        up = stack.up()
        ids = set(up.outputs["ids"].value)
        assert len(ids) == 2 and ids == _ours(emulator, "oidc-")
        requests = emulator.requests()
        # Tokens live 60 s and the wait took 180 s: the credentials were renewed while polling.
        assert requests.get("AssumeRoleWithOIDC", 0) >= 3, requests
        assert requests.get("ListTasks", 0) >= 3, requests
        stack.destroy()
        _settled(emulator)
        assert _ours(emulator, "oidc-") == set()
        issued = emulator.admin("GET", "sts-tokens")["tokens"]
        assert len(issued) >= 3
        secrets = [jwt, *(t[k] for t in issued for k in ("AccessKeySecret", "SecurityToken"))]
        assert scan_stack(stack, up.stdout, up.stderr, secrets=secrets) == []


def test_ram_role_chain_from_a_cli_profile(pulumi_env: dict[str, str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # The CI user may assume only the hop role; only sessions of the hop role may assume the deployer.
    args = ("--step-seconds", "0.05", "--seed", "4",
            "--role", f"{HOP}={DEMO_KEY_ID}", "--role", f"{DEPLOYER}={HOP}")
    home = tmp_path / "home"
    (home / ".aliyun").mkdir(parents=True)
    (home / ".aliyun" / "config.json").write_text(json.dumps({"current": "deploy", "profiles": [
        {"name": "hop", "mode": "RamRoleArn", "access_key_id": DEMO_KEY_ID, "access_key_secret": DEMO_SECRET,
         "ram_role_arn": HOP, "ram_session_name": "hop-session", "region_id": "cn-hangzhou"},
        {"name": "deploy", "mode": "ChainableRamRoleArn", "source_profile": "hop", "ram_role_arn": DEPLOYER,
         "ram_session_name": "deploy-session", "region_id": "cn-hangzhou"},
    ]}))
    monkeypatch.setenv("HOME", str(home))
    with EmulatorProcess(*args) as emulator:
        config = {
            "ehpc:endpoint": auto.ConfigValue(emulator.endpoint),
            "ehpc:region": auto.ConfigValue("cn-hangzhou"),
            "ehpc:stsEndpoint": auto.ConfigValue(emulator.endpoint),
            "ehpc:profile": auto.ConfigValue("deploy"),
        }
        stack = _stack("chain", 1, "chain-", config)
        up = stack.up()
        assert set(up.outputs["ids"].value) == _ours(emulator, "chain-") and len(up.outputs["ids"].value) == 1
        assert emulator.requests().get("AssumeRole", 0) >= 2  # the hop, then the deployer from the hop's session
        stack.set_config("ehpc:profile", auto.ConfigValue("nobody"))
        stack.workspace.program = _program(2, "chain-")
        with pytest.raises(auto.CommandError) as unknown:
            stack.up()
        assert "nobody" in str(unknown.value) and "profile" in str(unknown.value)
        assert len(_ours(emulator, "chain-")) == 1, "an unknown profile changed nothing"
        stack.set_config("ehpc:profile", auto.ConfigValue("deploy"))
        # Fixing the config and running `up` again converges (destroy would use the provider config the
        # last deployment recorded, as for any Pulumi provider).
        again = stack.up()
        assert len(set(again.outputs["ids"].value)) == 2 == len(_ours(emulator, "chain-"))
        issued = emulator.admin("GET", "sts-tokens")["tokens"]
        stack.destroy()
        _settled(emulator)
        assert _ours(emulator, "chain-") == set()
        secrets = [DEMO_SECRET, *(t[k] for t in issued for k in ("AccessKeySecret", "SecurityToken"))]
        assert scan_stack(stack, up.stdout, up.stderr, str(unknown.value), secrets=secrets) == []
