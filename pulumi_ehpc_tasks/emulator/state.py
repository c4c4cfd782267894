"""The emulator's state model: plain dataclasses with no knowledge of the wire format (see `render`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..wire.actions import ACTION_BY_TASK_TYPE, ActionSpec, TaskType
from ..wire.task_models import TaskStatus
from .profiles import Profile

OUTCOMES = tuple(s for s in TaskStatus if s.is_terminal)
"""What a task may end as."""


@dataclass
class Node:
    """One ECS instance belonging to a cluster."""

    instance_id: str
    cluster_id: str
    role: str  # Manager, Login, Compute
    status: str  # uninit, exception, running, initing, releasing, stopped
    hostname: str
    ip: str
    zone_id: str
    instance_type: str
    added_at: float
    image_id: str = "centos_7_06_64_20G_alibase_20190711.vhd"
    create_mode: str = "manual"
    spot_strategy: str = "NoSpot"
    busy_task: str | None = None


@dataclass
class Cluster:
    """An E-HPC cluster; its nodes live in the backend's node table."""

    cluster_id: str
    name: str
    status: str  # creating, running, stopped, exception, releasing
    region_id: str
    zone_id: str
    created_at: float
    description: str = ""
    deploy_mode: str = "Standard"
    scheduler_type: str = "pbs"
    account_type: str = "nis"
    os_tag: str = "CentOS_7.6_64"
    image_id: str = "centos_7_06_64_20G_alibase_20190711.vhd"
    image_owner_alias: str = "system"
    vpc_id: str = "vpc-bp1emulator0000000001"
    vswitch_id: str = "vsw-bp1emulator0000000001"
    security_group_id: str = "sg-bp1emulator0000000001"
    ecs_charge_type: str = "PostPaid"
    manager_instance_type: str = "ecs.g6.large"
    login_instance_type: str = "ecs.g6.large"
    compute_instance_type: str = "ecs.c7.large"
    ha_enable: bool = False
    host_counters: dict[str, int] = field(default_factory=dict)  # per role: compute0, compute1, ...
    ip_counter: int = 10
    busy_task: str | None = None


@dataclass
class TaskFailure:
    """One entry of a task's errors: what went wrong, on which node if any."""

    code: str
    message: str
    instance_id: str | None = None


@dataclass
class CreatedInstance:
    """A node a task brought into being, as it was when created (the task's result lists it)."""

    instance_id: str
    ip: str
    hostname: str
    role: str

    @classmethod
    def of(cls, node: Node) -> CreatedInstance:
        return cls(node.instance_id, node.ip, node.hostname, node.role)


@dataclass
class TaskRequest:
    """The request that started a task (ListTasks shows it back)."""

    request_id: str
    cluster_id: str | None
    action: str
    params: dict[str, str]


@dataclass
class Task:
    """An asynchronous task. Its whole future is fixed at creation: `step_ends` are absolute epoch times
    (math.inf for a step scripted to never finish), and `outcome` is what it becomes after the last one."""

    task_id: str
    cluster_id: str
    task_type: TaskType
    created_at: float
    step_ends: list[float]
    outcome: TaskStatus
    request: TaskRequest
    targets: list[str] = field(default_factory=list)  # node ids the task acts on
    succeed: list[str] = field(default_factory=list)  # subset of targets that end well
    errors: list[TaskFailure] = field(default_factory=list)  # known up front (e.g. capacity)
    created: list[CreatedInstance] = field(default_factory=list)  # nodes it made; trimmed to `succeed`
    prev_status: dict[str, str] = field(default_factory=dict)  # to roll back on failure
    applied: bool = False  # terminal effects applied to nodes/cluster
    profile: str = Profile.UNIFORM.value  # how its steps were drawn (`profiles.EXPLICIT` if given)

    @property
    def spec(self) -> ActionSpec:
        """The registry row of the Action that started this task."""
        return ACTION_BY_TASK_TYPE[self.task_type]

    @property
    def total_steps(self) -> int:
        return len(self.step_ends)

    @property
    def completed_at(self) -> float | None:
        """The scheduled end of the final step: exact, independent of when anyone looked."""
        end = self.step_ends[-1]
        return None if math.isinf(end) else end

    def status_at(self, now: float) -> TaskStatus:
        end = self.completed_at
        return self.outcome if end is not None and now >= end else TaskStatus.PROCESSING

    def current_step_at(self, now: float) -> int:
        done = sum(1 for e in self.step_ends if e <= now)
        return min(self.total_steps, done + 1) if done < self.total_steps else self.total_steps


@dataclass
class TaskScript:
    """A scripted outcome for the next task (of one action, or any when `action` is None)."""

    action: str | None = None
    outcome: TaskStatus = TaskStatus.SUCCESS
    succeed_count: int | None = None
    stuck_at_step: int | None = None
    duration_s: float | None = None
    total_steps: int | None = None
    profile: Profile | None = None
    step_durations: list[float] | None = None
    """Explicit step lengths in seconds (then neither `duration_s` nor `total_steps` applies)."""


@dataclass
class IdempotencyRecord:
    """What a ClientToken was first used for, so a retry gets the original answer."""

    key: str  # action + ":" + token
    fingerprint: str
    task_id: str


@dataclass
class IssuedToken:
    """Temporary credentials STS issued: a session of `role_arn`, valid until `expires_at` (epoch s).

    The secret and token are kept because the emulator verifies signatures made with them, as STS
    itself must; its state file is the server's own key store."""

    access_key_id: str
    access_key_secret: str
    security_token: str
    expires_at: float
    role_arn: str
    session_name: str


__all__ = [
    "OUTCOMES",
    "Cluster",
    "CreatedInstance",
    "IdempotencyRecord",
    "IssuedToken",
    "Node",
    "Task",
    "TaskFailure",
    "TaskRequest",
    "TaskScript",
]
