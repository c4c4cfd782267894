"""docs/reference.md is what scripts/gen_reference.py makes from the typed classes today."""

from __future__ import annotations

from scripts import gen_reference


def test_reference_is_up_to_date() -> None:
    assert gen_reference.OUT.read_text() == gen_reference.render(), (
        "docs/reference.md is stale: run `.venv/bin/python scripts/gen_reference.py`"
    )


def test_reference_lists_every_input_and_output() -> None:
    text = gen_reference.render()
    for res in gen_reference.RESOURCES:
        for name in res.args.__annotations__:
            assert f"| `{name}` |" in text, name
        for name, note in res.cls.__annotations__.items():
            if str(note).startswith("pulumi.Output"):
                assert f"| `{name}` |" in text, name
    assert "ended PartialFail: 1 of 3 nodes added" in text and '"failed_count": 2' in text


def test_every_exported_resource_has_a_row() -> None:
    """A resource added to either module (e.g. `ehpc2.NodePool`) fails here until it has a RESOURCES row."""
    import pulumi

    import pulumi_ehpc_tasks
    from pulumi_ehpc_tasks import ehpc2

    exported = {(prefix, getattr(module, name)) for prefix, module in (("", pulumi_ehpc_tasks), ("ehpc2.", ehpc2))
                for name in module.__all__
                if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), pulumi.Resource)}
    rows = {(res.prefix, res.cls) for res in gen_reference.RESOURCES}
    assert exported == rows
    text = gen_reference.render()
    for res in gen_reference.RESOURCES:
        assert f"\n## {res.title}\n" in text, res.title


def test_2_0_rows_give_every_step_and_every_inputs_change() -> None:
    for res in gen_reference.RESOURCES:
        if res.prefix != "ehpc2.":
            continue
        assert [s.step for s in res.lifecycle] == ["create", "update", "read", "delete"], res.title
        for name in res.args.__annotations__:
            # A pool's inputs regroup it or pass to its groups, whose change they then name.
            change = res.change(name).removeprefix("as ehpc2.NodeGroup (")
            assert change.startswith(("update", "replace", "regroup")), (res.title, name)
