"""`AsyncEhpcClient`: the asyncio twin of `EhpcClient` (same methods, same core, same retry contract)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx

from . import cluster_models as c
from . import models as m
from ._base import WireRequest, WireResponse
from .actions import ACTIONS, ActionSpec
from .client import _Base, _is_resign, _raise
from .errors import EhpcError
from .retry import transport_error

__all__ = ["AsyncEhpcClient"]

_R = TypeVar("_R", bound=WireResponse)


class AsyncEhpcClient(_Base):
    """Asyncio client with the same methods as `EhpcClient`, as coroutines.

    **Parameters:** `region` (host `ehpc.<region>.aliyuncs.com`), `endpoint` (overrides; http only to
    loopback unless `allow_insecure_http`), `credentials` (else the resolver), `signature_version`,
    `timeout_s`, `verify` (True, CA bundle path or SSLContext; never off), `retry`, `transport`, `sleep`.
    """

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport, verify=self._core.verify, timeout=self._core.timeout
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncEhpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, request: WireRequest) -> WireResponse:
        spec = ACTIONS[request.ACTION]
        return await self._send(spec, self._core.with_token(spec, request))

    async def _op(self, response_type: type[_R], action: str, **fields: Any) -> _R:
        spec, request = self._core.build(action, fields)
        result = await self._send(spec, request)
        assert isinstance(result, response_type)
        return result

    async def _send(self, spec: ActionSpec, request: WireRequest) -> WireResponse:
        attempt, resigned = 0, False
        while True:
            attempt += 1
            try:
                response = await self._http.send(self._core.prepare(spec, request), auth=self._core.auth)
                return self._core.parse(spec, response)
            except httpx.TransportError as exc:
                error: EhpcError = transport_error(spec.name, exc)
            except EhpcError as exc:
                error = exc
            verdict = self._verdict(spec, request, error, attempt, resigned)
            if not verdict.retry:
                _raise(verdict, error)
            resigned = resigned or _is_resign(error)
            if verdict.delay_s > 0:
                await self._sleep(verdict.delay_s)

    async def add_nodes(
        self, cluster_id: str, *, count: int, client_token: str | None = None, **options: Any
    ) -> m.AddNodesResponse:
        return await self._op(
            m.AddNodesResponse,
            "AddNodes",
            cluster_id=cluster_id,
            count=count,
            client_token=client_token,
            **options,
        )

    async def delete_nodes(
        self,
        cluster_id: str,
        *,
        instance_ids: Sequence[str],
        release_instance: bool | None = None,
        sync: bool | None = None,
    ) -> m.DeleteNodesResponse:
        return await self._op(
            m.DeleteNodesResponse,
            "DeleteNodes",
            cluster_id=cluster_id,
            instance_ids=list(instance_ids),
            release_instance=release_instance,
            sync=sync,
        )

    async def start_nodes(
        self, cluster_id: str, *, instance_ids: Sequence[str], role: str | None = None
    ) -> m.StartNodesResponse:
        return await self._op(
            m.StartNodesResponse,
            "StartNodes",
            cluster_id=cluster_id,
            instance_ids=list(instance_ids),
            role=role,
        )

    async def stop_nodes(
        self, cluster_id: str, *, instance_ids: Sequence[str], role: str | None = None
    ) -> m.StopNodesResponse:
        return await self._op(
            m.StopNodesResponse,
            "StopNodes",
            cluster_id=cluster_id,
            instance_ids=list(instance_ids),
            role=role,
        )

    async def reset_nodes(self, cluster_id: str, *, instance_ids: Sequence[str]) -> m.ResetNodesResponse:
        return await self._op(
            m.ResetNodesResponse, "ResetNodes", cluster_id=cluster_id, instance_ids=list(instance_ids)
        )

    async def create_cluster(
        self, *, name: str, client_token: str | None = None, **options: Any
    ) -> c.CreateClusterResponse:
        return await self._op(
            c.CreateClusterResponse, "CreateCluster", name=name, client_token=client_token, **options
        )

    async def delete_cluster(
        self, cluster_id: str, *, release_instance: bool | str | None = None
    ) -> c.DeleteClusterResponse:
        return await self._op(
            c.DeleteClusterResponse, "DeleteCluster", cluster_id=cluster_id, release_instance=release_instance
        )

    async def start_cluster(self, cluster_id: str) -> c.StartClusterResponse:
        return await self._op(c.StartClusterResponse, "StartCluster", cluster_id=cluster_id)

    async def stop_cluster(self, cluster_id: str) -> c.StopClusterResponse:
        return await self._op(c.StopClusterResponse, "StopCluster", cluster_id=cluster_id)

    async def list_tasks(
        self,
        cluster_id: str,
        *,
        task_id: str | None = None,
        archived: bool | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
    ) -> m.ListTasksResponse:
        return await self._op(
            m.ListTasksResponse,
            "ListTasks",
            cluster_id=cluster_id,
            task_id=task_id,
            archived=archived,
            page_number=page_number,
            page_size=page_size,
        )

    async def list_nodes(
        self,
        cluster_id: str,
        *,
        role: str | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> m.ListNodesResponse:
        return await self._op(
            m.ListNodesResponse,
            "ListNodes",
            cluster_id=cluster_id,
            role=role,
            page_number=page_number,
            page_size=page_size,
            **filters,
        )

    async def describe_cluster(self, cluster_id: str) -> c.DescribeClusterResponse:
        return await self._op(c.DescribeClusterResponse, "DescribeCluster", cluster_id=cluster_id)

    async def list_clusters(
        self, *, page_number: int | None = None, page_size: int | None = None
    ) -> c.ListClustersResponse:
        return await self._op(
            c.ListClustersResponse, "ListClusters", page_number=page_number, page_size=page_size
        )
