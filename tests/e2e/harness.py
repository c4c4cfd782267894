"""The real engine and the emulator, as our end-to-end tests (and benchmarks) use them.

`engine_dir()` finds or builds `pulumi` + the Python language host (scripts/engine/engine.sh);
`EmulatorProcess` runs `python -m pulumi_ehpc_tasks.emulator` as a real server on a free port;
`offline_env()` is the environment the engine needs to run with a local file backend and no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEMO_KEY_ID = "LTAIemulatorDEMO0001"
DEMO_SECRET = "emulatorDemoSecret0123456789ABCDEF"
DEMO_CLUSTER = "ehpc-hz-demo000001"


class EngineUnavailable(RuntimeError):
    pass


def engine_dir() -> Path:
    """The directory holding `pulumi` and the language host, building them once if needed."""
    given = os.environ.get("EHPC_ENGINE_DIR")
    if given and (Path(given) / "pulumi").exists():
        return Path(given)
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "engine" / "engine.sh")], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise EngineUnavailable(proc.stderr[-2000:])
    return Path(proc.stdout.strip().splitlines()[-1])


def offline_env(state_dir: Path, engine: Path) -> dict[str, str]:
    """Environment for the CLI: local file backend, isolated PULUMI_HOME, no downloads, no prompts."""
    (state_dir / "backend").mkdir(parents=True, exist_ok=True)
    (state_dir / "home").mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    return {
        "PATH": f"{engine}{os.pathsep}{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "EHPC_HARNESS_PYTHON": sys.executable,
        "PULUMI_HOME": str(state_dir / "home"),
        "PULUMI_BACKEND_URL": f"file://{state_dir / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_DISABLE_REGISTRY_RESOLVE": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


class EmulatorProcess:
    """`python -m pulumi_ehpc_tasks.emulator` (or `command`, e.g. an installed `ehpc-tasks emulator serve`)
    on 127.0.0.1:0, stopped on exit."""

    def __init__(self, *args: str, log_path: Path | None = None, command: list[str] | None = None) -> None:
        self.args = list(args)
        self.command = command or [sys.executable, "-m", "pulumi_ehpc_tasks.emulator"]
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.banner: list[str] = []

    def __enter__(self) -> EmulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        cmd = [*self.command, "--port", "0", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        match = re.search(r"http://[\w.\-\[\]:]+:\d+", first)
        if not match:
            rest = self.proc.stdout.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"emulator did not print its endpoint: {first!r} {rest[-2000:]}")
        self.endpoint = match.group(0)
        self.banner = [first]
        # Drain the rest of stdout so the server never blocks on a full pipe.
        import threading

        def drain() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.banner.append(line)

        threading.Thread(target=drain, daemon=True).start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = httpx.request(method, f"{self.endpoint}/_emulator/{path}", timeout=10, **kwargs)
        resp.raise_for_status()
        return resp.json()

    def nodes(self, cluster_id: str | None = None) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = self.admin("GET", "nodes")["nodes"]
        return [n for n in nodes if cluster_id is None or n["ClusterId"] == cluster_id]

    def compute_nodes(self, cluster_id: str = DEMO_CLUSTER) -> list[dict[str, Any]]:
        return [n for n in self.nodes(cluster_id) if str(n["Role"]).lower() == "compute"]

    def requests(self) -> Mapping[str, int]:
        counts: Mapping[str, int] = self.admin("GET", "stats")["requests"]
        return counts


def wait_until(predicate: Any, timeout_s: float = 30.0, interval_s: float = 0.1) -> Any:
    """Poll a condition with a generous deadline (no timing assertions, only an upper bound)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(interval_s)


def make_project(dest: Path, name: str, program: Path) -> Path:
    """A project directory running `program` (an examples/ folder) on this interpreter."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "Pulumi.yaml").write_text(
        f"name: {name}\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        f"    virtualenv: {Path(sys.prefix)}\n"
    )
    for source in program.glob("*.py"):
        (dest / source.name).write_text(source.read_text())
    return dest


def demo_config(endpoint: str, secret: str = DEMO_SECRET) -> dict[str, Any]:
    """Stack config pointing the provider at the emulator (the secret as a Pulumi secret)."""
    from pulumi import automation as auto

    return {
        "ehpc:endpoint": auto.ConfigValue(endpoint),
        "ehpc:region": auto.ConfigValue("cn-hangzhou"),
        "ehpc:accessKeyId": auto.ConfigValue(DEMO_KEY_ID),
        "ehpc:accessKeySecret": auto.ConfigValue(secret, secret=True),
    }


def inline_stack(stack: str, program: Any, endpoint: str, config: Mapping[str, str] | None = None) -> Any:
    """An Automation-API stack for an inline program, pointed at the emulator."""
    from pulumi import automation as auto

    s = auto.create_or_select_stack(stack, project_name="e2e", program=program)
    s.set_all_config({**demo_config(endpoint), **{k: auto.ConfigValue(v) for k, v in (config or {}).items()}})
    return s


def mutations(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """How many calls of each mutating action happened between two stats snapshots."""
    from pulumi_ehpc_tasks.wire.actions import ACTIONS, ACTIONS_2024

    writes = sorted({name for table in (ACTIONS, ACTIONS_2024) for name, spec in table.items() if not spec.read_only})
    return {a: after.get(a, 0) - before.get(a, 0) for a in writes if after.get(a, 0) != before.get(a, 0)}


def resource_outputs(stack: Any, name: str) -> dict[str, Any]:
    """The outputs the state holds for the resource called `name` (refresh updates these, not exports)."""
    for res in stack.export_stack().deployment["resources"]:
        if res["urn"].endswith(f"::{name}"):
            outputs: dict[str, Any] = res.get("outputs", {})
            return outputs
    raise KeyError(name)
