"""The waiter's per-type tuning is derived from the registry: every task type has a spec."""

from __future__ import annotations

from pulumi_ehpc_tasks.waiting import DEFAULT_POLL_SPEC, POLL_SPEC_OVERRIDES, POLL_SPECS
from pulumi_ehpc_tasks.waiting.schedule import spec_for
from pulumi_ehpc_tasks.wire.actions import ACTION_BY_TASK_TYPE, ACTIONS
from pulumi_ehpc_tasks.wire.task_models import TaskType


def test_every_task_type_of_the_registry_has_a_spec() -> None:
    async_types = {a.task_type.value for a in ACTIONS.values() if a.task_type is not None}
    assert async_types == set(POLL_SPECS)
    assert {t.value for t in TaskType} <= set(POLL_SPECS)
    for task_type in async_types:
        assert spec_for(task_type) is POLL_SPECS[task_type]


def test_every_override_names_a_task_type_an_action_shows() -> None:
    for task_type, spec in POLL_SPEC_OVERRIDES.items():
        assert isinstance(task_type, TaskType)
        assert task_type.value in ACTION_BY_TASK_TYPE
        assert POLL_SPECS[task_type.value] is spec
        assert spec != DEFAULT_POLL_SPEC  # an override that changes nothing is noise


def test_an_unknown_task_type_gets_the_default() -> None:
    assert spec_for("SomethingNew") is DEFAULT_POLL_SPEC
    assert spec_for(None) is DEFAULT_POLL_SPEC
