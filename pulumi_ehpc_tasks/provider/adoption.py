"""Taking over existing nodes (`adopt_instance_ids`, `adopt_host_name_prefix`) and clusters
(`adopt_cluster_id`) with reads only, and the claims that keep two groups of a stack from holding one node.

E-HPC's ListNodes cannot tell which group a node belongs to (groups stamp nothing on their nodes), so
the provider process remembers, per cluster, which resource URN holds which nodes: every NodeGroup call
that sees a group's state (check, diff, create, update, read) notes it. The engine checks and diffs
resources one at a time in the order the program registers them, so a group that adopts the nodes of
a group declared before it, or of another adopting group, is refused at preview; one declared after it
is seen only if the engine reached it before the adopting create ran (README, "Adopting").

The same record tells a new resource from a replaced one: the engine checks a replacement again with
no old inputs (pkg/resource/deploy/step_generator.go, "recompute the default values"), exactly as a
new resource, but only after diffing the old state in this process. A replacement never adopts: the
nodes (or the cluster) it named are the old resource's, which its delete then removes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pulumi.dynamic import CheckFailure, CheckResult

from ..wire import EhpcError, NodeInfo

__all__ = ["CLAIMS", "AdoptionError", "Claims", "adopted_nodes", "read_at_check", "read_at_create"]

T = TypeVar("T")


@dataclass(frozen=True)
class AdoptionError(Exception):
    """An adoption that cannot be made as asked; `input` names the input to fix."""

    input: str
    reason: str

    def __str__(self) -> str:
        return f"{self.input}: {self.reason}"


def read_at_check(result: CheckResult, read: Callable[[], T]) -> T | None:
    """`read()` at preview: an AdoptionError becomes the check failure of its input; an API error is left
    to the create, which reads again before it records anything."""
    try:
        return read()
    except AdoptionError as exc:
        result.failures.append(CheckFailure(exc.input, exc.reason))
    except EhpcError:
        pass
    return None


def read_at_create(read: Callable[[], T], error: type[Exception], kind: str) -> T:
    """`read()` at create: an AdoptionError becomes the resource's own error, before anything is recorded."""
    try:
        return read()
    except AdoptionError as exc:
        raise error(f"{kind} cannot adopt: {exc}. Nothing was changed.") from None


def adopted_nodes(
    live: Mapping[str, NodeInfo],
    cluster_id: str,
    count: int,
    instance_ids: Sequence[str] | None,
    host_name_prefix: str | None,
) -> list[NodeInfo]:
    """The compute nodes an adoption takes, in the order given (ids) or listed (prefix); they must be
    exactly `count`, so that adopting never adds or deletes a node."""
    if instance_ids:
        missing = [i for i in instance_ids if i not in live]
        if missing:
            raise AdoptionError("adopt_instance_ids", f"{', '.join(missing)} is not a compute node of cluster "
                                f"{cluster_id} (ListNodes lists no such node, or it is being deleted)")
        nodes = [live[i] for i in instance_ids]
        what = f"{len(nodes)} node(s) listed in adopt_instance_ids"
    else:
        prefix = host_name_prefix or ""
        nodes = [n for n in live.values() if n.host_name.startswith(prefix)]
        if not nodes:
            raise AdoptionError("adopt_host_name_prefix", f"no compute node of cluster {cluster_id} has a host name "
                                f"starting with {prefix!r}")
        what = f"{len(nodes)} node(s) whose host name starts with {prefix!r}"
    if len(nodes) != count:
        raise AdoptionError("count", f"adopting takes the {what}, so count must be {len(nodes)} (got {count}); "
                            "change count after the adoption to scale")
    return nodes


class Claims:
    """Which resource (URN) of this provider process's stack holds which node of a cluster."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: dict[tuple[str, str], str] = {}
        self._stated: set[str] = set()

    def note_state(self, urn: str) -> None:
        """The engine showed this process a state of `urn` (diff, read, update) or a create made one."""
        with self._lock:
            self._stated.add(urn)

    def has_state(self, urn: str) -> bool:
        """Whether `urn` exists already: a check with no old inputs is then a replacement's."""
        with self._lock:
            return urn in self._stated

    def note(self, urn: str, cluster_id: str, instance_ids: Iterable[str], *, from_state: bool = True) -> None:
        """`urn` holds exactly `instance_ids` of `cluster_id` now (ids it held before are let go);
        `from_state=False`: only about to (an adopting group's check)."""
        ids = set(instance_ids)
        if from_state:
            self.note_state(urn)
        with self._lock:
            for key in [k for k, held_by in self._holder.items() if held_by == urn and k[0] == cluster_id]:
                if key[1] not in ids:
                    del self._holder[key]
            for iid in ids:
                self._holder[(cluster_id, iid)] = urn

    def release(self, urn: str, cluster_id: str, instance_ids: Iterable[str]) -> None:
        """`urn` no longer holds these (deleted; a replacement with the same URN keeps its own)."""
        with self._lock:
            for iid in instance_ids:
                if self._holder.get((cluster_id, iid)) == urn:
                    del self._holder[(cluster_id, iid)]

    def held_elsewhere(self, urn: str, cluster_id: str, instance_ids: Iterable[str]) -> dict[str, str]:
        """Those of `instance_ids` another resource holds, with its URN."""
        with self._lock:
            held = {i: self._holder.get((cluster_id, i), urn) for i in instance_ids}
        return {i: other for i, other in held.items() if other != urn}

    def check_free(self, urn: str, cluster_id: str, nodes: Sequence[NodeInfo], input_name: str) -> None:
        """Raise AdoptionError (blaming `input_name`) if another resource holds one of `nodes`."""
        taken = self.held_elsewhere(urn, cluster_id, [n.id for n in nodes])
        if taken:
            owners = "; ".join(f"{i} by {other.rsplit('::', 1)[-1]} ({other})" for i, other in sorted(taken.items()))
            raise AdoptionError(input_name, f"already held by another resource of this stack: {owners}")


CLAIMS = Claims()
