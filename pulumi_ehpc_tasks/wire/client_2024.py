"""`EhpcClient2024` / `AsyncEhpcClient2024`: clients of API 2024-07-30 (E-HPC 2.0).

Separate classes from the 2018 clients because both APIs name operations alike (CreateCluster,
DeleteNodes, ListNodes...) with other parameters and answers; they share `ClientCore` (signing, retry
loop, errors) and the blocking/asyncio drivers. One method per `ACTIONS_2024` row, snake_case of its
name; keyword arguments are the request model's python field names (lists and structs as models, lists
or plain dicts: the model validates them before anything is sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import models_2024 as v2
from ._methods import ClientBase, operation_2024
from .aclient import AsyncioClient
from .client import BlockingClient

__all__ = ["AsyncEhpcClient2024", "ClientMethods2024", "EhpcClient2024"]


class ClientMethods2024(ClientBase):
    """The 2024-07-30 operations (bodies empty on purpose, as in `_methods.ClientMethods`)."""

    # --- clusters --------------------------------------------------------------------------------
    @operation_2024
    def create_cluster(self, /, **fields: Any) -> v2.CreateCluster2024Response: ...

    @operation_2024
    def get_cluster(self, cluster_id: str) -> v2.GetClusterResponse: ...

    @operation_2024
    def list_clusters(
        self,
        *,
        cluster_ids: Sequence[str] | None = None,
        cluster_names: Sequence[str] | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
    ) -> v2.ListClusters2024Response: ...

    @operation_2024
    def delete_cluster(self, cluster_id: str) -> v2.DeleteCluster2024Response: ...

    @operation_2024
    def update_cluster(self, /, cluster_id: str, **fields: Any) -> v2.SuccessResponse: ...

    # --- nodes -----------------------------------------------------------------------------------
    @operation_2024
    def create_nodes(
        self, /, cluster_id: str, *, queue_name: str, count: int, **fields: Any
    ) -> v2.CreateNodes2024Response: ...

    @operation_2024
    def delete_nodes(self, cluster_id: str, *, instance_ids: Sequence[str]) -> v2.DeleteNodes2024Response: ...

    @operation_2024
    def list_nodes(self, /, cluster_id: str, **filters: Any) -> v2.ListNodes2024Response: ...

    @operation_2024
    def update_nodes(self, cluster_id: str, *, instances: Sequence[Any]) -> v2.SuccessResponse: ...

    # --- queues ----------------------------------------------------------------------------------
    @operation_2024
    def create_queue(self, cluster_id: str, *, queue: Any) -> v2.CreateQueueResponse: ...

    @operation_2024
    def get_queue(self, cluster_id: str, *, queue_name: str) -> v2.GetQueueResponse: ...

    @operation_2024
    def list_queues(
        self, cluster_id: str, *, queue_names: Sequence[str] | None = None
    ) -> v2.ListQueuesResponse: ...

    @operation_2024
    def update_queue(self, cluster_id: str, *, queue: Any) -> v2.SuccessResponse: ...

    @operation_2024
    def delete_queues(self, cluster_id: str, *, queue_names: Sequence[str]) -> v2.SuccessResponse: ...

    # --- operation logs --------------------------------------------------------------------------
    @operation_2024
    def list_common_logs(self, /, *, from_: int, to: int, **filters: Any) -> v2.ListCommonLogsResponse: ...

    @operation_2024
    def get_common_log_detail(
        self, *, log_request_id: str, from_: int, to: int, hidden_process: bool | None = None
    ) -> v2.GetCommonLogDetailResponse: ...


class EhpcClient2024(ClientMethods2024, BlockingClient):
    """Synchronous 2024-07-30 client; parameters as `EhpcClient`."""


class AsyncEhpcClient2024(ClientMethods2024, AsyncioClient):
    """Asyncio 2024-07-30 client; parameters as `AsyncEhpcClient`."""
