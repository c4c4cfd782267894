"""Scale a NodeGroup up and down, stop/start it and reset it, all from stack config.

    pulumi config set count 5      # up: AddNodes for the difference; down: DeleteNodes of the newest
    pulumi config set running false
    pulumi config set resetTrigger "$(date +%F)"
"""

import pulumi

from pulumi_ehpc_tasks import NodeGroup

config = pulumi.Config()

workers = NodeGroup(
    "workers",
    cluster_id=config.get("clusterId") or "ehpc-hz-demo000001",
    count=config.get_int("count") or 2,
    instance_type=config.get("instanceType") or "ecs.c7.large",
    running=config.get_bool("running") is not False,
    reset_trigger=config.get("resetTrigger"),
    timeouts={"create": "30m", "update": "30m", "delete": "15m"},
)

pulumi.export("instance_ids", workers.instance_ids)
pulumi.export("last_task", workers.task_type.apply(lambda t: t))
