"""A NodeGroup whose cluster was deleted elsewhere: refresh drops it, destroy succeeds (no error, no call
that could touch other nodes). Provider methods in-process against the emulator over HTTP."""

from __future__ import annotations

from typing import Any

from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider
from pulumi_ehpc_tasks.provider.settings import ProviderSettings
from pulumi_ehpc_tasks.waiting import wait_for_task
from pulumi_ehpc_tasks.wire import EhpcClient

URN = "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:NodeGroup::g"


def test_nodegroup_survives_its_cluster_being_deleted(emu: Any) -> None:
    client = EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials)
    created = client.create_cluster(name="doomed", ecs_order={"compute": {"count": 0}})
    wait_for_task(client, created.cluster_id, created.task_id, timeout_s=60).raise_for_outcome()

    provider = NodeGroupProvider()
    provider._settings = ProviderSettings(endpoint=emu.endpoint, _client=client)  # type: ignore[attr-defined]
    props = {"cluster_id": created.cluster_id, "count": 2, "urn": URN}
    outs = provider.create(props).outs
    assert len(outs["instance_ids"]) == 2

    deleted = client.delete_cluster(created.cluster_id)
    wait_for_task(client, created.cluster_id, deleted.task_id, timeout_s=60).raise_for_outcome()

    assert provider.read("id", outs).id is None
    before = emu.admin.get("/_emulator/stats").json()["requests"].get("DeleteNodes", 0)
    provider.delete("id", outs)
    assert emu.admin.get("/_emulator/stats").json()["requests"].get("DeleteNodes", 0) == before
