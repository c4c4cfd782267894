"""The credentials resolver: order, every source reported, profiles, ECS metadata; secrets never shown."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pulumi_ehpc_tasks.wire import (
    Credentials,
    CredentialsNotFoundError,
    EhpcClient,
    fetch_ecs_role_credentials,
    resolve_credentials,
    resolve_region,
)

SECRET = "superSecretValue0123456789"


def write_profile(tmp_path: Path, profiles: list[dict[str, object]], current: str = "dev") -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"current": current, "profiles": profiles}))
    return path


def test_order_explicit_then_config_then_env_then_profile(tmp_path: Path) -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
        "ALICLOUD_ACCESS_KEY": "ali-id",
        "ALICLOUD_SECRET_KEY": "ali-secret",
    }
    prof = write_profile(
        tmp_path, [{"name": "dev", "mode": "AK", "access_key_id": "p-id", "access_key_secret": "p-secret"}]
    )
    cfg = {"accessKeyId": "cfg-id", "accessKeySecret": "cfg-secret", "securityToken": "cfg-tok"}
    kw = {"env": env, "profile_path": prof}
    assert (
        resolve_credentials(access_key_id="x", access_key_secret="y", config=cfg, **kw).access_key_id == "x"
    )
    got = resolve_credentials(config=cfg, **kw)
    assert (got.access_key_id, got.security_token) == ("cfg-id", "cfg-tok") and "Pulumi config" in got.source
    assert (
        resolve_credentials(
            config={"ehpc:accessKeyId": "ns-id", "ehpc:accessKeySecret": "s"}, **kw
        ).access_key_id
        == "ns-id"
    )
    assert resolve_credentials(**kw).access_key_id == "env-id"
    env2 = {k: v for k, v in env.items() if k.startswith("ALICLOUD")} | {"ALICLOUD_SECURITY_TOKEN": "t"}
    got = resolve_credentials(env=env2, profile_path=prof)
    assert (got.access_key_id, got.security_token) == ("ali-id", "t")
    assert resolve_credentials(env={}, profile_path=prof).access_key_id == "p-id"


def test_profiles_sts_and_named(tmp_path: Path) -> None:
    prof = write_profile(
        tmp_path,
        [
            {"name": "dev", "mode": "AK", "access_key_id": "p-id", "access_key_secret": "p-secret"},
            {
                "name": "tmp",
                "mode": "StsToken",
                "access_key_id": "STS.x",
                "access_key_secret": "s",
                "sts_token": "tok",
            },
            {"name": "role", "mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b"},
        ],
    )
    got = resolve_credentials(env={"ALIBABA_CLOUD_PROFILE": "tmp"}, profile_path=prof)
    assert (got.access_key_id, got.security_token) == ("STS.x", "tok")
    assert resolve_credentials(env={}, profile_path=prof, profile="dev").access_key_id == "p-id"
    with pytest.raises(CredentialsNotFoundError) as info:
        resolve_credentials(env={}, profile_path=prof, profile="role")
    assert "RamRoleArn" in str(info.value) and "not supported" in str(info.value)


def test_nothing_found_lists_every_source(tmp_path: Path) -> None:
    with pytest.raises(CredentialsNotFoundError) as info:
        resolve_credentials(
            env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "only-id"}, profile_path=tmp_path / "none.json"
        )
    tried = info.value.tried
    assert len(tried) == 6
    assert tried[0].startswith("explicit arguments: not set")
    assert tried[1].startswith("Pulumi config")
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in tried[2] and "incomplete" in tried[2]
    assert "ALICLOUD_ACCESS_KEY" in tried[3]
    assert "no file" in tried[4]
    assert "ECS instance RAM role" in tried[5] and "not configured" in tried[5]
    text = str(info.value)
    assert all(t in text for t in tried) and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in text


def metadata(
    role: str = "MyRole", *, token_ok: bool = True
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.url.host == "100.100.100.200"
        if request.url.path == "/latest/api/token":
            return httpx.Response(200, text="imds-token") if token_ok else httpx.Response(403)
        if request.url.path == f"/latest/meta-data/ram/security-credentials/{role}":
            return httpx.Response(
                200,
                json={
                    "Code": "Success",
                    "AccessKeyId": "STS.ecs",
                    "AccessKeySecret": SECRET,
                    "SecurityToken": "ecs-token",
                    "Expiration": "2099-01-01T00:00:00Z",
                },
            )
        return httpx.Response(404)

    return httpx.MockTransport(handler), seen


def test_ecs_role_only_when_configured(tmp_path: Path) -> None:
    transport, seen = metadata()
    none = tmp_path / "none.json"
    with pytest.raises(CredentialsNotFoundError):
        resolve_credentials(env={}, profile_path=none, metadata_transport=transport)
    assert seen == []
    got = resolve_credentials(
        env={"ALIBABA_CLOUD_ECS_METADATA": "MyRole"}, profile_path=none, metadata_transport=transport
    )
    assert (got.access_key_id, got.security_token, got.source) == (
        "STS.ecs",
        "ecs-token",
        "ecs_ram_role/MyRole",
    )
    assert seen[0].method == "PUT" and seen[1].headers["X-aliyun-ecs-metadata-token"] == "imds-token"
    with pytest.raises(CredentialsNotFoundError, match="disabled"):
        resolve_credentials(
            env={"ALIBABA_CLOUD_ECS_METADATA": "MyRole", "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"},
            profile_path=none,
            metadata_transport=transport,
        )


def test_ecs_imds_v1_fallback_and_profile_mode(tmp_path: Path) -> None:
    transport, seen = metadata(token_ok=False)
    got = fetch_ecs_role_credentials("MyRole", transport=transport)
    assert got.access_key_id == "STS.ecs" and "X-aliyun-ecs-metadata-token" not in seen[-1].headers
    with pytest.raises(httpx.HTTPStatusError):
        fetch_ecs_role_credentials("MyRole", transport=transport, allow_imds_v1=False)
    transport, _ = metadata("ProfRole")
    prof = write_profile(tmp_path, [{"name": "dev", "mode": "EcsRamRole", "ram_role_name": "ProfRole"}])
    assert (
        resolve_credentials(env={}, profile_path=prof, metadata_transport=transport).access_key_id
        == "STS.ecs"
    )


def test_ecs_failure_is_reported_without_secrets(tmp_path: Path) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(500, text=SECRET))
    with pytest.raises(CredentialsNotFoundError) as info:
        resolve_credentials(ecs_role="R", env={}, profile_path=tmp_path / "x", metadata_transport=transport)
    assert "HTTPStatusError" in str(info.value) and SECRET not in str(info.value)


def test_official_chain_hook_is_optional(tmp_path: Path) -> None:
    with pytest.raises(CredentialsNotFoundError) as info:
        resolve_credentials(
            env={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"},
            profile_path=tmp_path / "x",
            use_official_chain=True,
        )
    assert "alibabacloud-credentials" in info.value.tried[-1]


def test_secrets_never_in_repr_or_str() -> None:
    creds = Credentials("LTAIid", SECRET, "tokenValue123")
    client = EhpcClient(
        region="cn-hangzhou", credentials=creds, transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    for text in (repr(creds), str(creds), repr(client), str(client), repr(client._core.auth)):
        assert SECRET not in text and "tokenValue123" not in text


def test_region_resolution(tmp_path: Path) -> None:
    prof = write_profile(tmp_path, [{"name": "dev", "mode": "AK", "region_id": "cn-beijing"}])
    assert resolve_region("cn-shanghai", env={}) == "cn-shanghai"
    assert resolve_region(config={"region": "cn-shenzhen"}, env={}) == "cn-shenzhen"
    assert resolve_region(env={"ALICLOUD_REGION": "cn-qingdao"}, profile_path=prof) == "cn-qingdao"
    assert resolve_region(env={"ALIBABA_CLOUD_REGION_ID": "cn-a", "ALICLOUD_REGION": "cn-b"}) == "cn-a"
    assert resolve_region(env={}, profile_path=prof) == "cn-beijing"
    assert resolve_region(env={}, profile_path=tmp_path / "none") is None


def test_without_caller_sources_neither_arguments_nor_config_are_read_or_listed(tmp_path: Path) -> None:
    import pickle

    with pytest.raises(CredentialsNotFoundError) as info:
        resolve_credentials(
            access_key_id="id",
            access_key_secret="secret",
            config={"ehpc:accessKeyId": "cfg-id", "ehpc:accessKeySecret": "cfg-secret"},
            env={},
            profile_path=tmp_path / "none.json",
            caller_sources=False,
        )
    text = str(info.value)
    assert len(info.value.tried) == 4 and "environment ALIBABA_CLOUD_ACCESS_KEY_ID" in info.value.tried[0]
    assert "explicit arguments" not in text and "Pulumi config" not in text and "ehpc:accessKeyId" not in text
    assert str(pickle.loads(pickle.dumps(info.value))) == text
