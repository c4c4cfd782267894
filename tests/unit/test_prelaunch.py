"""The pool-shard prelaunch protocol: who issues for whom, claims, and the release of shards that never came."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from pulumi_ehpc_tasks.provider.context import Op
from pulumi_ehpc_tasks.provider.prelaunch import (
    NODE_POOL_TYPE,
    Prelaunch,
    Sibling,
    State,
    is_pool_shard,
    release_unclaimed,
)

SHARD = f"urn:pulumi:dev::infra::{NODE_POOL_TYPE}$pulumi-python:dynamic/ehpc:NodeGroup::pool-p0-"


def _sibling(k: int, cluster: str = "c-1", log: list[str] | None = None) -> Sibling:
    calls = log if log is not None else []

    def release(_op: Op) -> None:
        calls.append(f"release {k}")

    return Sibling(f"{SHARD}{k}", cluster, lambda _op: calls.append(f"issue {k}"), release)


def _pending(p: Prelaunch, sibling: Sibling) -> None:
    """As in a deployment: the first shard names the sibling, the engine checks it as new."""
    p.note_pending(sibling)
    p.note_checked(sibling.urn, new=True)


def test_only_nodepool_children_are_shards() -> None:
    assert is_pool_shard(f"{SHARD}0")
    assert not is_pool_shard("urn:pulumi:dev::infra::pulumi-python:dynamic/ehpc:NodeGroup::compute")
    assert not is_pool_shard(None)
    assert not is_pool_shard("garbage")


def test_the_issuer_takes_the_pending_shards_of_its_cluster_but_not_itself_or_claimed_ones() -> None:
    p = Prelaunch(grace_s=1)
    for k in range(4):
        _pending(p, _sibling(k))
    _pending(p, _sibling(9, cluster="c-other"))
    assert p.claim(f"{SHARD}0") is None
    assert p.claim(f"{SHARD}1") is None  # its own create already runs: it sends its own AddNodes
    taken = p.take_pending("c-1", f"{SHARD}0")
    assert sorted(s.urn for s in taken) == [f"{SHARD}2", f"{SHARD}3"]
    assert p.take_pending("c-1", f"{SHARD}1") == []  # a second issuer finds nothing left


def test_a_shard_whose_create_ran_before_the_issuer_was_checked_is_never_issued_for_or_released() -> None:
    # Registrations reach the engine in any order: a sibling may be checked and created before the
    # shard that carries the sibling list. Issuing for it then would wait a grace for a claim that
    # already happened and delete the nodes its state holds.
    p = Prelaunch(grace_s=0.05)
    assert p.claim(f"{SHARD}1") is None
    for k in range(3):
        _pending(p, _sibling(k))
    p.claim(f"{SHARD}0")
    taken = p.take_pending("c-1", f"{SHARD}0")
    assert [s.urn for s in taken] == [f"{SHARD}2"]


def test_no_release_when_every_issued_shard_claims() -> None:
    p = Prelaunch(grace_s=5)
    for k in range(3):
        _pending(p, _sibling(k))
    p.claim(f"{SHARD}0")
    taken = p.take_pending("c-1", f"{SHARD}0")
    threading.Timer(0.05, p.claim, args=(f"{SHARD}1",)).start()
    threading.Timer(0.1, p.claim, args=(f"{SHARD}2",)).start()
    assert p.unclaimed_after_grace(taken) == []
    assert all(s.state is State.CLAIMED for s in taken)


def test_a_shard_that_never_claims_is_released_and_a_late_create_waits_for_the_release() -> None:
    log: list[str] = []
    p = Prelaunch(grace_s=0.2)
    for k in range(3):
        _pending(p, _sibling(k, log=log))
    p.claim(f"{SHARD}0")
    taken = p.take_pending("c-1", f"{SHARD}0")
    p.claim(f"{SHARD}1")
    op = Op(SimpleNamespace(), "c-1", f"{SHARD}0")  # type: ignore[arg-type]
    release_unclaimed(op, taken, prelaunch=p)
    assert log == ["release 2"]
    late = p.claim(f"{SHARD}2")
    assert late is not None and late.released.is_set()  # its create goes on once the nodes are gone


def test_a_failed_release_never_raises_and_still_lets_the_late_create_go_on() -> None:
    def broken(_op: Op) -> Any:
        raise RuntimeError("DeleteNodes: service unavailable")

    p = Prelaunch(grace_s=0.05)
    _pending(p, Sibling(f"{SHARD}1", "c-1", lambda _op: None, broken))
    taken = p.take_pending("c-1", f"{SHARD}0")
    release_unclaimed(Op(SimpleNamespace(), "c-1", f"{SHARD}0"), taken, prelaunch=p)  # type: ignore[arg-type]
    assert taken[0].released.is_set() and taken[0].state is State.RELEASED


def test_each_claim_restarts_the_grace_period() -> None:
    p = Prelaunch(grace_s=0.3)
    for k in range(4):
        _pending(p, _sibling(k))
    taken = p.take_pending("c-1", f"{SHARD}0")
    # Claims 0.2 s apart: each within the grace of the one before, together longer than one grace.
    for i, k in enumerate((1, 2, 3)):
        threading.Timer(0.2 * (i + 1), p.claim, args=(f"{SHARD}{k}",)).start()
    assert p.unclaimed_after_grace(taken) == []


def test_a_sibling_with_state_or_not_checked_yet_is_never_issued_for() -> None:
    # The recovery after an interrupted `up`: the first shard was released (no state) while siblings
    # 1 and 2 are in the state. Issuing for them would, with no create to claim them, delete their nodes.
    p = Prelaunch(grace_s=0.05)
    p.note_checked(f"{SHARD}1", new=False)  # checked before the first shard named it
    for k in range(1, 5):
        p.note_pending(_sibling(k))
    p.note_checked(f"{SHARD}2", new=False)  # checked after
    p.note_checked(f"{SHARD}3", new=True)
    taken = p.take_pending("c-1", f"{SHARD}0")
    assert [s.urn for s in taken] == [f"{SHARD}3"]  # 4 was not checked yet: its own create adds its nodes
    p.note_checked(f"{SHARD}4", new=True)
    assert [s.urn for s in p.take_pending("c-1", f"{SHARD}0")] == [f"{SHARD}4"]
