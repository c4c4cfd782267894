"""A resource's own connection: its inputs (identity by reference, never a secret), one client per distinct
connection, the diff it makes, and the per-connection sharing of listings, pollers and pool shards."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from pulumi_ehpc_tasks import ConnectionArgs, InvalidInputsError, NodeGroup, NodePool
from pulumi_ehpc_tasks.provider import args as a
from pulumi_ehpc_tasks.provider import settings as settings_module
from pulumi_ehpc_tasks.provider.cluster import ClusterProvider
from pulumi_ehpc_tasks.provider.connection import IDENTITY_FIELDS, ConnectionInputs, secret_shape
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider
from pulumi_ehpc_tasks.provider.prelaunch import NODE_POOL_TYPE, Prelaunch, Sibling
from pulumi_ehpc_tasks.provider.settings import settings_from_config
from pulumi_ehpc_tasks.provider.state import list_compute_nodes
from pulumi_ehpc_tasks.provider.taskwait import TaskWaitProvider
from pulumi_ehpc_tasks.waiting.registry import poller_key
from pulumi_ehpc_tasks.wire import EhpcError, NodeInfo
from pulumi_ehpc_tasks.wire.identity import IdentitySpec, credentials_provider

from .test_args import _mocks  # noqa: F401  (autouse: resources declared here meet Pulumi's mocks)

AK_SECRET = "xWuDyfCgz7wSJUaPn2WBn4bCxqLpqM"
STACK = {"ehpc:region": "cn-hangzhou", "ehpc:accessKeyId": "LTAIstack0001", "ehpc:accessKeySecret": "stack-secret",
         "acct2:accessKeyId": "LTAIacct20002", "acct2:accessKeySecret": "acct2-secret"}
GROUP = {"cluster_id": "ehpc-hz-demo000001", "count": 2,
         "urn": "urn:pulumi:t::p::pulumi-python:dynamic/ehpc:NodeGroup::g"}


def _provider(cls: type = NodeGroupProvider, config: dict[str, Any] | None = None) -> Any:
    provider = cls()
    provider._settings = settings_from_config(STACK if config is None else config)
    return provider


# -- the inputs ------------------------------------------------------------------------------------------
def test_the_connection_takes_the_identity_fields_of_identity_spec_and_its_args_agree() -> None:
    assert list(ConnectionInputs.model_fields) == ["region", "endpoint", "ca_bundle", *IDENTITY_FIELDS]
    assert list(a.ConnectionArgs.__annotations__) == list(ConnectionInputs.model_fields)
    assert list(a.ConnectionArgsDict.__annotations__) == list(ConnectionInputs.model_fields)
    for args in (a.NodeGroupArgs, a.ClusterArgs, a.TaskWaitArgs, a.NodePoolArgs):
        assert "connection" in args.__annotations__


def test_identity_fields_become_the_identity_spec() -> None:
    conn = ConnectionInputs(region="cn-shanghai", config_namespace="acct2")
    assert conn.identity() == IdentitySpec(config_namespace="acct2")
    assert ConnectionInputs(region="cn-shanghai").identity() is None
    assert conn.places and not ConnectionInputs(profile="ci").places


@pytest.mark.parametrize("value", [
    "LTAI5tAbCdEfGhIjKlMnOpQr", "STS.NUgYrLnoC37mZZCNnAbez2", AK_SECRET,
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl", "CAISreliabilityStsTokenJ8hG5fD2sA9kL4mN7bV1cX6zQ3wE0rT",
    "emulatorDemoSecret0123456789ABCDEF",
])
def test_values_shaped_like_credentials_are_recognised(value: str) -> None:
    assert secret_shape(value) is not None


@pytest.mark.parametrize("value", [
    "ProductionAccount2024Main", "ehpcDeploymentRoleSession2024", "my-production-profile-2024", "acct2",
    "acs:ram::123456789012:role/ehpc-deployer", "/var/run/secrets/tokens/OidcTokenFile2024",
    "https://ehpc-vpc.cn-hangzhou.aliyuncs.com", "http://127.0.0.1:8765", '{"Version": "1", "Statement": []}',
])
def test_names_paths_arns_and_endpoints_are_not_taken_for_secrets(value: str) -> None:
    assert secret_shape(value) is None


@pytest.mark.parametrize(("connection", "prop", "fragment"), [
    ({"profile": AK_SECRET}, "connection.profile", "looks like a secret"),
    ({"role_arn": "acs:ram::1:role/r", "external_id": "LTAI5tAbCdEfGhIjKlMn"}, "connection.external_id",
     "access key id"),
    ({"endpoint": AK_SECRET}, "connection.endpoint", "looks like a secret"),
    ({"access_key_secret": "x"}, "connection.access_key_secret", "never holds one"),
    ({"securityToken": "x"}, "connection.securityToken", "config_namespace"),
    ({"regoin": "cn-shanghai"}, "connection.regoin", "unknown input"),
    ({"region": "cn-hangzhou-k"}, "connection.region", "pattern"),
    ({"region": "Hangzhou"}, "connection.region", "pattern"),
    ({"endpoint": "http://10.0.0.1:80"}, "connection.endpoint", "refusing plain http"),
    ({"profile": "a", "config_namespace": "b"}, "connection.config_namespace", "one base identity"),
    ({"duration_s": 3600}, "connection.duration_s", "needs role_arn"),
    ({"role_arn": "acs:ram::1:role/r", "duration_s": 60}, "connection.duration_s", "greater than or equal"),
    ({"role_arn": "acs:ram::1:role/r", "policy": "allow all"}, "connection.policy", "JSON object"),
    ({"role_arn": "acs:ram::1:role/r", "oidc_provider_arn": "acs:ram::1:oidc-provider/gh"},
     "connection.oidc_token_file", "needs oidc_token_file"),
])
def test_bad_connections_are_refused_at_declaration_naming_the_property(
    connection: dict[str, Any], prop: str, fragment: str
) -> None:
    with pytest.raises(InvalidInputsError) as caught:
        NodeGroup("g", cluster_id="ehpc-hz-x", count=1, connection=connection)  # type: ignore[typeddict-item]
    assert [p for p, _ in caught.value.failures] == [prop]
    assert fragment in caught.value.failures[0][1]
    for value in connection.values():
        if isinstance(value, str) and secret_shape(value):
            assert value not in str(caught.value)


def test_the_same_refusals_at_preview(tmp_path: Any) -> None:
    provider = _provider()
    bad = provider.check({}, {**GROUP, "connection": {"profile": AK_SECRET}})
    assert [(f.property, AK_SECRET in f.reason) for f in bad.failures] == [("connection.profile", False)]
    missing = provider.check({}, {**GROUP, "connection": {"config_namespace": "acct3"}})
    assert [f.property for f in missing.failures] == ["connection.config_namespace"]
    assert "acct3:accessKeyId, acct3:accessKeySecret" in missing.failures[0].reason
    assert provider.check({}, {**GROUP, "connection": {"config_namespace": "acct2"}}).failures == []
    no_ca = provider.check({}, {**GROUP, "connection": {"ca_bundle": str(tmp_path / "none.pem")}})
    assert [f.property for f in no_ca.failures] == ["connection.ca_bundle"]


def test_args_objects_reach_the_provider_as_dicts() -> None:
    NodeGroup("g", cluster_id="ehpc-hz-x", count=1,
              connection=ConnectionArgs(region="cn-shanghai", config_namespace="acct2"))
    with pytest.raises(InvalidInputsError, match=r"connection\.region"):
        NodeGroup("h", cluster_id="ehpc-hz-x", count=1, connection=ConnectionArgs(region="cn-shanghai-b"))
    values = a.args_values(None, {"connection": ConnectionArgs(region="cn-shanghai", profile="ci")})
    assert values == {"connection": {"region": "cn-shanghai", "profile": "ci"}}


def test_a_pool_gives_its_connection_to_every_group() -> None:
    pool = NodePool("p", cluster_id="ehpc-hz-x", count=150, connection={"region": "cn-shanghai"})
    assert len(pool.groups) == 2
    with pytest.raises(InvalidInputsError, match=r"connection\.region"):
        NodePool("q", cluster_id="ehpc-hz-x", count=150, connection={"region": "shanghai"})


# -- identities by reference -----------------------------------------------------------------------------
def test_config_namespace_reads_its_keys_from_the_stack_config() -> None:
    creds = credentials_provider(IdentitySpec(config_namespace="acct2"), config=STACK).get()
    assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (
        "LTAIacct20002", "acct2-secret", None)
    assert "acct2-secret" not in creds.source
    with pytest.raises(EhpcError, match="acct9:accessKeyId and acct9:accessKeySecret not set"):
        credentials_provider(IdentitySpec(config_namespace="acct9"), config=STACK)


# -- one client per distinct connection ------------------------------------------------------------------
def test_one_client_per_distinct_connection() -> None:
    s = settings_from_config(STACK)
    stack = s.client()
    assert s.client(None) is stack and s.client(ConnectionInputs()) is stack
    assert stack.endpoint == "https://ehpc.cn-hangzhou.aliyuncs.com"
    assert stack.credentials.access_key_id == "LTAIstack0001"
    shanghai = s.client(ConnectionInputs(region="cn-shanghai", config_namespace="acct2"))
    assert shanghai is s.client(ConnectionInputs.model_validate({"config_namespace": "acct2", "region": "cn-shanghai"}))
    assert shanghai.endpoint == "https://ehpc.cn-shanghai.aliyuncs.com"
    assert shanghai.credentials.access_key_id == "LTAIacct20002"
    same_place = s.client(ConnectionInputs(config_namespace="acct2"))  # the stack's region, another identity
    assert same_place.endpoint == stack.endpoint and same_place.credentials.access_key_id == "LTAIacct20002"
    beijing = s.client(ConnectionInputs(region="cn-beijing"))  # another region, the stack's identity
    assert beijing.endpoint == "https://ehpc.cn-beijing.aliyuncs.com"
    assert beijing.credentials.access_key_id == "LTAIstack0001"
    assert len({id(c) for c in (stack, shanghai, same_place, beijing)}) == 4


def test_concurrent_first_calls_build_one_client(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[IdentitySpec | None] = []
    gate = threading.Event()
    real = settings_module.credentials_provider

    def slow(spec: IdentitySpec | None, **kwargs: Any) -> Any:
        built.append(spec)
        gate.wait(5)
        return real(spec, **kwargs)

    monkeypatch.setattr(settings_module, "credentials_provider", slow)
    s = settings_from_config(STACK)
    conn = ConnectionInputs(region="cn-shanghai", config_namespace="acct2")
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(s.client(conn))) for _ in range(8)]
    for t in threads:
        t.start()
    threading.Timer(0.2, gate.set).start()
    for t in threads:
        t.join(10)
    assert len(got) == 8 and len({id(c) for c in got}) == 1
    assert built.count(IdentitySpec(config_namespace="acct2")) == 1


def test_a_missing_namespace_key_fails_the_call_naming_the_keys_and_is_not_cached() -> None:
    s = settings_from_config({"ehpc:region": "cn-hangzhou"})
    conn = ConnectionInputs(config_namespace="acct2")
    with pytest.raises(EhpcError, match="acct2:accessKeySecret"):
        s.client(conn)
    s.config = {"acct2:accessKeyId": "LTAIacct20002", "acct2:accessKeySecret": "later"}
    assert s.client(conn).credentials.access_key_secret == "later"


# -- the diff --------------------------------------------------------------------------------------------
SHANGHAI = {"region": "cn-shanghai", "config_namespace": "acct2"}


@pytest.mark.parametrize(("old", "new", "replaced"), [
    (None, None, None),
    (SHANGHAI, SHANGHAI, None),
    (SHANGHAI, {"region": "cn-shanghai"}, False),                      # another identity: in place
    (SHANGHAI, {**SHANGHAI, "endpoint": "https://ehpc-vpc.cn-shanghai.aliyuncs.com"}, False),  # same region
    (None, {"config_namespace": "acct2"}, False),                      # the stack's region, another identity
    (None, {"region": "cn-hangzhou", "profile": "ci"}, False),         # the stack's region, spelt out
    (None, SHANGHAI, True),                                            # moves to another region
    (SHANGHAI, {"region": "cn-beijing", "config_namespace": "acct2"}, True),
    ({"endpoint": "http://127.0.0.1:1"}, {"endpoint": "http://127.0.0.1:2"}, True),  # endpoints without region
])
def test_connection_diff(old: dict[str, Any] | None, new: dict[str, Any] | None, replaced: bool | None) -> None:
    def props(conn: dict[str, Any] | None, base: dict[str, Any]) -> dict[str, Any]:
        return {**base, **({"connection": conn} if conn is not None else {})}

    cases = [(NodeGroupProvider, GROUP), (ClusterProvider, {"name": "hpc"}),
             (TaskWaitProvider, {"cluster_id": "ehpc-hz-x", "task_id": "T-1"})]
    for cls, base in cases:
        diff = _provider(cls).diff("id", {**props(old, base), "instance_ids": ["i-1", "i-2"]}, props(new, base))
        assert diff.changes is (replaced is not None), cls.__name__
        assert ("connection" in (diff.replaces or [])) is bool(replaced), cls.__name__


# -- what is shared, and only within one connection -------------------------------------------------------
class _Region:
    """A fake client of one region: the same cluster id, its own nodes."""

    def __init__(self, endpoint: str, ids: list[str]) -> None:
        self.endpoint = endpoint
        self.credentials = SimpleNamespace(access_key_id="AK")
        self.ids = ids

    def list_nodes(self, *, cluster_id: str, role: str, page_number: int, page_size: int) -> Any:
        return SimpleNamespace(total_count=len(self.ids), nodes=[NodeInfo(Id=i, Status="running") for i in self.ids])


def test_equal_cluster_ids_in_two_regions_do_not_mix() -> None:
    hz, sh = _Region("https://ehpc.cn-hangzhou.aliyuncs.com", ["i-hz"]), _Region("https://ehpc.cn-shanghai.aliyuncs.com",
                                                                                 ["i-sh"])
    assert set(list_compute_nodes(hz, "ehpc-demo")) == {"i-hz"}  # type: ignore[arg-type]
    assert set(list_compute_nodes(sh, "ehpc-demo")) == {"i-sh"}  # type: ignore[arg-type]
    assert poller_key(hz, "ehpc-demo") != poller_key(sh, "ehpc-demo")


def test_a_pool_shard_is_issued_only_by_a_shard_of_the_same_connection() -> None:
    shard = f"urn:pulumi:dev::infra::{NODE_POOL_TYPE}$pulumi-python:dynamic/ehpc:NodeGroup::"
    p = Prelaunch(grace_s=1)
    sh = ConnectionInputs(region="cn-shanghai")
    for name, conn in (("hz-1", None), ("sh-1", sh), ("sh-2", ConnectionInputs(region="cn-shanghai"))):
        p.note_pending(Sibling(shard + name, "ehpc-demo", lambda _op: None, lambda _op: None, conn))
    assert [s.urn for s in p.take_pending("ehpc-demo", shard + "hz-0")] == [shard + "hz-1"]
    assert sorted(s.urn for s in p.take_pending("ehpc-demo", shard + "sh-0", sh)) == [shard + "sh-1", shard + "sh-2"]
