"""A NodePool's shards wait together, whatever the engine's `--parallel`.

The engine runs at most `--parallel` steps at once (4 x CPU cores by default), and a NodeGroup's create
holds its step until its AddNodes task is over, so a 1,600-node pool (17 shards) on a 2-core runner
waited in three rounds. The shards' creates all run in this one provider process, which has already
checked every shard it is about to create, so the first shard create to run also issues AddNodes for
its siblings, with the very ClientTokens their own creates will send (`tokens.client_token`, generation
0). When a sibling's create runs, its AddNodes re-attaches to that task, already running or done.

Nothing may be left outside the state. The shard that issued for its siblings (the *issuer*) stays in
its create until each of them has claimed its task by starting its own create. If no claim comes for
`GRACE_S` (the engine stopped after another resource failed, or `--target` left a shard out), the
issuer releases that sibling: it waits for the task and deletes its nodes. A sibling whose create comes
after all sees its token's task finished, its nodes gone, and asks again with the next generation, as
after any earlier incarnation. Only a crash between issue and claim leaves nodes outside the state, and
re-running the same program re-attaches them (the README's recovery), as for a crashed create.

Registrations reach the engine in no fixed order (the SDK sends them from a thread pool), so a sibling
may be checked and created before the first shard is even checked: that sibling then adds its own
nodes alone, is never issued for, and can never be released (`claim` remembers every shard that started).

A first shard without state does not make the pool new: after an interrupted `up` (the recovery above)
siblings may be in the state while the first shard is not. The engine checks those siblings only once a
worker is free (its step queue blocks at `--parallel`), often after the issuer's create, so the issuer
cannot wait to learn which siblings are new. Issuing for one with state is harmless: its token re-attaches
to the task that made its nodes. Deleting them would not be, so a release deletes only what the early
issue itself started (a task still running when issued, `Sibling.fresh`) or what was made for a sibling
the engine checked as new; a sibling checked with state is not waited for.

Set `EHPC_PRELAUNCH=0` to turn it off (each shard then issues its own AddNodes when the engine runs it).
"""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from .context import Op

__all__ = ["GRACE_S", "NODE_POOL_TYPE", "Prelaunch", "Sibling", "enabled", "is_pool_shard"]

NODE_POOL_TYPE = "ehpc:index:NodePool"
"""The NodePool component's type token; shards carry it in their URN's type chain."""
GRACE_S = float(os.environ.get("EHPC_PRELAUNCH_GRACE_S", "120"))
"""How long the issuer waits for the next claim before it releases the siblings that did not claim."""


def enabled() -> bool:
    return os.environ.get("EHPC_PRELAUNCH", "1") != "0"


def is_pool_shard(urn: str | None) -> bool:
    """Whether `urn` names a NodeGroup created as a NodePool's shard (`...::ehpc:index:NodePool$...::name`)."""
    parts = (urn or "").split("::")
    return len(parts) >= 4 and f"{NODE_POOL_TYPE}$" in parts[2]


class State(enum.Enum):
    PENDING = "pending"
    """Checked for creation; its create has not started."""
    ISSUED = "issued"
    """Another shard's create sent its AddNodes."""
    CLAIMED = "claimed"
    """Its own create started: it owns whatever its token made."""
    EXISTING = "existing"
    """The engine checked it with prior state: no create of it will come to claim it."""
    RELEASED = "released"
    """Not claimed in time: the issuer deletes what the token made (`released` is set when done)."""


@dataclass
class Sibling:
    urn: str
    cluster_id: str
    issue: Callable[[Op], bool]
    """Sends this shard's AddNodes (its generation-0 ClientToken); safe to repeat. True when that started
    new work (its task was still running), False when it re-attached to a finished task or cannot tell."""
    release: Callable[[Op], None]
    """Deletes what its AddNodes made (waits for the task first)."""
    connection: Hashable = None
    """Its `connection` input: only a shard reached the same way shares the issuer's client."""
    state: State = State.PENDING
    fresh: bool = False
    """The early issue started the task: what it makes belongs to no state yet."""
    checked_new: bool = False
    """The engine checked it with no prior state."""
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def deletable(self) -> bool:
        """Whether a release may delete what its token made: never nodes a state may hold."""
        return self.fresh or (self.checked_new and self.state is not State.EXISTING)


class Prelaunch:
    """The shards this provider process checked for creation, and who issued or claimed what."""

    def __init__(self, grace_s: float | None = None) -> None:
        self.grace_s = GRACE_S if grace_s is None else grace_s
        self._cond = threading.Condition()
        self._shards: dict[str, Sibling] = {}
        # Shards whose create started, known or not: the engine may check the issuer (which notes its
        # siblings) after a sibling's create already ran, and that sibling must never become pending.
        self._started: set[str] = set()

    def note_checked(self, urn: str, new: bool) -> None:
        """The engine checked shard `urn`; `new` when it has no prior state."""
        with self._cond:
            if not new:
                self._started.add(urn)  # never pending: no create will come to claim it
            known = self._shards.get(urn)
            if known is None:
                return
            if new:
                known.checked_new = True
            elif known.state is State.PENDING:
                del self._shards[urn]
            elif known.state is State.ISSUED:
                known.state = State.EXISTING
                self._cond.notify_all()

    def note_pending(self, sibling: Sibling) -> None:
        """`check` saw this shard with no prior state: a create of it is coming in this deployment."""
        with self._cond:
            known = self._shards.get(sibling.urn)
            if sibling.urn in self._started:
                return
            if known is None or known.state is State.PENDING:
                sibling.checked_new = known is not None and known.checked_new
                self._shards[sibling.urn] = sibling

    def claim(self, urn: str) -> Sibling | None:
        """A shard's create starts. Returns the entry to wait on (`released`) when the issuer is
        deleting what was made for it; then the create proceeds as usual."""
        with self._cond:
            self._started.add(urn)
            known = self._shards.get(urn)
            if known is not None and known.state is State.RELEASED:
                return known
            if known is not None:
                known.state = State.CLAIMED
                self._cond.notify_all()
            return None

    def take_pending(self, cluster_id: str, issuer: str, connection: Hashable = None) -> list[Sibling]:
        """The pending shards of `cluster_id` behind `connection` other than `issuer`, now marked issued by it
        (an equal cluster id in another region or account is another cluster)."""
        with self._cond:
            taken = [s for s in self._shards.values() if s.state is State.PENDING and s.cluster_id == cluster_id
                     and s.connection == connection and s.urn != issuer]
            for s in taken:
                s.state = State.ISSUED
            return taken

    def unclaimed_after_grace(self, issued: Sequence[Sibling]) -> list[Sibling]:
        """Wait until every one of `issued` is claimed (or checked with state), or no claim came for `grace_s`;
        mark the rest released and return them (the caller deletes what it may, then sets `released`)."""
        settled = (State.CLAIMED, State.EXISTING)
        with self._cond:
            deadline = time.monotonic() + self.grace_s
            claimed = sum(s.state in settled for s in issued)
            while claimed < len(issued):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
                now_claimed = sum(s.state in settled for s in issued)
                if now_claimed > claimed:
                    claimed, deadline = now_claimed, time.monotonic() + self.grace_s
            rest = [s for s in issued if s.state in (State.ISSUED, State.EXISTING)]
            for s in rest:
                s.state = State.RELEASED
            return rest


PRELAUNCH = Prelaunch()


def issue_siblings(op: Op, issued: Sequence[Sibling]) -> None:
    """Send each sibling's AddNodes; one that fails here is sent again by its own create (same token)."""
    for sibling in issued:
        try:
            sibling.fresh = sibling.issue(Op(op.client, sibling.cluster_id, sibling.urn))
        except Exception as exc:  # its own create sends the same token again
            op.info(f"could not issue AddNodes early for {sibling.urn.rsplit('::', 1)[-1]} ({exc}); "
                    "its own create will")
    if issued:
        op.info(f"issued AddNodes for {len(issued)} more shard(s) of the pool, so that they wait together "
                "(the engine runs only --parallel creates at once)")


def release_unclaimed(op: Op, issued: Sequence[Sibling], prelaunch: Prelaunch = PRELAUNCH) -> None:
    """After the issuer's own work: wait for claims, then delete what was made for shards that never came."""
    if not issued:
        return
    for sibling in prelaunch.unclaimed_after_grace(issued):
        name = sibling.urn.rsplit("::", 1)[-1]
        if not sibling.deletable:
            # Its token had made these nodes before this deployment: a state may hold them (the sibling's own,
            # checked later), so they are left as they are; its create, if it comes, re-attaches them.
            op.info(f"{name}: its create did not come; the nodes its token made before this deployment are left "
                    "as they are (they may be in the state)")
            sibling.released.set()
            continue
        op.warning(f"{name}: its create did not start within {prelaunch.grace_s:.0f} s of the last shard's; "
                   "deleting the nodes issued early for it (its create, if it comes, adds them anew)")
        try:
            sibling.release(Op(op.client, sibling.cluster_id, sibling.urn))
        except Exception as exc:
            # Never mask the issuer's own outcome. The nodes are still its token's: the same program's next
            # `pulumi up` re-attaches them to that shard (README: recovery after an interruption).
            op.warning(f"{name}: could not delete the nodes issued early for it ({exc}); the next `pulumi up` "
                       "of this program takes them into that shard")
        finally:
            sibling.released.set()
