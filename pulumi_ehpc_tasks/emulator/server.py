"""Running the emulator under uvicorn on a socket we bind ourselves (so `--port 0` can report its port)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Generator

import uvicorn

from .app import Emulator
from .config import EmulatorConfig
from .tls import TlsFiles, tls_files_for


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 lets the OS pick a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it Nagle + delayed ACK add ~40 ms to every response (headers and body are two writes).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def endpoint_of(sock: socket.socket, tls: bool = False) -> str:
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class EmulatorServer(uvicorn.Server):
    """uvicorn without its signal dance: it re-raises SIGTERM after shutdown, which would turn a clean
    stop into exit status 143. We install our own handlers (main thread only) and just exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop() if _in_loop() else None
        installed: list[signal.Signals] = []
        if loop is not None and _is_main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, self._request_exit)
                    installed.append(sig)
        try:
            yield
        finally:
            if loop is not None:
                for sig in installed:
                    loop.remove_signal_handler(sig)

    def _request_exit(self) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def make_server(emulator: Emulator, tls: TlsFiles | None = None) -> EmulatorServer:
    config = uvicorn.Config(
        emulator,
        log_level="warning",
        access_log=False,
        lifespan="on",
        proxy_headers=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=5,
        ssl_certfile=tls.cert_path if tls else None,
        ssl_keyfile=tls.key_path if tls else None,
    )
    return EmulatorServer(config)


async def serve(config: EmulatorConfig, sock: socket.socket) -> None:
    emulator = Emulator(config)
    await make_server(emulator, tls_files_for(config)).serve(sockets=[sock])


def run(config: EmulatorConfig, sock: socket.socket) -> None:
    asyncio.run(serve(config, sock))
