"""The reference server: a deterministic, Anthropic-faithful implementation of API version
2023-06-01 (and the parts of 2026-10-21 that SDK 2.x uses), for testing clients and the suite.

    from conformance.server import ServerConfig, create_app, run_server
    app = create_app(ServerConfig(seed=1))          # in-process, e.g. httpx.ASGITransport(app)
    run_server(ServerConfig(), port=8765)           # or over loopback with uvicorn

docs/server.md describes the behaviour (determinism, the fault header, what 2026-10-21 covers);
docs/clients.md the client-test side: mock mode, the scenarios, the request journal, the fixture.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conformance.server._app import create_app
from conformance.server._config import ServerConfig
from conformance.server._harness import API_HEADERS, MockServer, TestScope
from conformance.server._journal import JOURNAL_PATH, TEST_ID_HEADER, Journal, JournalEntry
from conformance.server._run import DEFAULT_HOST, DEFAULT_PORT, build_server, run_server
from conformance.server._scenarios import CATALOGUE as SCENARIOS
from conformance.server._scenarios import MODEL_PREFIX as SCENARIO_MODEL_PREFIX
from conformance.server._scenarios import SCENARIO_HEADER, Scenario
from conformance.server._scenarios import listing as scenario_listing
from conformance.server._state import ServerState
from conformance.server._store import Store
from conformance.server._thread import ServerDidNotStart, free_port, serve_app, serve_reference
from conformance.server._verdict import judge, report


def journal_of(app: Any) -> Journal:
    """The request journal of an app made by `create_app`."""
    journal: Journal = app.state.server.journal
    return journal


def restart_store(app: Any) -> None:
    """Give an app made by `create_app` an empty store, as at its start: the objects made so far
    are gone and new ids count from the beginning again. Runs call it before each test, so a
    test's traffic never depends on the tests before it (or on which process ran them)."""
    state: ServerState = app.state.server
    app.state.server = replace(state, store=Store.open(state.config))
    state.store.close()


__all__ = [
    "API_HEADERS",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "JOURNAL_PATH",
    "SCENARIOS",
    "SCENARIO_HEADER",
    "SCENARIO_MODEL_PREFIX",
    "TEST_ID_HEADER",
    "Journal",
    "JournalEntry",
    "MockServer",
    "Scenario",
    "ServerConfig",
    "ServerDidNotStart",
    "TestScope",
    "build_server",
    "create_app",
    "free_port",
    "journal_of",
    "judge",
    "report",
    "restart_store",
    "run_server",
    "scenario_listing",
    "serve_app",
    "serve_reference",
]
