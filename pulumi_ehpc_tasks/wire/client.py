"""`EhpcClient`: the synchronous client (thread-safe: one httpx.Client), one method per Action.

Both are thin send loops over `ClientCore` (build → prepare → send → parse) and `retry.decide`; see
`retry.py` for the retry / ClientToken contract. Method keyword arguments are the request model's
python field names (Alibaba names are accepted in `**options` too).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx

from . import cluster_models as c
from . import models as m
from ._base import WireRequest, WireResponse
from ._core import DEFAULT_TIMEOUT_S, ClientCore, log_retry
from .actions import ACTIONS, ActionSpec
from .errors import EhpcApiError, EhpcError
from .policy import Policy
from .retry import RetryConfig, Verdict, decide, transport_error
from .signing import Credentials, SignatureVersion

__all__ = ["EhpcClient"]

_R = TypeVar("_R", bound=WireResponse)


class _Base:
    _core: ClientCore

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        credentials: Credentials | None = None,
        signature_version: SignatureVersion = SignatureVersion.V3,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        verify: bool | str | ssl.SSLContext = True,
        allow_insecure_http: bool = False,
        retry: RetryConfig | None = None,
    ) -> None:
        self._core = ClientCore(
            region=region,
            endpoint=endpoint,
            credentials=credentials,
            signature_version=signature_version,
            timeout_s=timeout_s,
            verify=verify,
            allow_insecure_http=allow_insecure_http,
            retry=retry,
        )

    @property
    def endpoint(self) -> str:
        return self._core.base_url

    @property
    def credentials(self) -> Credentials:
        return self._core.credentials

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, credentials={self.credentials!r})"

    def _verdict(
        self, spec: ActionSpec, request: WireRequest, error: EhpcError, attempt: int, resigned: bool
    ) -> Verdict:
        verdict = decide(
            spec,
            error,
            attempt=attempt,
            resigned=resigned,
            params=request.safe_params(),
            config=self._core.retry,
        )
        if verdict.retry:
            log_retry(spec, attempt, error, verdict.delay_s)
        return verdict


def _is_resign(error: EhpcError) -> bool:
    return isinstance(error, EhpcApiError) and error.policy is Policy.RESIGN


def _raise(verdict: Verdict, last: EhpcError) -> None:
    err = verdict.error or last
    if err is last:
        raise err
    raise err from last


class EhpcClient(_Base):
    """Synchronous client, used by the provider from worker threads.

    **Parameters:** `region` (host `ehpc.<region>.aliyuncs.com`), `endpoint` (overrides; http only to
    loopback unless `allow_insecure_http`), `credentials` (else the resolver), `signature_version`,
    `timeout_s`, `verify` (True, CA bundle path or SSLContext; never off), `retry`, `transport`, `sleep`.
    """

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, verify=self._core.verify, timeout=self._core.timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EhpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, request: WireRequest) -> WireResponse:
        """Send a prebuilt request model (the Action comes from its class)."""
        spec = ACTIONS[request.ACTION]
        return self._send(spec, self._core.with_token(spec, request))

    def _op(self, response_type: type[_R], action: str, **fields: Any) -> _R:
        spec, request = self._core.build(action, fields)
        result = self._send(spec, request)
        assert isinstance(result, response_type)
        return result

    def _send(self, spec: ActionSpec, request: WireRequest) -> WireResponse:
        attempt, resigned = 0, False
        while True:
            attempt += 1
            try:
                response = self._http.send(self._core.prepare(spec, request), auth=self._core.auth)
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
                self._sleep(verdict.delay_s)

    # --- one method per Action (keyword arguments = request model fields) ---------------------
    def add_nodes(
        self, cluster_id: str, *, count: int, client_token: str | None = None, **options: Any
    ) -> m.AddNodesResponse:
        return self._op(
            m.AddNodesResponse,
            "AddNodes",
            cluster_id=cluster_id,
            count=count,
            client_token=client_token,
            **options,
        )

    def delete_nodes(
        self,
        cluster_id: str,
        *,
        instance_ids: Sequence[str],
        release_instance: bool | None = None,
        sync: bool | None = None,
    ) -> m.DeleteNodesResponse:
        return self._op(
            m.DeleteNodesResponse,
            "DeleteNodes",
            cluster_id=cluster_id,
            instance_ids=list(instance_ids),
            release_instance=release_instance,
            sync=sync,
        )

    def start_nodes(
        self, cluster_id: str, *, instance_ids: Sequence[str], role: str | None = None
    ) -> m.StartNodesResponse:
        return self._op(
            m.StartNodesResponse,
            "StartNodes",
            cluster_id=cluster_id,
            instance_ids=list(instance_ids),
            role=role,
        )

    def stop_nodes(
        self, cluster_id: str, *, instance_ids: Sequence[str], role: str | None = None
    ) -> m.StopNodesResponse:
        return self._op(
            m.StopNodesResponse,
            "StopNodes",
            cluster_id=cluster_id,
            instance_ids=list(instance_ids),
            role=role,
        )

    def reset_nodes(self, cluster_id: str, *, instance_ids: Sequence[str]) -> m.ResetNodesResponse:
        return self._op(
            m.ResetNodesResponse, "ResetNodes", cluster_id=cluster_id, instance_ids=list(instance_ids)
        )

    def create_cluster(
        self, *, name: str, client_token: str | None = None, **options: Any
    ) -> c.CreateClusterResponse:
        return self._op(
            c.CreateClusterResponse, "CreateCluster", name=name, client_token=client_token, **options
        )

    def delete_cluster(
        self, cluster_id: str, *, release_instance: bool | str | None = None
    ) -> c.DeleteClusterResponse:
        return self._op(
            c.DeleteClusterResponse, "DeleteCluster", cluster_id=cluster_id, release_instance=release_instance
        )

    def start_cluster(self, cluster_id: str) -> c.StartClusterResponse:
        return self._op(c.StartClusterResponse, "StartCluster", cluster_id=cluster_id)

    def stop_cluster(self, cluster_id: str) -> c.StopClusterResponse:
        return self._op(c.StopClusterResponse, "StopCluster", cluster_id=cluster_id)

    def list_tasks(
        self,
        cluster_id: str,
        *,
        task_id: str | None = None,
        archived: bool | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
    ) -> m.ListTasksResponse:
        return self._op(
            m.ListTasksResponse,
            "ListTasks",
            cluster_id=cluster_id,
            task_id=task_id,
            archived=archived,
            page_number=page_number,
            page_size=page_size,
        )

    def list_nodes(
        self,
        cluster_id: str,
        *,
        role: str | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> m.ListNodesResponse:
        return self._op(
            m.ListNodesResponse,
            "ListNodes",
            cluster_id=cluster_id,
            role=role,
            page_number=page_number,
            page_size=page_size,
            **filters,
        )

    def describe_cluster(self, cluster_id: str) -> c.DescribeClusterResponse:
        return self._op(c.DescribeClusterResponse, "DescribeCluster", cluster_id=cluster_id)

    def list_clusters(
        self, *, page_number: int | None = None, page_size: int | None = None
    ) -> c.ListClustersResponse:
        return self._op(c.ListClustersResponse, "ListClusters", page_number=page_number, page_size=page_size)
