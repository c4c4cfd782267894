"""Write docs/reference.md from the typed classes: each resource's inputs (type, default, allowed
values, whether a change updates in place or replaces) and outputs, plus a captured PartialFail run.

    .venv/bin/python scripts/gen_reference.py          # rewrite docs/reference.md
    .venv/bin/python scripts/gen_reference.py --check  # exit 1 if it is stale (tests/unit/test_reference.py)

Names, types and descriptions come from the Args classes (`provider/args.py`) and the resources'
`pulumi.Output` annotations; defaults and allowed values from the providers' input models (which take
AddNodes/CreateCluster's rules from the wire models). The PartialFail run is docs/partial_fail_run.txt
(scripts/capture_partial_fail.py records it against the emulator).
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pulumi_ehpc_tasks.provider import args as a  # noqa: E402
from pulumi_ehpc_tasks.provider.cluster import CLUSTER_IN_PLACE_KEYS, ClusterInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.connection import CONNECTION, ConnectionInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.inputs import ADOPT_INPUTS, DEFAULT_TIMEOUTS_S, NodeGroupInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.nodegroup import NODE_GROUP_REPLACE_KEYS  # noqa: E402
from pulumi_ehpc_tasks.provider.pool import NodePool, PoolInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.resources import Cluster, NodeGroup, TaskWait  # noqa: E402
from pulumi_ehpc_tasks.provider.taskwait import TASK_WAIT_REPLACE_KEYS, TaskWaitInputs  # noqa: E402

OUT = ROOT / "docs" / "reference.md"
PARTIAL_RUN = ROOT / "docs" / "partial_fail_run.txt"


@dataclass(frozen=True)
class Resource:
    cls: type
    args: type
    model: type[BaseModel]
    """The provider's input model (NodePool: its own, then NodeGroup's)."""
    change: Callable[[str], str]
    """Input name → what a change of it does."""


_CONNECTION_CHANGE = "replace if the region (or, without one, the endpoint) changes; else update, no API call"


def _replaces(keys: tuple[str, ...]) -> Callable[[str], str]:
    return _adopting(lambda name: _CONNECTION_CHANGE if name == CONNECTION else "replace" if name in keys else "update")


def _adopting(change: Callable[[str], str]) -> Callable[[str], str]:
    """What a change does, the adoption inputs (read at create only) aside."""
    return lambda name: "ignored after create" if name in ADOPT_INPUTS else change(name)


def _pool_change(name: str) -> str:
    if name in ("count", "placements", "max_per_group"):
        return "regroup (resizes the last group of a placement, adds or removes groups)"
    return f"as NodeGroup ({_replaces(NODE_GROUP_REPLACE_KEYS)(name)})"


RESOURCES = (
    Resource(NodeGroup, a.NodeGroupArgs, NodeGroupInputs, _replaces(NODE_GROUP_REPLACE_KEYS)),
    Resource(Cluster, a.ClusterArgs, ClusterInputs,
             _adopting(lambda name: _CONNECTION_CHANGE if name == CONNECTION
                       else "update" if name in CLUSTER_IN_PLACE_KEYS else "replace")),
    Resource(TaskWait, a.TaskWaitArgs, TaskWaitInputs, _replaces(TASK_WAIT_REPLACE_KEYS)),
    Resource(NodePool, a.NodePoolArgs, PoolInputs, _pool_change),
)

CONNECTION_ARGS = Resource(a.ConnectionArgs, a.ConnectionArgs, ConnectionInputs, lambda name: (
    "replace if the region (or, without one, the endpoint) changes" if name in ("region", "endpoint")
    else "update, no API call"))
"""The `connection` input's fields (no resource of its own: listed like one, without outputs)."""


def property_docs(cls: type) -> dict[str, str]:
    """The docstring under each annotated attribute of `cls` and of its bases in the same module."""
    tree = ast.parse(Path(inspect.getfile(cls)).read_text())
    classes = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    docs: dict[str, str] = {}
    for klass in cls.__mro__:
        node = classes.get(klass.__name__)
        if node is None:
            continue
        for stmt, after in zip(node.body, [*node.body[1:], None], strict=True):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                text = ""
                if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                    text = " ".join(str(after.value.value).split())
                docs.setdefault(stmt.target.id, text)
    return docs


def _type(annotation: Any) -> str:
    text = str(annotation).removesuffix(" | None")
    text = re.sub(r"pulumi\.Input\[(.*)\]$", r"\1", text)
    text = text.replace("pulumi.Output[", "").removesuffix("]") if text.startswith("pulumi.Output[") else text
    return text.replace("|", "\\|")  # inside a table cell


def _seconds(value: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g}{unit}"
    return f"{value:g}s"


def _holder(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The model that checks input `name` (a NodePool hands what it does not take to its NodeGroups)."""
    for candidate in (model, NodeGroupInputs):
        if name in candidate.model_fields:
            return candidate
    return None


def _default(res: Resource, name: str) -> str:
    model = _holder(res.model, name)
    if name == "timeouts":
        return ", ".join(f"{k} {_seconds(v)}" for k, v in DEFAULT_TIMEOUTS_S.items())
    if model is None:
        return "the cluster's"
    field = model.model_fields[name]
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=False)
    if value is None or value is PydanticUndefined:
        return "—"
    return f"`{getattr(value, 'value', value)!r}`"


_LIMITS = (("minimum", "≥ {}"), ("maximum", "≤ {}"), ("minLength", "length ≥ {}"), ("maxLength", "length ≤ {}"),
           ("pattern", "matches `{}`"))


def _allowed(res: Resource, name: str) -> str:
    model = _holder(res.model, name)
    if model is None:
        return ""
    schema: Mapping[str, Any] = model.model_json_schema()
    prop = dict(schema["properties"][name])
    for option in prop.pop("anyOf", []):
        if option.get("type") != "null":
            prop.update(option)
    if "$ref" in prop:
        prop.update(schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]])
    if "enum" in prop:
        return ", ".join(f"`{v}`" for v in prop["enum"])
    limits = [fmt.format(str(prop[key]).replace("|", "\\|")) for key, fmt in _LIMITS if key in prop]
    items = prop.get("items", {})
    limits += ["each " + fmt.format(str(items[key]).replace("|", "\\|")) for key, fmt in _LIMITS if key in items]
    limits += [fmt.format(prop[key]) for key, fmt in (("minItems", "≥ {} items"), ("maxItems", "≤ {} items"))
               if key in prop]
    if name == "timeouts":
        limits.append("seconds or `45s`/`30m`/`1.5h`, 1 s .. 7 days")
    return "; ".join(limits)


def _inputs(res: Resource) -> list[str]:
    docs = property_docs(res.args)
    rows = ["| input | type | default | allowed values | on change | description |", "|---|---|---|---|---|---|"]
    for name, annotation in res.args.__annotations__.items():
        rows.append(f"| `{name}` | `{_type(annotation)}` | {_default(res, name)} | {_allowed(res, name)} "
                    f"| {res.change(name)} | {docs[name]} |")
    return rows


def _outputs(res: Resource) -> list[str]:
    docs = property_docs(res.cls)
    rows = ["| output | type | description |", "|---|---|---|"]
    for name, annotation in res.cls.__annotations__.items():
        if str(annotation).startswith("pulumi.Output"):
            rows.append(f"| `{name}` | `{_type(annotation)}` | {docs.get(name, '')} |")
    return rows


def render() -> str:
    lines = [
        "# Reference",
        "",
        "<!-- Generated by scripts/gen_reference.py from the typed classes; do not edit by hand. -->",
        "",
        "Every resource takes its inputs either as an Args object or as keyword arguments:",
        "",
        "```python",
        'NodeGroup("compute", NodeGroupArgs(cluster_id=cluster.cluster_id, count=4))',
        'NodeGroup("compute", cluster_id=cluster.cluster_id, count=4)',
        "```",
        "",
        "Inputs whose values are known when the program runs are checked there (`InvalidInputsError`,",
        "naming the property); the rest at `pulumi preview`. *update* changes the resource in place,",
        "*replace* makes a new one (and deletes the old one after); *ignored after create*: read by the",
        "create only (the adoption inputs, see the README's \"Adopting existing nodes and clusters\").",
    ]
    for res in (*RESOURCES, CONNECTION_ARGS):
        doc = inspect.getdoc(res.cls) or ""
        lines += ["", f"## {res.cls.__name__}", "", doc.split("\n\n")[0], "",
                  f"Args: `{res.args.__name__}` (dict form `{res.args.__name__}Dict`).", "", "### Inputs", ""]
        lines += _inputs(res)
        if res is CONNECTION_ARGS:
            continue
        lines += ["", "### Outputs", ""]
        lines += _outputs(res)
    lines += [
        "",
        "## A PartialFail, as it prints",
        "",
        "AddNodes of 3 nodes ending PartialFail with 1 added, `partial_failure='accept'` (captured from a",
        "real `pulumi up` against the emulator by scripts/capture_partial_fail.py): the group keeps the",
        "node it got, warns, and lists the failures in its outputs; the next `pulumi up` adds the missing",
        "two.",
        "",
        "```",
        PARTIAL_RUN.read_text().rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run scripts/gen_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
