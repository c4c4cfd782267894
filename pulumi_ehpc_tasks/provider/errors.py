"""Clear error text from the dynamic-provider host.

The stock host (`python -m pulumi.dynamic`) reports any exception raised by a provider method as
`traceback.format_exc()`, so a wrong secret would reach the user as a page of stack frames. Our
errors already say what failed, which task and RequestId, and what to do; for them the host sends
just that message. Anything else (a bug) keeps its full traceback.

This swaps the `traceback` name the host module looks up at call time; it touches nothing when the
host is not the stock one (unit tests, other launchers).
"""

from __future__ import annotations

import sys
import traceback as _traceback
from types import ModuleType
from typing import Any

from ..waiting import WaitError
from ..wire import EhpcError

__all__ = ["USER_FACING_ERRORS", "install_clean_errors"]

USER_FACING_ERRORS: tuple[type[BaseException], ...] = (EhpcError, WaitError)
_extra: list[type[BaseException]] = []


def register_user_facing(*types: type[BaseException]) -> None:
    """Add error types whose message alone is what the user should see."""
    _extra.extend(types)


class _CleanTraceback(ModuleType):
    """Stands in for the `traceback` module: everything but `format_exc` is the real one."""

    def __init__(self) -> None:
        super().__init__("traceback")

    def __getattr__(self, name: str) -> Any:
        return getattr(_traceback, name)

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        exc = sys.exc_info()[1]
        if isinstance(exc, (*USER_FACING_ERRORS, *_extra)):
            return str(exc)
        return _traceback.format_exc(*args, **kwargs)


def install_clean_errors() -> bool:
    """Patch the running stock provider host, if that is where we are; return whether it was."""
    host = sys.modules.get("__main__")
    spec = getattr(host, "__spec__", None)
    if host is None or getattr(spec, "name", "") != "pulumi.dynamic.__main__":
        return False
    if not hasattr(host, "_abort_with_traceback") or isinstance(getattr(host, "traceback", None), _CleanTraceback):
        return isinstance(getattr(host, "traceback", None), _CleanTraceback)
    host.traceback = _CleanTraceback()  # type: ignore[attr-defined]
    return True
