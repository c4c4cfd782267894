"""Every program under examples/ runs through the real engine against the emulator (the quickstart
has its own test in test_quickstart.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from .harness import DEMO_CLUSTER, ROOT, EmulatorProcess, demo_config, make_project

pytestmark = pytest.mark.e2e


def _example(tmp_path: Path, example: str, endpoint: str, stack: str = "dev", **config: str) -> auto.Stack:
    project = make_project(tmp_path / example, example.replace("_", "-"), ROOT / "examples" / example)
    s = auto.create_or_select_stack(stack, work_dir=str(project))
    s.set_all_config({**demo_config(endpoint), **{k: auto.ConfigValue(v) for k, v in config.items()}})
    return s


def test_scale_example(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    stack = _example(tmp_path, "scale", emulator.endpoint, count="2")
    two = stack.up().outputs["instance_ids"].value
    stack.set_config("count", auto.ConfigValue("4"))
    four = stack.up().outputs["instance_ids"].value
    assert four[:2] == two and len(four) == 4
    stack.set_config("count", auto.ConfigValue("1"))
    one = stack.up().outputs["instance_ids"].value
    assert one == two[:1]
    assert [n["InstanceId"] for n in emulator.compute_nodes()] == one
    stack.destroy()
    assert emulator.compute_nodes() == []


def test_partial_failure_example(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    # Only 3 nodes of this shape fit in the zone: asking for 5 ends PartialFail with 3 added.
    with EmulatorProcess("--step-seconds", "0.05", "--capacity", "3") as emulator:
        stack = _example(tmp_path, "partial_failure", emulator.endpoint, count="5")
        log: list[str] = []
        outs = stack.up(on_output=log.append).outputs
        assert len(outs["instance_ids"].value) == 3
        assert outs["failed_count"].value == 2
        assert outs["errors"].value and all(e["code"] for e in outs["errors"].value)
        assert any("PartialFail" in line for line in log)
        assert len(emulator.compute_nodes()) == 3
        stack.destroy()
        assert emulator.compute_nodes() == []


def test_nodepool_from_a_second_stack(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    platform = _example(tmp_path, "platform", emulator.endpoint)
    platform.set_config("rootPassword", auto.ConfigValue("Sup3r-Secret-pw", secret=True))
    cluster_id = platform.up().outputs["cluster_id"].value
    assert cluster_id and cluster_id != DEMO_CLUSTER

    workloads = _example(
        tmp_path, "workloads", emulator.endpoint, platformStack="organization/platform/dev", count="6",
        maxPerGroup="2",
    )
    outs = workloads.up().outputs
    # 6 nodes over 2 zones in groups of at most 2: 4 NodeGroups, waited concurrently.
    assert outs["groups"].value == 4
    ids = outs["solver_ids"].value
    assert len(ids) == 6 == len(set(ids))
    assert sorted(n["InstanceId"] for n in emulator.compute_nodes(cluster_id)) == sorted(ids)
    zones = {n["ZoneId"] for n in emulator.compute_nodes(cluster_id)}
    assert zones == {"cn-hangzhou-j", "cn-hangzhou-k"}

    workloads.destroy()
    assert emulator.compute_nodes(cluster_id) == []
    platform.destroy()
    assert emulator.nodes(cluster_id) == []
