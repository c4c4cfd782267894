"""Every examples/<name> project runs from its own folder, as its README says: its own Pulumi.yaml
(`virtualenv: venv`) and requirements.txt (`-e ../..`), nothing copied or rewritten.

The quickstart's first `pulumi up` creates examples/quickstart/venv from requirements.txt, as a new
user's does. The other examples share this test run's venv (an editable install of this checkout, which
is what `-e ../..` installs) through a `venv` symlink, to save an install each; a `venv` that is already
there is used as it is, as `pulumi up` would."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from .harness import DEMO_CLUSTER, ROOT, EmulatorProcess, demo_config

pytestmark = pytest.mark.e2e

STACK = "e2e"
Example = Callable[..., auto.Stack]


@pytest.fixture
def example(pulumi_env: dict[str, str]) -> Iterator[Example]:
    """Opens examples/<name> as a stack (config: the emulator's, then `config`); removes what it added."""
    opened: list[tuple[auto.Stack, Path | None]] = []

    def open_example(name: str, endpoint: str, shared_venv: bool = True, **config: str) -> auto.Stack:
        folder = ROOT / "examples" / name
        venv = folder / "venv"
        created = None
        if not venv.exists() and not venv.is_symlink():
            created = venv
            if shared_venv:
                venv.symlink_to(sys.prefix, target_is_directory=True)
        stack = auto.create_or_select_stack(STACK, work_dir=str(folder))
        opened.append((stack, created))
        stack.set_all_config({**demo_config(endpoint), **{k: auto.ConfigValue(v) for k, v in config.items()}})
        return stack

    yield open_example
    for stack, created in reversed(opened):
        with contextlib.suppress(auto.CommandError):  # the test failed before destroy; nothing to keep
            stack.workspace.remove_stack(STACK, force=True)
        (Path(stack.workspace.work_dir) / f"Pulumi.{STACK}.yaml").unlink(missing_ok=True)
        if created is not None and created.is_symlink():
            created.unlink()
        elif created is not None:
            shutil.rmtree(created)


def test_quickstart_example(example: Example, emulator: EmulatorProcess) -> None:
    stack = example("quickstart", emulator.endpoint, shared_venv=False, count="2")
    outs = stack.up().outputs
    venv = ROOT / "examples" / "quickstart" / "venv"
    assert (venv / "bin" / "python").exists() and not venv.is_symlink()
    assert outs["task_status"].value == "Success"
    assert sorted(n["InstanceId"] for n in emulator.compute_nodes()) == sorted(outs["instance_ids"].value)
    stack.destroy()
    assert emulator.compute_nodes() == []


def test_scale_example(example: Example, emulator: EmulatorProcess) -> None:
    stack = example("scale", emulator.endpoint, count="2")
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


def test_partial_failure_example(example: Example) -> None:
    # Only 3 nodes of this shape fit in the zone: asking for 5 ends PartialFail with 3 added.
    with EmulatorProcess("--step-seconds", "0.05", "--capacity", "3") as emulator:
        stack = example("partial_failure", emulator.endpoint, count="5")
        log: list[str] = []
        outs = stack.up(on_output=log.append).outputs
        assert len(outs["instance_ids"].value) == 3
        assert outs["failed_count"].value == 2
        assert outs["errors"].value and all(e["code"] for e in outs["errors"].value)
        assert any("PartialFail" in line for line in log)
        assert len(emulator.compute_nodes()) == 3
        stack.destroy()
        assert emulator.compute_nodes() == []


def test_nodepool_from_a_second_stack(example: Example, emulator: EmulatorProcess) -> None:
    platform = example("platform", emulator.endpoint)
    platform.set_config("rootPassword", auto.ConfigValue("Sup3r-Secret-pw", secret=True))
    cluster_id = platform.up().outputs["cluster_id"].value
    assert cluster_id and cluster_id != DEMO_CLUSTER

    workloads = example(
        "workloads", emulator.endpoint, platformStack=f"organization/platform/{STACK}", count="6", maxPerGroup="2"
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
