"""The emulator serves exactly the registry's Actions, and knows steps and effects for every task type."""

from __future__ import annotations

import pytest

from pulumi_ehpc_tasks.emulator import handlers
from pulumi_ehpc_tasks.emulator.profiles import TASK_SHAPES
from pulumi_ehpc_tasks.wire.actions import ACTION_BY_TASK_TYPE, ACTIONS
from pulumi_ehpc_tasks.wire.task_models import TaskType


def test_a_handler_for_every_action_and_no_other() -> None:
    assert set(handlers.HANDLERS) == set(ACTIONS)
    assert all(callable(h) for h in handlers.HANDLERS.values())


@pytest.mark.parametrize("name", [n for n, s in ACTIONS.items() if s.target is None])
def test_actions_without_a_target_have_their_own_handler(name: str) -> None:
    assert handlers.HANDLERS[name] is getattr(handlers, ACTIONS[name].method_name)


@pytest.mark.parametrize("task_type", list(TaskType))
def test_every_task_type_has_steps_and_effects(task_type: TaskType) -> None:
    assert TASK_SHAPES[task_type].steps >= 1
    spec = ACTION_BY_TASK_TYPE[task_type.value]
    assert spec.effect is not None and spec.target is not None
    assert spec.name in handlers.HANDLERS
