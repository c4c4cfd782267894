"""Every mutating action a provider uses can be repeated safely: a ClientToken path when it is keyed,
and a way to resolve an ambiguous answer from state when it is not (derived from the registry)."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from pulumi_ehpc_tasks import provider
from pulumi_ehpc_tasks.provider import unkeyed
from pulumi_ehpc_tasks.provider.context import Op
from pulumi_ehpc_tasks.provider.tokens import send_keyed
from pulumi_ehpc_tasks.provider.unkeyed import cluster_write, issue_unkeyed, node_write
from pulumi_ehpc_tasks.wire import AmbiguousResultError, EhpcClient, EhpcTransportError, Target
from pulumi_ehpc_tasks.wire.actions import ACTIONS, ActionSpec, Keying
from pulumi_ehpc_tasks.wire.cluster_models import DescribeClusterResponse
from pulumi_ehpc_tasks.wire.models import ListNodesResponse, ListTasksResponse

IDS = ["i-aaa", "i-bbb"]


def _used_writes() -> list[ActionSpec]:
    """The mutating actions named anywhere in the provider package's code."""
    names: set[str] = set()
    for path in Path(provider.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in ACTIONS:
                names.add(node.value)
    return [ACTIONS[n] for n in sorted(names) if not ACTIONS[n].read_only]


USED = _used_writes()


def test_the_providers_write_only_through_registry_actions_that_have_a_task() -> None:
    # The registry may offer writes no resource uses yet (the clients and the CLI have them all); every
    # write a provider does use must be there, with a task to wait for. Today they use every one.
    assert USED and {s.name for s in USED} <= {s.name for s in ACTIONS.values() if s.is_async}


class _World:
    """A client stand-in: the first write answers ambiguously but is applied, as a lost response is."""

    def __init__(self, spec: ActionSpec) -> None:
        self.spec = spec
        self.sent = 0
        self.applied = False

    def __getattr__(self, name: str) -> Any:
        if name != self.spec.method_name:
            raise AttributeError(name)

        def write(**_params: Any) -> Any:
            self.sent += 1
            self.applied = True
            raise AmbiguousResultError(action=self.spec.name, params={}, cause=EhpcTransportError("reset"))

        return write

    def list_nodes(self, **_params: Any) -> ListNodesResponse:
        effect = self.spec.effect
        assert effect is not None
        status = effect.on_success if self.applied else "something-else"
        nodes = [] if self.applied and status == "" else [{"Id": i, "Status": status or "running"} for i in IDS]
        return ListNodesResponse.model_validate({"TotalCount": len(nodes), "Nodes": {"NodeInfo": nodes}})

    def list_tasks(self, _cluster_id: str, **_params: Any) -> ListTasksResponse:
        assert self.spec.task_type is not None
        task = {"TaskId": "T-1", "TaskType": self.spec.task_type.value, "Status": "Success",
                "Request": json.dumps({"InstanceIds": IDS})}
        tasks = [task] if self.applied and _params.get("archived") else []
        return ListTasksResponse.model_validate({"Tasks": {"TaskInfo": tasks}})

    def describe_cluster(self, _cluster_id: str) -> DescribeClusterResponse:
        effect = self.spec.cluster_effect
        assert effect is not None
        status = effect.on_success if self.applied else "something-else"
        return DescribeClusterResponse.model_validate({"ClusterInfo": {"Status": status}})


@pytest.mark.parametrize("spec", [s for s in USED if s.keying is Keying.UNKEYED], ids=lambda s: s.name)
def test_an_ambiguous_unkeyed_write_is_resolved_from_state_not_sent_again(
    spec: ActionSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unkeyed, "AMBIGUOUS_SETTLE_S", 0.0)
    world = _World(spec)
    op = Op(world, "ehpc-hz-test", "urn:test")  # type: ignore[arg-type]
    write = node_write(op, spec.name, IDS) if spec.target is Target.NODES else cluster_write(op, spec.name)
    found = issue_unkeyed(op, write)
    assert world.sent == 1
    # The effect shows in state (nothing to wait for), or the task it made is found and adopted.
    assert found == (None if write.observable else "T-1")


@pytest.mark.parametrize("spec", [s for s in USED if s.keying is Keying.CLIENT_TOKEN], ids=lambda s: s.name)
def test_a_keyed_write_sends_its_client_token(spec: ActionSpec) -> None:
    assert "client_token" in spec.request.model_fields
    assert "client_token" in inspect.signature(getattr(EhpcClient, spec.method_name)).parameters
    tokens: list[str] = []
    op = Op(None, "", "urn:test")  # type: ignore[arg-type]
    assert send_keyed(op, spec.name, "purpose", {"count": 1}, lambda t: tokens.append(t) or t) == tokens[0]


@pytest.mark.parametrize("spec", USED, ids=lambda s: s.name)
def test_each_protocol_refuses_the_other_kind_of_write(spec: ActionSpec) -> None:
    op = Op(None, "", "urn:test")  # type: ignore[arg-type]
    if spec.keying is Keying.UNKEYED:
        with pytest.raises(ValueError, match="takes no ClientToken"):
            send_keyed(op, spec.name, "p", {}, lambda t: t)
    else:
        with pytest.raises(ValueError, match="without ClientToken"):
            node_write(op, spec.name, IDS)
