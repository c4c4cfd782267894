"""AsyncEhpcClient has the same methods, wire format and retry contract as EhpcClient."""

from __future__ import annotations

import inspect
import random

import httpx
import pytest

from pulumi_ehpc_tasks.wire import ACTIONS, AmbiguousResultError, AsyncEhpcClient, EhpcClient, RetryConfig

from .test_wire_format import CASES
from .test_wire_support import CREDS, Recorder, api_err, business_params, ok, verify_v3


def make_async(replies: list[object]) -> tuple[AsyncEhpcClient, Recorder, list[float]]:
    rec = Recorder(replies)  # type: ignore[arg-type]
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    client = AsyncEhpcClient(
        region="cn-hangzhou",
        credentials=CREDS,
        transport=httpx.MockTransport(rec),
        sleep=sleep,
        retry=RetryConfig(rng=random.Random(1)),
    )
    return client, rec, sleeps


def test_same_method_signatures() -> None:
    for action in ACTIONS.values():
        sync = inspect.signature(getattr(EhpcClient, action.method_name))
        coro = getattr(AsyncEhpcClient, action.method_name)
        assert inspect.iscoroutinefunction(coro)
        assert inspect.signature(coro) == sync


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_async_wire_parity(case: tuple[object, ...]) -> None:
    method, args, kwargs, body, expected = case
    client, rec, _ = make_async([ok(body)])  # type: ignore[arg-type]
    async with client:
        result = await getattr(client, method)(*args, **kwargs)  # type: ignore[arg-type]
    assert result.request_id == "req-ok"
    assert business_params(rec.requests[0]) == expected
    assert verify_v3(rec.requests[0], CREDS)


async def test_async_retry_contract() -> None:
    client, rec, sleeps = make_async(
        [
            api_err(400, "Throttling", headers={"x-acs-retry-after": "2000"}),
            httpx.ReadTimeout("x"),
            ok({"TaskId": "t", "InstanceIds": {"InstanceId": []}}),
        ]
    )
    await client.add_nodes("c", count=1)
    assert len({business_params(r)["ClientToken"] for r in rec.requests}) == 1 and len(rec.requests) == 3
    assert sleeps[0] >= 2.0
    client, rec, _ = make_async([httpx.ReadTimeout("x")])
    with pytest.raises(AmbiguousResultError):
        await client.stop_cluster("c")
    assert len(rec.requests) == 1
    await client.aclose()
