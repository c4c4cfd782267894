"""Quickstart: add compute nodes to an E-HPC cluster and wait for the AddNodes task to finish.

Region, endpoint and credentials come from stack config (`ehpc:region`, `ehpc:endpoint`,
`ehpc:accessKeyId`, `ehpc:accessKeySecret` as a secret) or the environment; `make demo` points
them at the local emulator.
"""

import pulumi

from pulumi_ehpc_tasks import NodeGroup

config = pulumi.Config()
cluster_id = config.get("clusterId") or "ehpc-hz-demo000001"

compute = NodeGroup(
    "compute",
    cluster_id=cluster_id,
    count=config.get_int("count") or 3,
    instance_type=config.get("instanceType") or "ecs.c7.large",
    host_name_prefix="demo-",
)

pulumi.export("task_id", compute.task_id)
pulumi.export("task_status", compute.task_status)
pulumi.export("instance_ids", compute.instance_ids)
pulumi.export("instances", compute.instances)
