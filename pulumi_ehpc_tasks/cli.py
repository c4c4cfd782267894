"""`ehpc-tasks`: list and wait on E-HPC tasks; `emulator serve` when the emulator extra is installed.

Exit codes of `tasks wait`: 0 Success, 2 Failed, 3 PartialFail, 4 timeout, 1 any other error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .waiting import FinishedTask, Outcome, WaitError, WaitTimeoutError, wait_for_task
from .waiting import Progress as WaitProgress
from .wire import (
    CredentialsNotFoundError,
    EhpcClient,
    EhpcError,
    SignatureVersion,
    TaskInfo,
    TaskStatus,
    resolve_credentials,
    resolve_region,
)

__all__ = ["EXIT_FAILED", "EXIT_PARTIAL", "EXIT_TIMEOUT", "main"]

EXIT_FAILED = 2
EXIT_PARTIAL = 3
EXIT_TIMEOUT = 4
_MAX_PAGES = 999  # ListTasks PageNumber upper bound
_STATUS_STYLE = {
    TaskStatus.PROCESSING: "cyan",
    TaskStatus.SUCCESS: "green",
    TaskStatus.FAILED: "red",
    TaskStatus.PARTIAL_FAIL: "yellow",
    TaskStatus.UNKNOWN: "magenta",
}

err_console = Console(stderr=True)


@dataclass
class _Settings:
    region: str | None
    endpoint: str | None
    ca_bundle: str | None
    signature_version: SignatureVersion
    allow_insecure_http: bool

    def override(self, **given: Any) -> _Settings:
        """The same settings with the connection options given after the subcommand taking precedence."""
        changes = {k: v for k, v in given.items() if v not in (None, False)}
        if "signature_version" in changes:
            changes["signature_version"] = SignatureVersion(changes["signature_version"])
        return replace(self, **changes)

    def client(self) -> EhpcClient:
        """Build a client; missing credentials or a bad endpoint end the command cleanly (no traceback)."""
        try:
            creds = resolve_credentials()
            return EhpcClient(
                region=resolve_region(self.region),
                endpoint=self.endpoint,
                credentials=creds,
                signature_version=self.signature_version,
                verify=self.ca_bundle or True,
                allow_insecure_http=self.allow_insecure_http,
            )
        except CredentialsNotFoundError as exc:
            _fail(str(exc))
        except (EhpcError, ValueError) as exc:
            _fail(str(exc))


def _fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


class _LazyGroup(click.Group):
    """Adds `emulator` only when it is asked for, so the CLI starts without starlette/uvicorn."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return sorted({*names, "emulator"}) if _emulator_group() is not None else names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "emulator":
            return _emulator_group()
        return super().get_command(ctx, cmd_name)


def _emulator_group() -> click.Command | None:
    try:
        from .emulator.cli import emulator
    except ImportError:  # the emulator extra (starlette, uvicorn) is not installed
        return None
    return emulator


_F = Callable[..., Any]


def connection_options(command: _F) -> _F:
    """--region/--endpoint/... on the group and on every command, so they work before or after it."""
    options = [
        click.option("--region", default=None, help="Region id, e.g. cn-hangzhou (else ALIBABA_CLOUD_REGION_ID...)."),
        click.option("--endpoint", envvar="EHPC_ENDPOINT", default=None, help="API endpoint URL (env EHPC_ENDPOINT)."),
        click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), default=None, help="Custom CA file."),
        click.option("--signature-version", type=click.Choice(["v3", "v1"]), default=None, help="Default v3."),
        click.option("--allow-insecure-http", is_flag=True, help="Allow http:// to a non-loopback endpoint."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=_LazyGroup)
@connection_options
@click.pass_context
def main(ctx: click.Context, /, **connection: Any) -> None:
    """Alibaba Cloud E-HPC tasks: list them, wait on them."""
    ctx.obj = _Settings(None, None, None, SignatureVersion.V3, False).override(**connection)


@main.group()
def tasks() -> None:
    """ListTasks-based commands."""


def _all_tasks(client: EhpcClient, cluster_id: str, archived: bool) -> Iterator[TaskInfo]:
    seen = 0
    for page in range(1, _MAX_PAGES + 1):
        resp = client.list_tasks(cluster_id, archived=archived, page_number=page, page_size=50)
        yield from resp.tasks
        seen += len(resp.tasks)
        if not resp.tasks or seen >= resp.total_count:
            return


def _task_json(task: TaskInfo) -> dict[str, Any]:
    return task.model_dump(mode="json")


@tasks.command("list")
@click.option("--cluster-id", required=True, help="Cluster id (ehpc-...).")
@click.option("--archived", is_flag=True, help="Include finished tasks (history).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@connection_options
@click.pass_obj
def list_tasks(settings: _Settings, /, cluster_id: str, archived: bool, as_json: bool, **connection: Any) -> None:
    """List the tasks of a cluster (running ones, or all with --archived)."""
    with settings.override(**connection).client() as client:
        try:
            found = list(_all_tasks(client, cluster_id, archived))
        except EhpcError as exc:
            _fail(str(exc))
    if as_json:
        click.echo(json.dumps([_task_json(t) for t in found], indent=2))
        return
    table = Table(title=f"Tasks of {cluster_id}" + (" (incl. archived)" if archived else ""))
    for column in ("TaskId", "TaskType", "Status", "Step", "Instances", "Errors"):
        table.add_column(column, overflow="fold")
    for t in found:
        status = f"[{_STATUS_STYLE[t.status]}]{t.raw_status or t.status.value}[/]"
        errors = "; ".join(filter(None, (f"{e.code} {e.message}".strip() for e in t.errors)))
        table.add_row(
            t.task_id,
            t.task_type,
            status,
            f"{t.current_step}/{t.total_steps}",
            str(len(t.result.instances)),
            errors,
        )
    Console().print(table)
    if not found:
        err_console.print("no tasks" + ("" if archived else " running (use --archived for history)"))


# --- tasks wait ---------------------------------------------------------------------------------
# Built on the waiter (`pulumi_ehpc_tasks.waiting.wait_for_task`), which owns polling, coalescing and
# deadlines; this command only renders its progress events and maps the outcome to an exit code.

# Exit code per terminal outcome (timeout: EXIT_TIMEOUT, any other error: 1).
EXIT_CODES = {Outcome.SUCCESS: 0, Outcome.FAILURE: EXIT_FAILED, Outcome.PARTIAL: EXIT_PARTIAL}


def _summary(finished: FinishedTask) -> dict[str, Any]:
    task = finished.task
    dump = getattr(task, "model_dump", None)
    return {
        "cluster_id": finished.cluster_id,
        "task_id": task.task_id,
        "outcome": finished.outcome.value,
        "status": task.raw_status,
        "elapsed_s": round(finished.elapsed_s, 3),
        "task": dump(mode="json") if dump else None,
    }


def _print_final(console: Console, finished: FinishedTask) -> None:
    task: Any = finished.task
    style = {Outcome.SUCCESS: "green", Outcome.FAILURE: "red", Outcome.PARTIAL: "yellow"}.get(
        finished.outcome, "white"
    )
    console.print(
        f"[{style}]{task.task_type} {task.task_id}: {task.raw_status}[/] "
        f"[{task.current_step}/{task.total_steps}] after {finished.elapsed_s:.0f}s"
    )
    instances = getattr(getattr(task, "result", None), "instances", [])
    if instances:
        table = Table(title="Instances")
        for col in ("InstanceId", "Ip", "Hostname", "Role"):
            table.add_column(col)
        for i in instances:
            table.add_row(i.instance_id, i.ip, i.hostname, i.role)
        console.print(table)
    for e in getattr(task, "errors", []):
        console.print(f"[red]error[/] {e.code} {e.instance_id} {e.message}".rstrip())


@tasks.command("wait")
@click.argument("task_id")
@click.option("--cluster-id", required=True, help="Cluster id (ehpc-...).")
@click.option("--timeout", "timeout_s", type=float, default=3600.0, show_default=True, help="Seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the final task as JSON on stdout.")
@connection_options
@click.pass_obj
def wait_task(
    settings: _Settings, /, task_id: str, cluster_id: str, timeout_s: float, as_json: bool, **connection: Any
) -> None:
    """Wait until TASK_ID is Success (exit 0), Failed (2), PartialFail (3), or the timeout passes (4)."""
    err = Console(stderr=True)
    with settings.override(**connection).client() as client:
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        )
        row = bar.add_task(f"{task_id} waiting", total=None)

        def on_progress(event: WaitProgress) -> None:
            bar.update(
                row,
                description=f"{event.task_type or '?'} {event.task_id} {event.status}",
                completed=event.current_step,
                total=event.total_steps or None,
            )

        try:
            with bar:
                finished = wait_for_task(
                    client, cluster_id, task_id, timeout_s=timeout_s, on_progress=on_progress
                )
        except WaitTimeoutError as exc:
            err.print(f"[red]timeout:[/] {exc}", highlight=False)
            sys.exit(EXIT_TIMEOUT)
        except (WaitError, EhpcError) as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            sys.exit(1)
    if as_json:
        click.echo(json.dumps(_summary(finished), indent=2))
    else:
        _print_final(Console(), finished)
    sys.exit(EXIT_CODES.get(finished.outcome, 1))
