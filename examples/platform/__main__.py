"""The platform team's stack: one E-HPC cluster, exported for other stacks to build on."""

import pulumi

from pulumi_ehpc_tasks import Cluster

config = pulumi.Config()

cluster = Cluster(
    "hpc",
    name=config.get("clusterName") or "hpc-platform",
    deploy_mode="Simple",
    scheduler_type="slurm",
    os_tag="CentOS_7.6_64",
    zone_id=config.get("zoneId") or "cn-hangzhou-k",
    manager_instance_type="ecs.g6.large",
    login_instance_type="ecs.g6.large",
    compute_count=0,
    password=config.get_secret("rootPassword"),
)

pulumi.export("cluster_id", cluster.cluster_id)
pulumi.export("login_nodes", cluster.instances)
