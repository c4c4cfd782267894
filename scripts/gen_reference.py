"""Write docs/reference.md from the typed classes: each resource's inputs (type, default, allowed
values, whether a change updates in place or replaces) and outputs, plus a captured PartialFail run.

    .venv/bin/python scripts/gen_reference.py          # rewrite docs/reference.md
    .venv/bin/python scripts/gen_reference.py --check  # exit 1 if it is stale (tests/unit/test_reference.py)

One row of `RESOURCES` per resource, E-HPC 1.0 and 2.0 (`ehpc2.`) alike. Names, types and descriptions
come from the Args classes (`provider/args.py`, `provider/ehpc2/args.py`) and the resources' `pulumi.Output`
annotations; defaults and allowed values from the providers' input models (which take AddNodes/CreateCluster/
CreateNodes' rules from the wire models); replace-or-update from the providers' key lists; a row's API
operations and waits (2.0) are stated in the row. The PartialFail run is docs/partial_fail_run.txt
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
from pulumi_ehpc_tasks.provider import ehpc2 as v2  # noqa: E402
from pulumi_ehpc_tasks.provider.cluster import CLUSTER_IN_PLACE_KEYS, ClusterInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.connection import CONNECTION, ConnectionInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.ehpc2 import args as a2  # noqa: E402
from pulumi_ehpc_tasks.provider.ehpc2.inputs import (  # noqa: E402
    Cluster2Inputs,
    NodeGroup2Inputs,
    NodePool2Inputs,
    Queue2Inputs,
)

# The 2.0 providers' own key lists (private there: their diffs are the only other readers).
from pulumi_ehpc_tasks.provider.ehpc2.nodegroup import _IN_PLACE_KEYS as NODE_GROUP2_IN_PLACE_KEYS  # noqa: E402
from pulumi_ehpc_tasks.provider.ehpc2.queue import _REPLACE_KEYS as QUEUE2_REPLACE_KEYS  # noqa: E402
from pulumi_ehpc_tasks.provider.inputs import ADOPT_INPUTS, DEFAULT_TIMEOUTS_S, NodeGroupInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.nodegroup import NODE_GROUP_REPLACE_KEYS  # noqa: E402
from pulumi_ehpc_tasks.provider.pool import NodePool, PoolInputs  # noqa: E402
from pulumi_ehpc_tasks.provider.resources import Cluster, NodeGroup, TaskWait  # noqa: E402
from pulumi_ehpc_tasks.provider.taskwait import TASK_WAIT_REPLACE_KEYS, TaskWaitInputs  # noqa: E402

OUT = ROOT / "docs" / "reference.md"
PARTIAL_RUN = ROOT / "docs" / "partial_fail_run.txt"


@dataclass(frozen=True)
class Step:
    """One lifecycle step of a resource: the API operations it calls, in order, and what it waits for."""

    step: str
    operations: str
    waits: str = "— (no wait: the answer is the result)"


@dataclass(frozen=True)
class Resource:
    """One row of the reference: a resource (or the connection input) and how its docs are derived."""

    cls: type
    args: type
    models: tuple[type[BaseModel], ...]
    """The provider input models that check the inputs, first match wins (NodePool: its own, then
    NodeGroup's, to which it hands the rest)."""
    change: Callable[[str], str]
    """Input name → what a change of it does."""
    prefix: str = ""
    """How programs reach it: `ehpc2.` for the E-HPC 2.0 module."""
    lifecycle: tuple[Step, ...] = ()
    """The API operations of each step (rendered when given)."""

    @property
    def title(self) -> str:
        return self.prefix + self.cls.__name__


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


def _changes2(replace: tuple[str, ...], in_place: tuple[str, ...], calls: Mapping[str, str], *,
              delete_first: bool) -> Callable[[str], str]:
    """A 2.0 resource's change column from its provider's key lists; `calls`: the API call an in-place
    change of an input makes (none listed: no call). An input in neither list fails the generator, so a
    new input cannot go undocumented."""
    def change(name: str) -> str:
        if name == CONNECTION:
            return _CONNECTION_CHANGE
        if name in replace:
            return "replace (the old one is deleted first)" if delete_first else "replace"
        if name not in in_place:
            raise KeyError(f"{name}: neither replaced nor updated in place by its provider's diff")
        return f"update ({calls[name]})" if name in calls else "update, no API call"
    return change


def _pool2_change(name: str) -> str:
    if name in ("count", "placements", "max_per_group"):
        return "regroup (resizes the last group of a placement, adds or removes groups)"
    group = _changes2(NodeGroup2Inputs.creation_inputs(), NODE_GROUP2_IN_PLACE_KEYS, {}, delete_first=False)
    return f"as ehpc2.NodeGroup ({group(name)})"


_CLUSTER2_REPLACE = Cluster2Inputs.creation_inputs()
_QUEUE2_UPDATABLE = tuple(k for k in Queue2Inputs.model_fields if k not in (*QUEUE2_REPLACE_KEYS, CONNECTION, "urn"))
_NODES_RELEASED = ("nodes that end `exception`/`untracking` are released (UpdateNodes to lift KeepAlive, "
                   "DeleteNodes, waited as a delete)")

RESOURCES = (
    Resource(NodeGroup, a.NodeGroupArgs, (NodeGroupInputs,), _replaces(NODE_GROUP_REPLACE_KEYS)),
    Resource(Cluster, a.ClusterArgs, (ClusterInputs, NodeGroupInputs),
             _adopting(lambda name: _CONNECTION_CHANGE if name == CONNECTION
                       else "update" if name in CLUSTER_IN_PLACE_KEYS else "replace")),
    Resource(TaskWait, a.TaskWaitArgs, (TaskWaitInputs, NodeGroupInputs), _replaces(TASK_WAIT_REPLACE_KEYS)),
    Resource(NodePool, a.NodePoolArgs, (PoolInputs, NodeGroupInputs), _pool_change),
    Resource(v2.Cluster, a2.ClusterArgs, (Cluster2Inputs,),
             _changes2(_CLUSTER2_REPLACE, ("deletion_protection", "timeouts"),
                       {"deletion_protection": "UpdateCluster"}, delete_first=True),
             "ehpc2.", (
                 Step("create", "ListClusters (`ClusterNames`: a cluster of that name not `releasing` is adopted, "
                      "not created again), else CreateCluster",
                      "`ClusterStatus` `running` (GetCluster); `exception` fails the create, with the reason "
                      "from ListCommonLogs and GetCommonLogDetail, after deleting that cluster (DeleteCluster, "
                      "awaited: a failed create leaves no state, so it would be leaked)"),
                 Step("update", "UpdateCluster (`deletion_protection` only)"),
                 Step("read", "GetCluster (`ClusterNotFound`: gone)"),
                 Step("delete", "DeleteCluster (`ClusterNotFound`: already gone; after an ambiguous failure, sent "
                      "again only if the cluster is not `releasing` within 10 s)",
                      "GetCluster answering `ClusterNotFound`; a `Failed` operation log (ListCommonLogs) fails "
                      "the delete, with the reason from GetCommonLogDetail"),
             )),
    Resource(v2.Queue, a2.QueueArgs, (Queue2Inputs,),
             _changes2(QUEUE2_REPLACE_KEYS, _QUEUE2_UPDATABLE, dict.fromkeys(_QUEUE2_UPDATABLE, "UpdateQueue"),
                       delete_first=True),
             "ehpc2.", (
                 Step("create", "GetQueue (a queue of that name is taken over with UpdateQueue), else CreateQueue"),
                 Step("update", "UpdateQueue (the whole template: inputs left out are reset)"),
                 Step("read", "GetQueue"),
                 Step("delete", "ListNodes (`QueueNames`: refuses, naming the nodes, while any remain), GetQueue, "
                      "DeleteQueues"),
             )),
    Resource(v2.NodeGroup, a2.NodeGroupArgs, (NodeGroup2Inputs,),
             _changes2(NodeGroup2Inputs.creation_inputs(), NODE_GROUP2_IN_PLACE_KEYS,
                       {"count": "CreateNodes of the difference, or DeleteNodes of the newest",
                        "keep_alive": "UpdateNodes"}, delete_first=False),
             "ehpc2.", (
                 Step("create", "ListNodes (`Hostnames`: nodes an earlier attempt created are adopted), CreateNodes "
                      "of the derived host names not found, ListNodes; UpdateNodes if `keep_alive`",
                      "every node `running` or failed (ListNodes + ListCommonLogs); then " + _NODES_RELEASED
                      + "; `partial_failure='retry'` calls CreateNodes again for the missing count"),
                 Step("update", "ListNodes; `count` up: as create, for the difference; `count` down: UpdateNodes "
                      "(lift KeepAlive), DeleteNodes of the newest; `keep_alive`: UpdateNodes",
                      "as create (up); ListNodes no longer listing the deleted nodes (down)"),
                 Step("read", "ListNodes (the nodes no longer listed drop out; `count` short: the next update "
                      "adds them)"),
                 Step("delete", "ListNodes, UpdateNodes (lift KeepAlive), DeleteNodes (after an ambiguous failure, "
                      "sent again only if the nodes are not `releasing` within 10 s)",
                      "ListNodes no longer listing the nodes; a `Failed` operation log fails the delete"),
             )),
    Resource(v2.NodePool, a2.NodePoolArgs, (NodePool2Inputs, NodeGroup2Inputs), _pool2_change, "ehpc2.", (
        Step("create", "none of its own: one `ehpc2.NodeGroup` child per group (`<pool>-p<i>-<j>`, at most "
             "`max_per_group` nodes), each created as an `ehpc2.NodeGroup`",
             "each group's own wait; the groups wait together up to `pulumi up --parallel` at once (no early "
             "issue as the 1.0 pool's: 2024-07-30 has no ClientToken to re-attach with)"),
        Step("update", "the groups whose share changed update (count), new groups are created, emptied ones deleted",
             "each group's own wait"),
        Step("read", "each group's read"),
        Step("delete", "each group's delete", "each group's own wait"),
    )),
)
"""One row per resource: a new resource is one more row here."""

WAITS_2 = (
    "E-HPC 2.0 has no ListTasks: a write is done when the resources it wrote settle. One state poller per "
    "(endpoint, identity, cluster) serves every wait on the cluster: a tick reads ListNodes (every page), "
    "GetCluster (when a cluster waits), and ListCommonLogs (the cluster's operation logs, by RequestId) only "
    "when a wait's outcome turns on it, on the 1.0 waiter's adaptive schedule; a node wait sleeps no longer "
    "than the 9 s latency budget before any of its nodes settles, and after that at most a quarter of the "
    "time since the first did (nodes boot in parallel); each wait ends at its deadline (`timeouts`) with "
    "nothing cancelled."
)
"""What every 2.0 wait does (waiting/states.py), said once above the 2.0 resources."""

CONNECTION_ARGS = Resource(a.ConnectionArgs, a.ConnectionArgs, (ConnectionInputs, NodeGroupInputs), lambda name: (
    "replace if the region (or, without one, the endpoint) changes" if name in ("region", "endpoint")
    else "update, no API call"))
"""The `connection` input's fields (no resource of its own: listed like one, without outputs)."""


def property_docs(cls: type) -> dict[str, str]:
    """The docstring under each annotated attribute of `cls` and of its bases (in whichever module)."""
    docs: dict[str, str] = {}
    for klass in cls.__mro__:
        try:
            tree = ast.parse(Path(inspect.getfile(klass)).read_text())
        except (TypeError, OSError):  # builtins
            continue
        node = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == klass.__name__), None)
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


def _holder(res: Resource, name: str) -> type[BaseModel] | None:
    """The model that checks input `name`."""
    return next((m for m in res.models if name in m.model_fields), None)


def _default(res: Resource, name: str) -> str:
    model = _holder(res, name)
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
    model = _holder(res, name)
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


def _lifecycle(res: Resource) -> list[str]:
    rows = ["| step | API operations | waits for |", "|---|---|---|"]
    return rows + [f"| {s.step} | {s.operations} | {s.waits} |" for s in res.lifecycle]


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
        "",
        "The `ehpc2.` resources are E-HPC 2.0 (API 2024-07-30, `from pulumi_ehpc_tasks import ehpc2`); the",
        "others E-HPC 1.0 (API 2018-04-12). " + WAITS_2,
    ]
    for res in (*RESOURCES, CONNECTION_ARGS):
        doc = inspect.getdoc(res.cls) or ""
        args = res.prefix + res.args.__name__
        lines += ["", f"## {res.title}", "", doc.split("\n\n")[0], "",
                  f"Args: `{args}` (dict form `{args}Dict`).", "", "### Inputs", ""]
        lines += _inputs(res)
        if res is CONNECTION_ARGS:
            continue
        lines += ["", "### Outputs", ""]
        lines += _outputs(res)
        if res.lifecycle:
            lines += ["", "### API operations", ""]
            lines += _lifecycle(res)
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
