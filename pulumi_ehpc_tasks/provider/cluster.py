"""Cluster: CreateCluster and wait; `running` toggles StopCluster/StartCluster; delete = DeleteCluster.

Everything CreateCluster fixes replaces the cluster; only `running`, `timeouts` and
`release_instances` change in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from ..waiting import FinishedTask
from ..wire import AmbiguousResultError, NotFoundError
from . import tasks
from .base import EhpcProvider
from .inputs import Timeouts
from .tasks import MAX_TOKEN_GENERATIONS, Op, client_token, failed_before, wait_with_progress

__all__ = ["CLUSTER_IN_PLACE_KEYS", "ClusterInputs", "ClusterProvider"]

CLUSTER_IN_PLACE_KEYS = ("running", "timeouts", "release_instances")
_NOT_SENT = {"running", "timeouts", "release_instances", "urn", "manager_instance_type", "manager_count",
             "compute_instance_type", "compute_count", "login_instance_type", "login_count"}


class ClusterInputs(BaseModel):
    """CreateCluster's main parameters, checked at preview."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=64)
    description: str | None = Field(default=None, min_length=2, max_length=256)
    deploy_mode: str | None = Field(default=None, pattern="^(Standard|Simple|Tiny)$")
    scheduler_type: str | None = Field(default=None, pattern="^(pbs|slurm|opengridscheduler|deadline|custom)$")
    account_type: str | None = Field(default=None, pattern="^(nis|ldap)$")
    os_tag: str | None = None
    image_id: str | None = None
    image_owner_alias: str | None = Field(default=None, pattern="^(system|self|others|marketplace)$")
    vpc_id: str | None = None
    vswitch_id: str | None = None
    zone_id: str | None = None
    security_group_id: str | None = None
    key_pair_name: str | None = None
    password: str | None = Field(default=None, min_length=8, max_length=30)
    ecs_charge_type: str | None = Field(default=None, pattern="^(PostPaid|PrePaid)$")
    ha_enable: StrictBool | None = None
    manager_instance_type: str | None = None
    manager_count: int = Field(default=1, ge=1, le=2)
    compute_instance_type: str | None = None
    compute_count: int = Field(default=0, ge=0, le=99)
    login_instance_type: str | None = None
    login_count: int = Field(default=1, ge=0, le=1)
    running: StrictBool = True
    release_instances: StrictBool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    urn: str | None = None

    @field_validator("description")
    @classmethod
    def _no_url(cls, value: str | None) -> str | None:
        if value and value.startswith(("http://", "https://")):
            raise ValueError("must not start with http:// or https://")
        return value

    def create_params(self) -> dict[str, Any]:
        params = {k: v for k, v in self.model_dump().items() if k not in _NOT_SENT and v is not None}
        if "vswitch_id" in params:
            params["v_switch_id"] = params.pop("vswitch_id")
        order: dict[str, dict[str, Any]] = {}
        for role in ("manager", "compute", "login"):
            spec = {"count": getattr(self, f"{role}_count")}
            if itype := getattr(self, f"{role}_instance_type"):
                spec["instance_type"] = itype
            order[role] = spec
        params["ecs_order"] = order
        return params


def _task_outputs(finished: FinishedTask | None) -> dict[str, Any]:
    if finished is None:
        return {}
    task = finished.task
    return {
        "task_id": task.task_id,
        "task_type": task.task_type,
        "task_status": task.raw_status,
        "steps": {"current": task.current_step, "total": task.total_steps},
    }


class ClusterProvider(EhpcProvider[ClusterInputs]):
    """CRUD for `Cluster`."""

    INPUTS = ClusterInputs

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = (set(ClusterInputs.model_fields) | set(olds) | set(news)) - {"urn"}
        changed = [k for k in keys if not k.startswith("__") and k in ClusterInputs.model_fields
                   and olds.get(k) != news.get(k)]
        replaces = [k for k in changed if k not in CLUSTER_IN_PLACE_KEYS]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=["cluster_id"] if not replaces else [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op("", inputs.urn)
        params = inputs.create_params()
        for generation in range(MAX_TOKEN_GENERATIONS):
            token = client_token(op.urn, "create-cluster", params, generation)
            resp = op.client.create_cluster(client_token=token, **params)
            op.cluster_id = resp.cluster_id
            try:
                if failed_before(op, resp.task_id, time.monotonic()):
                    continue  # an earlier attempt with this token failed: ask again with the next one
            except NotFoundError:
                continue  # the token belongs to a cluster deleted since
            op.info(f"CreateCluster task {resp.task_id}: creating cluster {resp.cluster_id} ({inputs.name})")
            try:
                finished = wait_with_progress(op, resp.task_id, "CreateCluster", inputs.timeouts.create)
            except NotFoundError:
                continue  # the token belongs to a cluster deleted since: the next generation is new
            finished.raise_for_outcome()
            break
        else:
            raise RuntimeError(f"CreateCluster answered with deleted clusters for {MAX_TOKEN_GENERATIONS} tokens")
        if not inputs.running:
            self._power(op, "StopCluster", inputs.timeouts.create)
        outs = {k: v for k, v in props.items() if not k.startswith("__")}
        outs.update(
            cluster_id=op.cluster_id,
            instances=[i.model_dump() for i in finished.task.result.instances],
            **_task_outputs(op.last),
        )
        return CreateResult(op.cluster_id, outs)

    def _power(self, op: Op, action: str, timeout_s: float) -> None:
        target = "stopped" if action == "StopCluster" else "running"
        send = op.client.stop_cluster if action == "StopCluster" else op.client.start_cluster
        self._unkeyed(op, action, lambda: send(op.cluster_id).task_id, lambda status: status == target, timeout_s)

    def _unkeyed(
        self, op: Op, action: str, send: Callable[[], str], done: Callable[[str], bool], timeout_s: float
    ) -> None:
        """Start/Stop/DeleteCluster and wait. They take no ClientToken, so they are never re-sent
        blindly: nothing is sent when the cluster already shows the effect, a task of the same type
        still running (from an interrupted run) is awaited, and after an ambiguous failure the
        cluster's tasks and status are read before anything is sent again."""
        if done(self._status(op)):
            return
        known = {t.task_id: t for t in self._tasks_of(op, action)}
        running = [t for t in known.values() if t.raw_status == "Processing"]
        if running:
            task_id = str(running[0].task_id)
        else:
            try:
                task_id = send()
            except AmbiguousResultError:
                task_id = self._find_new_task(op, action, set(known), done) or ""
                if not task_id and not done(self._status(op)):
                    task_id = send()
        if task_id:
            op.info(f"{action} task {task_id}: {op.cluster_id}")
            wait_with_progress(op, task_id, action, timeout_s).raise_for_outcome()

    @staticmethod
    def _status(op: Op) -> str:
        """The cluster's status, lower case; `deleted` once DescribeCluster no longer knows it."""
        try:
            return op.client.describe_cluster(op.cluster_id).cluster_info.status.lower()
        except NotFoundError:
            return "deleted"

    @staticmethod
    def _tasks_of(op: Op, task_type: str) -> list[Any]:
        # Newest first, finished ones included: a short task may end before we look.
        return [t for t in op.client.list_tasks(op.cluster_id, archived=True, page_size=50).tasks
                if t.task_type == task_type]

    def _find_new_task(self, op: Op, action: str, before: set[str], done: Callable[[str], bool]) -> str | None:
        """After an ambiguous send: the task our request created, if it shows up while we read state."""
        deadline = time.monotonic() + tasks.AMBIGUOUS_SETTLE_S
        while True:
            try:
                fresh = [t.task_id for t in self._tasks_of(op, action) if t.task_id not in before]
            except NotFoundError:
                return None  # the cluster is gone: a delete took effect
            if fresh:
                return str(fresh[0])
            if done(self._status(op)) or time.monotonic() >= deadline:
                return None
            time.sleep(1.0)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op(id_, inputs.urn)
        if inputs.running != olds.get("running", True):
            self._power(op, "StartCluster" if inputs.running else "StopCluster", inputs.timeouts.update)
        outs = {k: v for k, v in news.items() if not k.startswith("__")}
        outs.update({k: olds.get(k) for k in ("cluster_id", "instances", "task_id", "task_type", "task_status",
                                               "steps")})
        outs.update(_task_outputs(op.last))
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self._inputs(props)
        op = self._op(id_, inputs.urn)
        try:
            info = op.client.describe_cluster(id_).cluster_info
        except NotFoundError:
            return ReadResult(None, {})  # deleted out of band: the next `up` creates it again
        outs = dict(props)
        outs["status"] = info.status
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = self._inputs(props)
        op = self._op(id_, inputs.urn)
        release = inputs.release_instances
        try:
            self._unkeyed(
                op,
                "DeleteCluster",
                lambda: op.client.delete_cluster(id_, release_instance=release).task_id,
                lambda status: status == "deleted",
                inputs.timeouts.delete,
            )
        except NotFoundError:
            return  # gone while we waited: that is what delete wants
