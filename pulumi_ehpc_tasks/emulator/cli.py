"""`emulator serve`: the click command (also mounted by the project's `ehpc-tasks` CLI)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click

from .config import EmulatorConfig
from .faults import Fault
from .profiles import Profile
from .sts import OidcProviderSpec, RoleSpec

_D = EmulatorConfig()  # every default is stated once, in EmulatorConfig


T = TypeVar("T")


def _each(parse: Callable[[str], T]) -> Callable[[click.Context, click.Parameter, tuple[str, ...]], list[T]]:
    """A click callback parsing every value of a repeatable option, a ValueError becoming a usage error."""

    def callback(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[T]:
        try:
            return [parse(v) for v in values]
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


def _sts(value: str | None) -> tuple[str, str, str] | None:
    if value is None:
        return None
    parts = value.split(":", 2)
    if len(parts) != 3:
        raise click.BadParameter("expected ID:SECRET:TOKEN", param_hint="--sts")
    return parts[0], parts[1], parts[2]


@click.group("emulator")
def emulator() -> None:
    """Local Alibaba Cloud E-HPC API emulator."""


@emulator.command("serve")
@click.option("--host", default=_D.host, show_default=True)
@click.option("--port", default=_D.port, show_default=True, type=int, help="0 picks a free port.")
@click.option("--access-key-id", default=_D.access_key_id, show_default=True)
@click.option("--access-key-secret", default=_D.access_key_secret, show_default=True)
@click.option("--sts", default=None, metavar="ID:SECRET:TOKEN", help="Also accept this STS triple.")
@click.option("--step-seconds", default=_D.step_seconds, show_default=True, type=float, help="Mean task step duration.")
@click.option(
    "--profile",
    default=None,
    type=click.Choice([p.value for p in Profile]),
    help="Step profile of every task (default: each task type's own).",
)
@click.option("--seed", default=None, type=int, help="Seed for step durations and ids (reproducible).")
@click.option("--state", "state", default=None, type=click.Path(dir_okay=False), help="SQLite state file.")
@click.option("--region", default=_D.region, show_default=True)
@click.option("--cluster-id", default=_D.cluster_id, show_default=True, help="Seeded demo cluster id.")
@click.option("--capacity", default=_D.capacity, show_default=True, type=int, help="Nodes per (zone, instance type).")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_each(Fault.parse_cli),
    metavar="ACTION:CODE[:RATE]",
    help="Inject errors, e.g. 'AddNodes:ServiceUnavailable:0.5' or '*:drop-before:0.1'. Repeatable.",
)
@click.option("--latency", default=_D.latency_s, type=float, help="Seconds added to every API request.")
@click.option(
    "--account-id", default=_D.account_id, show_default=True, help="Account of the access key (a RAM user's)."
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    callback=_each(RoleSpec.parse_cli),
    metavar="ARN=PRINCIPAL[,PRINCIPAL...]",
    help="A RAM role STS may issue tokens for, and who may assume it: an access key id, another role's ARN "
    "(its sessions chain into this one) or oidc:PROVIDER_ARN. Repeatable.",
)
@click.option(
    "--oidc-provider",
    "oidc_providers",
    multiple=True,
    callback=_each(OidcProviderSpec.parse_cli),
    metavar="ARN,issuer=URL,audience=AUD[,audience=AUD2...],key=PEM_PATH",
    help="An OIDC provider for AssumeRoleWithOIDC: its issuer, accepted audiences and the public key (PEM) "
    "its RS256 tokens are signed with. Repeatable; needs the 'oidc' extra.",
)
@click.option(
    "--sts-lifetime",
    default=None,
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Cap on issued STS tokens' lifetime (else DurationSeconds, 900..3600, default 3600).",
)
@click.option(
    "--tls", is_flag=True, help="Serve HTTPS with a CA made at start; prints 'ca: PATH'. Needs the 'tls' extra."
)
@click.option(
    "--tls-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where the CA and certificate go (a CA there is reused). Default: STATE.tls beside --state, else a temp dir.",
)
def serve(
    host: str,
    port: int,
    access_key_id: str,
    access_key_secret: str,
    sts: str | None,
    step_seconds: float,
    profile: str | None,
    seed: int | None,
    state: str | None,
    region: str,
    cluster_id: str,
    capacity: int,
    faults: list[Fault],
    latency: float,
    account_id: str,
    roles: list[RoleSpec],
    oidc_providers: list[OidcProviderSpec],
    sts_lifetime: int | None,
    tls: bool,
    tls_dir: str | None,
) -> None:
    """Serve the E-HPC API on HOST:PORT until SIGTERM / Ctrl-C."""
    from .server import bind, endpoint_of, run  # uvicorn is imported only when serving
    from .tls import tls_files_for

    config = EmulatorConfig(
        host=host,
        port=port,
        access_key_id=access_key_id,
        access_key_secret=access_key_secret,
        sts=_sts(sts),
        step_seconds=step_seconds,
        profile=Profile(profile) if profile else None,
        seed=seed,
        state_path=state,
        region=region,
        cluster_id=cluster_id,
        capacity=capacity,
        faults=faults,
        latency_s=latency,
        account_id=account_id,
        roles=roles,
        oidc_providers=oidc_providers,
        sts_lifetime_s=sts_lifetime,
        tls=tls,
        tls_dir=tls_dir,
    )
    try:
        tls_files = tls_files_for(config)
    except RuntimeError as exc:  # the extra is missing
        raise click.UsageError(str(exc)) from None
    sock = bind(host, port)
    endpoint = endpoint_of(sock, tls)
    click.echo(f"E-HPC emulator listening on {endpoint}")
    click.echo(f"access key id:     {access_key_id}")
    click.echo(f"access key secret: {access_key_secret}")
    click.echo(f"cluster id:        {cluster_id}")
    bundle = f" --ca-bundle {tls_files.ca_path}" if tls_files else ""
    click.echo(
        f"point a client at it: ehpc-tasks ... --endpoint {endpoint}{bundle}  "
        f"(SDK: Config(endpoint='{endpoint.split('//', 1)[1]}', protocol='{endpoint.split(':', 1)[0]}'))",
        nl=True,
    )
    click.echo(f"account id:        {account_id}")
    if tls_files:
        click.echo(f"ca: {tls_files.ca_path}")
    sys.stdout.flush()  # the first line is what launchers wait for
    run(config, sock)
