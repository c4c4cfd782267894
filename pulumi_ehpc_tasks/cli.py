"""`ehpc-tasks`: list and wait on E-HPC tasks; `emulator serve` when the emulator extra is installed.

Exit codes: `cli_errors.ExitCode` (shown by `--help`).
"""

from __future__ import annotations

import functools
import json
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, NoReturn

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .cli_errors import EXIT_CODE_HELP, ExitCode, Failure, connection_failure, failure_of
from .waiting import FinishedTask, Outcome, WaitError, wait_for_task
from .waiting import Progress as WaitProgress
from .wire import (
    EhpcClient,
    EhpcError,
    EhpcTransportError,
    IdentitySpec,
    ListTasksRequest,
    SignatureVersion,
    TaskInfo,
    TaskStatus,
    TaskType,
    credentials_provider,
    resolve_region,
)
from .wire.retry import INTERACTIVE_RETRY

__all__ = ["EXIT_FAILED", "EXIT_PARTIAL", "EXIT_TIMEOUT", "ExitCode", "main"]

EXIT_FAILED = ExitCode.FAILED
EXIT_PARTIAL = ExitCode.PARTIAL
EXIT_TIMEOUT = ExitCode.TIMEOUT


def _upper_bound(field: str) -> int:
    """A ListTasks paging bound, from the request model (PageNumber ≤ 999, PageSize ≤ 50)."""
    return int(next(m.le for m in ListTasksRequest.model_fields[field].metadata if hasattr(m, "le")))


_MAX_PAGES = _upper_bound("page_number")
_MAX_PAGE_SIZE = _upper_bound("page_size")
_PROGRESS_INTERVAL_S = 0.25  # the waiter's default (5 s, meant for logs) would hold a new step back
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
    profile: str | None = None
    role_arn: str | None = None
    role_session_name: str | None = None
    oidc_provider_arn: str | None = None
    oidc_token_file: str | None = None
    sts_endpoint: str | None = None

    def identity(self) -> IdentitySpec:
        """The identity the options name (none: the default chain, which reads the environment)."""
        return IdentitySpec(**{f: getattr(self, f) for f in _IDENTITY_OPTIONS})

    def override(self, **given: Any) -> _Settings:
        """The same settings with the connection options given after the subcommand taking precedence."""
        changes = {k: v for k, v in given.items() if v not in (None, False)}
        if "signature_version" in changes:
            changes["signature_version"] = SignatureVersion(changes["signature_version"])
        return replace(self, **changes)

    def client(self) -> EhpcClient:
        """Build a client; missing credentials or a bad endpoint end the command cleanly (no traceback)."""
        try:
            region = resolve_region(self.region)
            if not region and not self.endpoint:
                _fail(Failure("InvalidEndpoint", "no region and no endpoint: pass --region (e.g. cn-hangzhou; "
                              "or set ALIBABA_CLOUD_REGION_ID) or --endpoint URL (or set EHPC_ENDPOINT)"))
            return EhpcClient(
                region=region,
                endpoint=self.endpoint,
                credentials=credentials_provider(  # the CLI takes no keys of its own
                    self.identity(),
                    caller_sources=False,
                    verify=self.ca_bundle or True,
                    inputs={f: "--" + f.replace("_", "-") for f in _IDENTITY_OPTIONS},
                ),
                signature_version=self.signature_version,
                verify=self.ca_bundle or True,
                allow_insecure_http=self.allow_insecure_http,
                retry=INTERACTIVE_RETRY,
            )
        except EhpcError as exc:  # credentials, endpoint or region
            _fail(failure_of(exc))

    def failure(self, exc: EhpcError | WaitError, client: EhpcClient) -> Failure:
        """The report for `exc`; a request that never left names the endpoint and what to pass instead."""
        if isinstance(exc, EhpcTransportError) and not exc.may_have_reached_server:
            return connection_failure(
                exc, endpoint=client.endpoint, given=self.endpoint, region=resolve_region(self.region)
            )
        return failure_of(exc)

    def options(self) -> list[str]:
        """The connection options as given, to repeat them in a command we suggest."""
        given = [("--region", self.region), ("--endpoint", self.endpoint), ("--ca-bundle", self.ca_bundle)]
        given += [("--" + f.replace("_", "-"), getattr(self, f)) for f in _IDENTITY_OPTIONS]
        args = [part for name, value in given if value for part in (name, value)]
        if self.signature_version is not SignatureVersion.V3:
            args += ["--signature-version", self.signature_version.value]
        return args + (["--allow-insecure-http"] if self.allow_insecure_http else [])


_IDENTITY_OPTIONS = tuple(f.name for f in fields(_Settings) if f.name in IdentitySpec.__dataclass_fields__)


def _as_json() -> bool:
    """Whether the running command was given `--json`."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.params.get("as_json"))


def _fail(failure: Failure) -> NoReturn:
    failure.exit(as_json=_as_json())


class _UsageError(click.UsageError):
    exit_code = ExitCode.USAGE


def _usage_error(exc: click.UsageError, argv: Sequence[str]) -> NoReturn:
    if "--json" in argv:
        failure_of(exc).exit(as_json=True)
    raise _UsageError(exc.format_message(), exc.ctx) from None


class _Cli(click.Group):
    """The top group: our exit codes for usage errors and Ctrl-C; `emulator` mounted lazily."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            ctx = super().make_context(info_name, list(args), parent, **extra)
        except click.UsageError as exc:
            _usage_error(exc, args)
        ctx.meta["ehpc_tasks.argv"] = list(args)
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _usage_error(exc, ctx.meta.get("ehpc_tasks.argv", ()))
        except KeyboardInterrupt:
            click.echo(file=sys.stderr)  # end the terminal's ^C line
            raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None

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


def connection_options(command: _F, *, envvar: str | None = None) -> _F:
    """--region/--endpoint/... on the group and on every command, so they work before or after it.

    Only the group reads EHPC_ENDPOINT: on a command it would beat an `--endpoint` given before it.
    """
    options = [
        click.option("--region", default=None, help="Region id, e.g. cn-hangzhou (else ALIBABA_CLOUD_REGION_ID...)."),
        click.option("--endpoint", envvar=envvar, default=None,
                     help="API endpoint URL with its scheme, e.g. http://127.0.0.1:8765 for the emulator "
                          "(env EHPC_ENDPOINT)."),
        click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="CA file for the API and STS (e.g. the emulator's `ca:` file under --tls)."),
        click.option("--profile", default=None, help="Alibaba CLI profile, any mode (else ALIBABA_CLOUD_PROFILE)."),
        click.option("--role-arn", default=None,
                     help="RAM role to assume (AssumeRole from the other options' identity; with --oidc-*: OIDC)."),
        click.option("--role-session-name", default=None, help="Session name of the assumed role."),
        click.option("--oidc-provider-arn", default=None,
                     help="OIDC provider ARN (else ALIBABA_CLOUD_OIDC_PROVIDER_ARN with ALIBABA_CLOUD_ROLE_ARN)."),
        click.option("--oidc-token-file", type=click.Path(dir_okay=False), default=None,
                     help="OIDC token file, read at every refresh (else ALIBABA_CLOUD_OIDC_TOKEN_FILE)."),
        click.option("--sts-endpoint", default=None,
                     help="STS endpoint URL (else EHPC_STS_ENDPOINT, ALIBABA_CLOUD_STS_REGION; default "
                          "https://sts.aliyuncs.com)."),
        click.option("--signature-version", type=click.Choice(["v3", "v1"]), default=None, help="Default v3."),
        click.option("--allow-insecure-http", is_flag=True, help="Allow http:// to a non-loopback endpoint."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=_Cli, epilog=EXIT_CODE_HELP)
@functools.partial(connection_options, envvar="EHPC_ENDPOINT")
@click.pass_context
def main(ctx: click.Context, /, **connection: Any) -> None:
    """Alibaba Cloud E-HPC tasks: list them, wait on them."""
    ctx.obj = _Settings(None, None, None, SignatureVersion.V3, False).override(**connection)


@main.group()
def tasks() -> None:
    """ListTasks-based commands."""


def _all_tasks(client: EhpcClient, cluster_id: str, **query: Any) -> Iterator[TaskInfo]:
    """Every task ListTasks returns for `query` (archived, task_id, page_size), page after page."""
    seen = 0
    for page in range(1, _MAX_PAGES + 1):
        resp = client.list_tasks(cluster_id, page_number=page, **query)
        yield from resp.tasks
        seen += len(resp.tasks)
        if not resp.tasks or seen >= resp.total_count:
            return


def _task_json(task: TaskInfo) -> dict[str, Any]:
    return task.model_dump(mode="json")


@tasks.command("list")
@click.option("--cluster-id", required=True, help="Cluster id (ehpc-...).")
@click.option("--task-id", default=None, help="Only this task.")
@click.option("--type", "task_type", type=click.Choice([t.value for t in TaskType]), default=None,
              help="Only tasks of this TaskType. ListTasks cannot filter by type, so every page is fetched "
                   "and filtered here.")
@click.option("--page-size", type=click.IntRange(1, _MAX_PAGE_SIZE), default=_MAX_PAGE_SIZE, show_default=True,
              help="Tasks per ListTasks call (all pages are fetched).")
@click.option("--archived", is_flag=True, help="Include finished tasks (history).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@connection_options
@click.pass_obj
def list_tasks(settings: _Settings, /, cluster_id: str, task_id: str | None, task_type: str | None,
               page_size: int, archived: bool, as_json: bool, **connection: Any) -> None:
    """List the tasks of a cluster (running ones, or all with --archived)."""
    settings = settings.override(**connection)
    with settings.client() as client:
        try:
            found = [
                t for t in _all_tasks(client, cluster_id, archived=archived, task_id=task_id, page_size=page_size)
                if task_type is None or t.task_type == task_type
            ]
        except EhpcError as exc:
            _fail(settings.failure(exc, client))
    if as_json:
        # Always one object (like the error form), so scripts can tell an answer from a failure.
        click.echo(json.dumps({"cluster_id": cluster_id, "total_count": len(found),
                               "tasks": [_task_json(t) for t in found]}, indent=2))
        return
    _print_tasks(found, f"Tasks of {cluster_id}" + (" (incl. archived)" if archived else ""))
    if not found:
        kind = f"{task_type} tasks" if task_type else "tasks"
        err_console.print(f"no {kind}" + ("" if archived else " running (use --archived for history)"))


def _task_table(found: list[TaskInfo], title: str) -> Table:
    # No borders and errors below the table: a TaskId is what one copies into `tasks wait`, so it must
    # stay whole (36 characters) in an 80-column terminal.
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("TaskId", no_wrap=True, min_width=max((len(t.task_id) for t in found), default=6))
    for column in ("TaskType", "Status", "Step", "Nodes"):
        table.add_column(column, overflow="fold")
    for t in found:
        table.add_row(
            t.task_id,
            t.task_type,
            f"[{_STATUS_STYLE[t.status]}]{t.raw_status or t.status.value}[/]",
            f"{t.current_step}/{t.total_steps}",
            str(len(t.result.instances)),
        )
    return table


def _print_tasks(found: list[TaskInfo], title: str) -> None:
    console = Console()
    console.print(_task_table(found, title))
    for t in found:
        errors = "; ".join(filter(None, (f"{e.code} {e.message}".strip() for e in t.errors)))
        if errors:
            console.print(f"{t.task_id} errors: {errors}", highlight=False)


# --- tasks wait ---------------------------------------------------------------------------------
# Built on the waiter (`pulumi_ehpc_tasks.waiting.wait_for_task`), which owns polling, coalescing and
# deadlines; this command only renders its progress events and maps the outcome to an exit code.

EXIT_CODES = {Outcome.SUCCESS: ExitCode.SUCCESS, Outcome.FAILURE: ExitCode.FAILED, Outcome.PARTIAL: ExitCode.PARTIAL}
"""Exit code per terminal outcome."""


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


class _StepBar:
    """The progress bar of one wait, showing the latest step any answer has reported.

    Fed by the first ListTasks answer and then by the waiter's events; an event without steps (the
    waiter has not seen the task yet, or only an error since) never hides a step already known.
    """

    def __init__(self, task_id: str, console: Console, *, transient: bool) -> None:
        self.task_id = task_id
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=transient,
        )
        self.row = self.bar.add_task(f"{task_id} waiting", total=None)
        self.task_type, self.step, self.total = "task", 0, 0

    def show(self, status: str, *, task_type: str = "", step: int = 0, total: int = 0) -> None:
        if total > 0:
            self.task_type, self.step, self.total = task_type or self.task_type, step, total
        self.bar.update(self.row, description=f"{self.task_type} {self.task_id} {status}",
                        completed=self.step, total=self.total or None)

    def on_progress(self, event: WaitProgress) -> None:
        self.show(event.status, task_type=event.task_type, step=event.current_step, total=event.total_steps)


@tasks.command("wait", epilog=EXIT_CODE_HELP)
@click.argument("task_id")
@click.option("--cluster-id", required=True, help="Cluster id (ehpc-...).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True), default=3600.0,
              show_default=True, help="Seconds to wait (more than 0); the task goes on after it.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout: the final task, or {\"error\": ...}.")
@connection_options
@click.pass_obj
def wait_task(
    settings: _Settings, /, task_id: str, cluster_id: str, timeout_s: float, as_json: bool, **connection: Any
) -> None:
    """Wait until TASK_ID is Success, Failed or PartialFail, or --timeout passes; the exit code says which."""
    settings = settings.override(**connection)
    with settings.client() as client:
        bar = _StepBar(task_id, Console(stderr=True), transient=as_json)
        try:
            # One ListTasks before the waiter: a bad endpoint fails now (the waiter would retry it until
            # the timeout), and the bar starts at the step the service reports.
            for task in client.list_tasks(cluster_id, task_id=task_id).tasks:
                if task.task_id == task_id:
                    bar.show(task.raw_status, task_type=task.task_type, step=task.current_step,
                             total=task.total_steps)
            with bar.bar:
                finished = wait_for_task(client, cluster_id, task_id, timeout_s=timeout_s,
                                         on_progress=bar.on_progress, progress_interval_s=_PROGRESS_INTERVAL_S)
        except KeyboardInterrupt:
            resume = shlex.join(["ehpc-tasks", "tasks", "wait", task_id, "--cluster-id", cluster_id,
                                 *settings.options()])
            _fail(Failure("Interrupted", f"task {task_id} goes on in the service. Resume waiting with: {resume}",
                          ExitCode.INTERRUPTED))
        except (WaitError, EhpcError) as exc:
            _fail(settings.failure(exc, client))
    if as_json:
        click.echo(json.dumps(_summary(finished), indent=2))
    else:
        _print_final(Console(), finished)
    sys.exit(EXIT_CODES.get(finished.outcome, ExitCode.ERROR))
