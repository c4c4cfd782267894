"""What every provider here shares: configuration inside the provider process, input models, checks."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ReadResult, ResourceProvider
from pydantic import BaseModel, ValidationError

from ..wire import EhpcError
from .connection import CONNECTION, ConnectionInputs, unusable
from .context import Op
from .errors import install_clean_errors
from .host_tuning import raise_provider_workers
from .inputs import TRUSTED, check_inputs, normalised
from .settings import ProviderSettings, settings_from_config

__all__ = ["EhpcProvider", "read_result"]

InputsT = TypeVar("InputsT", bound=BaseModel)
# Recent Pulumi SDKs take a refresh's new inputs (ReadResult.inputs); older ones keep the state's.
_READ_TAKES_INPUTS = "inputs" in inspect.signature(ReadResult.__init__).parameters


def read_result(id_: str, outs: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
    """A refresh's result whose `inputs` replace the state's (so the next diff compares with reality)."""
    return ReadResult(id_, outs, inputs) if _READ_TAKES_INPUTS else ReadResult(id_, outs)


class EhpcProvider(ResourceProvider, Generic[InputsT]):
    """Base of our dynamic providers. Pickled into state with no attributes at all: settings and the
    client are made in the provider process, from stack config and the environment."""

    INPUTS: ClassVar[type[BaseModel]]
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        install_clean_errors()
        raise_provider_workers()
        self._settings = settings_from_config(req.config)

    @property
    def settings(self) -> ProviderSettings:
        settings: ProviderSettings | None = getattr(self, "_settings", None)
        if settings is None:  # an engine that never called configure(): environment only
            settings = self._settings = settings_from_config({})
        return settings

    def _op(self, cluster_id: str, urn: str | None, connection: ConnectionInputs | None = None) -> Op:
        """The call's context, with the client of the resource's connection (the stack's without one)."""
        return Op(self.settings.client(connection), cluster_id, urn or "")

    def _connection_diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """(changed, replaced) for the `connection` input. A resource lives in one region (or behind one
        endpoint, when no region is given): moving it there means a new resource. Another identity, CA
        bundle or endpoint to the same region reaches the same resources: an update with no API write."""
        old, new = (self._comparable(p).get(CONNECTION) for p in (olds, news))
        if old == new:
            return [], []
        try:
            where = [self.settings.target(_connection(c)).location for c in (old, new)]
        except (ValueError, EhpcError):  # unknowns during preview, or refused by check: say it changes
            return [CONNECTION], []
        return [CONNECTION], [CONNECTION] if where[0] != where[1] else []

    @classmethod
    def _inputs(cls, props: Mapping[str, Any]) -> InputsT:
        """The inputs `check` validated and normalised (they come back from the engine as plain values)."""
        fields = set(cls.INPUTS.model_fields)
        known = {k: v for k, v in props.items() if k in fields and v is not None}
        return cls.INPUTS.model_validate(known, context=TRUSTED)  # type: ignore[return-value]

    @classmethod
    def _comparable(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs as `check` normalises them, so one value spelt two ways (`"1h"`, `3600`) is no change;
        as they are when they do not parse (unknowns during preview)."""
        try:
            return normalised(cls._inputs(props))
        except ValidationError:
            return dict(props)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every input, naming the property; return them normalised (whole numbers as int,
        durations in seconds, ...) for the other calls to use."""
        news = {k: v for k, v in news.items() if k != "adopting"}  # check's own say (adoption.py), not a program's
        model, failures = check_inputs(self.INPUTS, news)
        if model is None:
            return CheckResult(news, failures)
        connection = getattr(model, CONNECTION, None)
        if isinstance(connection, ConnectionInputs):
            failures = [*failures, *(CheckFailure(p, r) for p, r in unusable(connection, self.settings.config))]
        if not failures:
            conn = connection if isinstance(connection, ConnectionInputs) else None
            failures = [CheckFailure(p, r) for p, r in self.settings.identity_problems(conn)]
        return CheckResult({**news, **normalised(model)}, failures)


def _connection(value: Any) -> ConnectionInputs | None:
    return None if value is None else ConnectionInputs.model_validate(value)
