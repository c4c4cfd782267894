"""Two regions under two identities in one stack, through the real engine: a NodeGroup on the stack-level
settings (one emulator, region cn-hangzhou) and one whose `connection` names another region and endpoint
(a second emulator, cn-shanghai, with other keys) and an identity kept in secret stack config
(`config_namespace`). Both emulators seed the same cluster id, so nothing may mix them up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import NodeGroup
from tests.reliability.engine import scan_stack

from .harness import DEMO_CLUSTER, DEMO_SECRET, EmulatorProcess, inline_stack, mutations

pytestmark = pytest.mark.e2e

SH_KEY_ID = "LTAIshanghaiAcct0002"
SH_SECRET = "shanghaiSecretR8kP3vN6xQ1zM4bT7wY0"


@pytest.fixture
def shanghai(tmp_path: Path) -> Iterator[EmulatorProcess]:
    """The second region: its own port, state, region and keys (the stack-level keys are refused there)."""
    with EmulatorProcess("--step-seconds", "0.05", "--seed", "8", "--state", str(tmp_path / "sh.db"),
                         "--region", "cn-shanghai", "--access-key-id", SH_KEY_ID,
                         "--access-key-secret", SH_SECRET) as emu:
        yield emu


def _program() -> None:
    cfg = pulumi.Config()
    timeouts = {"create": "5m", "update": "5m", "delete": "5m"}
    hz = NodeGroup("hz", cluster_id=DEMO_CLUSTER, count=cfg.require_int("hzCount"), instance_type="ecs.c7.large",
                   timeouts=timeouts)
    sh = NodeGroup("sh", cluster_id=DEMO_CLUSTER, count=cfg.require_int("shCount"), instance_type="ecs.c7.large",
                   timeouts=timeouts, connection={"region": "cn-shanghai", "endpoint": cfg.require("shEndpoint"),
                                                  "config_namespace": cfg.require("shIdentity")})
    pulumi.export("hz", hz.instance_ids)
    pulumi.export("sh", sh.instance_ids)


def _set(stack: auto.Stack, **values: str) -> None:
    for key, value in values.items():
        stack.set_config(key, auto.ConfigValue(value))


def _stack(hangzhou: EmulatorProcess, shanghai: EmulatorProcess, name: str, **config: str) -> auto.Stack:
    stack = inline_stack(name, _program, hangzhou.endpoint,
                         {"shEndpoint": shanghai.endpoint, "shIdentity": "acct2", **config})
    for namespace in ("acct2", "acct3"):  # two names for one account: an identity change, nothing else
        stack.set_config(f"{namespace}:accessKeyId", auto.ConfigValue(SH_KEY_ID))
        stack.set_config(f"{namespace}:accessKeySecret", auto.ConfigValue(SH_SECRET, secret=True))
    return stack


def _ids(emu: EmulatorProcess) -> set[str]:
    return {n["InstanceId"] for n in emu.compute_nodes(DEMO_CLUSTER)}


def test_two_regions_two_identities_one_stack(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess, shanghai: EmulatorProcess
) -> None:
    hangzhou = emulator
    stack = _stack(hangzhou, shanghai, "regions", hzCount="1", shCount="2")
    texts: list[str] = []

    up = stack.up()
    texts.append(up.stdout)
    assert set(up.outputs["hz"].value) == _ids(hangzhou) and len(_ids(hangzhou)) == 1
    assert set(up.outputs["sh"].value) == _ids(shanghai) and len(_ids(shanghai)) == 2

    # Scale both, in opposite directions: each region sees only its own group's calls.
    hz_before, sh_before = hangzhou.requests(), shanghai.requests()
    _set(stack, hzCount="2", shCount="1")
    up = stack.up()
    texts.append(up.stdout)
    assert mutations(hz_before, hangzhou.requests()) == {"AddNodes": 1}
    assert mutations(sh_before, shanghai.requests()) == {"DeleteNodes": 1}
    assert set(up.outputs["hz"].value) == _ids(hangzhou) and len(_ids(hangzhou)) == 2
    assert set(up.outputs["sh"].value) == _ids(shanghai) and len(_ids(shanghai)) == 1

    # Another identity for the same account and region: an update in place, no API write anywhere.
    hz_before, sh_before = hangzhou.requests(), shanghai.requests()
    _set(stack, shIdentity="acct3")
    up = stack.up()
    texts.append(up.stdout)
    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert mutations(hz_before, hangzhou.requests()) == {} and mutations(sh_before, shanghai.requests()) == {}

    # Refresh reads each group back from its own region.
    texts.append(stack.refresh().stdout)
    texts.append(stack.destroy().stdout)
    assert _ids(hangzhou) == set() and _ids(shanghai) == set()
    assert scan_stack(stack, *texts, secrets=(DEMO_SECRET, SH_SECRET)) == []


@pytest.mark.parametrize(("config", "prop", "fragment"), [
    ({"shIdentity": "acct9"}, "connection.config_namespace", "acct9:accessKeyId, acct9:accessKeySecret"),
    ({"shIdentity": SH_SECRET}, "connection.config_namespace", "looks like a secret"),
])
def test_bad_connections_fail_at_preview_naming_the_property(
    pulumi_env: dict[str, str], emulator: EmulatorProcess, shanghai: EmulatorProcess,
    config: dict[str, str], prop: str, fragment: str
) -> None:
    stack = _stack(emulator, shanghai, "bad", hzCount="1", shCount="1", **config)
    before: list[Any] = [emulator.requests(), shanghai.requests()]
    with pytest.raises(auto.CommandError) as err:
        stack.preview()
    assert prop in str(err.value) and fragment in str(err.value)
    assert mutations(before[0], emulator.requests()) == {} and mutations(before[1], shanghai.requests()) == {}
    assert scan_stack(stack, str(err.value), secrets=(DEMO_SECRET, SH_SECRET)) == []
