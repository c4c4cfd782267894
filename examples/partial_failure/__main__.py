"""What happens when AddNodes can only add some of the nodes (PartialFail).

`partialFailure` picks the policy: `accept` keeps what was added and reports the rest as outputs,
`rollback` deletes what was added and fails, `retry` asks again for the missing nodes.
"""

import pulumi

from pulumi_ehpc_tasks import NodeGroup

config = pulumi.Config()

group = NodeGroup(
    "batch",
    cluster_id=config.get("clusterId") or "ehpc-hz-demo000001",
    count=config.get_int("count") or 4,
    instance_type=config.get("instanceType") or "ecs.c7.large",
    partial_failure=config.get("partialFailure") or "accept",
    max_retries=2,
)

pulumi.export("instance_ids", group.instance_ids)
pulumi.export("failed_count", group.failed_count)
pulumi.export("errors", group.errors)
