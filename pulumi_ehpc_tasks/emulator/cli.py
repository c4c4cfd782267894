"""`emulator serve`: the click command (also mounted by the project's `ehpc-tasks` CLI)."""

from __future__ import annotations

import sys

import click

from .config import EmulatorConfig
from .faults import Fault
from .profiles import Profile

_D = EmulatorConfig()  # every default is stated once, in EmulatorConfig


def _fault(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Fault]:
    try:
        return [Fault.parse_cli(v) for v in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


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
    callback=_fault,
    metavar="ACTION:CODE[:RATE]",
    help="Inject errors, e.g. 'AddNodes:ServiceUnavailable:0.5' or '*:drop-before:0.1'. Repeatable.",
)
@click.option("--latency", default=_D.latency_s, type=float, help="Seconds added to every API request.")
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
) -> None:
    """Serve the E-HPC API on HOST:PORT until SIGTERM / Ctrl-C."""
    from .server import bind, endpoint_of, run  # uvicorn is imported only when serving

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
    )
    sock = bind(host, port)
    endpoint = endpoint_of(sock)
    click.echo(f"E-HPC emulator listening on {endpoint}")
    click.echo(f"access key id:     {access_key_id}")
    click.echo(f"access key secret: {access_key_secret}")
    click.echo(f"cluster id:        {cluster_id}")
    click.echo(
        f"point a client at it: ehpc-tasks ... --endpoint {endpoint}  "
        f"(SDK: Config(endpoint='{endpoint.split('//', 1)[1]}', protocol='http'))",
        nl=True,
    )
    sys.stdout.flush()  # the first line is what launchers wait for
    run(config, sock)
