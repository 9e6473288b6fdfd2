"""Fixtures for the resource tests (batches, files, skills, store, SDK): imported by those test files.

Each test gets the whole app (`create_app`, with its header middleware) served in process through
Starlette's TestClient, and a fake clock installed in the store so batch timing is under control.
Test modules import the helpers and load the fixtures with
`pytest_plugins = ("tests.server.conftest_resources",)`.

PYTEST_DONT_REWRITE: the test modules import this file before pytest registers it as a plugin, too
late for assertion rewriting; the marker keeps pytest from warning about that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.server._app import create_app
from conformance.server._config import ServerConfig
from conformance.server._state import ServerState
from conformance.server._store import Store

API_HEADERS = {"x-api-key": "test-key", "anthropic-version": "2023-06-01"}
VALID_PARAMS: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 32,
    "messages": [{"role": "user", "content": "Hello there"}],
}
INVALID_PARAMS: dict[str, Any] = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hi"}]}
"""No `max_tokens`: the Messages validation rejects it."""


@dataclass
class FakeClock:
    moment: datetime = field(default_factory=lambda: datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc))

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class Server:
    """A running app (in process) with its state and a clock the test controls."""

    client: TestClient
    state: ServerState
    clock: FakeClock

    @property
    def store(self) -> Store:
        return self.state.store


def start(config: ServerConfig) -> Iterator[Server]:
    app = create_app(config)
    state: ServerState = app.state.server
    clock = FakeClock()
    state.store.clock = clock
    with TestClient(app, base_url="http://testserver", headers=API_HEADERS) as client:
        yield Server(client, state, clock)
    state.store.close()


@pytest.fixture
def config() -> ServerConfig:
    """Override in a test module (or parametrize indirectly) for other settings."""
    return ServerConfig()


@pytest.fixture
def server(config: ServerConfig) -> Iterator[Server]:
    yield from start(config)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def assert_error(response: Any, status: int, error_type: str, *mentions: str) -> dict[str, Any]:
    """The response is the API's error envelope with this status and type, naming each of `mentions`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    for mention in mentions:
        assert mention in body["error"]["message"], body["error"]["message"]
    return body
