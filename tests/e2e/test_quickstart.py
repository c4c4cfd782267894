"""The walking skeleton through the real engine: `pulumi up` adds nodes, `destroy` removes them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pulumi import automation as auto

from .harness import DEMO_SECRET, ROOT, EmulatorProcess, demo_config, make_project

pytestmark = pytest.mark.e2e


def _stack(tmp_path: Path, emulator: EmulatorProcess, secret: str = DEMO_SECRET) -> auto.Stack:
    project = make_project(tmp_path / "proj", "quickstart", ROOT / "examples" / "quickstart")
    stack = auto.create_or_select_stack("dev", work_dir=str(project))
    stack.set_all_config(demo_config(emulator.endpoint, secret))
    stack.set_config("count", auto.ConfigValue("3"))
    return stack


def test_up_adds_nodes_and_destroy_removes_them(
    tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess
) -> None:
    stack = _stack(tmp_path, emulator)
    log: list[str] = []
    up = stack.up(on_output=log.append)

    ids = up.outputs["instance_ids"].value
    assert len(ids) == 3
    assert up.outputs["task_status"].value == "Success"
    instances = up.outputs["instances"].value
    assert {i["instance_id"] for i in instances} == set(ids)
    assert all(i["ip"] and i["hostname"] and i["role"] == "compute" for i in instances)
    live = {n["InstanceId"]: n for n in emulator.compute_nodes()}
    assert set(ids) <= set(live) and all(live[i]["Status"] == "running" for i in ids)

    # The secret is in no resource's inputs or outputs, and nowhere in the state in plaintext
    # (the engine keeps dynamic providers' config on the default provider, encrypted as a secret).
    shown = stack.export_stack().deployment  # --show-secrets
    for res in shown["resources"]:
        if res["type"].startswith("pulumi-python:dynamic"):
            assert DEMO_SECRET not in json.dumps(res)
    export = subprocess.run(
        ["pulumi", "stack", "export", "--stack", "dev"], cwd=stack.workspace.work_dir,
        capture_output=True, text=True, check=True, env=os.environ,
    ).stdout
    assert DEMO_SECRET not in export and "ciphertext" in export
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    for file in backend.rglob("*"):
        if file.is_file():
            assert DEMO_SECRET.encode() not in file.read_bytes(), file

    # A second `up` with no changes mutates nothing.
    before = dict(emulator.requests())
    stack.up()
    after = emulator.requests()
    for action in ("AddNodes", "DeleteNodes"):
        assert after.get(action, 0) == before.get(action, 0)

    stack.destroy()
    assert not [n for n in emulator.compute_nodes() if n["InstanceId"] in ids]
    assert emulator.compute_nodes() == []


def test_wrong_secret_is_a_clear_error(tmp_path: Path, pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    stack = _stack(tmp_path, emulator, secret="not-the-right-secret-000")
    with pytest.raises(auto.CommandError) as err:
        stack.up()
    text = str(err.value)
    assert "SignatureDoesNotMatch" in text
    assert "RequestId" in text
    assert "accessKeySecret" in text
    assert "Traceback" not in text
    assert emulator.compute_nodes() == []
