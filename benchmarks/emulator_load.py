"""Load check for the emulator (not a test): N concurrent clients sending signed ListTasks for D seconds.

Usage: python benchmarks/emulator_load.py [--clients 50] [--seconds 10] [--endpoint URL] [--httpx]
Without --endpoint it starts `python -m pulumi_ehpc_tasks.emulator --port 0` as a separate process (as
the demo runs it) on a free loopback port. Prints requests/s and the error count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from pulumi_ehpc_tasks.emulator.config import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_CLUSTER_ID,
)
from pulumi_ehpc_tasks.wire.signing import (
    API_VERSION,
    EMPTY_SHA256,
    V3_ALGORITHM,
    Credentials,
    EhpcAuth,
    SignatureVersion,
    new_nonce,
    percent_encode,
    sign_v3,
    timestamp,
)


async def client_loop(
    endpoint: str,
    auth: EhpcAuth,
    cluster_id: str,
    version: SignatureVersion,
    stop_at: float,
    counts: dict[str, int],
) -> None:
    params = {"ClusterId": cluster_id, "Archived": "true", "PageSize": "10"}
    headers = {"x-acs-action": "ListTasks"}
    if version is SignatureVersion.V1:
        params["Action"] = "ListTasks"
    async with httpx.AsyncClient(base_url=endpoint, auth=auth, timeout=30.0) as http:
        while time.monotonic() < stop_at:
            try:
                response = await http.get("/", params=params, headers=headers)
                counts["ok" if response.status_code == 200 else "errors"] += 1
            except httpx.HTTPError:
                counts["errors"] += 1


def signed_request(host: str, creds: Credentials, cluster_id: str) -> bytes:
    """One V3-signed `GET /?ClusterId=...` ListTasks request with a fresh nonce and date."""
    query = [("Archived", "true"), ("ClusterId", cluster_id), ("PageSize", "10")]
    headers = [
        ("host", host),
        ("x-acs-action", "ListTasks"),
        ("x-acs-version", API_VERSION),
        ("x-acs-date", timestamp()),
        ("x-acs-signature-nonce", new_nonce()),
        ("x-acs-content-sha256", EMPTY_SHA256),
    ]
    sig, names = sign_v3("GET", "/", query, headers, EMPTY_SHA256, creds.access_key_secret)
    headers.append(
        (
            "authorization",
            f"{V3_ALGORITHM} Credential={creds.access_key_id},SignedHeaders={names},Signature={sig}",
        )
    )
    qs = "&".join(f"{k}={percent_encode(v)}" for k, v in query)
    lines = [f"GET /?{qs} HTTP/1.1", *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(lines).encode()


async def raw_client_loop(endpoint: str, creds: Credentials, stop_at: float, counts: dict[str, int]) -> None:
    # A minimal keep-alive HTTP/1.1 client: httpx costs ~2 ms of CPU per request, so on a small machine
    # a pool of httpx clients measures itself rather than the emulator sharing the CPU with it.
    url = httpx.URL(endpoint)
    host = f"{url.host}:{url.port}"
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        while time.monotonic() < stop_at:
            try:
                writer.write(signed_request(host, creds, DEFAULT_CLUSTER_ID))
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                counts["ok" if status == 200 else "errors"] += 1
            except (OSError, asyncio.IncompleteReadError, ValueError, AttributeError):
                counts["errors"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(url.host, url.port)
    finally:
        writer.close()


async def run(endpoint: str, clients: int, seconds: float, use_httpx: bool) -> dict[str, int]:
    creds = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    counts = {"ok": 0, "errors": 0}
    stop_at = time.monotonic() + seconds
    if use_httpx:
        auth = EhpcAuth(creds, SignatureVersion.V3)
        loops = [
            client_loop(endpoint, auth, DEFAULT_CLUSTER_ID, SignatureVersion.V3, stop_at, counts)
            for _ in range(clients)
        ]
    else:
        loops = [raw_client_loop(endpoint, creds, stop_at, counts) for _ in range(clients)]
    await asyncio.gather(*loops)
    return counts


@contextlib.contextmanager
def local_emulator() -> Iterator[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pulumi_ehpc_tasks.emulator",
            "--port",
            "0",
            "--step-seconds",
            "0.05",
            "--seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = re.search(r"http://[^\s]+", proc.stdout.readline())
        if not match:
            raise RuntimeError("emulator did not print its endpoint")
        endpoint = match.group(0)
        # A little history so ListTasks renders real tasks, not an empty list.
        creds = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
        with httpx.Client(base_url=endpoint, auth=EhpcAuth(creds)) as api:
            for _ in range(5):
                api.get(
                    "/",
                    params={"ClusterId": DEFAULT_CLUSTER_ID, "Count": "1"},
                    headers={"x-acs-action": "AddNodes"},
                ).raise_for_status()
        yield endpoint
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--endpoint", default=None, help="an emulator already running with the demo keys")
    parser.add_argument("--httpx", action="store_true", help="use httpx clients (heavier on the CPU)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        endpoint = args.endpoint or stack.enter_context(local_emulator())
        started = time.monotonic()
        counts = asyncio.run(run(endpoint, args.clients, args.seconds, args.httpx))
        elapsed = time.monotonic() - started
    total = counts["ok"] + counts["errors"]
    client = "httpx" if args.httpx else "raw keep-alive"
    print(
        f"{args.clients} {client} clients, {elapsed:.1f} s, V3-signed ListTasks: {total} requests, "
        f"{total / elapsed:.0f} req/s, {counts['errors']} errors"
    )


if __name__ == "__main__":
    main()
