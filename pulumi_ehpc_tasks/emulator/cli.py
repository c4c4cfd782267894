"""`emulator serve`: the click command (also mounted by the project's `ehpc-tasks` CLI)."""

from __future__ import annotations

import sys

import click

from .config import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_CLUSTER_ID,
    DEFAULT_REGION,
    EmulatorConfig,
)
from .faults import Fault


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
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, show_default=True, type=int, help="0 picks a free port.")
@click.option("--access-key-id", default=DEFAULT_ACCESS_KEY_ID, show_default=True)
@click.option("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET, show_default=True)
@click.option("--sts", default=None, metavar="ID:SECRET:TOKEN", help="Also accept this STS triple.")
@click.option("--step-seconds", default=2.0, show_default=True, type=float, help="Mean task step duration.")
@click.option("--seed", default=None, type=int, help="Seed for step durations and ids (reproducible).")
@click.option("--state", "state", default=None, type=click.Path(dir_okay=False), help="SQLite state file.")
@click.option("--region", default=DEFAULT_REGION, show_default=True)
@click.option("--cluster-id", default=DEFAULT_CLUSTER_ID, show_default=True, help="Seeded demo cluster id.")
@click.option("--capacity", default=500, show_default=True, type=int, help="Nodes per (zone, instance type).")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_fault,
    metavar="ACTION:CODE[:RATE]",
    help="Inject errors, e.g. 'AddNodes:ServiceUnavailable:0.5' or '*:drop-before:0.1'. Repeatable.",
)
@click.option("--latency", default=0.0, type=float, help="Seconds added to every API request.")
def serve(
    host: str,
    port: int,
    access_key_id: str,
    access_key_secret: str,
    sts: str | None,
    step_seconds: float,
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
