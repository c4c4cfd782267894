"""The installed `ehpc-tasks` command against the emulator: exit codes, errors, --json, Ctrl-C, tables."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_ehpc_tasks.cli_errors import ExitCode
from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle
from pulumi_ehpc_tasks.wire import EhpcClient, TaskType

from .helpers import wait_for

EXE = shutil.which("ehpc-tasks", path=str(Path(sys.executable).parent))
README = Path(__file__).resolve().parents[2] / "README.md"
# Restore the default SIGINT disposition, then exec the command: a job started in the background of a
# non-interactive shell inherits SIGINT ignored, and the test must not depend on how pytest was started.
TRAMPOLINE = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"


@pytest.fixture
def env(emu: EmulatorHandle) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_", "EHPC_"))}
    return {
        **keep,
        "HOME": "/nonexistent",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": emu.credentials.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": emu.credentials.access_key_secret,
        "EHPC_ENDPOINT": emu.endpoint,
    }


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[EhpcClient]:
    with EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials) as c:
        yield c


def run(env: dict[str, str], *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    assert EXE, "the ehpc-tasks console script is not installed next to this python"
    return subprocess.run([EXE, *args], env={**env, **extra_env}, capture_output=True, text=True, timeout=120)


def only_json(stdout: str) -> Any:
    """stdout holds exactly one JSON document and nothing else."""
    return json.loads(stdout)


def stuck_task(emu: EmulatorHandle, client: EhpcClient, step: int = 2, total: int = 5) -> str:
    emu.admin.post("/_emulator/next-task", json={"stuck_at_step": step, "total_steps": total}).raise_for_status()
    return client.add_nodes(emu.cluster_id, count=1).task_id


def finished(client: EhpcClient, cluster_id: str, task_id: str) -> None:
    wait_for(lambda: any(t.task_id == task_id and t.status.is_terminal
                         for t in client.list_tasks(cluster_id, archived=True).tasks) or None)


# --- exit codes ---------------------------------------------------------------------------------
def test_usage_error_is_not_task_failed(env: dict[str, str]) -> None:
    result = run(env, "tasks", "wait", "t-1", "--cluster-id", "c", "--no-such-option")
    assert result.returncode == ExitCode.USAGE == 64
    assert "No such option" in result.stderr and result.stdout == ""
    assert run(env, "tasks", "list").returncode == ExitCode.USAGE  # --cluster-id missing
    assert run(env, "tasks", "nope").returncode == ExitCode.USAGE


def test_exit_code_table_in_help_and_readme(env: dict[str, str]) -> None:
    readme = README.read_text()
    for args in (["--help"], ["tasks", "wait", "--help"]):
        result = run(env, *args)
        assert result.returncode == 0
        for code in ExitCode:
            assert f"{code.value:>3}  {code.meaning}" in result.stdout, (args, code)
    for code in ExitCode:
        assert f"| {code.value} | {code.meaning} |" in readme, code


@pytest.mark.parametrize("value", ["0", "-5"])
def test_timeout_must_be_positive(env: dict[str, str], value: str) -> None:
    result = run(env, "tasks", "wait", "t-1", "--cluster-id", "c", "--timeout", value)
    assert result.returncode == ExitCode.USAGE
    assert "--timeout" in result.stderr and "x>0" in result.stderr


def test_wait_exit_code_follows_the_outcome(emu: EmulatorHandle, client: EhpcClient, env: dict[str, str]) -> None:
    emu.admin.post("/_emulator/next-task", json={"outcome": "Failed"}).raise_for_status()
    failed = client.add_nodes(emu.cluster_id, count=1).task_id
    result = run(env, "tasks", "wait", failed, "--cluster-id", emu.cluster_id, "--json")
    assert result.returncode == ExitCode.FAILED
    assert only_json(result.stdout)["status"] == "Failed"


# --- connection errors --------------------------------------------------------------------------
def test_refused_connection_names_endpoint_and_host(env: dict[str, str]) -> None:
    result = run(env, "--endpoint", "http://127.0.0.1:1", "tasks", "list", "--cluster-id", "c")
    assert result.returncode == ExitCode.ERROR
    assert "http://127.0.0.1:1" in result.stderr and "host 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_endpoint_without_scheme_says_what_to_pass(emu: EmulatorHandle, env: dict[str, str]) -> None:
    bare = emu.endpoint.removeprefix("http://")
    result = run(env, "--endpoint", bare, "tasks", "list", "--cluster-id", emu.cluster_id)
    assert result.returncode == ExitCode.ERROR
    assert f"https://{bare}" in result.stderr and f"--endpoint http://{bare}" in result.stderr


def test_region_that_resolves_to_nothing(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "EHPC_ENDPOINT"}
    result = run(env, "--region", "xx-nowhere-1", "tasks", "list", "--cluster-id", "c")
    assert result.returncode == ExitCode.ERROR
    assert "ehpc.xx-nowhere-1.aliyuncs.com" in result.stderr and "does not resolve" in result.stderr
    assert "cn-hangzhou" in result.stderr and "--endpoint" in result.stderr


def test_credential_error_lists_only_sources_the_cli_reads(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if not k.startswith("ALIBABA_CLOUD_ACCESS")}
    result = run(env, "tasks", "list", "--cluster-id", "c")
    assert result.returncode == ExitCode.ERROR
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result.stderr and "aliyun" in result.stderr
    assert "Pulumi config" not in result.stderr and "ehpc:accessKeyId" not in result.stderr
    assert "explicit arguments" not in result.stderr


# --- --json -------------------------------------------------------------------------------------
def test_json_errors_are_one_object_on_stdout(emu: EmulatorHandle, env: dict[str, str]) -> None:
    api = run(env, "tasks", "list", "--cluster-id", "ehpc-nope", "--json")
    error = only_json(api.stdout)["error"]
    assert error["code"] == "ClusterNotFound" and error["request_id"] and error["exit_code"] == api.returncode == 1
    wait = run(env, "tasks", "wait", "t-1", "--cluster-id", "ehpc-nope", "--json")
    assert only_json(wait.stdout)["error"]["code"] == "ClusterNotFound"
    usage = run(env, "tasks", "wait", "t-1", "--cluster-id", "c", "--timeout", "0", "--json")
    assert only_json(usage.stdout)["error"] == {
        "code": "UsageError",
        "message": "Invalid value for '--timeout': 0.0 is not in the range x>0.",
        "request_id": None,
        "exit_code": 64,
    } and usage.returncode == 64
    down = run(env, "--endpoint", "http://127.0.0.1:1", "tasks", "wait", "t-1", "--cluster-id", "c", "--json")
    assert only_json(down.stdout)["error"]["code"] == "EndpointUnreachable" and down.returncode == 1
    timeout = run(env, "tasks", "wait", stuck_task_id(emu, env), "--cluster-id", emu.cluster_id,
                  "--timeout", "0.5", "--json")
    assert only_json(timeout.stdout)["error"]["exit_code"] == timeout.returncode == ExitCode.TIMEOUT


def stuck_task_id(emu: EmulatorHandle, env: dict[str, str]) -> str:
    with EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials) as c:
        return stuck_task(emu, c)


# --- Ctrl-C and the progress bar ----------------------------------------------------------------
def test_ctrl_c_prints_how_to_resume_and_exits_130(
    emu: EmulatorHandle, client: EhpcClient, env: dict[str, str]
) -> None:
    task_id = stuck_task(emu, client, step=2, total=5)
    tty = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}  # rich renders the live bar into the pipe
    before = emu.admin.get("/_emulator/stats").json()["requests"].get("ListTasks", 0)
    proc = subprocess.Popen(
        [sys.executable, "-c", TRAMPOLINE, str(EXE), "tasks", "wait", task_id, "--cluster-id", emu.cluster_id],
        env={**env, **tty}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # Two ListTasks: the command's first look, then the waiter's poll; it is inside the wait now.
        wait_for(lambda: emu.admin.get("/_emulator/stats").json()["requests"].get("ListTasks", 0) >= before + 2 or None)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED == 130
    assert f"ehpc-tasks tasks wait {task_id} --cluster-id {emu.cluster_id}" in err
    assert "2/5" in err  # the step the service reported, shown by the bar
    assert "Traceback" not in err and out == ""


# --- tasks list ---------------------------------------------------------------------------------
def test_list_keeps_task_ids_whole_at_80_columns(emu: EmulatorHandle, client: EhpcClient, env: dict[str, str]) -> None:
    emu.admin.post("/_emulator/next-task", json={"outcome": "Failed"}).raise_for_status()
    ids = [client.add_nodes(emu.cluster_id, count=1).task_id, stuck_task(emu, client)]
    finished(client, emu.cluster_id, ids[0])
    result = run(env, "tasks", "list", "--cluster-id", emu.cluster_id, "--archived", COLUMNS="80")
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    for task_id in ids:
        assert any(task_id in line for line in result.stdout.splitlines()), task_id
    assert "errors:" in result.stdout  # the failed task's errors, below the table


def test_list_filters(emu: EmulatorHandle, client: EhpcClient, env: dict[str, str]) -> None:
    stopped = client.stop_cluster(emu.cluster_id).task_id
    finished(client, emu.cluster_id, stopped)
    finished(client, emu.cluster_id, client.start_cluster(emu.cluster_id).task_id)
    added = [stuck_task(emu, client) for _ in range(3)]

    def listed(*args: str) -> list[str]:
        result = run(env, "tasks", "list", "--cluster-id", emu.cluster_id, "--archived", "--json", *args)
        assert result.returncode == 0, result.stderr
        return [t["task_id"] for t in only_json(result.stdout)["tasks"]]

    assert {*added, stopped} <= set(listed()) and len(listed()) == 5
    assert listed("--task-id", added[1]) == [added[1]]
    assert set(listed("--type", TaskType.ADD_COMPUTES.value)) == set(added)
    assert listed("--type", TaskType.STOP_CLUSTER.value) == [stopped]
    calls = emu.admin.get("/_emulator/stats").json()["requests"]["ListTasks"]
    assert set(listed("--page-size", "1", "--type", TaskType.ADD_COMPUTES.value)) == set(added)
    assert emu.admin.get("/_emulator/stats").json()["requests"]["ListTasks"] - calls == 5  # every page, filtered here
    assert run(env, "tasks", "list", "--cluster-id", "c", "--type", "Bogus").returncode == ExitCode.USAGE
    assert "ListTasks cannot filter by type" in " ".join(run(env, "tasks", "list", "--help").stdout.split())
