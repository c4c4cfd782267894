"""Step profiles for the waiter benchmark: how a task's duration is split among its steps.

Same signature and shapes as `pulumi_ehpc_tasks.emulator.profiles.step_ends` (written on the emulator
branch); this copy stands in until that module lands here, then the benchmark imports it instead.

- uniform: each step 0.3-1.7x the mean (the emulator's original model, the one the schedule was tuned on)
- front:   the first step takes 55-75 % of the task (creating the ECS instances)
- back:    the last step takes 55-75 % (a final configuration or release)
- heavy:   lognormal step lengths, sigma 1
- stall:   one random step lasts 10x the longest of the others
"""

from __future__ import annotations

import itertools
import random

PROFILES = ("uniform", "front", "back", "heavy", "stall")
DOMINANT_SHARE = (0.55, 0.75)
HEAVY_SIGMA = 1.0
STALL_FACTOR = 10.0


def _weights(profile: str, steps: int, rng: random.Random) -> list[float]:
    if profile == "heavy":
        return [rng.lognormvariate(0.0, HEAVY_SIGMA) for _ in range(steps)]
    weights = [rng.uniform(0.3, 1.7) for _ in range(steps)]
    if steps == 1 or profile == "uniform":
        return weights
    if profile == "stall":
        stalled = rng.randrange(steps)
        weights[stalled] = STALL_FACTOR * max(w for i, w in enumerate(weights) if i != stalled)
        return weights
    if profile not in ("front", "back"):
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    dominant = 0 if profile == "front" else steps - 1
    share = rng.uniform(*DOMINANT_SHARE)
    weights[dominant] = (sum(weights) - weights[dominant]) * share / (1.0 - share)
    return weights


def step_ends(profile: str, total_s: float, total_steps: int, rng: random.Random) -> list[float]:
    """When each step ends, in seconds from the task's start: increasing, the last exactly `total_s`."""
    weights = _weights(profile, max(1, total_steps), rng)
    scale = total_s / sum(weights)
    ends = list(itertools.accumulate(w * scale for w in weights))
    return [min(e, total_s) for e in ends[:-1]] + [total_s]
