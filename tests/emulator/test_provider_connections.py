"""Cluster and TaskWait through a `connection` (provider methods in-process, two emulators over HTTP): every
call of the resource goes to its connection's endpoint with its identity, none to the stack's."""

from __future__ import annotations

from typing import Any

from pulumi_ehpc_tasks.emulator.testing import running_emulator
from pulumi_ehpc_tasks.provider.cluster import ClusterProvider
from pulumi_ehpc_tasks.provider.settings import settings_from_config
from pulumi_ehpc_tasks.provider.taskwait import TaskWaitProvider

from .conftest import FAST

URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:{}::{}"
KEY_ID, SECRET = "LTAIsecondAccount0002", "secondAccountSecret7Hj2Kl9Mn4Pq1Rs"


def _writes(stats: dict[str, Any]) -> int:
    return sum(n for action, n in stats["requests"].items() if not action.startswith(("List", "Describe")))


def test_cluster_and_taskwait_use_their_connection(emu: Any) -> None:
    with running_emulator(**FAST, region="cn-shanghai", access_key_id=KEY_ID, access_key_secret=SECRET) as other:
        config = {"ehpc:endpoint": emu.endpoint, "ehpc:accessKeyId": emu.credentials.access_key_id,
                  "ehpc:accessKeySecret": emu.credentials.access_key_secret,
                  "acct2:accessKeyId": KEY_ID, "acct2:accessKeySecret": SECRET}
        connection = {"region": "cn-shanghai", "endpoint": other.endpoint, "config_namespace": "acct2"}
        clusters, waits = ClusterProvider(), TaskWaitProvider()
        for provider in (clusters, waits):
            provider._settings = settings_from_config(config)  # type: ignore[attr-defined]
        before = _writes(emu.stats())

        props = {"name": "sh", "compute_count": 1, "connection": connection, "urn": URN.format("Cluster", "c")}
        assert clusters.check({}, props).failures == []
        created = clusters.create(props)
        assert created.id in {c["ClusterId"] for c in other.nodes()}
        assert clusters.read(created.id, created.outs).outs["status"]

        task = created.outs["task_id"]
        wait = {"cluster_id": created.id, "task_id": task, "connection": connection, "urn": URN.format("TaskWait", "w")}
        assert waits.create(wait).outs["task_status"] == "Success"

        clusters.delete(created.id, created.outs)
        assert not [n for n in other.nodes() if n["ClusterId"] == created.id]
        assert _writes(emu.stats()) == before  # the stack's emulator saw no write


def test_a_connection_assumes_a_role_in_the_other_account_from_the_stack_identity(emu: Any) -> None:
    from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider

    role = "acs:ram::1500000000000002:role/ehpc-operator"
    # The other account trusts the stack's own key: the stack's identity assumes the role there.
    with running_emulator(**FAST, region="cn-shanghai", roles=[f"{role}={emu.credentials.access_key_id}"],
                          access_key_id=emu.credentials.access_key_id,
                          access_key_secret=emu.credentials.access_key_secret) as other:
        config = {"ehpc:endpoint": emu.endpoint, "ehpc:accessKeyId": emu.credentials.access_key_id,
                  "ehpc:accessKeySecret": emu.credentials.access_key_secret}
        groups = NodeGroupProvider()
        groups._settings = settings_from_config(config)  # type: ignore[attr-defined]
        connection = {"region": "cn-shanghai", "endpoint": other.endpoint, "role_arn": role,
                      "role_session_name": "stack-ops", "sts_endpoint": other.endpoint}
        props = {"cluster_id": other.cluster_id, "count": 1, "connection": connection,
                 "urn": URN.format("NodeGroup", "g"), "host_name_prefix": "role-"}
        assert groups.check({}, props).failures == []
        created = groups.create(props)
        assert other.stats()["requests"].get("AssumeRole") == 1
        client = groups._settings.client(None)  # type: ignore[attr-defined]
        assert client.credentials.access_key_id == emu.credentials.access_key_id  # the stack's own stays
        ids = set(created.outs["instance_ids"])
        assert ids == {n["InstanceId"] for n in other.nodes() if n["HostName"].startswith("role-")}
        groups.delete(created.id, created.outs)
        assert not [n for n in other.nodes() if n["HostName"].startswith("role-")]

        bad = {**props, "connection": {**connection, "role_arn": "not-an-arn"}}
        failures = groups.check({}, bad).failures or []
        assert [f.property for f in failures] == ["connection.role_arn"], [(f.property, f.reason) for f in failures]
