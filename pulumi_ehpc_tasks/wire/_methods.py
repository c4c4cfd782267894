"""The per-action client methods, each typed once and shared by `EhpcClient` and `AsyncEhpcClient`.

A method here is only a signature: `@operation` turns it into a descriptor that binds the arguments,
builds and validates the Action's request model (the Action is the method name, see `snake_case`)
and hands it to the client's driver, so on the sync client it returns the response and on the async
client it is a coroutine of it. Keyword arguments are the request model's python field names
(Alibaba names are accepted in `**options` too; `self` is positional-only where they are, so that
the signature types as `Concatenate[Any, P]`). The bodies are empty on purpose: mypy's `empty-body`
check is off for this module only.
"""

from __future__ import annotations

import abc
import functools
import inspect
import ssl
import types
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from . import cluster_models as c
from . import models as m
from . import task_models as t
from ._base import WireRequest, WireResponse
from ._core import DEFAULT_TIMEOUT_S, Attempts, ClientCore
from .actions import ACTIONS, ACTIONS_2024, ActionSpec, spec_for
from .identity import CredentialsProvider
from .providers import identity_key
from .retry import RetryConfig
from .signing import Credentials, SignatureVersion

__all__ = ["AsyncDriver", "ClientMethods", "Operation", "SyncDriver", "operation", "operation_2024"]

P = ParamSpec("P")
R = TypeVar("R", bound=WireResponse)


class ClientBase:
    """Configuration every client shares (see `EhpcClient` for the parameters)."""

    _core: ClientCore

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        credentials: Credentials | CredentialsProvider | None = None,
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
        """The credentials valid now (refreshed first when they are about to expire)."""
        return self._core.credentials

    @property
    def _identity_key(self) -> str:
        # Names the identity across refreshes (the key id of static credentials): the waiter's poller key.
        # Private so the public names stay the ACTIONS methods plus plumbing (test_registry_wire).
        return identity_key(self._core.provider)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, credentials={self._core.provider.source!r})"

    def _attempts(self, request: WireRequest) -> Attempts:
        spec = spec_for(type(request))
        return self._core.attempts(spec, self._core.with_token(spec, request))


class SyncDriver(ClientBase, abc.ABC):
    """Runs the core's attempt loop with blocking I/O."""

    @abc.abstractmethod
    def _drive(self, attempts: Attempts) -> WireResponse: ...

    def call(self, request: WireRequest) -> WireResponse:
        """Send a prebuilt request model (the Action comes from its class)."""
        return self._drive(self._attempts(request))


class AsyncDriver(ClientBase, abc.ABC):
    """Runs the core's attempt loop with asyncio."""

    @abc.abstractmethod
    async def _drive(self, attempts: Attempts) -> WireResponse: ...

    async def call(self, request: WireRequest) -> WireResponse:
        """Send a prebuilt request model (the Action comes from its class)."""
        return await self._drive(self._attempts(request))


class Operation(Generic[P, R]):
    """A per-action method: a plain method on a `SyncDriver`, a coroutine method on an `AsyncDriver`."""

    def __init__(self, stub: Callable[Concatenate[Any, P], R], rows: Mapping[str, ActionSpec] = ACTIONS) -> None:
        by_method = {spec.method_name: spec for spec in rows.values()}
        self.spec = by_method[stub.__name__]  # KeyError at import: a method for an Action not in the rows
        signature = inspect.signature(stub)
        spec = self.spec

        def send(client: ClientBase, *args: Any, **kwargs: Any) -> Attempts:
            bound = signature.bind(client, *args, **kwargs)
            fields: dict[str, Any] = {}
            for name, value in list(bound.arguments.items())[1:]:
                if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                    fields.update(value)
                else:
                    fields[name] = value
            return client._core.attempts(*client._core.build(spec, fields))

        def sync_method(client: SyncDriver, *args: Any, **kwargs: Any) -> WireResponse:
            return client._drive(send(client, *args, **kwargs))

        async def async_method(client: AsyncDriver, *args: Any, **kwargs: Any) -> WireResponse:
            return await client._drive(send(client, *args, **kwargs))

        self._sync = functools.update_wrapper(sync_method, stub)
        self._async = functools.update_wrapper(async_method, stub)

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Callable[..., Any]: ...
    @overload
    def __get__(self, client: AsyncDriver, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __get__(self, client: SyncDriver, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, client: ClientBase | None, owner: type[Any]) -> Callable[..., Any]:
        method = self._async if issubclass(owner, AsyncDriver) else self._sync
        return method if client is None else types.MethodType(method, client)


def operation(stub: Callable[Concatenate[Any, P], R]) -> Operation[P, R]:
    """Make `stub` (a signature without a body) the method of the 2018 Action it is named after."""
    return Operation(stub)


def operation_2024(stub: Callable[Concatenate[Any, P], R]) -> Operation[P, R]:
    """`operation` for a 2024-07-30 Action (`ACTIONS_2024`)."""
    return Operation(stub, ACTIONS_2024)


class ClientMethods(ClientBase):
    """One method per Action, snake_case of its name; each validates its request model before sending."""

    # --- node writes (tasks) ---------------------------------------------------------------------
    @operation
    def add_nodes(
        self, /, cluster_id: str, *, count: int, client_token: str | None = None, **options: Any
    ) -> m.AddNodesResponse: ...

    @operation
    def delete_nodes(
        self,
        cluster_id: str,
        *,
        instance_ids: Sequence[str],
        release_instance: bool | None = None,
        sync: bool | None = None,
    ) -> m.DeleteNodesResponse: ...

    @operation
    def start_nodes(
        self, cluster_id: str, *, instance_ids: Sequence[str], role: str | None = None
    ) -> m.StartNodesResponse: ...

    @operation
    def stop_nodes(
        self, cluster_id: str, *, instance_ids: Sequence[str], role: str | None = None
    ) -> m.StopNodesResponse: ...

    @operation
    def reset_nodes(self, cluster_id: str, *, instance_ids: Sequence[str]) -> m.ResetNodesResponse: ...

    # --- cluster writes (tasks) ------------------------------------------------------------------
    @operation
    def create_cluster(
        self, /, *, name: str, client_token: str | None = None, **options: Any
    ) -> c.CreateClusterResponse: ...

    @operation
    def delete_cluster(
        self, cluster_id: str, *, release_instance: bool | str | None = None
    ) -> c.DeleteClusterResponse: ...

    @operation
    def start_cluster(self, cluster_id: str) -> c.StartClusterResponse: ...

    @operation
    def stop_cluster(self, cluster_id: str) -> c.StopClusterResponse: ...

    # --- reads -----------------------------------------------------------------------------------
    @operation
    def list_tasks(
        self,
        cluster_id: str,
        *,
        task_id: str | None = None,
        archived: bool | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
    ) -> t.ListTasksResponse: ...

    @operation
    def list_nodes(
        self,
        /,
        cluster_id: str,
        *,
        role: str | None = None,
        page_number: int | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> m.ListNodesResponse: ...

    @operation
    def describe_cluster(self, cluster_id: str) -> c.DescribeClusterResponse: ...

    @operation
    def list_clusters(
        self, *, page_number: int | None = None, page_size: int | None = None
    ) -> c.ListClustersResponse: ...
