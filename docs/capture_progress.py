"""Regenerate the capture in docs/progress.md: a NodePool of 6 nodes (4 NodeGroups) through `pulumi up`."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402

from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess, engine_dir, inline_stack, offline_env  # noqa: E402


def program() -> None:
    from pulumi_ehpc_tasks import NodePool

    pool = NodePool("solvers", cluster_id=DEMO_CLUSTER, count=6, max_per_group=2,
                    placements=[{"zone_id": "cn-hangzhou-j"}, {"zone_id": "cn-hangzhou-k"}])
    pulumi.export("solver_ids", pool.instance_ids)


def main() -> None:
    os.environ.update(offline_env(Path(tempfile.mkdtemp()) / "pulumi", engine_dir()))
    with EmulatorProcess("--step-seconds", "1.5", "--seed", "11") as emulator:
        stack = inline_stack("capture", program, emulator.endpoint)
        lines: list[str] = []
        stack.up(on_output=lines.append)
        print("\n".join(lines))
        stack.destroy()


if __name__ == "__main__":
    main()
