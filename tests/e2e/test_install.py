"""The package as an infra repo consumes it: the built wheel (not this checkout) in a project outside the
repo, whose Pulumi.yaml uses the ordinary `virtualenv: venv` and whose requirements.txt names the wheel."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from .harness import DEMO_KEY_ID, DEMO_SECRET, ROOT, EmulatorProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROGRAM = '''\
import pulumi
import pulumi_ehpc_tasks
from pulumi_ehpc_tasks import NodeGroup

group = NodeGroup("compute", cluster_id="ehpc-hz-demo000001", count=2, instance_type="ecs.c7.large")
pulumi.export("instance_ids", group.instance_ids)
pulumi.export("module_file", pulumi_ehpc_tasks.__file__)
'''


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], check=True, capture_output=True
    )
    return next(out.glob("*.whl"))


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A venv with `pip install <wheel>` and no extra."""
    venv = tmp_path_factory.mktemp("plain") / "venv"
    subprocess.run([_user_python(), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True)
    return venv


@pytest.fixture
def installed_emulator(plain_install: Path) -> Iterator[EmulatorProcess]:
    command = [str(plain_install / "bin" / "ehpc-tasks"), "emulator", "serve"]
    with EmulatorProcess("--step-seconds", "0.05", command=command) as emu:
        yield emu


def _user_python() -> str:
    """`python3` as a user's shell finds it: not this test run's venv."""
    found = shutil.which("python3", path=_user_path(os.environ["PATH"]))
    assert found
    return found


def _user_path(path: str) -> str:
    venv_bin = str(Path(sys.executable).parent)
    return os.pathsep.join(p for p in path.split(os.pathsep) if p != venv_bin)


def _shim() -> ModuleType:
    spec = importlib.util.spec_from_file_location("langhost_shim", ROOT / "scripts" / "engine" / "langhost_shim.py")
    assert spec and spec.loader
    module = sys.modules["langhost_shim"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_installed_emulator_serves_without_the_extra(installed_emulator: EmulatorProcess) -> None:
    assert installed_emulator.endpoint.startswith("http://127.0.0.1:")
    assert httpx.get(f"{installed_emulator.endpoint}/_emulator/health", timeout=10).status_code == 200
    assert not any("Traceback" in line for line in installed_emulator.banner)


def test_language_host_finds_no_resource_plugin_to_download(
    plain_install: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Go host takes any `pulumi-*` distribution without a pulumi-plugin.json for a resource plugin,
    # and the engine would then try to download `ehpc-tasks` on every `pulumi up`.
    monkeypatch.chdir(tmp_path)  # the scan runs `python -c` in the host's folder: not this checkout
    shim = _shim()
    assert shim.Pip("venv", plain_install).plugin_packages() == []


def test_pulumi_up_and_destroy_from_the_wheel(
    tmp_path: Path, wheel: Path, pulumi_env: dict[str, str], installed_emulator: EmulatorProcess
) -> None:
    project = tmp_path / "infra"
    (project / "vendor").mkdir(parents=True)
    shutil.copy(wheel, project / "vendor")
    (project / "Pulumi.yaml").write_text(
        "name: infra\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n"
    )
    (project / "requirements.txt").write_text(f"./vendor/{wheel.name}\n")
    (project / "__main__.py").write_text(PROGRAM)
    env = {**os.environ, "PATH": _user_path(os.environ["PATH"])}

    def pulumi(*args: str) -> str:
        proc = subprocess.run(["pulumi", *args], cwd=project, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout

    pulumi("stack", "init", "dev", "--non-interactive")
    pulumi("config", "set", "ehpc:endpoint", installed_emulator.endpoint)
    pulumi("config", "set", "ehpc:region", "cn-hangzhou")
    pulumi("config", "set", "ehpc:accessKeyId", DEMO_KEY_ID)
    pulumi("config", "set", "--secret", "ehpc:accessKeySecret", DEMO_SECRET)
    # The language host creates ./venv from requirements.txt on this first `up`.
    pulumi("up", "--yes", "--non-interactive", "--skip-preview")

    outputs = json.loads(pulumi("stack", "output", "--json"))
    venv = project / "venv"
    assert Path(outputs["module_file"]).is_relative_to(venv)  # the wheel in ./venv, not this checkout
    assert not list(venv.glob("lib/python*/site-packages/__editable__*"))
    assert sorted(n["InstanceId"] for n in installed_emulator.compute_nodes()) == sorted(outputs["instance_ids"])
    assert len(outputs["instance_ids"]) == 2

    pulumi("destroy", "--yes", "--non-interactive", "--skip-preview")
    assert installed_emulator.compute_nodes() == []
