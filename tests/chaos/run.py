"""Executing a chaos `Plan` through the real engine against a real emulator process.

Each step sets the program's spec (stack config `spec`), arms the step's troubles (emulator faults,
next-task scripts, a watcher that SIGKILLs `pulumi` and its plugins or restarts the emulator when the
emulator has seen the k-th call of an action), runs `pulumi up`, disarms, follows the README's recovery
when the `up` failed (cancel if locked, refresh, `--clear-pending-creates` if refused, then `up`), and
checks the converged world (`check.check`). After the last step: refresh + preview must want nothing,
`destroy` must leave nothing, and no secret may appear in the state, the backend's files or any output.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pulumi
from pulumi import automation as auto

from pulumi_ehpc_tasks import Cluster, NodeGroup, ehpc2
from pulumi_ehpc_tasks.provider.args import TimeoutsDict
from pulumi_ehpc_tasks.wire import EhpcClient, EhpcClient2024
from pulumi_ehpc_tasks.wire.signing import Credentials
from tests.e2e.harness import DEMO_CLUSTER, DEMO_KEY_ID, EmulatorProcess, offline_env
from tests.reliability.engine import SECRET, find_leaks, kill_tree, pulumi_cli_pids, scan_stack, stack_config

from . import check as checker
from .plan import CLUSTER1, DISRUPTIONS, GROUP1, GROUP2, KILLS, READ_TIMEOUT_S, Plan, Res, Step, Trouble

PASSWORD = "chaosClusterPassw0rd!Kq82"  # a 1.0 cluster's password: must never show up either
SECRETS = (SECRET, PASSWORD)
TIMEOUTS: TimeoutsDict = {"create": "4m", "update": "4m", "delete": "4m"}
COMMAND_TIMEOUT_S = 600  # a hung command is a violation, not a hung batch


def program() -> None:
    """The stack: every resource of the step's spec (config `spec`, JSON)."""
    cfg = pulumi.Config()
    spec = [Res(**r) for r in json.loads(cfg.require("spec"))]
    clusters: dict[str, Any] = {}
    for r in spec:
        if r.kind == CLUSTER1:
            clusters[r.name] = Cluster(r.name, name=f"chaos-{r.name}", deploy_mode="Simple", compute_count=0,
                                       running=r.running, password=cfg.require_secret("password"),
                                       timeouts=TIMEOUTS)
    v2 = [r for r in spec if r.kind == GROUP2]
    queue = cluster2 = None
    if v2:
        cluster2 = ehpc2.Cluster(checker.V2_CLUSTER, cluster_name="chaos-v2", scheduler_type="SLURM", timeouts=TIMEOUTS)
        queue = ehpc2.Queue("q2", cluster_id=cluster2.cluster_id, queue_name="comp")
    for r in spec:
        if r.kind == GROUP1:
            NodeGroup(r.name, cluster_id=clusters[r.on].cluster_id if r.on in clusters else DEMO_CLUSTER,
                      count=r.count, running=r.running, partial_failure=r.policy, instance_type=r.instance_type,
                      host_name_prefix=checker.prefix_of(r.name), reset_trigger=str(r.reset), timeouts=TIMEOUTS)
        elif r.kind == GROUP2 and cluster2 is not None and queue is not None:
            ehpc2.NodeGroup(r.name, cluster_id=cluster2.cluster_id, queue_name=queue.queue_name, count=r.count,
                            partial_failure=r.policy, instance_type=r.instance_type, hostname_prefix=r.name,
                            timeouts=TIMEOUTS)


@dataclass
class RunResult:
    seed: int
    steps: int = 0
    troubles: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    restarts: int = 0
    recoveries: Counter[str] = field(default_factory=Counter)
    failed_ups: int = 0
    violations: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "steps": self.steps, "troubles": dict(self.troubles), "kills": self.kills,
                "restarts": self.restarts, "recoveries": dict(self.recoveries), "failed_ups": self.failed_ups,
                "violations": self.violations, "limits": self.limits, "log": self.log,
                "seconds": round(self.seconds, 1)}


class Emulator:
    """The emulator process of one run, restartable on its port from its state file."""

    def __init__(self, workdir: Path, seed: int) -> None:
        self.args = ["--step-seconds", "0.05", "--seed", str(seed), "--state", str(workdir / "emulator.db"),
                     "--access-key-secret", SECRET]
        self.proc = EmulatorProcess(*self.args)
        self.proc.start()
        self.endpoint = self.proc.endpoint
        self.port = self.endpoint.rsplit(":", 1)[1]
        self.lock = threading.Lock()

    def restart(self, down_s: float) -> None:
        with self.lock:
            assert self.proc.proc is not None
            self.proc.proc.kill()  # SIGKILL: only what was written through survives
            self.proc.proc.wait()
            time.sleep(down_s)
            self.proc = EmulatorProcess(*self.args, "--port", self.port)
            self.proc.start()

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.lock:
            return self.proc.admin(method, path, **kwargs)

    def requests(self) -> dict[str, int]:
        try:
            return dict(self.admin("GET", "stats")["requests"])
        except (httpx.HTTPError, OSError):
            return {}

    def stop(self) -> None:
        self.proc.stop()


ASYNC_WRITES = {"AddNodes", "DeleteNodes", "StartNodes", "StopNodes", "ResetNodes", "CreateCluster",
                "DeleteCluster", "StartCluster", "StopCluster", "CreateNodes"}


def _arm(emu: Emulator, t: Trouble) -> None:
    """Install one fault or script on the emulator (kills and restarts are the watcher's)."""
    fault: dict[str, Any] = {"action": t.action, "times": t.times}
    if t.kind in ("error", "throttle", "permanent"):
        emu.admin("POST", "faults", json={**fault, "code": t.code})
    elif t.kind == "latency":
        emu.admin("POST", "faults", json={**fault, "latency_s": READ_TIMEOUT_S + 0.5})
    elif t.kind in ("drop-before", "drop-after"):
        emu.admin("POST", "faults", json={**fault, "drop": t.kind.split("-")[1]})
    elif t.kind == "late":
        emu.admin("POST", "faults", json={**fault, "drop": "late", "late_s": t.delay_s})
    elif t.action in ASYNC_WRITES:
        script: dict[str, Any] = {"action": t.action}
        if t.kind == "partial":
            script |= {"outcome": "PartialFail", "succeed_count": t.succeed}
        elif t.kind == "failed":
            script |= {"outcome": "Failed"}
        else:  # stall, and the task a kill, forget or restart should land in
            script |= {"step_durations": [0.2, t.stall_s, 0.2]}
        with contextlib.suppress(httpx.HTTPStatusError):  # a 2024 write without a step shape
            emu.admin("POST", "next-task", json=script)


class Watcher:
    """Fires a step's kill (a `forget` is one) or restart once the emulator has seen the trouble's `nth`
    call of its action."""

    def __init__(self, emu: Emulator, troubles: tuple[Trouble, ...]) -> None:
        self.emu = emu
        self.pending = [t for t in troubles if t.kind in DISRUPTIONS]
        self.fired: list[str] = []
        self.base = emu.requests()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Watcher:
        if self.pending:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(60)

    def _loop(self) -> None:
        while self.pending and not self.stop.is_set():
            seen = self.emu.requests()
            for t in list(self.pending):
                if seen.get(t.action, 0) - self.base.get(t.action, 0) >= t.nth:
                    self.pending.remove(t)
                    time.sleep(t.delay_s)
                    if self.stop.is_set():
                        return
                    if t.kind in KILLS:
                        victims = [p for c in pulumi_cli_pids() for p in kill_tree(c)]
                        if victims:
                            self.fired += ["kill"] + (["forget"] if t.kind == "forget" else [])
                    else:
                        self.emu.restart(down_s=1.0)
                        self.fired.append("restart")
            time.sleep(0.02)


def _run(fn: Callable[..., Any], **kwargs: Any) -> tuple[bool, str]:
    """(ok, text) of an Automation-API command."""
    try:
        result = fn(**kwargs)
    except auto.CommandError as err:
        return False, str(err)
    return True, "\n".join(str(getattr(result, a, "") or "") for a in ("stdout", "stderr", "summary"))


class Runner:
    """One chaos run: its emulator, its stack (own file backend), its texts for the secret scan."""

    def __init__(self, plan: Plan, workdir: Path, engine: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self.engine = engine
        self.result = RunResult(plan.seed)
        self.texts: list[str] = []
        self.partial_ok: set[str] = set()

    def execute(self) -> RunResult:
        start = time.monotonic()
        saved = dict(os.environ)
        os.environ.update(offline_env(self.workdir / "pulumi", self.engine))
        for key in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY"):
            os.environ.pop(key, None)
        emu = Emulator(self.workdir, self.plan.seed)
        try:
            self._execute(emu)
        except Exception as exc:  # a harness failure is reported with the run, never swallowed
            self.result.violations.append(f"harness: {type(exc).__name__}: {exc}"[:600])
        finally:
            emu.stop()
            os.environ.clear()
            os.environ.update(saved)
            self.result.seconds = time.monotonic() - start
        return self.result

    def _client1(self, emu: Emulator) -> EhpcClient:
        return EhpcClient(endpoint=emu.endpoint, credentials=Credentials(DEMO_KEY_ID, SECRET))

    def _client2(self, emu: Emulator) -> EhpcClient2024:
        return EhpcClient2024(endpoint=emu.endpoint, credentials=Credentials(DEMO_KEY_ID, SECRET))

    def _execute(self, emu: Emulator) -> None:
        stack = auto.create_or_select_stack(f"chaos{self.plan.seed}", project_name="chaos", program=program,
                                            work_dir=str(self.workdir))
        stack.set_all_config({**stack_config(emu.endpoint, secret=SECRET),
                              "password": auto.ConfigValue(PASSWORD, secret=True)})
        baseline = {n["InstanceId"] for n in emu.admin("GET", "nodes")["nodes"]}
        for index, step in enumerate(self.plan.steps):
            self._step(emu, stack, index, step, baseline)
        self._finish(emu, stack, baseline)

    def _step(self, emu: Emulator, stack: auto.Stack, index: int, step: Step, baseline: set[str]) -> None:
        r = self.result
        r.steps += 1
        stack.set_config("spec", auto.ConfigValue(json.dumps([x.to_json() for x in step.spec])))
        tasks_before = set(emu.admin("GET", "stats")["tasks"])
        for t in step.troubles:
            r.troubles[t.kind] += 1
            _arm(emu, t)
            if t.kind in DISRUPTIONS:
                _arm(emu, Trouble("stall", t.action, stall_s=t.stall_s))
        if any(t.kind == "partial" for t in step.troubles):
            self.partial_ok |= {x.name for x in step.spec if x.policy in ("accept", "retry")}
        # An emptied program is a `pulumi destroy` (what a user runs to remove the stack).
        command = stack.up if step.spec else stack.destroy
        with Watcher(emu, step.troubles) as watcher:
            ok, text = _run(command)
        self.texts.append(text)
        fired = watcher.fired
        r.kills += fired.count("kill")
        r.restarts += fired.count("restart")
        emu.admin("DELETE", "faults")
        emu.admin("DELETE", "next-task")
        if "forget" in fired:
            # The recovery comes after the cloud's ClientToken retention has passed (a long outage, a
            # weekend): the README says to re-run soon, and what to check when that was not possible.
            forgotten = emu.admin("POST", "forget-tokens")["forgotten"]
            fired.append(f"forgot {forgotten} ClientToken(s)")
        line = f"step {index} {step.change}: troubles {[t.kind + ':' + t.action for t in step.troubles]}"
        line += f", fired {fired}, up {'ok' if ok else 'failed'}"
        if not ok:
            r.failed_ups += 1
            line += f" ({_first_error(text)})"
            surfacing = any(t.kind in ("failed", "partial") for t in step.troubles)
            recovered = self._recover(stack, command, killed="kill" in fired, surfacing=surfacing)
            line += f"; recovery: {recovered}"
        self._settle(emu)
        snap = self._snapshot(emu, stack)
        held = sum(len(o.get("instance_ids") or []) for o in snap.state.values())
        live = len([n for n in snap.nodes1 if n["InstanceId"] not in baseline]) + len(snap.nodes2)
        r.log.append(f"{line}; then the state holds {held} node(s) in {len(snap.state)} resource(s), the "
                     f"emulator {live}")
        facts = checker.StepFacts(new_tasks=set(snap.tasks) - tasks_before,
                                  disrupted=checker.disrupted_actions(step.troubles, fired),
                                  partial_ok=self.partial_ok, forgotten="forget" in fired)
        found = checker.check(step.spec, snap, baseline, facts)
        r.limits += [f"step {index}: {x}" for x in checker.limit_shown(snap, facts, step.spec)]
        r.violations += [f"step {index} ({step.change}): {v}" for v in found]
        left = checker.forgotten_leftovers(snap, facts)
        if left:
            self._delete_leftovers(emu, left)
            r.recoveries["deleted what a forgotten ClientToken left outside the state"] += 1
            snap = self._snapshot(emu, stack)
            r.violations += [f"step {index} ({step.change}), after deleting the leftovers: {v}"
                             for v in checker.check(step.spec, snap, baseline, replace(facts, forgotten=False))
                             if v.kind in ("leak", "cluster", "lost")]

    def _delete_leftovers(self, emu: Emulator, left: checker.Leftovers) -> None:
        """The README's advice once a token may be forgotten: delete the nodes (and clusters) the state
        does not list, then wait for those deletions."""
        with self._client1(emu) as c1:
            for cluster_id, ids in sorted(left.nodes.items()):
                if cluster_id not in left.clusters:
                    c1.delete_nodes(cluster_id, instance_ids=ids)
            for cluster_id in sorted(left.clusters):
                c1.delete_cluster(cluster_id, release_instance=True)
        self._settle(emu)

    def _recover(self, stack: auto.Stack, command: Callable[..., Any], *, killed: bool, surfacing: bool) -> str:
        """The README's recovery, then the step's command once more (`up`, or `destroy` if it was
        destroying); returns what it took.

        When the step scripted a Failed or PartialFail task and a kill cut the wait short, that task's
        failure is first reported by the command run again (as it should be: the user learns of it), so
        `surfacing` allows that run to fail once; the one after it must converge."""
        r = self.result
        done = []
        if killed:
            ok, text = _run(stack.refresh)
            self.texts.append(text)
            if not ok and "locked" in text:
                stack.cancel()
                done.append("cancel")
                r.recoveries["cancel"] += 1
                ok, text = _run(stack.refresh)
                self.texts.append(text)
            if not ok:
                ok, text = _run(stack.refresh, clear_pending_creates=True)
                self.texts.append(text)
                done.append("refresh --clear-pending-creates")
                r.recoveries["refresh --clear-pending-creates"] += 1
            else:
                done.append("refresh")
                r.recoveries["refresh"] += 1
            if not ok:
                r.violations.append(f"recovery: refresh failed: {_first_error(text)}")
        # Then the command once more, fault-free (the step's faults and scripts are gone): it must converge.
        name = "up" if command == stack.up else "destroy"
        ok, text = _run(command)
        self.texts.append(text)
        r.recoveries[name] += 1
        done.append(f"{name} " + ("ok" if ok else "failed"))
        if not ok and surfacing:
            ok, text = _run(command)
            self.texts.append(text)
            r.recoveries[f"{name} again (a scripted failure reported late)"] += 1
            done.append(f"{name} again " + ("ok" if ok else "failed"))
        if not ok:
            r.violations.append(f"converge: `pulumi {name}` after the step failed: {_first_error(text)}")
        return ", ".join(done)

    def _settle(self, emu: Emulator) -> None:
        """Wait until no task runs and every 2.0 node has settled (a killed run's work goes on)."""
        deadline = time.monotonic() + 120
        with self._client2(emu) as c2:
            while time.monotonic() < deadline:
                health = emu.admin("GET", "health")
                open_tasks = health["open_tasks"] + health["late_writes"]
                moving = [n for cl in c2.list_clusters().clusters for n in c2.list_nodes(cl.cluster_id).nodes
                          if n.status not in ("running", "exception")]
                if not open_tasks and not moving:
                    return
                time.sleep(0.2)
        self.result.violations.append("settle: tasks or nodes still moving 120 s after the step")

    def _snapshot(self, emu: Emulator, stack: auto.Stack) -> checker.Snapshot:
        state: dict[str, dict[str, Any]] = {}
        for res in (stack.export_stack().deployment or {}).get("resources", []):
            name = str(res["urn"]).rsplit("::", 1)[-1]
            if res.get("type", "").startswith("pulumi:") or name in ("q2",):
                continue
            state[name] = res.get("outputs", {})
        nodes1 = [n for n in emu.admin("GET", "nodes")["nodes"] if str(n["Role"]).lower() == "compute"]
        with self._client1(emu) as c1:
            clusters1 = {c.id for c in c1.list_clusters(page_size=50).clusters if c.id != DEMO_CLUSTER}
        with self._client2(emu) as c2:
            ids2 = [c.cluster_id for c in c2.list_clusters().clusters]
            nodes2 = [{"id": n.id, "hostname": n.hostname, "status": n.status, "cluster": cid}
                      for cid in ids2 for n in c2.list_nodes(cid).nodes]
        return checker.Snapshot(state=state, nodes1=nodes1, clusters1=clusters1, nodes2=nodes2,
                                clusters2=set(ids2), tasks=emu.admin("GET", "stats")["tasks"])

    def _finish(self, emu: Emulator, stack: auto.Stack, baseline: set[str]) -> None:
        r = self.result
        if self.plan.steps and self.plan.steps[-1].spec:
            ok, text = _run(stack.refresh)
            self.texts.append(text)
            changes = {k: v for k, v in (stack.preview().change_summary or {}).items() if k != "same"}
            if changes and set(changes) == {"update"} and self.partial_ok:
                # An accepted partial result (partial_failure accept/retry) holds fewer nodes than asked,
                # and the next `up` adds the missing ones (README): one up, then nothing more to do.
                ok, text = _run(stack.up)
                self.texts.append(text)
                r.recoveries["final up (fills accepted partial results)"] += 1
                changes = {k: v for k, v in (stack.preview().change_summary or {}).items() if k != "same"}
            if changes:
                r.violations.append(f"final: refresh + preview want changes {changes}")
        ok, text = _run(stack.destroy)
        self.texts.append(text)
        if not ok:
            r.violations.append(f"final: destroy failed: {_first_error(text)}")
        self._settle(emu)
        snap = self._snapshot(emu, stack)
        left = [n["InstanceId"] for n in snap.nodes1 if n["InstanceId"] not in baseline]
        left += [n["id"] for n in snap.nodes2]
        if left or snap.clusters1 or snap.clusters2:
            r.violations.append(f"final: after destroy {len(left)} node(s), "
                                f"{len(snap.clusters1) + len(snap.clusters2)} cluster(s) remain")
        leaks = scan_stack(stack, *self.texts, secrets=SECRETS) + find_leaks(r.log, SECRETS)
        r.violations += [f"secret: {x}" for x in leaks]


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if "error:" in line.lower() or "Exception" in line:
            return " ".join(line.split())[:240]
    return " ".join(text.split())[-240:]


def run_plan(plan: Plan, workdir: Path, engine: Path) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    return Runner(plan, workdir, engine).execute()

