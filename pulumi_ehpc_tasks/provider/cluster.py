"""Cluster: CreateCluster and wait; `running` toggles StopCluster/StartCluster; delete = DeleteCluster.

Everything CreateCluster fixes replaces the cluster; only `running`, `timeouts` and
`release_instances` change in place.
"""

from __future__ import annotations

import time
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from ..waiting import FinishedTask
from ..wire import NotFoundError
from .base import EhpcProvider
from .context import LAST_TASK_OUTPUTS, Op
from .inputs import Timeouts
from .tokens import failed_before, send_keyed
from .unkeyed import cluster_write, run_unkeyed
from .waits import wait_with_progress

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


class ClusterProvider(EhpcProvider[ClusterInputs]):
    """CRUD for `Cluster`."""

    INPUTS = ClusterInputs

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = self._comparable(olds), self._comparable(news)
        changed = [k for k in ClusterInputs.model_fields if k != "urn" and old.get(k) != new.get(k)]
        replaces = [k for k in changed if k not in CLUSTER_IN_PLACE_KEYS]
        return DiffResult(changes=bool(changed), replaces=replaces, stables=["cluster_id"] if not replaces else [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        op = self._op("", inputs.urn)
        params = inputs.create_params()

        def attempt(token: str) -> FinishedTask | None:
            resp = op.client.create_cluster(client_token=token, **params)
            op.cluster_id = resp.cluster_id
            try:
                if failed_before(op, resp.task_id, time.monotonic()):
                    return None  # an earlier attempt with this token failed: ask again with the next one
                op.info(f"CreateCluster task {resp.task_id}: creating cluster {resp.cluster_id} ({inputs.name})")
                finished = wait_with_progress(op, resp.task_id, "CreateCluster", inputs.timeouts.create)
            except NotFoundError:
                return None  # the token belongs to a cluster deleted since: the next generation is new
            finished.raise_for_outcome()
            return finished

        finished = send_keyed(op, "CreateCluster", "create-cluster", params, attempt)
        if not inputs.running:
            self._power(op, False, inputs.timeouts.create)
        outs = {k: v for k, v in props.items() if not k.startswith("__")}
        outs.update(
            cluster_id=op.cluster_id,
            instances=[i.model_dump() for i in finished.task.result.instances],
            **op.task_outputs(),
        )
        return CreateResult(op.cluster_id, outs)

    @staticmethod
    def _power(op: Op, running: bool, timeout_s: float) -> None:
        write = cluster_write(op, "StartCluster" if running else "StopCluster")
        run_unkeyed(op, write, op.cluster_id, timeout_s)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op(id_, inputs.urn)
        if inputs.running != olds.get("running", True):
            self._power(op, inputs.running, inputs.timeouts.update)
        outs = {k: v for k, v in news.items() if not k.startswith("__")}
        outs.update({k: olds.get(k) for k in ("cluster_id", "instances", *LAST_TASK_OUTPUTS)})
        outs.update(op.task_outputs())
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
        write = cluster_write(op, "DeleteCluster", release_instance=inputs.release_instances)
        try:
            run_unkeyed(op, write, op.cluster_id, inputs.timeouts.delete)
        except NotFoundError:
            return  # gone while we waited: that is what delete wants
