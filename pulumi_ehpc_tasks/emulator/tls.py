"""`--tls`: a local CA and a leaf certificate for the loopback names, made with `trustme`.

A CA already in the directory is reused (a new leaf is issued each start), so a restarted emulator
with the same `--state` is still trusted by the clients that loaded its CA file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import EmulatorConfig

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
TLS_EXTRA_HINT = "--tls needs the 'tls' extra: pip install 'pulumi-ehpc-tasks[tls]'"


@dataclass(frozen=True)
class TlsFiles:
    ca_path: str
    """The CA certificate (PEM): what clients pass as their CA bundle."""
    cert_path: str
    """The server's leaf certificate and chain (PEM)."""
    key_path: str


def tls_dir_for(tls_dir: str | None, state_path: str | None) -> Path:
    """The explicit directory, else one beside the state file, else a fresh temporary one."""
    if tls_dir:
        return Path(tls_dir)
    if state_path:
        return Path(state_path + ".tls")
    return Path(tempfile.mkdtemp(prefix="ehpc-emulator-tls-"))


def tls_files_for(config: EmulatorConfig) -> TlsFiles | None:
    """What `config.tls` serves with (None without it); a bound host name is also in the leaf.

    Pins `config.tls_dir` to the directory used, so a second call (the banner, then the server)
    keeps the same CA."""
    if not config.tls:
        return None
    directory = tls_dir_for(config.tls_dir, config.state_path)
    config.tls_dir = str(directory)
    extra = () if config.host in ("0.0.0.0", "::", "") else (config.host,)
    return make_tls_files(directory, extra)


def make_tls_files(directory: Path, extra_names: tuple[str, ...] = ()) -> TlsFiles:
    """Write (or reuse) the CA and issue a leaf for the loopback names plus `extra_names`."""
    try:
        import trustme
    except ImportError:
        raise RuntimeError(TLS_EXTRA_HINT) from None
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = directory / "ca.pem", directory / "ca-key.pem"
    if ca_cert.exists() and ca_key.exists():
        ca = trustme.CA.from_pem(ca_cert.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="pulumi-ehpc-tasks emulator")
        ca.cert_pem.write_to_path(str(ca_cert))
        _write_private(ca_key, ca.private_key_pem.bytes())
    names = tuple(dict.fromkeys((*LOOPBACK_NAMES, *extra_names)))
    leaf = ca.issue_cert(*names)
    cert_path, key_path = directory / "server.pem", directory / "server-key.pem"
    cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    _write_private(key_path, leaf.private_key_pem.bytes())
    return TlsFiles(str(ca_cert), str(cert_path), str(key_path))


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


__all__ = ["TLS_EXTRA_HINT", "TlsFiles", "make_tls_files", "tls_dir_for", "tls_files_for"]
