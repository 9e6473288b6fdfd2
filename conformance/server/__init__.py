"""The reference server: a deterministic, Anthropic-faithful implementation of API version
2023-06-01 (and the parts of 2026-10-21 that SDK 2.x uses), for testing clients and the suite.

    from conformance.server import ServerConfig, create_app, run_server
    app = create_app(ServerConfig(seed=1))          # in-process, e.g. httpx.ASGITransport(app)
    run_server(ServerConfig(), port=8765)           # or over loopback with uvicorn

docs/server.md describes the behaviour (determinism, the fault header, what 2026-10-21 covers).
"""

from __future__ import annotations

from conformance.server._app import create_app
from conformance.server._config import ServerConfig
from conformance.server._run import DEFAULT_HOST, DEFAULT_PORT, build_server, run_server
from conformance.server._thread import ServerDidNotStart, free_port, serve_app, serve_reference

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ServerConfig",
    "ServerDidNotStart",
    "build_server",
    "create_app",
    "free_port",
    "run_server",
    "serve_app",
    "serve_reference",
]
