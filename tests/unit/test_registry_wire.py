"""The clients and the registry agree: one method per ACTIONS row, nothing else, on both clients."""

from __future__ import annotations

import inspect

import pytest

from pulumi_ehpc_tasks.wire import ACTIONS, AsyncEhpcClient, EhpcClient, Keying, TaskType, WireResponse
from pulumi_ehpc_tasks.wire._methods import Operation

CLIENTS = [EhpcClient, AsyncEhpcClient]
# Public names of a client that are not per-action methods.
PLUMBING = {"call", "close", "aclose", "endpoint", "credentials"}


def _operations(cls: type) -> dict[str, Operation[..., WireResponse]]:
    return {
        name: value for klass in cls.__mro__ for name, value in vars(klass).items() if isinstance(value, Operation)
    }


@pytest.mark.parametrize("cls", CLIENTS, ids=lambda c: c.__name__)
def test_every_action_has_a_method(cls: type) -> None:
    for spec in ACTIONS.values():
        method = getattr(cls, spec.method_name, None)
        assert callable(method), f"{cls.__name__} lacks {spec.method_name} for {spec.name}"
        assert inspect.iscoroutinefunction(method) is (cls is AsyncEhpcClient)


@pytest.mark.parametrize("cls", CLIENTS, ids=lambda c: c.__name__)
def test_no_method_without_an_action(cls: type) -> None:
    names = {spec.method_name for spec in ACTIONS.values()}
    assert set(_operations(cls)) == names
    public = {n for n in dir(cls) if not n.startswith("_")}
    assert public - PLUMBING == names, f"{cls.__name__} has methods with no ACTIONS row"


def test_operation_resolves_to_its_row() -> None:
    for name, op in _operations(EhpcClient).items():
        assert op.spec.method_name == name


def test_method_keywords_are_request_fields() -> None:
    for spec in ACTIONS.values():
        params = inspect.signature(getattr(EhpcClient, spec.method_name)).parameters.values()
        named = {p.name for p in params if p.name != "self" and p.kind is not p.VAR_KEYWORD}
        assert named <= set(spec.request.model_fields), f"{spec.name}: {named - set(spec.request.model_fields)}"


def test_request_model_action_is_the_row_name() -> None:
    for name, spec in ACTIONS.items():
        assert spec.name == name
        assert name == spec.request.ACTION, f"{spec.request.__name__}.ACTION is {spec.request.ACTION!r}"


def test_each_task_type_belongs_to_exactly_one_action() -> None:
    for task_type in TaskType:
        owners = [spec.name for spec in ACTIONS.values() if spec.task_type is task_type]
        assert len(owners) == 1, f"{task_type.value}: {owners}"


def test_client_token_keying_matches_the_request_model() -> None:
    for spec in ACTIONS.values():
        has_token = "client_token" in spec.request.model_fields
        assert spec.client_token is has_token, f"{spec.name}: keying {spec.keying.value}, ClientToken field {has_token}"
        assert spec.idempotent is (spec.keying is not Keying.UNKEYED)


# --- API 2024-07-30: its own clients, same rules, a row without a model or a method fails ---------------------
from pulumi_ehpc_tasks.wire import (  # noqa: E402
    ACTIONS_2024,
    API_2018,
    API_2024,
    REGISTRY,
    AsyncEhpcClient2024,
    EhpcClient2024,
    WireRequest,
    registry,
    spec_for,
)
from pulumi_ehpc_tasks.wire.actions import ActionSpec  # noqa: E402

CLIENTS_2024 = [EhpcClient2024, AsyncEhpcClient2024]


def _missing_methods(rows: dict[str, ActionSpec] | object, cls: type) -> list[str]:
    return [spec.name for spec in rows.values() if not callable(getattr(cls, spec.method_name, None))]  # type: ignore[attr-defined]


def _model_problems(spec: ActionSpec) -> list[str]:
    problems = []
    if not (isinstance(spec.request, type) and issubclass(spec.request, WireRequest)):
        problems.append("no request model")
    elif spec.name != spec.request.ACTION:
        problems.append(f"request model ACTION {spec.request.ACTION!r}")
    if not (isinstance(spec.response, type) and issubclass(spec.response, WireResponse)):
        problems.append("no response model")
    return problems


@pytest.mark.parametrize("cls", CLIENTS_2024, ids=lambda c: c.__name__)
def test_2024_clients_have_exactly_the_2024_rows(cls: type) -> None:
    assert _missing_methods(dict(ACTIONS_2024), cls) == []
    names = {spec.method_name for spec in ACTIONS_2024.values()}
    assert set(_operations(cls)) == names
    assert {n for n in dir(cls) if not n.startswith("_")} - PLUMBING == names
    for spec in ACTIONS_2024.values():
        assert inspect.iscoroutinefunction(getattr(cls, spec.method_name)) is (cls is AsyncEhpcClient2024)


def test_2024_rows_have_models_post_and_no_token() -> None:
    for spec in ACTIONS_2024.values():
        assert _model_problems(spec) == [], spec.name
        assert spec.api_version == API_2024 and spec.method == "POST"
        assert not spec.client_token and "client_token" not in spec.request.model_fields
        assert spec.task_type is None  # no ListTasks on 2024-07-30
        assert spec_for(spec.request) is spec
        assert spec.replaces is None or spec.replaces in ACTIONS


def test_a_2024_row_missing_a_model_or_a_method_is_caught() -> None:
    good = ACTIONS_2024["GetQueue"]
    no_model = ActionSpec("GetQueue", object, good.response, good.keying, api_version=API_2024)  # type: ignore[arg-type]
    assert _model_problems(no_model) == ["no request model"]
    wrong = ActionSpec("GetQueue", ACTIONS_2024["ListQueues"].request, good.response, good.keying)
    assert _model_problems(wrong) == ["request model ACTION 'ListQueues'"]
    unknown = ActionSpec("AttachNodes", good.request, good.response, good.keying, api_version=API_2024)
    assert _missing_methods({"AttachNodes": unknown}, EhpcClient2024) == ["AttachNodes"]


def test_registry_is_keyed_by_version_and_name() -> None:
    assert registry(API_2018) is ACTIONS and registry(API_2024) is ACTIONS_2024
    assert set(REGISTRY) == {(API_2018, n) for n in ACTIONS} | {(API_2024, n) for n in ACTIONS_2024}
    shared = set(ACTIONS) & set(ACTIONS_2024)
    assert {"CreateCluster", "DeleteCluster", "DeleteNodes", "ListNodes", "ListClusters"} <= shared
    for name in shared:
        assert ACTIONS[name].request is not ACTIONS_2024[name].request
    with pytest.raises(KeyError):
        registry("2015-04-01")
