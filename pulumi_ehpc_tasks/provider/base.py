"""What every provider here shares: configuration inside the provider process, input models, checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pulumi.dynamic import CheckResult, ConfigureRequest, ResourceProvider
from pydantic import BaseModel

from .errors import install_clean_errors
from .host_tuning import raise_provider_workers
from .inputs import check_inputs
from .settings import ProviderSettings, settings_from_config
from .tasks import Op

__all__ = ["EhpcProvider"]

InputsT = TypeVar("InputsT", bound=BaseModel)


class EhpcProvider(ResourceProvider, Generic[InputsT]):
    """Base of our dynamic providers. Pickled into state with no attributes at all: settings and the
    client are made in the provider process, from stack config and the environment."""

    INPUTS: ClassVar[type[BaseModel]]
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        install_clean_errors()
        raise_provider_workers()
        self._settings = settings_from_config(req.config)

    def _op(self, cluster_id: str, urn: str | None) -> Op:
        settings: ProviderSettings | None = getattr(self, "_settings", None)
        if settings is None:  # an engine that never called configure(): environment only
            settings = self._settings = settings_from_config({})
        return Op(settings.client(), cluster_id, urn or "")

    @classmethod
    def _inputs(cls, props: Mapping[str, Any]) -> InputsT:
        fields = set(cls.INPUTS.model_fields)
        model = cls.INPUTS.model_validate({k: v for k, v in props.items() if k in fields and v is not None})
        return model  # type: ignore[return-value]

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        _, failures = check_inputs(self.INPUTS, news)
        return CheckResult(news, failures)
