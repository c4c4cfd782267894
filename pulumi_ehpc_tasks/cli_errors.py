"""`ehpc-tasks` exit codes and error reports: a line on stderr, or with `--json` one object on stdout."""

from __future__ import annotations

import enum
import json
import socket
import sys
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit

import click
from rich.console import Console

from .waiting import WaitError, WaitTimeoutError
from .wire import CredentialsNotFoundError, EhpcApiError, EhpcError, EhpcTransportError, EndpointError

__all__ = ["EXIT_CODE_HELP", "ExitCode", "Failure", "connection_failure", "failure_of"]


class ExitCode(enum.IntEnum):
    """Every exit code of `ehpc-tasks`; `tasks wait` maps the task's outcome onto the first four."""

    SUCCESS = 0
    ERROR = 1
    FAILED = 2
    PARTIAL = 3
    TIMEOUT = 4
    USAGE = 64  # EX_USAGE of sysexits.h, so a typo never reads as "task Failed"
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.SUCCESS: "success (tasks wait: the task is Success)",
    ExitCode.ERROR: "any other error (connection, credentials, API error)",
    ExitCode.FAILED: "the task is Failed",
    ExitCode.PARTIAL: "the task is PartialFail",
    ExitCode.TIMEOUT: "--timeout passed before the task finished",
    ExitCode.USAGE: "usage error (unknown option, bad value)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}
EXIT_CODE_HELP = "\b\nExit codes:\n" + "\n".join(f"  {code.value:>3}  {code.meaning}" for code in ExitCode)
"""The table for `--help` (`\\b` keeps click from rewrapping it)."""


@dataclass(frozen=True)
class Failure:
    """What went wrong, as `{"error": {...}}` in JSON mode and as one line on stderr otherwise."""

    code: str
    message: str
    exit_code: ExitCode = ExitCode.ERROR
    request_id: str | None = None

    def exit(self, *, as_json: bool) -> NoReturn:
        if as_json:
            body = {"code": self.code, "message": self.message, "request_id": self.request_id,
                    "exit_code": int(self.exit_code)}
            click.echo(json.dumps({"error": body}, indent=2))
        else:
            label = {ExitCode.TIMEOUT: "timeout", ExitCode.INTERRUPTED: "interrupted"}.get(self.exit_code, "error")
            Console(stderr=True).print(f"[red]{label}:[/red] {self.message}", highlight=False, soft_wrap=True)
        sys.exit(self.exit_code)


def failure_of(exc: BaseException) -> Failure:
    """The report for an error the commands expect (anything else is a bug and keeps its traceback)."""
    if isinstance(exc, WaitTimeoutError):
        return Failure("WaitTimeout", str(exc), ExitCode.TIMEOUT)
    if isinstance(exc, EhpcApiError):
        return Failure(exc.code, str(exc), request_id=exc.request_id or None)
    if isinstance(exc, CredentialsNotFoundError):
        return Failure("CredentialsNotFound", str(exc))
    if isinstance(exc, EndpointError):
        return Failure("InvalidEndpoint", str(exc))
    if isinstance(exc, click.UsageError):
        return Failure("UsageError", exc.format_message(), ExitCode.USAGE)
    if isinstance(exc, (EhpcError, WaitError)):
        return Failure(type(exc).__name__, str(exc))
    raise exc


def connection_failure(exc: EhpcTransportError, *, endpoint: str, given: str | None, region: str | None) -> Failure:
    """Name the endpoint and host tried and say what to pass instead.

    `endpoint` is the base URL used; `given` the `--endpoint` as typed (None: it came from `region`).
    """
    host = urlsplit(endpoint).hostname or endpoint
    text = f"cannot reach {endpoint} (host {host}): {exc}."
    if given is not None and "://" not in given:
        text += (f" --endpoint {given} has no scheme, so https:// was assumed; for the emulator or another "
                 f"plain-http server on loopback pass --endpoint http://{given.strip()}")
    elif not _resolves(host):
        if given is None:
            text += (f" The region {region!r} gives host {host}, which does not resolve: pass a region id such "
                     "as cn-hangzhou (--region or ALIBABA_CLOUD_REGION_ID), or --endpoint https://HOST for a "
                     "VPC or private endpoint")
        else:
            text += f" Host {host} does not resolve: check --endpoint (or EHPC_ENDPOINT), e.g. https://HOST[:PORT]"
    else:
        text += (" Is the service listening there? For the emulator run `ehpc-tasks emulator serve` and pass the "
                 "endpoint it prints (--endpoint http://127.0.0.1:PORT)")
    return Failure("EndpointUnreachable", text)


def _resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True
