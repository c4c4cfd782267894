"""`--tls`: HTTPS with a CA generated at start, trusted by our client through its CA bundle."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from pulumi_ehpc_tasks.emulator import cli, server
from pulumi_ehpc_tasks.emulator.config import EmulatorConfig
from pulumi_ehpc_tasks.emulator.testing import running_emulator
from pulumi_ehpc_tasks.wire.client import EhpcClient

from .conftest import FAST


def test_tls_emulator_serves_https_that_our_client_trusts_by_its_ca() -> None:
    with running_emulator(tls=True, **FAST) as emu:
        assert emu.endpoint.startswith("https://127.0.0.1:") and emu.ca_path and Path(emu.ca_path).is_file()
        with EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials, verify=emu.ca_path) as client:
            nodes = client.list_nodes(emu.cluster_id)
        assert {n.host_name for n in nodes.nodes} >= {"manager0", "login0"}
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(emu.endpoint + "/_emulator/stats")  # the system's CAs do not know it
        localhost = emu.endpoint.replace("127.0.0.1", "localhost")
        assert httpx.get(localhost + "/_emulator/stats", verify=ssl.create_default_context(cafile=emu.ca_path))


def test_the_ca_is_kept_across_restarts_in_its_directory(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    with running_emulator(tls=True, state_path=state, **FAST) as first:
        assert first.ca_path == str(tmp_path / "state.db.tls" / "ca.pem")
        trusted = ssl.create_default_context(cafile=first.ca_path)  # loaded once, like a running client
    with running_emulator(tls=True, state_path=state, **FAST) as second:
        assert second.ca_path == first.ca_path
        assert httpx.get(second.endpoint + "/_emulator/stats", verify=trusted).status_code == 200


def test_tls_flag_prints_the_ca_and_an_https_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[EmulatorConfig] = []
    monkeypatch.setattr(server, "run", lambda config, sock: (seen.append(config), sock.close()))
    result = CliRunner().invoke(cli.serve, ["--tls", "--tls-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("E-HPC emulator listening on https://127.0.0.1:")
    assert f"ca: {tmp_path / 'ca.pem'}" in lines and (tmp_path / "ca.pem").is_file()
    assert "--ca-bundle" in result.output and "protocol='https'" in result.output
    assert seen[0].tls and seen[0].tls_dir == str(tmp_path)


def test_tls_without_its_extra_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "trustme", None)  # as if not installed
    result = CliRunner().invoke(cli.serve, ["--tls", "--tls-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "pulumi-ehpc-tasks[tls]" in result.output
