"""Step profiles: how a task's duration is split among its steps.

Real E-HPC tasks take minutes to tens of minutes over 6 to 35 steps, and their steps are anything but
equal: creating the ECS instances can take most of an AddNodes, a last configuration step can dominate,
one step can stall, and step lengths are heavy-tailed. A profile names one such shape. The functions are
pure (all chance comes from the `random.Random` passed in), so the emulator, the waiter benchmark and
the waiting simulation draw the same shapes.
"""

from __future__ import annotations

import enum
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ..wire.actions import TaskType

__all__ = [
    "EXPLICIT",
    "TASK_SHAPES",
    "Profile",
    "TaskShape",
    "ends_of",
    "step_durations",
    "step_ends",
]


class Profile(str, enum.Enum):
    """The shape of a task's step lengths."""

    UNIFORM = "uniform"
    """Each step 0.3-1.7x the mean (the emulator's original model)."""
    FRONT = "front"
    """The first step takes most of the time (55-75 %): creating the ECS instances."""
    BACK = "back"
    """The last step takes most of the time (55-75 %): a final configuration or release."""
    HEAVY = "heavy"
    """Lognormal step lengths (sigma 1): most steps short, a few several times the median."""
    STALL = "stall"
    """One random step lasts `STALL_FACTOR` times the longest of the others."""


EXPLICIT = "explicit"
"""What a task records as its profile when its step durations were given one by one."""

DOMINANT_SHARE = (0.55, 0.75)
"""Range of the share of the total that the dominant step of FRONT and BACK takes."""
HEAVY_SIGMA = 1.0
STALL_FACTOR = 10.0


def _weights(profile: Profile, steps: int, rng: random.Random) -> list[float]:
    if profile is Profile.HEAVY:
        return [rng.lognormvariate(0.0, HEAVY_SIGMA) for _ in range(steps)]
    weights = [rng.uniform(0.3, 1.7) for _ in range(steps)]
    if steps == 1 or profile is Profile.UNIFORM:
        return weights
    if profile is Profile.STALL:
        stalled = rng.randrange(steps)
        weights[stalled] = STALL_FACTOR * max(w for i, w in enumerate(weights) if i != stalled)
        return weights
    dominant = 0 if profile is Profile.FRONT else steps - 1
    share = rng.uniform(*DOMINANT_SHARE)
    weights[dominant] = (sum(weights) - weights[dominant]) * share / (1.0 - share)
    return weights


def step_durations(profile: Profile | str, total_s: float, total_steps: int, rng: random.Random) -> list[float]:
    """`total_steps` (at least 1) step lengths in seconds, shaped by `profile`, adding up to `total_s`."""
    weights = _weights(Profile(profile), max(1, total_steps), rng)
    scale = total_s / sum(weights)
    return [w * scale for w in weights]


def step_ends(profile: Profile | str, total_s: float, total_steps: int, rng: random.Random) -> list[float]:
    """When each step ends, in seconds from the task's start: increasing, the last exactly `total_s`."""
    ends = ends_of(step_durations(profile, total_s, total_steps, rng))
    return [min(e, total_s) for e in ends[:-1]] + [total_s]


def ends_of(durations: Sequence[float]) -> list[float]:
    """Explicit step lengths (seconds) → when each step ends, from the task's start."""
    if not durations or any(d < 0 for d in durations):
        raise ValueError("step durations must be a non-empty list of seconds >= 0")
    return list(itertools.accumulate(float(d) for d in durations))


@dataclass(frozen=True)
class TaskShape:
    """A task type's default number of steps and profile."""

    steps: int
    profile: Profile


# Step counts stay below the real 6-35 so the default (steps x --step-seconds) stays quick in tests;
# the profiles carry what matters to a waiter: where in the task the time goes.
TASK_SHAPES: Mapping[TaskType, TaskShape] = MappingProxyType(
    {
        # Creating the ECS instances dominates; configuring them afterwards is quick.
        TaskType.ADD_COMPUTES: TaskShape(6, Profile.FRONT),
        # Many unlike steps (network, instances, storage, scheduler, accounts): a heavy tail.
        TaskType.CREATE_CLUSTER: TaskShape(12, Profile.HEAVY),
        # The seed page's StopCluster has 35 steps of very different lengths.
        TaskType.START_CLUSTER: TaskShape(5, Profile.HEAVY),
        TaskType.STOP_CLUSTER: TaskShape(5, Profile.HEAVY),
        # Releasing the instances is the last and longest step.
        TaskType.DELETE_CLUSTER: TaskShape(4, Profile.BACK),
        TaskType.DELETE_COMPUTES: TaskShape(3, Profile.BACK),
        # Re-imaging is quick to start; the final reconfiguration dominates.
        TaskType.RESET_COMPUTE: TaskShape(4, Profile.BACK),
        # Starting or stopping existing instances: a few similar steps.
        TaskType.START_COMPUTES: TaskShape(3, Profile.UNIFORM),
        TaskType.STOP_COMPUTES: TaskShape(3, Profile.UNIFORM),
    }
)
"""Defaults per task type, unless a script or `--profile` says otherwise."""
