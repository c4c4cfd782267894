"""Step profiles: each one's shape, explicit durations, and how a task gets its profile."""

from __future__ import annotations

import itertools
import random
import statistics
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pulumi_ehpc_tasks.emulator import cli, server
from pulumi_ehpc_tasks.emulator.config import EmulatorConfig
from pulumi_ehpc_tasks.emulator.profiles import (
    EXPLICIT,
    STALL_FACTOR,
    TASK_SHAPES,
    Profile,
    ends_of,
    step_durations,
    step_ends,
)
from pulumi_ehpc_tasks.emulator.testing import EmulatorHandle, running_emulator
from pulumi_ehpc_tasks.wire.task_models import TaskType

from .helpers import Api

SEEDS = range(40)
STEP_COUNTS = (3, 6, 12, 35)


def _draws(profile: Profile, total_s: float = 600.0) -> list[list[float]]:
    return [step_durations(profile, total_s, n, random.Random(seed)) for seed in SEEDS for n in STEP_COUNTS]


@pytest.mark.parametrize("profile", list(Profile))
def test_every_profile_honours_the_total_and_the_step_count(profile: Profile) -> None:
    for seed in SEEDS:
        for n in STEP_COUNTS:
            ends = step_ends(profile, 600.0, n, random.Random(seed))
            assert len(ends) == n
            assert ends[-1] == 600.0
            assert all(0.0 < a <= b for a, b in itertools.pairwise(ends))
            assert sum(step_durations(profile, 600.0, n, random.Random(seed))) == pytest.approx(600.0)


def test_front_loaded_first_step_is_the_longest() -> None:
    for steps in _draws(Profile.FRONT):
        assert steps[0] > max(steps[1:])


def test_back_loaded_last_step_is_the_longest() -> None:
    for steps in _draws(Profile.BACK):
        assert steps[-1] > max(steps[:-1])


def test_stall_one_step_lasts_many_times_the_median() -> None:
    for steps in _draws(Profile.STALL):
        many = 0.999 * STALL_FACTOR * statistics.median(steps)  # 0.999: float rounding
        assert sum(1 for s in steps if s >= many) == 1


def test_heavy_has_a_tail_that_uniform_never_reaches() -> None:
    bound = 1.7 / 0.3  # the widest ratio the uniform model can draw
    assert all(max(s) / min(s) <= bound for s in _draws(Profile.UNIFORM))
    assert any(max(s) / statistics.median(s) > bound for s in _draws(Profile.HEAVY))


def test_explicit_durations_are_honoured_exactly() -> None:
    assert ends_of([3, 0.5, 10]) == [3.0, 3.5, 13.5]
    for bad in ([], [1.0, -1.0]):
        with pytest.raises(ValueError):
            ends_of(bad)


def test_every_task_type_has_a_default_shape() -> None:
    assert set(TASK_SHAPES) == set(TaskType)
    assert TASK_SHAPES[TaskType.ADD_COMPUTES].profile is Profile.FRONT


def _add_nodes(emu: EmulatorHandle) -> dict[str, Any]:
    api = Api(emu.endpoint, emu.credentials)
    try:
        task_id = api.ok("AddNodes", {"ClusterId": emu.cluster_id, "Count": 1})["TaskId"]
    finally:
        api.close()
    return {"TaskId": task_id, **emu.stats()["tasks"][task_id]}


def _durations(stats: dict[str, Any]) -> list[float]:
    ends = [stats["CreatedAt"], *stats["StepEnds"]]
    return [b - a for a, b in itertools.pairwise(ends)]


def test_next_task_script_sets_the_profile(emu: EmulatorHandle) -> None:
    emu.next_task(action="AddNodes", profile="stall", total_steps=8)
    task = _add_nodes(emu)
    assert task["Profile"] == "stall"
    steps = _durations(task)
    assert len(steps) == 8
    assert max(steps) >= 0.99 * STALL_FACTOR * statistics.median(steps)  # 0.99: rounding of epoch times
    assert _add_nodes(emu)["Profile"] == TASK_SHAPES[TaskType.ADD_COMPUTES].profile.value  # one task only


def test_next_task_script_sets_explicit_durations(emu: EmulatorHandle) -> None:
    emu.next_task(action="AddNodes", step_durations=[0.01, 0.2, 0.05])
    task = _add_nodes(emu)
    assert task["Profile"] == EXPLICIT
    assert task["TotalSteps"] == 3
    assert _durations(task) == pytest.approx([0.01, 0.2, 0.05], abs=1e-6)


@pytest.mark.parametrize(
    "script",
    [{"profile": "spiky"}, {"step_durations": []}, {"step_durations": [1, -1]},
     {"step_durations": [1], "total_steps": 1}, {"step_durations": "1,2"}],
)
def test_next_task_script_rejects_bad_profiles(emu: EmulatorHandle, script: dict[str, Any]) -> None:
    assert emu.admin.post("/_emulator/next-task", json=script).status_code == 400


def test_server_profile_applies_to_every_task_unless_scripted() -> None:
    with running_emulator(step_seconds=0.01, profile=Profile.BACK) as emu:
        task = _add_nodes(emu)
        assert task["Profile"] == "back"
        steps = _durations(task)
        assert steps[-1] == max(steps)
        emu.next_task(profile="heavy")
        assert _add_nodes(emu)["Profile"] == "heavy"


def test_profile_flag_reaches_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[EmulatorConfig] = []
    monkeypatch.setattr(server, "run", lambda config, sock: (seen.append(config), sock.close()))
    result = CliRunner().invoke(cli.serve, ["--profile", "front"])
    assert result.exit_code == 0, result.output
    assert seen[0].profile is Profile.FRONT
    assert CliRunner().invoke(cli.serve, ["--profile", "spiky"]).exit_code != 0


def test_profile_is_persisted_with_the_task(tmp_path: Path) -> None:
    state = str(tmp_path / "emulator.sqlite")
    with running_emulator(state_path=state, step_seconds=0.01) as emu:
        emu.next_task(step_durations=[0.01, 0.02])
        task_id = _add_nodes(emu)["TaskId"]
    with running_emulator(state_path=state, step_seconds=0.01) as emu:
        assert emu.stats()["tasks"][task_id]["Profile"] == EXPLICIT
        assert emu.stats()["tasks"][task_id]["TotalSteps"] == 2
