"""A second stack program that imports the reusable NodePool component and builds on the platform
stack's cluster (read through a StackReference)."""

import pulumi

from pulumi_ehpc_tasks import NodePool

config = pulumi.Config()
platform = pulumi.StackReference(config.require("platformStack"))

solvers = NodePool(
    "solvers",
    cluster_id=platform.get_output("cluster_id"),
    count=config.get_int("count") or 6,
    instance_type="ecs.c7.2xlarge",
    placements=[{"zone_id": "cn-hangzhou-j"}, {"zone_id": "cn-hangzhou-k"}],
    max_per_group=config.get_int("maxPerGroup") or 99,
)

pulumi.export("solver_ids", solvers.instance_ids)
pulumi.export("solver_ips", solvers.instances.apply(lambda nodes: [n["ip"] for n in nodes]))
pulumi.export("groups", len(solvers.groups))
