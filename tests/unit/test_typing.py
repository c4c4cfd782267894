"""The package's types reach a user's type checker: a program using the resources passes mypy, and one
with a misspelt input fails, naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = '''
import pulumi
from pulumi_ehpc_tasks import Cluster, ClusterArgs, NodeGroup, NodeGroupArgs, NodePool, TaskWait, ehpc2

cluster = Cluster("hpc", ClusterArgs(name="hpc", compute_count=0, password=pulumi.Output.secret("Pa55word!")))
group = NodeGroup("compute", cluster_id=cluster.cluster_id, count=4, instance_type="ecs.c7.large",
                  timeouts={"create": "1h"})
again = NodeGroup("more", NodeGroupArgs(cluster_id=cluster.cluster_id, count=2), pulumi.ResourceOptions())
pool = NodePool("pool", cluster_id=cluster.cluster_id, count=150, placements=[{"zone_id": "cn-hangzhou-k"}])
wait = TaskWait("wait", cluster_id=cluster.cluster_id, task_id=group.task_id, fail_on_error=False)
ids: pulumi.Output[list[str]] = group.instance_ids
pool2 = ehpc2.NodePool("pool2", cluster_id="ehpc-hz-x", queue_name="comp", count=130, max_per_group=40,
                       placements=[{"vswitch_id": "vsw-a"}, {"vswitch_id": "vsw-b"}], min_count=10)
again2 = ehpc2.NodePool("pool3", ehpc2.NodePoolArgs(cluster_id="ehpc-hz-x", queue_name="comp", count=3))
ids2: pulumi.Output[list[str]] = pool2.instance_ids
groups2: list[ehpc2.NodeGroup] = pool2.groups
'''
TYPO = '''
from pulumi_ehpc_tasks import NodeGroup, ehpc2

group = NodeGroup("compute", cluster_id="ehpc-hz-x", count=4, instance_typ="ecs.c7.large")
pool = ehpc2.NodePool("pool", cluster_id="ehpc-hz-x", queue_name="comp", count=4,
                      placements=[{"zone_id": "cn-hangzhou-k"}])
'''


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "program.py"
    program.write_text(source)
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         "--config-file=/dev/null", str(program)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )


@pytest.mark.slow
def test_a_program_using_the_resources_type_checks(tmp_path: Path) -> None:
    result = _mypy(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_a_misspelt_input_fails_type_checking_by_name(tmp_path: Path) -> None:
    result = _mypy(tmp_path, TYPO)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Unexpected keyword argument "instance_typ"' in result.stdout
    assert 'did you mean "instance_type"' in result.stdout
    assert 'Extra key "zone_id" for TypedDict "PlacementDict"' in result.stdout  # 2.0 placements: vswitches


def test_the_package_says_it_is_typed() -> None:
    assert (ROOT / "pulumi_ehpc_tasks" / "py.typed").is_file()
