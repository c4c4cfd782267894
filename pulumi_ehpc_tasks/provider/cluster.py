"""Cluster: CreateCluster and wait; `running` toggles StopCluster/StartCluster; delete = DeleteCluster.

Everything CreateCluster fixes replaces the cluster; only `running`, `timeouts` and
`release_instances` change in place. With `adopt_cluster_id`, create takes over an existing cluster
with reads only (DescribeCluster, ListNodes); from then on it is managed like a created one.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Literal

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, ValidationInfo, model_validator

from ..waiting import FinishedTask, TaskFailedError
from ..wire import ClusterInfo, NotFoundError, Outcome
from ..wire.cluster_models import CreateClusterRequest
from ..wire.task_models import ClusterId
from .adoption import CLAIMS, AdoptionError, read_at_check, read_at_create
from .base import EhpcProvider
from .connection import CONNECTION, ConnectionInputs
from .context import LAST_TASK_OUTPUTS, Op
from .errors import register_user_facing
from .inputs import (
    ADOPT_INPUTS,
    INTERNAL_INPUTS,
    TRUSTED,
    ImageId,
    InstanceType,
    Timeouts,
    VpcId,
    VSwitchId,
    ZoneId,
    rules_from,
    wire_check,
)
from .state import list_cluster_nodes
from .tokens import replayed_outcome, send_keyed
from .unkeyed import cluster_write, run_unkeyed
from .waits import wait_with_progress

__all__ = ["CLUSTER_IN_PLACE_KEYS", "ClusterError", "ClusterInputs", "ClusterProvider"]

CLUSTER_IN_PLACE_KEYS = ("running", "timeouts", "release_instances")
_OVER = (Outcome.FAILURE, Outcome.PARTIAL)  # a replayed create that ended so was discarded (`_discard`)
_RENAMES = {"vswitch_id": "v_switch_id"}  # input name → CreateClusterRequest field, where they differ
_NOT_SENT = {"running", "timeouts", "release_instances", "urn", CONNECTION, "manager_instance_type", "manager_count",
             "compute_instance_type", "compute_count", "login_instance_type", "login_count",
             "adopt_cluster_id", "adopting"}


class ClusterError(Exception):
    """A Cluster operation could not be made as asked; the message says what to do."""


register_user_facing(ClusterError)


@rules_from(CreateClusterRequest, _RENAMES, keep=("password",))  # the wire's is a SecretStr; ours is text
class ClusterInputs(BaseModel):
    """CreateCluster's main parameters, checked at preview: the fields CreateCluster has take its rules
    (`rules_from`), and the request the inputs make is judged by CreateClusterRequest (`_wire_rules`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    deploy_mode: str | None = None
    scheduler_type: Literal["pbs", "slurm", "opengridscheduler", "deadline", "custom"] | None = None
    account_type: str | None = None
    os_tag: str | None = None
    image_id: ImageId | None = None
    image_owner_alias: str | None = None
    vpc_id: VpcId | None = None
    vswitch_id: VSwitchId | None = None
    zone_id: ZoneId | None = None
    security_group_id: str | None = None
    key_pair_name: str | None = None
    password: str | None = None
    ecs_charge_type: str | None = None
    ha_enable: StrictBool | None = None
    manager_instance_type: InstanceType | None = None
    manager_count: int = Field(default=1, ge=1, le=2)
    compute_instance_type: InstanceType | None = None
    compute_count: int = Field(default=0, ge=0, le=99)
    login_instance_type: InstanceType | None = None
    login_count: int = Field(default=1, ge=0, le=1)
    running: StrictBool = True
    release_instances: StrictBool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    connection: ConnectionInputs | None = None
    adopt_cluster_id: ClusterId | None = None
    adopting: bool = False
    """Set by `check`: this create takes over `adopt_cluster_id` (only when the resource is new)."""
    urn: str | None = None

    @model_validator(mode="after")
    def _wire_rules(self, info: ValidationInfo) -> ClusterInputs:
        if info.context != TRUSTED:
            inputs = {_RENAMES.get(n, n): n for n in type(self).model_fields}
            wire_check(CreateClusterRequest, self.create_params(), lambda field: inputs.get(field, _role_input(field)))
        return self

    def create_params(self) -> dict[str, Any]:
        params = {_RENAMES.get(k, k): v for k, v in self.model_dump().items() if k not in _NOT_SENT and v is not None}
        order: dict[str, dict[str, Any]] = {}
        for role in ("manager", "compute", "login"):
            spec = {"count": getattr(self, f"{role}_count")}
            if itype := getattr(self, f"{role}_instance_type"):
                spec["instance_type"] = itype
            order[role] = spec
        params["ecs_order"] = order
        return params


def _role_input(field: str) -> str:
    """`ecs_order.compute.count` → `compute_count` (the inputs flatten CreateCluster's EcsOrder)."""
    parts = field.split(".")
    return "_".join(parts[1:]) if parts[0] == "ecs_order" and len(parts) == 3 else field


class ClusterProvider(EhpcProvider[ClusterInputs]):
    """CRUD for `Cluster`."""

    INPUTS = ClusterInputs

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        CLAIMS.note_state(olds.get("urn") or "")  # a check with no olds after this is a replacement's
        old, new = self._comparable(olds), self._comparable(news)
        ignored = INTERNAL_INPUTS | ADOPT_INPUTS | {CONNECTION}  # the connection has its own diff below
        changed = [k for k in ClusterInputs.model_fields if k not in ignored and old.get(k) != new.get(k)]
        replaces = [k for k in changed if k not in CLUSTER_IN_PLACE_KEYS]
        moved, rehomed = self._connection_diff(olds, news)
        changed, replaces = changed + moved, replaces + rehomed
        return DiffResult(changes=bool(changed), replaces=replaces, stables=["cluster_id"] if not replaces else [])

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """As every provider's; a new Cluster with `adopt_cluster_id` adopts at create, checked at preview."""
        result = super().check(olds, news)
        if result.failures or olds or CLAIMS.has_state(news.get("urn") or ""):
            return result  # an existing cluster (or its replacement, checked with no olds) never adopts
        try:
            inputs = self._inputs(result.inputs)
        except ValidationError:
            return result  # unknowns during preview: create checks again before it records anything
        if inputs.adopt_cluster_id:
            result.inputs["adopting"] = True
            op = self._op(inputs.adopt_cluster_id, inputs.urn, inputs.connection)
            read_at_check(result, lambda: self._adoptable(op, inputs))
        return result

    @staticmethod
    def _adoptable(op: Op, inputs: ClusterInputs) -> ClusterInfo:
        """The cluster `adopt_cluster_id` names, read now; it must exist and have the `name` given."""
        try:
            info = op.client.describe_cluster(op.cluster_id).cluster_info
        except NotFoundError:
            raise AdoptionError("adopt_cluster_id", f"no cluster {op.cluster_id} in this region "
                                "(DescribeCluster does not know it)") from None
        if info.name and info.name != inputs.name:
            raise AdoptionError("name", f"cluster {op.cluster_id} is called {info.name!r}, not {inputs.name!r}: "
                                "give its name, so that the program says which cluster it takes over")
        return info

    def _adopt(self, op: Op, inputs: ClusterInputs, props: dict[str, Any]) -> CreateResult:
        """Record an existing cluster and its nodes as this resource's, with reads only."""
        info = read_at_create(lambda: self._adoptable(op, inputs), ClusterError, "Cluster")
        nodes = list_cluster_nodes(op.client, op.cluster_id)
        outs = {k: v for k, v in props.items() if not k.startswith("__")}
        outs.update(
            cluster_id=op.cluster_id,
            status=info.status,
            instances=[{"instance_id": n.id, "ip": n.ip_address or "", "hostname": n.host_name, "role": role}
                       for role, n in nodes],
        )
        if (info.status.lower() == "stopped") is inputs.running:  # the next `up` starts or stops it
            outs["running"] = not inputs.running
            op.warning(f"adopted cluster {op.cluster_id} is {info.status} while running={str(inputs.running).lower()}; "
                       "adopting changes nothing, the next `pulumi up` starts or stops it")
        op.info(f"adopted cluster {op.cluster_id} ({info.name}, {info.status}) with {len(nodes)} node(s)")
        return CreateResult(op.cluster_id, outs)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._inputs(props)
        if inputs.adopting and inputs.adopt_cluster_id:
            return self._adopt(self._op(inputs.adopt_cluster_id, inputs.urn, inputs.connection), inputs, props)
        op = self._op("", inputs.urn, inputs.connection)
        params = inputs.create_params()

        def attempt(token: str) -> FinishedTask | None:
            resp = op.client.create_cluster(client_token=token, **params)
            op.cluster_id = resp.cluster_id
            try:
                if replayed_outcome(op, resp.task_id, time.monotonic()) in _OVER:
                    # An earlier attempt with this token failed: its cluster goes (if that attempt could
                    # not delete it, or was killed first), then the next token asks again.
                    self._delete_failed(op, inputs)
                    return None
                op.info(f"CreateCluster task {resp.task_id}: creating cluster {resp.cluster_id} ({inputs.name})")
                finished = wait_with_progress(op, resp.task_id, "CreateCluster", inputs.timeouts.create)
            except NotFoundError:
                return None  # the token belongs to a cluster deleted since: the next generation is new
            try:
                finished.raise_for_outcome()
            except TaskFailedError as err:
                self._discard(op, inputs, err)
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
    def _discard(op: Op, inputs: ClusterInputs, err: TaskFailedError) -> None:
        """Delete the cluster a failed (or partially failed) CreateCluster made, then raise `err`'s story.

        A create that raises leaves no state, so Pulumi could never delete that cluster: it and its
        nodes would leak, and the ClientToken would hand the failure back on every later `up`.
        """
        op.info(f"CreateCluster failed; deleting cluster {op.cluster_id} so that nothing is left behind")
        try:
            ClusterProvider._delete_failed(op, inputs)
        except Exception as cleanup:  # the user must learn both: the failure and the cluster left behind
            raise ClusterError(f"{err} Deleting cluster {op.cluster_id} that it made failed too ({cleanup}); the "
                               "next `pulumi up` deletes it before it creates a new one.") from err
        raise ClusterError(f"{err} Cluster {op.cluster_id} that it made has been deleted with its instances, so "
                           "nothing is left behind; fix the cause and run `pulumi up` again to create a new one."
                           ) from err

    @staticmethod
    def _delete_failed(op: Op, inputs: ClusterInputs) -> None:
        """DeleteCluster (releasing its instances) the cluster a failed CreateCluster made, if it exists."""
        with contextlib.suppress(NotFoundError):  # gone already: what the delete wants
            run_unkeyed(op, cluster_write(op, "DeleteCluster", release_instance=True), op.cluster_id,
                        inputs.timeouts.delete)

    @staticmethod
    def _power(op: Op, running: bool, timeout_s: float) -> None:
        write = cluster_write(op, "StartCluster" if running else "StopCluster")
        run_unkeyed(op, write, op.cluster_id, timeout_s)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self._inputs(news)
        op = self._op(id_, inputs.urn, inputs.connection)
        if inputs.running != olds.get("running", True):
            self._power(op, inputs.running, inputs.timeouts.update)
        outs = {k: v for k, v in news.items() if not k.startswith("__")}
        outs.update({k: olds.get(k) for k in ("cluster_id", "instances", *LAST_TASK_OUTPUTS)})
        outs.update(op.task_outputs())
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self._inputs(props)
        op = self._op(id_, inputs.urn, inputs.connection)
        try:
            info = op.client.describe_cluster(id_).cluster_info
        except NotFoundError:
            return ReadResult(None, {})  # deleted out of band: the next `up` creates it again
        outs = dict(props)
        outs["status"] = info.status
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = self._inputs(props)
        op = self._op(id_, inputs.urn, inputs.connection)
        write = cluster_write(op, "DeleteCluster", release_instance=inputs.release_instances)
        try:
            run_unkeyed(op, write, op.cluster_id, inputs.timeouts.delete)
        except NotFoundError:
            return  # gone while we waited: that is what delete wants
