"""Serving the app over HTTP with uvicorn (what `conformance serve` calls)."""

from __future__ import annotations

import ipaddress
import logging

import uvicorn
from starlette.applications import Starlette

from conformance.server._app import MAX_HEADER_BYTES, create_app
from conformance.server._config import ServerConfig

DEFAULT_HOST = "127.0.0.1"
"""Loopback by default: the server has no real authentication, so it should not face a network."""
DEFAULT_PORT = 8765
"""The `conformance serve` default (0 picks a free port)."""

KEEP_ALIVE_SECONDS = 75
"""How long an idle connection stays open (uvicorn's default is 5)."""

log = logging.getLogger("conformance.server")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_server(config: ServerConfig, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log_level: str = "info",
                 app: Starlette | None = None) -> uvicorn.Server:
    """A configured uvicorn server (not started) for `app` (default: a new one for `config`): tests
    and embedders run it in a thread on port 0 (`serve_reference`). Prefer it to a bare
    `uvicorn.Config(create_app(...))`: it sets what the app relies on."""
    uv_config = uvicorn.Config(
        app if app is not None else create_app(config),
        host=host,
        port=port,
        log_level=log_level,
        # h11, whose header limit can be raised: the app answers oversized headers itself with a
        # 431 in the API's envelope, instead of the parser's bare text 400.
        http="h11",
        h11_max_incomplete_event_size=4 * MAX_HEADER_BYTES,
        access_log=log_level == "debug",
        server_header=False,
        # Clients pool connections (httpx keeps them 5 s, SDKs reuse them between calls): with
        # uvicorn's 5 s, a busy server's keep-alive timer can close a connection just as a request
        # arrives on it, a reset the client sees as a read error (seen at 200 concurrent streams).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    return uvicorn.Server(uv_config)


def run_server(config: ServerConfig, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, log_level: str = "info") -> None:
    """Serve until interrupted."""
    if not _is_loopback(host):
        log.warning("serving on %s: this test server accepts any API key; keep it off untrusted networks", host)
    build_server(config, host=host, port=port, log_level=log_level).run()

