"""Stacks created by v0.1 (commit 03a4187) keep working: import its exported state, refresh, scale, destroy.

The fixture (`tests/fixtures/state_v0_1`, made by its `make_fixture.py` with that commit's code) holds a
NodeGroup, a Cluster and a TaskWait whose providers are pickled by class path, and the emulator state
they refer to. The only edit before import is the loopback port of the emulator, which the default
provider's inputs recorded: an address of the old test run, not something the code wrote.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .harness import DEMO_CLUSTER, DEMO_KEY_ID, DEMO_SECRET, EmulatorProcess, engine_dir, mutations, offline_env

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "state_v0_1"
PROVIDER_CLASSES = (
    "pulumi_ehpc_tasks.provider.nodegroup",
    "pulumi_ehpc_tasks.provider.cluster",
    "pulumi_ehpc_tasks.provider.taskwait",
)


class Project:
    def __init__(self, root: Path) -> None:
        self.dir = root / "project"
        self.dir.mkdir()
        shutil.copy(FIXTURE / "program" / "__main__.py", self.dir / "__main__.py")
        (self.dir / "Pulumi.yaml").write_text(
            "name: ehpc-compat\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
            f"    virtualenv: {Path(sys.prefix)}\n"
        )
        self.env = offline_env(root / "state", engine_dir())

    def run(self, *argv: str) -> str:
        proc = subprocess.run(["pulumi", *argv, "--non-interactive"], cwd=self.dir, env=self.env,
                              capture_output=True, text=True, check=False, timeout=600)
        assert proc.returncode == 0, f"pulumi {' '.join(argv)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        return proc.stdout

    def resources(self) -> dict[str, dict[str, Any]]:
        exported = json.loads(self.run("stack", "export"))
        return {r["urn"].split("::")[-1]: r for r in exported["deployment"]["resources"]}


def _emulator_state(dest: Path) -> Path:
    db = sqlite3.connect(dest)
    db.executescript((FIXTURE / "emulator-state.sql").read_text())
    db.close()
    return dest


def test_fixture_pickles_name_todays_provider_modules() -> None:
    """The fixture really is pickled by class path (else the e2e test below would prove nothing)."""
    resources = json.loads((FIXTURE / "stack.json").read_text())["deployment"]["resources"]
    pickles = [r["inputs"]["__provider"] for r in resources if "__provider" in r.get("inputs", {})]
    assert len(pickles) == 3
    blobs = b"".join(base64.b64decode(p) for p in pickles)
    for module in PROVIDER_CLASSES:
        assert module.encode() in blobs


def test_v0_1_stack_refreshes_scales_and_destroys(tmp_path: Path) -> None:
    with EmulatorProcess("--state", str(_emulator_state(tmp_path / "emu.sqlite")), "--step-seconds", "0.2") as emu:
        old_endpoint = (FIXTURE / "endpoint.txt").read_text().strip()
        exported = (FIXTURE / "stack.json").read_text().replace(old_endpoint, emu.endpoint)
        (tmp_path / "stack.json").write_text(exported)
        group_before = {n["InstanceId"] for n in emu.compute_nodes() if n["HostName"].startswith("compat-")}
        assert len(group_before) == 2
        cluster_id = json.loads(exported)["deployment"]["resources"][0]["outputs"]["cluster_id"]

        project = Project(tmp_path)
        project.run("stack", "init", "compat")
        project.run("stack", "import", "--file", str(tmp_path / "stack.json"))
        project.run("config", "set", "ehpc:endpoint", emu.endpoint)
        project.run("config", "set", "ehpc:region", "cn-hangzhou")
        project.run("config", "set", "ehpc:accessKeyId", DEMO_KEY_ID)
        project.run("config", "set", "--secret", "ehpc:accessKeySecret", DEMO_SECRET)
        project.run("config", "set", "--secret", "password", "Compat-Pa55word!")

        before = emu.requests()
        project.run("refresh", "--yes")
        assert mutations(before, emu.requests()) == {}
        refreshed = project.resources()
        assert sorted(refreshed["compute"]["outputs"]["instance_ids"]) == sorted(group_before)

        project.run("config", "set", "count", "3")
        before = emu.requests()
        out = project.run("up", "--yes", "--skip-preview")
        assert mutations(before, emu.requests()) == {"AddNodes": 1}, out
        # The group scales in place; the TaskWait follows the group's newest task (its task_id), so it
        # is replaced by design; the cluster is untouched.
        replaced = {line.split()[2] for line in out.splitlines()
                    if line.strip().startswith(("+-", "++", "--")) and "dynamic/ehpc:" in line}
        assert replaced == {"add-wait"}, out
        scaled = project.resources()
        ids = scaled["compute"]["outputs"]["instance_ids"]
        assert len(ids) == 3 and group_before <= set(ids)
        live = {n["InstanceId"] for n in emu.compute_nodes() if n["HostName"].startswith("compat-")}
        assert live == set(ids)

        before = emu.requests()
        project.run("destroy", "--yes", "--skip-preview")
        done = mutations(before, emu.requests())
        assert done.get("DeleteNodes") == 1 and done.get("DeleteCluster") == 1, done
        assert not [n for n in emu.compute_nodes(DEMO_CLUSTER) if n["HostName"].startswith("compat-")]
        assert not emu.nodes(cluster_id)
