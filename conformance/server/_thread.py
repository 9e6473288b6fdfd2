"""Serving an ASGI app on a loopback port in a thread, for as long as a `with` block lasts: how
runs start the embedded reference server, and how tests serve broken or hostile ones."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from conformance.server._config import ServerConfig
from conformance.server._run import DEFAULT_HOST, build_server

START_SECONDS = 15.0
STOP_SECONDS = 5.0


class ServerDidNotStart(RuntimeError):
    """The server thread ended, or did not listen in time."""


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def _running(server: uvicorn.Server, host: str, port: int, name: str) -> Iterator[str]:
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ServerDidNotStart(f"the server {name!r} did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_SECONDS)


@contextmanager
def serve_app(app: Any, *, host: str = DEFAULT_HOST, port: int = 0, name: str = "conformance-server") -> Iterator[str]:
    """Serve any ASGI app with uvicorn on a loopback port (0: a free one); yields its base URL."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="error", lifespan="off", timeout_graceful_shutdown=2)
    with _running(uvicorn.Server(config), host, port, name) as url:
        yield url


@contextmanager
def serve_reference(config: ServerConfig | None = None, *, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """The reference server, configured as `conformance serve` configures it; yields its base URL."""
    port = port or free_port(host)
    server = build_server(config or ServerConfig(), host=host, port=port, log_level="error")
    with _running(server, host, port, "conformance-reference-server") as url:
        yield url
