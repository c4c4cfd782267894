"""The public surface is what `__all__` says: no duplicates, no private names, every name resolves."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["pulumi_ehpc_tasks", "pulumi_ehpc_tasks.ehpc2", "pulumi_ehpc_tasks.provider",
            "pulumi_ehpc_tasks.provider.ehpc2", "pulumi_ehpc_tasks.wire", "pulumi_ehpc_tasks.waiting"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported))
    assert not [n for n in exported if n.startswith("_")]
    for attr in exported:
        assert getattr(module, attr) is not None, attr
