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
