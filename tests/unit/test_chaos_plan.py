"""The chaos runner's pure parts: plans drawn from seeds, and the checker on made-up worlds."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from tests.chaos import check as checker
from tests.chaos.plan import (
    CLUSTER1,
    FAULT_KINDS,
    GROUP1,
    GROUP2,
    KEYED_CREATES,
    MAX_COUNT,
    UNCLEAR_WINDOW_S,
    UNKEYED_1,
    Res,
    Trouble,
    draw,
    from_json,
)

SEEDS = range(1, 301)


def test_a_seed_always_draws_the_same_plan_and_seeds_differ() -> None:
    assert draw(7).to_json() == draw(7).to_json()
    assert len({str(draw(s).to_json()) for s in range(1, 21)}) == 20


def test_a_printed_plan_reads_back_as_the_same_plan() -> None:
    for seed in (1, 2, 3):
        plan = draw(seed)
        assert from_json(plan.to_json()) == plan


def test_plans_stay_within_the_issue_bounds() -> None:
    for seed in SEEDS:
        plan = draw(seed)
        first = plan.steps[0]
        assert first.change == "create" and 1 <= len(first.spec) <= 9  # 1-8, plus a group if none
        assert any(r.kind in (GROUP1, GROUP2) for r in first.spec)
        assert 4 <= len(plan.steps) <= 8  # the create, 3-6 changes, maybe a destroy of the stack
        for step in plan.steps:
            assert len(step.troubles) <= 3
            kinds = Counter(t.kind for t in step.troubles)
            assert kinds["kill"] <= 1 and kinds["restart"] <= 1
            assert len(step.spec) <= 8 or step is first
            names = {r.name for r in step.spec}
            for r in step.spec:
                if r.kind in (GROUP1, GROUP2):
                    assert 1 <= r.count <= MAX_COUNT
                if r.kind == GROUP1 and r.on != checker.DEMO:
                    cluster = next(c for c in step.spec if c.name == r.on)
                    assert cluster.kind == CLUSTER1 and cluster.running, (seed, step.change)
            assert len(names) == len(step.spec)


def test_300_seeds_draw_every_trouble_and_every_kind_of_change() -> None:
    troubles: Counter[str] = Counter()
    changes: Counter[str] = Counter()
    for seed in SEEDS:
        for step in draw(seed).steps:
            troubles.update(t.kind for t in step.troubles)
            changes[step.change.split(" ")[0]] += 1
    assert set(troubles) == set(FAULT_KINDS)
    assert {"create", "add", "scale", "replace", "destroy", "stop", "start", "reset"} <= set(changes)
    assert sum(changes.values()) >= 1500


# -- the checker ----------------------------------------------------------------------------------
G1 = Res("r1", GROUP1, count=2, running=True, instance_type="ecs.c7.large")
G2 = Res("r2", GROUP2, count=1, instance_type="ecs.c7.large")


def _node(iid: str, status: str = "Running", itype: str = "ecs.c7.large") -> dict[str, object]:
    return {"InstanceId": iid, "HostName": f"r1-compute{iid}", "Status": status, "InstanceType": itype}


def _world(**changes: object) -> checker.Snapshot:
    snap = checker.Snapshot(
        state={"r1": {"instance_ids": ["i-1", "i-2"], "failed_count": 0, "cluster_id": "ehpc-demo"},
               "r2": {"instance_ids": ["n-1"], "failed_count": 0}, "c2": {"cluster_id": "ehpc-v2"}},
        nodes1=[_node("i-1"), _node("i-2"), _node("seed-0")],
        clusters1=set(),
        nodes2=[{"id": "n-1", "hostname": "r2-x-0", "status": "running", "cluster": "ehpc-v2"}],
        clusters2={"ehpc-v2"},
        tasks={},
    )
    for key, value in changes.items():
        setattr(snap, key, value)
    return snap


def _kinds(spec: tuple[Res, ...], snap: checker.Snapshot, facts: checker.StepFacts | None = None) -> list[str]:
    return [v.kind for v in checker.check(spec, snap, {"seed-0"}, facts or checker.StepFacts())]


def test_a_world_that_matches_the_program_has_no_violation() -> None:
    assert _kinds((G1, G2), _world()) == []


def test_a_leaked_a_lost_and_a_doubly_held_node_are_named() -> None:
    assert _kinds((G1, G2), _world(nodes1=[_node("i-1"), _node("i-2"), _node("i-9")])) == ["leak"]
    assert _kinds((G1, G2), _world(nodes1=[_node("i-1")])) == ["lost"]
    state = _world().state | {"r3": {"instance_ids": ["i-2"], "failed_count": 0}}
    g3 = Res("r3", GROUP1, count=1)
    assert "duplicate" in _kinds((G1, G2, g3), _world(state=state))
    twin = {"id": "n-2", "hostname": "r2-x-0", "status": "running", "cluster": "ehpc-v2"}
    assert set(_kinds((G1, G2), _world(nodes2=[*_world().nodes2, twin]))) == {"leak", "duplicate"}


def test_counts_running_state_and_instance_type_follow_the_program() -> None:
    assert _kinds((replace(G1, count=3), G2), _world()) == ["count"]
    assert _kinds((replace(G1, running=False), G2), _world()) == ["running", "running"]
    assert _kinds((replace(G1, instance_type="ecs.g7.large"), G2), _world()) == ["type", "type"]


def test_an_accepted_partial_result_passes_only_where_a_partial_failure_was_injected() -> None:
    state = _world().state | {"r1": {"instance_ids": ["i-1"], "failed_count": 1}}
    snap = _world(state=state, nodes1=[_node("i-1")])
    assert _kinds((G1, G2), snap) == ["count"]
    assert _kinds((G1, G2), snap, checker.StepFacts(partial_ok={"r1"})) == []


def test_resources_and_clusters_outside_the_program_are_named() -> None:
    assert _kinds((G1,), _world()) == ["state", "state", "leak"]  # r2 and c2 kept, r2's node
    assert _kinds((G1, G2), _world(clusters1={"ehpc-old"})) == ["cluster"]
    assert _kinds((G1, G2), _world(clusters2={"ehpc-v2", "ehpc-v2b"})) == ["cluster"]


def _add(token: str, status: str = "Success") -> dict[str, object]:
    return {"TaskType": checker.ADD_TASK, "HostNamePrefix": "r1-", "ClientToken": token, "Status": status}


def test_addnodes_run_twice_in_one_step_is_a_duplicate_unless_the_first_ended_badly() -> None:
    facts = checker.StepFacts(new_tasks={"t1", "t2"})
    twice = _world(tasks={"t1": _add("a"), "t2": _add("b")})
    assert _kinds((G1, G2), twice, facts) == ["duplicate"]
    retried = _world(tasks={"t1": _add("a", "PartialFail"), "t2": _add("b")})
    assert _kinds((G1, G2), retried, facts) == []
    old = checker.StepFacts(new_tasks={"t2"})  # a task of an earlier step does not count
    assert _kinds((G1, G2), twice, old) == []


def test_resetnodes_twice_is_a_violation_unless_disrupted_then_a_limit_shown() -> None:
    reset = {"TaskType": checker.RESET_TASK, "Targets": ["i-1", "i-2"], "Status": "Success"}
    snap = _world(tasks={"t1": reset, "t2": dict(reset)})
    facts = checker.StepFacts(new_tasks={"t1", "t2"})
    assert _kinds((G1, G2), snap, facts) == ["rerun"]
    disrupted = checker.StepFacts(new_tasks={"t1", "t2"}, disrupted={"ResetNodes"})
    assert _kinds((G1, G2), snap, disrupted) == []
    assert checker.limit_shown(snap, disrupted, (G1, G2)) == ["ResetNodes ran 2 times for r1 after a disruption"]


def test_a_kill_that_fired_disrupts_every_unkeyed_write_whatever_call_it_was_armed_on() -> None:
    # Seed 99: a kill on the nth ListTasks call, while a ResetNodes task was awaited; the recovery's
    # `up` reset again (README: "A ResetNodes interrupted by a crash ... also runs again").
    kill = Trouble(kind="kill", action="ListTasks")
    assert "ResetNodes" in checker.disrupted_actions([kill], ["kill"])
    assert "ResetNodes" not in checker.disrupted_actions([kill], [])  # armed, never fired
    assert checker.disrupted_actions([Trouble(kind="error", action="ListNodes", code="DbError")], []) == set()
    assert checker.disrupted_actions([Trouble(kind="late", action="ResetNodes")], []) == {"ResetNodes"}


def test_a_reset_sent_again_after_one_that_failed_is_no_rerun() -> None:
    reset = {"TaskType": checker.RESET_TASK, "Targets": ["i-1", "i-2"], "Status": "Success"}
    snap = _world(tasks={"t1": dict(reset, Status="PartialFail"), "t2": reset})
    facts = checker.StepFacts(new_tasks={"t1", "t2"})
    assert _kinds((G1, G2), snap, facts) == []
    snap.tasks["t3"] = dict(reset)  # and once more after it succeeded: that one is a rerun
    assert _kinds((G1, G2), snap, checker.StepFacts(new_tasks={"t1", "t2", "t3"})) == ["rerun"]


def test_nodes_of_a_create_sent_again_after_the_cloud_forgot_its_token_are_a_limit_not_a_leak() -> None:
    first = {**_add("a"), "ClusterId": "ehpc-demo", "CreatedAt": 1.0, "Created": ["i-8", "i-9"]}
    again = {**_add("a"), "ClusterId": "ehpc-demo", "CreatedAt": 5.0, "Created": ["i-1", "i-2"]}
    nodes = [_node("i-1"), _node("i-2"), _node("i-8"), _node("i-9"), _node("seed-0")]
    snap = _world(tasks={"t1": first, "t2": again}, nodes1=[{**n, "ClusterId": "ehpc-demo"} for n in nodes])
    facts = checker.StepFacts(new_tasks={"t1", "t2"})
    assert _kinds((G1, G2), snap, facts) == ["leak", "leak", "duplicate"]  # tokens remembered: two bugs
    forgot = checker.StepFacts(new_tasks={"t1", "t2"}, forgotten=True)
    assert _kinds((G1, G2), snap, forgot) == []
    left = checker.forgotten_leftovers(snap, forgot)
    assert left.nodes == {"ehpc-demo": ["i-8", "i-9"]} and left.clusters == set()
    assert checker.limit_shown(snap, forgot, (G1, G2)) == [
        "ClientToken forgotten: AddComputes a ran again; 2 node(s) and 0 cluster(s) of the first run outside the state"]


def test_a_forgotten_token_excuses_only_what_its_first_task_made() -> None:
    first = {**_add("a"), "ClusterId": "ehpc-demo", "CreatedAt": 1.0, "Created": ["i-8"]}
    again = {**_add("a"), "ClusterId": "ehpc-demo", "CreatedAt": 5.0, "Created": ["i-1", "i-2"]}
    stray = [_node(i) for i in ("i-1", "i-2", "i-8", "i-7", "seed-0")]  # i-7: made by no such task
    snap = _world(tasks={"t1": first, "t2": again}, nodes1=stray, clusters1={"ehpc-old"})
    forgot = checker.StepFacts(new_tasks={"t1", "t2"}, forgotten=True)
    assert _kinds((G1, G2), snap, forgot) == ["leak", "cluster"]
    cluster_first = {"TaskType": checker.CREATE_CLUSTER_TASK, "ClientToken": "c", "ClusterId": "ehpc-old",
                     "CreatedAt": 1.0, "Created": []}
    cluster_again = {**cluster_first, "ClusterId": "ehpc-new", "CreatedAt": 3.0}
    snap.tasks |= {"t3": cluster_first, "t4": cluster_again}
    assert _kinds((G1, G2), snap, forgot) == ["leak"]
    assert checker.forgotten_leftovers(snap, forgot).clusters == {"ehpc-old"}


def test_late_and_forget_troubles_aim_at_the_writes_their_limits_are_about() -> None:
    late = forget = 0
    for seed in SEEDS:
        for step in draw(seed).steps:
            for t in step.troubles:
                if t.kind == "late":
                    late += 1
                    assert t.action in UNKEYED_1 and t.delay_s > UNCLEAR_WINDOW_S
                if t.kind == "forget":
                    forget += 1
                    assert t.action in KEYED_CREATES
    assert late >= 10 and forget >= 10
