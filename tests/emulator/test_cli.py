"""`python -m pulumi_ehpc_tasks.emulator`: the banner contract, a working endpoint, a clean SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

from pulumi_ehpc_tasks.wire.signing import Credentials

from .helpers import Api


def test_serve_prints_endpoint_and_stops_cleanly() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pulumi_ehpc_tasks.emulator",
            "--port",
            "0",
            "--step-seconds",
            "0.02",
            "--seed",
            "1",
            "--fault",
            "StopCluster:DbError:1.0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert match, first
        banner = [proc.stdout.readline() for _ in range(5)]
        assert "LTAIemulatorDEMO0001" in banner[0] and "emulatorDemoSecret0123456789ABCDEF" in banner[1]
        assert "ehpc-hz-demo000001" in banner[2] and match.group(0) in banner[3]
        assert banner[4].startswith("account id:") and "1609982529920000" in banner[4]
        api = Api(match.group(0), Credentials("LTAIemulatorDEMO0001", "emulatorDemoSecret0123456789ABCDEF"))
        assert api.ok("ListTasks", {"ClusterId": "ehpc-hz-demo000001"})["Tasks"] == []
        assert api.call("StopCluster", {"ClusterId": "ehpc-hz-demo000001"}).json()["Code"] == "DbError"
        api.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.strip() == "" and "Traceback" not in err and "INFO" not in err  # quiet otherwise
