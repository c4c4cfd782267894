"""Every operation against the real emulator over HTTP, in both signature versions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_ehpc_tasks.wire import (
    AuthError,
    Credentials,
    EhpcClient,
    NotFoundError,
    SignatureVersion,
    TaskStatus,
)

testing = pytest.importorskip("pulumi_ehpc_tasks.emulator.testing")


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with testing.running_emulator(step_seconds=0.01, seed=3) as handle:
        yield handle


@pytest.mark.parametrize("version", [SignatureVersion.V3, SignatureVersion.V1], ids=["v3", "v1"])
def test_roundtrip_all_operations(emu: Any, version: SignatureVersion) -> None:
    with EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials, signature_version=version) as c:
        added = c.add_nodes(emu.cluster_id, count=2, instance_type="ecs.c7.large")
        assert len(added.instance_ids) == 2 and added.task_id
        (t,) = c.list_tasks(emu.cluster_id, task_id=added.task_id).tasks
        assert t.task_type == "AddComputes" and t.status in (TaskStatus.PROCESSING, TaskStatus.SUCCESS)
        assert set(t.result.instance_ids) == set(added.instance_ids)
        assert c.list_nodes(emu.cluster_id).total_count >= 2
        assert c.describe_cluster(emu.cluster_id).cluster_info.id == emu.cluster_id
        assert any(cl.id == emu.cluster_id for cl in c.list_clusters().clusters)
        created = c.create_cluster(
            name="roundtrip", ecs_order={"manager": {"instance_type": "ecs.g6.large", "count": 1}}
        )
        assert created.cluster_id and created.task_id


def test_roundtrip_errors(emu: Any) -> None:
    bad = Credentials(emu.credentials.access_key_id, "not-the-secret")
    with EhpcClient(endpoint=emu.endpoint, credentials=bad) as c, pytest.raises(AuthError) as info:
        c.list_tasks(emu.cluster_id)
    assert info.value.code == "SignatureDoesNotMatch" and "not-the-secret" not in str(info.value)
    with EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials) as c, pytest.raises(NotFoundError):
        c.list_tasks("ehpc-hz-missing0001")
