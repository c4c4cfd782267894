"""Waiting on E-HPC async tasks through `ListTasks`: outcomes as data, one coalescing poller per cluster."""

from __future__ import annotations

from .api import async_wait_for_task, wait_for_task
from .errors import (
    PollerFailedError,
    TaskFailedError,
    TaskNotFoundError,
    TaskPartiallyFailedError,
    UnexpectedTaskStatusError,
    WaitError,
    WaitTimeoutError,
)
from .outcomes import TASK_STATUS_OUTCOMES, FinishedTask, Outcome
from .poller import ClusterPoller
from .progress import Progress, ProgressGate
from .registry import DEFAULT_REGISTRY, PollerRegistry
from .schedule import DEFAULT_POLL_SPEC, POLL_SPEC_OVERRIDES, POLL_SPECS, PollSpec
from .simulate import ManySimResult, SimResult, simulate, simulate_many, simulate_nodes
from .types import Clock, SystemClock, TaskSource

__all__ = [
    "DEFAULT_POLL_SPEC",
    "DEFAULT_REGISTRY",
    "POLL_SPECS",
    "POLL_SPEC_OVERRIDES",
    "TASK_STATUS_OUTCOMES",
    "Clock",
    "ClusterPoller",
    "FinishedTask",
    "ManySimResult",
    "Outcome",
    "PollSpec",
    "PollerFailedError",
    "PollerRegistry",
    "Progress",
    "ProgressGate",
    "SimResult",
    "SystemClock",
    "TaskFailedError",
    "TaskNotFoundError",
    "TaskPartiallyFailedError",
    "TaskSource",
    "UnexpectedTaskStatusError",
    "WaitError",
    "WaitTimeoutError",
    "async_wait_for_task",
    "simulate",
    "simulate_many",
    "simulate_nodes",
    "wait_for_task",
]
