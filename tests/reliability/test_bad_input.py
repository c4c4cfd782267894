"""Bad input across NodeGroup, Cluster and TaskWait: caught at preview (check) naming the property, with
zero API calls; or, where only the cloud knows (unknown cluster or task, wrong credentials), refused at
the first API answer with a message naming the cause and nothing created.

The preview set runs twice: through `check` directly (one row per input), and as ONE program through the
real engine's `pulumi preview`, which must report every resource by name and make no API call at all.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_ehpc_tasks import Cluster, NodeGroup, TaskWait
from pulumi_ehpc_tasks.provider.cluster import ClusterProvider
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider
from pulumi_ehpc_tasks.provider.taskwait import TaskWaitProvider
from pulumi_ehpc_tasks.wire import Credentials, EhpcApiError, EhpcClient
from tests.e2e.harness import DEMO_CLUSTER, EmulatorProcess, mutations

from . import report
from .engine import SECRET, new_stack, run, scan_stack
from .inproc import world

C = DEMO_CLUSTER
NG = {"cluster_id": C, "count": 2}
CL = {"name": "hpc-rel"}
TW = {"cluster_id": C, "task_id": "T-1"}


def _without(base: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != key}


# (name, resource kind, props, what the message must name)
PREVIEW: list[Any] = [
    ("ng-count-zero", "NodeGroup", {**NG, "count": 0}, "count"),
    ("ng-count-100", "NodeGroup", {**NG, "count": 100}, "count"),
    ("ng-count-negative", "NodeGroup", {**NG, "count": -1}, "count"),
    ("ng-count-text", "NodeGroup", {**NG, "count": "two"}, "count"),
    ("ng-count-fraction", "NodeGroup", {**NG, "count": 2.5}, "count"),
    ("ng-count-bool", "NodeGroup", {**NG, "count": True}, "count"),
    ("ng-count-missing", "NodeGroup", _without(NG, "count"), "count"),
    ("ng-cluster-empty", "NodeGroup", {**NG, "cluster_id": ""}, "cluster_id"),
    ("ng-cluster-malformed", "NodeGroup", {**NG, "cluster_id": "not a cluster!"}, "cluster_id"),
    ("ng-cluster-number", "NodeGroup", {**NG, "cluster_id": 123}, "cluster_id"),
    ("ng-cluster-missing", "NodeGroup", _without(NG, "cluster_id"), "cluster_id"),
    ("ng-min-above-count", "NodeGroup", {**NG, "min_count": 3}, "min_count"),
    ("ng-min-zero", "NodeGroup", {**NG, "min_count": 0}, "min_count"),
    ("ng-partial-unknown", "NodeGroup", {**NG, "partial_failure": "sometimes"}, "partial_failure"),
    ("ng-retries-11", "NodeGroup", {**NG, "max_retries": 11}, "max_retries"),
    ("ng-retries-negative", "NodeGroup", {**NG, "max_retries": -1}, "max_retries"),
    ("ng-owner-alias", "NodeGroup", {**NG, "image_owner_alias": "public"}, "image_owner_alias"),
    ("ng-charge-type", "NodeGroup", {**NG, "ecs_charge_type": "Monthly"}, "ecs_charge_type"),
    ("ng-disk-type", "NodeGroup", {**NG, "system_disk_type": "hdd"}, "system_disk_type"),
    ("ng-disk-small", "NodeGroup", {**NG, "system_disk_size": 20}, "system_disk_size"),
    ("ng-disk-huge", "NodeGroup", {**NG, "system_disk_size": 1000}, "system_disk_size"),
    ("ng-spot-strategy", "NodeGroup", {**NG, "compute_spot_strategy": "Cheap"}, "compute_spot_strategy"),
    ("ng-spot-price-alone", "NodeGroup", {**NG, "compute_spot_price_limit": "0.5"}, "compute_spot_price_limit"),
    ("ng-running-text", "NodeGroup", {**NG, "running": "yes"}, "running"),
    ("ng-release-text", "NodeGroup", {**NG, "release_instances": "no"}, "release_instances"),
    ("ng-timeout-word", "NodeGroup", {**NG, "timeouts": {"create": "forever"}}, "timeouts.create"),
    ("ng-timeout-zero", "NodeGroup", {**NG, "timeouts": {"create": 0}}, "timeouts.create"),
    ("ng-timeout-9999h", "NodeGroup", {**NG, "timeouts": {"delete": "9999h"}}, "timeouts.delete"),
    ("ng-timeout-key", "NodeGroup", {**NG, "timeouts": {"creat": "1h"}}, "timeouts.creat"),
    ("ng-unknown-input", "NodeGroup", {**NG, "instance_typ": "ecs.c7.large"}, "instance_typ"),
    ("ng-prefix-long", "NodeGroup", {**NG, "host_name_prefix": "p" * 65}, "host_name_prefix"),
    ("cl-name-short", "Cluster", {**CL, "name": "x"}, "name"),
    ("cl-name-missing", "Cluster", {"compute_count": 1}, "name"),
    ("cl-deploy-mode", "Cluster", {**CL, "deploy_mode": "Huge"}, "deploy_mode"),
    ("cl-scheduler", "Cluster", {**CL, "scheduler_type": "lsf"}, "scheduler_type"),
    ("cl-account", "Cluster", {**CL, "account_type": "ad"}, "account_type"),
    ("cl-password-short", "Cluster", {**CL, "password": "short"}, "password"),
    ("cl-managers-3", "Cluster", {**CL, "manager_count": 3}, "manager_count"),
    ("cl-computes-100", "Cluster", {**CL, "compute_count": 100}, "compute_count"),
    ("cl-logins-2", "Cluster", {**CL, "login_count": 2}, "login_count"),
    ("cl-description-url", "Cluster", {**CL, "description": "http://example.com"}, "description"),
    ("cl-charge-type", "Cluster", {**CL, "ecs_charge_type": "Yearly"}, "ecs_charge_type"),
    ("cl-unknown-input", "Cluster", {**CL, "vpc": "vpc-1"}, "vpc"),
    ("cl-running-text", "Cluster", {**CL, "running": "off"}, "running"),
    ("tw-task-empty", "TaskWait", {**TW, "task_id": ""}, "task_id"),
    ("tw-task-missing", "TaskWait", _without(TW, "task_id"), "task_id"),
    ("tw-cluster-empty", "TaskWait", {**TW, "cluster_id": ""}, "cluster_id"),
    ("tw-fail-flag", "TaskWait", {**TW, "fail_on_error": "maybe"}, "fail_on_error"),
    ("tw-timeout-negative", "TaskWait", {**TW, "timeouts": {"create": "-5m"}}, "timeouts.create"),
]
CASES: list[tuple[str, str, dict[str, Any], str]] = [p.values if hasattr(p, "values") else p for p in PREVIEW]
_ids = [c[0] for c in CASES]
PROVIDERS = {"NodeGroup": NodeGroupProvider, "Cluster": ClusterProvider, "TaskWait": TaskWaitProvider}


@pytest.mark.parametrize(("name", "kind", "props", "names"), PREVIEW, ids=_ids)
def test_caught_by_check(name: str, kind: str, props: dict[str, Any], names: str) -> None:
    row = report.record("bad input", f"{kind} {name}: {_short(props)}", "provider/check",
                        f"check failure naming `{names}`; 0 API calls")
    with world() as w:
        before = w.requests()
        failures = PROVIDERS[kind]().check({}, dict(props)).failures or []
        calls = sum(w.requests().values()) - sum(before.values())
    said = "; ".join(f"{f.property}: {f.reason}" for f in failures)
    ok = any(f.property == names or names in f.reason for f in failures) and calls == 0
    row.finish(f"{said[:140] or 'accepted!'}; {calls} API calls", ok=ok)
    assert ok, row.outcome


def _short(props: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in props.items() if k not in ("cluster_id", "name") or
                     props.get(k) not in (C, "hpc-rel"))
    return text[:60]


_RESOURCES = {"NodeGroup": NodeGroup, "Cluster": Cluster, "TaskWait": TaskWait}
# The engine stops a preview at the first resource that fails `check`, so each of these is its own
# preview: a cross-section of every kind of mistake (range, type, enum, conflict, empty id, a secret).
THROUGH_ENGINE = ["ng-count-zero", "ng-count-text", "ng-min-above-count", "ng-partial-unknown", "ng-cluster-empty",
                  "ng-timeout-word", "cl-deploy-mode", "cl-password-short", "tw-task-empty"]


def _one_bad(name: str) -> Any:
    _, kind, props, _ = next(c for c in CASES if c[0] == name)

    def program() -> None:
        _RESOURCES[kind](name, **props)

    return program


@pytest.mark.parametrize("name", THROUGH_ENGINE)
def test_preview_names_the_property_without_api_calls(name: str, pulumi_env: dict[str, str],
                                                      emulator: EmulatorProcess) -> None:
    _, kind, _props, prop = next(c for c in CASES if c[0] == name)
    row = report.record("bad input", f"{kind} {name} in `pulumi preview`", "pulumi",
                        f"preview fails naming `{prop}`; 0 API calls; secret values not echoed")
    stack = new_stack(f"bad-{name}", _one_bad(name), emulator.endpoint)
    before = emulator.requests()
    result, text = run(stack.preview)
    calls = {k: v for k, v in emulator.requests().items() if v != before.get(k, 0)}
    line = next((ln.strip() for ln in text.splitlines() if f"'{name}'" in ln and "problem" in ln), "")
    leaks = scan_stack(stack, text)
    echoed = name == "cl-password-short" and "{short}" in text  # a secret input must not be printed
    ok = isinstance(result, auto.CommandError) and prop.split(".")[0] in line and not calls and not leaks \
        and not echoed
    row.finish(f"{line[line.find('property'):][:120] or 'no check failure shown'}; API calls {calls or 0}"
               + ("; SECRET VALUE ECHOED" if echoed else ""), ok=ok)
    assert ok, row.outcome + "\n" + text[-2000:]


# -- refused at the first API answer -------------------------------------------------------------
def _api_program(kind: str) -> Any:
    def program() -> None:
        if kind == "unknown-cluster":
            NodeGroup("ng", cluster_id="ehpc-hz-doesnotexist", count=1)
        elif kind == "unknown-task":
            TaskWait("tw", cluster_id=DEMO_CLUSTER, task_id="0A0A0A0A-0000-0000-0000-000000000000",
                     timeouts={"create": "20s"})
        elif kind == "unknown-task-cluster":
            TaskWait("tw", cluster_id="ehpc-hz-doesnotexist", task_id="T-1")
        else:
            NodeGroup("ng", cluster_id=DEMO_CLUSTER, count=1)
        pulumi.export("done", True)

    return program


API_CASES = [
    ("unknown-cluster", {}, ("ClusterNotFound", "ehpc-hz-doesnotexist")),
    ("unknown-task", {}, ("0A0A0A0A-0000-0000-0000-000000000000",)),
    ("unknown-task-cluster", {}, ("ClusterNotFound",)),
    ("wrong-secret", {"ehpc:accessKeySecret": "definitelyNotTheSecret000000000000"}, ("SignatureDoesNotMatch",)),
    ("unknown-key-id", {"ehpc:accessKeyId": "LTAIunknownKey999"}, ("InvalidAccessKeyId",)),
    ("missing-credentials", {"ehpc:accessKeyId": "", "ehpc:accessKeySecret": ""}, ("credential", "accessKey")),
    ("wrong-sts-token", {"ehpc:securityToken": "CAISwrongToken"}, ("SecurityToken",)),
]


@pytest.mark.parametrize(("kind", "config", "names"), API_CASES, ids=[c[0] for c in API_CASES])
def test_refused_at_first_api_answer(kind: str, config: dict[str, str], names: tuple[str, ...],
                                     pulumi_env: dict[str, str], emulator: EmulatorProcess) -> None:
    row = report.record("bad input", kind, "pulumi", f"up fails naming {' / '.join(names)}; nothing created")
    stack = new_stack(f"api-{kind}", _api_program(kind), emulator.endpoint, sts=kind == "wrong-sts-token")
    for key, value in config.items():
        if value:
            stack.set_config(key, auto.ConfigValue(value, secret="Secret" in key or "Token" in key))
        else:
            stack.remove_config(key)
    before = emulator.requests()
    result, text = run(stack.up)
    wrote = mutations(before, emulator.requests())
    nodes = emulator.compute_nodes()
    named = [n for n in names if n.lower() in text.lower()]
    traceback = "Traceback (most recent call last)" in text
    leaks = scan_stack(stack, text)
    ok = isinstance(result, auto.CommandError) and bool(named) and not nodes and not traceback and not leaks
    excerpt = next((ln.strip() for ln in text.splitlines() if any(n.lower() in ln.lower() for n in names)), "")
    row.finish(f"{'failed' if isinstance(result, auto.CommandError) else 'SUCCEEDED'}: {excerpt[:110]}; "
               f"writes {wrote}; traceback={traceback}; secrets {leaks}", duplicates=0, leaks=len(nodes), ok=ok)
    assert ok, row.outcome + "\n" + text[-3000:]
    stack.destroy()


def test_client_refuses_direct_bad_credentials() -> None:
    """Missing credentials are a clear error before any request (the provider reports the same)."""
    row = report.record("bad input", "EhpcClient with an empty secret", "client",
                        "error naming the missing value before any request")
    with world() as w:
        try:
            creds = Credentials(w.emu.credentials.access_key_id, "")
            EhpcClient(endpoint=w.emu.endpoint, credentials=creds).list_clusters()
            outcome, ok = "accepted an empty secret", False
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {str(exc)[:120]}"
            # Refused by the server (an API error) means it was signed and sent: not what we want.
            ok = "secret" in str(exc).lower() and not isinstance(exc, EhpcApiError)
    assert SECRET not in outcome
    row.finish(outcome, ok=ok)
    assert ok, outcome
