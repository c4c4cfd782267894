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


def _sibling(k: int, cluster: str = "c-1", log: list[str] | None = None, fresh: bool = True) -> Sibling:
    calls = log if log is not None else []

    def issue(_op: Op) -> bool:
        calls.append(f"issue {k}")
        return fresh

    def release(_op: Op) -> None:
        calls.append(f"release {k}")

    sibling = Sibling(f"{SHARD}{k}", cluster, issue, release)
    sibling.fresh = fresh  # as `issue_siblings` sets it
    return sibling


def test_only_nodepool_children_are_shards() -> None:
    assert is_pool_shard(f"{SHARD}0")
    assert not is_pool_shard("urn:pulumi:dev::infra::pulumi-python:dynamic/ehpc:NodeGroup::compute")
    assert not is_pool_shard(None)
    assert not is_pool_shard("garbage")


def test_the_issuer_takes_the_pending_shards_of_its_cluster_but_not_itself_or_claimed_ones() -> None:
    p = Prelaunch(grace_s=1)
    for k in range(4):
        p.note_pending(_sibling(k))
    p.note_pending(_sibling(9, cluster="c-other"))
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
        p.note_pending(_sibling(k))
    p.claim(f"{SHARD}0")
    taken = p.take_pending("c-1", f"{SHARD}0")
    assert [s.urn for s in taken] == [f"{SHARD}2"]


def test_no_release_when_every_issued_shard_claims() -> None:
    p = Prelaunch(grace_s=5)
    for k in range(3):
        p.note_pending(_sibling(k))
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
        p.note_pending(_sibling(k, log=log))
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
    p.note_pending(Sibling(f"{SHARD}1", "c-1", lambda _op: True, broken, fresh=True))
    taken = p.take_pending("c-1", f"{SHARD}0")
    release_unclaimed(Op(SimpleNamespace(), "c-1", f"{SHARD}0"), taken, prelaunch=p)  # type: ignore[arg-type]
    assert taken[0].released.is_set() and taken[0].state is State.RELEASED


def test_each_claim_restarts_the_grace_period() -> None:
    p = Prelaunch(grace_s=0.3)
    for k in range(4):
        p.note_pending(_sibling(k))
    taken = p.take_pending("c-1", f"{SHARD}0")
    # Claims 0.2 s apart: each within the grace of the one before, together longer than one grace.
    for i, k in enumerate((1, 2, 3)):
        threading.Timer(0.2 * (i + 1), p.claim, args=(f"{SHARD}{k}",)).start()
    assert p.unclaimed_after_grace(taken) == []


def _op() -> Op:
    return Op(SimpleNamespace(), "c-1", f"{SHARD}0")  # type: ignore[arg-type]


def test_a_replayed_token_is_never_deleted_unless_the_sibling_was_checked_as_new() -> None:
    # The recovery after an interrupted `up`: the first shard has no state, sibling 1 does (its token's
    # task finished long ago, so the early issue re-attached to it: not fresh). Its create never comes;
    # deleting what its token made would delete the nodes its state holds.
    log: list[str] = []
    p = Prelaunch(grace_s=0.05)
    for k in (1, 2, 3):
        p.note_pending(_sibling(k, log=log, fresh=k == 3))
    p.note_checked(f"{SHARD}2", new=True)
    taken = p.take_pending("c-1", f"{SHARD}0")
    release_unclaimed(_op(), taken, prelaunch=p)
    assert sorted(log) == ["release 2", "release 3"]  # 2: checked as new; 3: the issue started its task
    late = p.claim(f"{SHARD}1")
    assert late is not None and late.released.is_set()  # a late create re-attaches its token's nodes


def test_a_sibling_checked_with_state_is_not_issued_for_nor_waited_for() -> None:
    log: list[str] = []
    p = Prelaunch(grace_s=30)
    for k in (1, 2):
        p.note_pending(_sibling(k, log=log, fresh=False))
    p.note_checked(f"{SHARD}1", new=False)  # checked before the issuer's create: never issued
    taken = p.take_pending("c-1", f"{SHARD}0")
    assert [s.urn for s in taken] == [f"{SHARD}2"]
    threading.Timer(0.05, p.note_checked, args=(f"{SHARD}2",), kwargs={"new": False}).start()
    release_unclaimed(_op(), taken, prelaunch=p)  # returns at that check, not after 30 s of grace
    assert log == [] and taken[0].state is State.RELEASED and taken[0].released.is_set()


def test_extra_nodes_a_fresh_issue_made_for_a_sibling_with_state_are_deleted() -> None:
    # Had the service forgotten the token, the early issue added nodes nobody's state holds.
    log: list[str] = []
    p = Prelaunch(grace_s=30)
    p.note_pending(_sibling(1, log=log, fresh=True))
    taken = p.take_pending("c-1", f"{SHARD}0")
    p.note_checked(f"{SHARD}1", new=False)
    release_unclaimed(_op(), taken, prelaunch=p)
    assert log == ["release 1"]
