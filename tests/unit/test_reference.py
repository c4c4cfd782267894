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
