"""Provider pieces that need no engine: input checks, config, shard planning, tokens, host tuning."""

from __future__ import annotations

import pytest

from pulumi_ehpc_tasks.provider.cluster import ClusterInputs
from pulumi_ehpc_tasks.provider.errors import install_clean_errors
from pulumi_ehpc_tasks.provider.host_tuning import raise_provider_workers
from pulumi_ehpc_tasks.provider.inputs import NodeGroupInputs, check_inputs, parse_duration_s
from pulumi_ehpc_tasks.provider.nodegroup import NodeGroupProvider
from pulumi_ehpc_tasks.provider.pool import Placement, plan_shards
from pulumi_ehpc_tasks.provider.settings import settings_from_config
from pulumi_ehpc_tasks.provider.tasks import client_token

GOOD = {"cluster_id": "ehpc-hz-FYUr32abcd", "count": 3}


@pytest.mark.parametrize(
    ("news", "prop", "fragment"),
    [
        ({**GOOD, "count": 0}, "count", "greater than or equal to 1"),
        ({**GOOD, "count": 100}, "count", "less than or equal to 99"),
        ({**GOOD, "count": "3"}, "count", "whole number"),
        ({**GOOD, "count": 2.5}, "count", "whole number"),
        ({**GOOD, "min_count": 5}, "min_count", "must not exceed Count (5 > 3)"),
        ({**GOOD, "cluster_id": ""}, "cluster_id", "not an E-HPC cluster id"),
        ({**GOOD, "cluster_id": "bad id!"}, "cluster_id", "not an E-HPC cluster id"),
        ({**GOOD, "image_owner_alias": "anyone"}, "image_owner_alias", "'system', 'self', 'others' or 'marketplace'"),
        ({**GOOD, "partial_failure": "ignore"}, "partial_failure", "'accept', 'rollback' or 'retry'"),
        ({**GOOD, "timeouts": {"create": "soon"}}, "timeouts.create", "not a duration"),
        ({**GOOD, "timeouts": {"destroy": "5m"}}, "timeouts.destroy", "unknown input"),
        ({**GOOD, "running": "yes"}, "running", "true or false"),
        ({**GOOD, "instance_typ": "ecs.c7.large"}, "instance_typ", "unknown input"),
        ({**GOOD, "compute_spot_price_limit": "0.5"}, "(inputs)", "SpotWithPriceLimit"),
    ],
)
def test_check_names_the_property(news: dict[str, object], prop: str, fragment: str) -> None:
    result = NodeGroupProvider().check({}, news)
    assert [f.property for f in result.failures] == [prop]
    assert fragment in result.failures[0].reason


def test_check_accepts_good_inputs_and_defers_unknowns() -> None:
    assert NodeGroupProvider().check({}, dict(GOOD)).failures == []
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown sentinel during preview
    model, failures = check_inputs(NodeGroupInputs, {**GOOD, "cluster_id": unknown, "count": 500})
    assert model is None and failures == []


def test_durations() -> None:
    assert parse_duration_s("45m") == 2700 and parse_duration_s("1.5h") == 5400 and parse_duration_s(90) == 90
    with pytest.raises(ValueError, match="outside"):
        parse_duration_s("200h")


def test_cluster_inputs_flatten_ecs_order() -> None:
    params = ClusterInputs(name="hpc", compute_count=2, compute_instance_type="ecs.c7.large",
                           vswitch_id="vsw-1").create_params()
    assert params["ecs_order"]["compute"] == {"count": 2, "instance_type": "ecs.c7.large"}
    assert params["v_switch_id"] == "vsw-1" and "running" not in params


def test_settings_read_ehpc_then_alicloud_keys() -> None:
    s = settings_from_config({"alicloud:region": "cn-beijing", "alicloud:accessKey": "AK", "alicloud:secretKey": "SK",
                              "ehpc:accessKeyId": "AK2"})
    assert s.region == "cn-beijing"
    assert s.stack_credentials == {"accessKeyId": "AK2", "accessKeySecret": "SK"}
    assert "SK" not in repr(s)


def test_client_token_is_deterministic_ascii_and_bounded() -> None:
    a = client_token("urn:a", "create", {"count": 2}, 0)
    assert a == client_token("urn:a", "create", {"count": 2}, 0)
    assert a != client_token("urn:a", "create", {"count": 2}, 1) != client_token("urn:b", "create", {"count": 2}, 0)
    assert a.isascii() and len(a) <= 64


@pytest.mark.parametrize(
    ("count", "places", "per", "expected"),
    [
        (0, 1, 99, []),
        (5, 1, 99, [("p0-0", 5)]),
        (150, 1, 99, [("p0-0", 99), ("p0-1", 51)]),
        (7, 2, 99, [("p0-0", 4), ("p1-0", 3)]),
        (6, 2, 2, [("p0-0", 2), ("p0-1", 1), ("p1-0", 2), ("p1-1", 1)]),
        (250, 2, 99, [("p0-0", 99), ("p0-1", 26), ("p1-0", 99), ("p1-1", 26)]),
    ],
)
def test_plan_shards(count: int, places: int, per: int, expected: list[tuple[str, int]]) -> None:
    shards = plan_shards(count, [Placement(zone_id=f"z{i}") for i in range(places)], per)
    assert [(s.key, s.count) for s in shards] == expected
    assert sum(s.count for s in shards) == count


def test_host_patches_are_inert_outside_the_provider_host() -> None:
    assert raise_provider_workers() == 0
    assert install_clean_errors() is False


def test_region_from_the_environment_when_config_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-shanghai")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SECRETVALUE")
    assert settings_from_config({}).client().endpoint == "https://ehpc.cn-shanghai.aliyuncs.com"
    assert settings_from_config({"ehpc:region": "cn-beijing"}).client().endpoint == "https://ehpc.cn-beijing.aliyuncs.com"
