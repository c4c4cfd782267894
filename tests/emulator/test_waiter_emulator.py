"""The waiter over real HTTP against the emulator, with fast steps. No timing assertions."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.waiting import (
    Outcome,
    PollerRegistry,
    Progress,
    TaskFailedError,
    TaskPartiallyFailedError,
    async_wait_for_task,
    wait_for_task,
)
from pulumi_ehpc_tasks.wire import AsyncEhpcClient, EhpcClient


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with running_emulator(step_seconds=0.05, seed=5) as handle:
        yield handle


@pytest.fixture
def client(emu: EmulatorHandle) -> Iterator[EhpcClient]:
    with EhpcClient(endpoint=emu.endpoint, credentials=emu.credentials) as c:
        yield c


def _submit(emu: EmulatorHandle, client: EhpcClient, **script: object) -> str:
    emu.next_task(action="AddNodes", **script)
    return client.add_nodes(emu.cluster_id, count=2).task_id


def test_success_with_progress(emu: EmulatorHandle, client: EhpcClient) -> None:
    task_id = _submit(emu, client, outcome="Success", duration_s=1.5, total_steps=5)
    events: list[Progress] = []
    done = wait_for_task(
        client,
        emu.cluster_id,
        task_id,
        timeout_s=60,
        on_progress=events.append,
        progress_interval_s=0.2,
        registry=PollerRegistry(),
    )
    assert done.outcome is Outcome.SUCCESS
    done.raise_for_outcome()
    assert done.task.task_type == "AddComputes" and done.task.current_step == done.task.total_steps == 5
    assert events and events[-1].final and events[-1].status == "Success"


def test_partial_fail(emu: EmulatorHandle, client: EhpcClient) -> None:
    task_id = _submit(emu, client, outcome="PartialFail", succeed_count=1, duration_s=1.0, total_steps=3)
    done = wait_for_task(client, emu.cluster_id, task_id, timeout_s=60, registry=PollerRegistry())
    assert done.outcome is Outcome.PARTIAL
    with pytest.raises(TaskPartiallyFailedError) as ei:
        done.raise_for_outcome()
    assert len(ei.value.instances) == 1 and ei.value.errors


def test_failed(emu: EmulatorHandle, client: EhpcClient) -> None:
    task_id = _submit(emu, client, outcome="Failed", duration_s=1.0, total_steps=3)
    done = wait_for_task(client, emu.cluster_id, task_id, timeout_s=60, registry=PollerRegistry())
    assert done.outcome is Outcome.FAILURE
    with pytest.raises(TaskFailedError, match=task_id):
        done.raise_for_outcome()


def test_sixteen_concurrent_waits_are_coalesced(emu: EmulatorHandle, client: EhpcClient) -> None:
    ids = [_submit(emu, client, outcome="Success", duration_s=3.0, total_steps=6) for _ in range(16)]
    registry = PollerRegistry(seed=1)
    before = emu.stats()["requests"].get("ListTasks", 0)
    results: dict[str, Outcome] = {}

    def wait(task_id: str) -> None:
        results[task_id] = wait_for_task(
            client, emu.cluster_id, task_id, timeout_s=60, registry=registry
        ).outcome

    threads = [threading.Thread(target=wait, args=(t,)) for t in ids]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    calls = emu.stats()["requests"].get("ListTasks", 0) - before
    assert results == dict.fromkeys(ids, Outcome.SUCCESS)
    # One wait alone takes several polls; 16 separate waits would take 16x that.
    assert calls < 16 * 2
    assert registry.pollers() == [] or all(p.idle for p in registry.pollers())


def test_async_wait_with_async_client(emu: EmulatorHandle, client: EhpcClient) -> None:
    ids = [_submit(emu, client, outcome="Success", duration_s=1.0, total_steps=3) for _ in range(3)]

    async def main() -> list[Outcome]:
        async with AsyncEhpcClient(endpoint=emu.endpoint, credentials=emu.credentials) as ac:
            registry = PollerRegistry()
            done = await asyncio.gather(
                *(async_wait_for_task(ac, emu.cluster_id, t, timeout_s=60, registry=registry) for t in ids)
            )
            return [d.outcome for d in done]

    assert asyncio.run(main()) == [Outcome.SUCCESS] * 3
