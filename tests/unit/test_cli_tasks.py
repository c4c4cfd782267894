"""`ehpc-tasks tasks list|wait` through click's runner, with the HTTP side mocked."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pulumi_ehpc_tasks import cli
from pulumi_ehpc_tasks.wire import EhpcClient

ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIcli",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "cliSecretValue0123",
    "ALIBABA_CLOUD_REGION_ID": "cn-hangzhou",
    "HOME": "/nonexistent",
}


def task(status: str = "Processing", step: int = 1, **over: Any) -> dict[str, Any]:
    return {
        "TaskId": "t-1",
        "ClusterId": "c-1",
        "TaskType": "AddComputes",
        "Status": status,
        "CurrentStep": step,
        "TotalSteps": 3,
        "Errors": "[]",
        "Request": "{}",
        "Result": json.dumps(
            {
                "Instances": [
                    {"InstanceId": "i-1", "Ip": "10.0.0.1", "Hostname": "compute0", "role": "compute"}
                ]
            }
        ),
        **over,
    }


def patch_client(monkeypatch: pytest.MonkeyPatch, handler: Callable[[httpx.Request], httpx.Response]) -> None:
    monkeypatch.setattr(
        cli, "EhpcClient", functools.partial(EhpcClient, transport=httpx.MockTransport(handler))
    )


def run(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli.main, args, env=ENV if env is None else env, catch_exceptions=False)


def test_list_table_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        tasks = [task(), task("Fail", 3, TaskId="t-2", Errors="quota exceeded")]
        return httpx.Response(200, json={"RequestId": "r", "TotalCount": 2, "Tasks": tasks})

    patch_client(monkeypatch, handler)
    result = run(["tasks", "list", "--cluster-id", "c-1", "--archived"])
    assert result.exit_code == 0, result.output
    assert "t-1" in result.output and "AddComputes" in result.output and "1/3" in result.output
    assert "quota exceeded" in result.output
    assert "Archived=true" in str(seen[0].url) and seen[0].url.host == "ehpc.cn-hangzhou.aliyuncs.com"
    result = run(["tasks", "list", "--cluster-id", "c-1", "--json"])
    data = json.loads(result.stdout)
    assert data["total_count"] == 2 and data["cluster_id"] == "c-1"
    tasks = data["tasks"]
    assert [t["task_id"] for t in tasks] == ["t-1", "t-2"] and tasks[1]["status"] == "Failed"


def test_list_pages_until_total(monkeypatch: pytest.MonkeyPatch) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["PageNumber"])
        return httpx.Response(
            200,
            json={
                "TotalCount": 51,
                "Tasks": [task(TaskId=f"t-{page}-{i}") for i in range(50 if page == 1 else 1)],
            },
        )

    patch_client(monkeypatch, handler)
    data = json.loads(run(["tasks", "list", "--cluster-id", "c", "--json"]).stdout)
    assert len(data["tasks"]) == 51 == data["total_count"]


def test_endpoint_option_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(str(request.url.netloc.decode()))
        return httpx.Response(200, json={"TotalCount": 0, "Tasks": []})

    patch_client(monkeypatch, handler)
    assert run(["--endpoint", "http://127.0.0.1:7000", "tasks", "list", "--cluster-id", "c"]).exit_code == 0
    assert (
        run(
            ["tasks", "list", "--cluster-id", "c"], env={**ENV, "EHPC_ENDPOINT": "http://localhost:7001"}
        ).exit_code
        == 0
    )
    # Connection options also work after the subcommand, and win over the group's.
    assert run(["--endpoint", "http://127.0.0.1:1", "tasks", "list", "--cluster-id", "c",
                "--endpoint", "http://127.0.0.1:7002"]).exit_code == 0
    assert hosts == ["127.0.0.1:7000", "localhost:7001", "127.0.0.1:7002"]
    result = run(["--endpoint", "http://10.1.2.3", "tasks", "list", "--cluster-id", "c"])
    assert result.exit_code == 1 and "refusing plain http" in result.output


def test_missing_credentials_lists_sources_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALICLOUD_ACCESS_KEY",
        "ALICLOUD_SECRET_KEY",
        "ALIBABA_CLOUD_ECS_METADATA",
        "ALIBABA_CLOUD_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    result = run(
        ["tasks", "list", "--cluster-id", "c"], env={"HOME": "/nonexistent", "ALIBABA_CLOUD_REGION_ID": "x"}
    )
    assert result.exit_code == 1
    assert "Sources tried" in result.output and "ALICLOUD_ACCESS_KEY" in result.output
    assert "Traceback" not in result.output


def test_api_error_is_reported_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_client(
        monkeypatch,
        lambda r: httpx.Response(404, json={"Code": "ClusterNotFound", "Message": "gone", "RequestId": "R9"}),
    )
    result = run(["tasks", "list", "--cluster-id", "nope"])
    assert result.exit_code == 1 and "ClusterNotFound" in result.output and "R9" in result.output


@pytest.mark.parametrize(("final", "code"), [("Success", 0), ("Failed", 2), ("PartialFail", 3)])
def test_wait_exit_codes(monkeypatch: pytest.MonkeyPatch, final: str, code: int) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        status = "Processing" if calls["n"] == 1 else final
        return httpx.Response(
            200, json={"TotalCount": 1, "Tasks": [task(status, 3 if calls["n"] > 1 else 1)]}
        )

    patch_client(monkeypatch, handler)
    result = run(["tasks", "wait", "t-1", "--cluster-id", f"c-{final}", "--timeout", "60", "--json"])
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert data["status"] == final and data["task"]["result"]["instances"][0]["instance_id"] == "i-1"


def test_wait_timeout_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_client(monkeypatch, lambda r: httpx.Response(200, json={"TotalCount": 1, "Tasks": [task()]}))
    result = run(["tasks", "wait", "t-1", "--cluster-id", "c-timeout", "--timeout", "0.3"])
    assert result.exit_code == 4 and "timeout" in result.output.lower()


def test_wait_human_output(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_client(
        monkeypatch, lambda r: httpx.Response(200, json={"TotalCount": 1, "Tasks": [task("Success", 3)]})
    )
    result = run(["tasks", "wait", "t-1", "--cluster-id", "c-human"])
    assert result.exit_code == 0 and "Success" in result.output and "compute0" in result.output


def test_emulator_group_is_mounted_lazily() -> None:
    result = run(["--help"])
    assert "tasks" in result.output
    try:
        import pulumi_ehpc_tasks.emulator.cli  # noqa: F401
    except ImportError:
        pytest.skip("emulator not importable")
    assert "emulator" in result.output
    assert run(["emulator", "serve", "--help"]).exit_code == 0
