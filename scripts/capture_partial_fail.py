"""Capture what a PartialFail looks like for real: `pulumi up` of a NodeGroup against the emulator with
AddNodes scripted to add 1 of 3 nodes (partial_failure='accept'). Writes docs/partial_fail_run.txt,
which scripts/gen_reference.py puts into docs/reference.md.

    EHPC_ENGINE_DIR=$(bash scripts/engine/engine.sh | tail -1) .venv/bin/python scripts/capture_partial_fail.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

import pulumi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi_ehpc_tasks import NodeGroup  # noqa: E402
from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess, inline_stack, offline_env  # noqa: E402

OUT = ROOT / "docs" / "partial_fail_run.txt"


def _program() -> None:
    group = NodeGroup("workers", cluster_id=DEMO_CLUSTER, count=3, instance_type="ecs.c7.large",
                      partial_failure="accept", timeouts={"create": "5m"})
    for name in ("instance_ids", "instances", "failed_count", "errors", "task_status"):
        pulumi.export(name, getattr(group, name))


def main() -> None:
    import os

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(offline_env(Path(tmp) / "pulumi", Path(os.environ["EHPC_ENGINE_DIR"])))
        with EmulatorProcess("--step-seconds", "0.05", "--seed", "7", "--state", f"{tmp}/emulator.db") as emu:
            emu.admin("POST", "next-task", json={"action": "AddNodes", "outcome": "PartialFail", "succeed_count": 1})
            stack = inline_stack("partial", _program, emu.endpoint)
            up = stack.up()
            outputs = {k: v.value for k, v in up.outputs.items()}
            stack.destroy()
    # Ephemeral progress rows and timings differ run to run; the lasting lines and the outputs do not.
    lines = [re.sub(r"\s+\(\d+(\.\d+)?s\)", "", line.rstrip()) for line in up.stdout.splitlines()]
    text = "\n".join(line for line in lines if line.strip()).replace(emu.endpoint, "<emulator>")
    OUT.write_text(f"$ pulumi up\n{text}\n\n$ pulumi stack output --json\n{json.dumps(outputs, indent=2)}\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
