from __future__ import annotations

import pytest

from pulumi_ehpc_tasks.waiting import (
    TASK_STATUS_OUTCOMES,
    Outcome,
    PollerRegistry,
    TaskFailedError,
    TaskPartiallyFailedError,
    UnexpectedTaskStatusError,
    wait_for_task,
)
from pulumi_ehpc_tasks.waiting.outcomes import FinishedTask, outcome_of

from .test_waiting_fakes import CLUSTER, FakeClock, ScriptedSource, info


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("Processing", Outcome.PENDING), ("Success", Outcome.SUCCESS), ("Failed", Outcome.FAILURE),
     ("Fail", Outcome.FAILURE), ("PartialFail", Outcome.PARTIAL)],
)
def test_every_documented_status_has_an_outcome(status: str, outcome: Outcome) -> None:
    assert TASK_STATUS_OUTCOMES[status] is outcome
    assert outcome_of(info("t-1", status), cluster_id=CLUSTER) is outcome


def test_unknown_status_raises_with_the_raw_value() -> None:
    with pytest.raises(UnexpectedTaskStatusError, match="'Exploded'") as ei:
        outcome_of(info("t-1", "Exploded"), cluster_id=CLUSTER)
    assert ei.value.raw_status == "Exploded"
    assert ei.value.task_id == "t-1"


def _wait(script: dict, **extra: object) -> tuple[FinishedTask, ScriptedSource]:
    clock = FakeClock()
    source = ScriptedSource(clock, script, **extra)
    reg = PollerRegistry(clock=clock, threaded=False, seed=1)
    return wait_for_task(source, CLUSTER, "t-1", timeout_s=600, registry=reg), source


def test_success_returns_finished_task() -> None:
    done, _ = _wait({"t-1": [[0, "Processing", 1, 4], [3, "Processing", 3, 4], [6, "Success", 4, 4]]})
    assert done.outcome is Outcome.SUCCESS and done.ok
    assert done.raise_for_outcome() is done
    assert done.task.task_id == "t-1"


def test_failed_raises_task_failed_with_parsed_errors() -> None:
    errors = [{"Code": "NodeInitFailed", "Message": "disk", "InstanceId": "i-1"}]
    done, _ = _wait({"t-1": [[0, "Processing", 1, 4], [4, "Fail", 2, 4]]}, **{"t-1": {"errors": errors}})
    assert done.outcome is Outcome.FAILURE
    with pytest.raises(TaskFailedError, match="NodeInitFailed") as ei:
        done.raise_for_outcome()
    assert ei.value.task_id == "t-1" and ei.value.errors[0].code == "NodeInitFailed"
    assert ei.value.last_task is done.task


def test_partial_fail_carries_added_instances_and_errors() -> None:
    extra = {"errors": [{"Code": "QuotaExceeded", "Message": "no quota", "InstanceId": "i-2"}],
             "instances": [{"InstanceId": "i-1", "Ip": "10.0.0.1", "Hostname": "c1", "role": "Compute"}]}
    done, _ = _wait({"t-1": [[0, "Processing", 1, 4], [4, "PartialFail", 4, 4]]}, **{"t-1": extra})
    assert done.outcome is Outcome.PARTIAL
    with pytest.raises(TaskPartiallyFailedError, match="i-1") as ei:
        done.raise_for_outcome()
    assert [i.instance_id for i in ei.value.instances] == ["i-1"]
    assert ei.value.errors[0].code == "QuotaExceeded"


def test_unknown_status_ends_the_wait_at_once() -> None:
    clock = FakeClock()
    source = ScriptedSource(clock, {"t-1": [[0, "Processing", 1, 4], [2, "Cancelled", 2, 4]]})
    reg = PollerRegistry(clock=clock, threaded=False)
    with pytest.raises(UnexpectedTaskStatusError, match="Cancelled"):
        wait_for_task(source, CLUSTER, "t-1", timeout_s=600, registry=reg)
    calls_at_error = len(source.calls)
    assert clock.now() - source.t0 < 10  # stopped right after seeing it, not at the deadline
    assert calls_at_error <= 4
