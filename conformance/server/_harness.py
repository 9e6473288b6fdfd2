"""The server as a client library's test fixture: one app, reachable in-process and over loopback,
with per-test scopes of its request journal.

    with MockServer() as server:              # mock mode by default
        test = server.scope("test_retries")   # what one test sees
        client = anthropic.Anthropic(api_key="test", base_url=test.url, default_headers=test.headers("rate_limit"))
        ...
        assert test.invalid() == []           # every request it sent was valid

The pytest plugin's `conformance_mock` fixture gives a scope named after the test's node id (see
conformance/suite/fixtures.py). The loopback server starts on first use of `url` and stops when the
MockServer closes; `app` (and `asgi_transport()`) serve in-process without a socket.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from conformance.server._app import create_app
from conformance.server._config import ServerConfig
from conformance.server._journal import TEST_ID_HEADER, JournalEntry
from conformance.server._scenarios import SCENARIO_HEADER, find_scenario
from conformance.server._thread import serve_reference
from conformance.server._verdict import judge, report

API_HEADERS = {"x-api-key": "test-key", "anthropic-version": "2023-06-01"}
"""What a raw HTTP client needs to send (an SDK sends its own)."""


class MockServer:
    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig(mock=True)
        self.app: Starlette = create_app(self.config)
        self._stack = contextlib.ExitStack()
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The loopback base URL (the server starts on first use)."""
        if self._url is None:
            self._url = self._stack.enter_context(serve_reference(self.config, app=self.app))
        return self._url

    def asgi_transport(self) -> httpx.ASGITransport:
        """An httpx transport into the app, no socket (httpx buffers each response whole)."""
        return httpx.ASGITransport(app=self.app)

    def scope(self, test_id: str) -> TestScope:
        return TestScope(self, test_id)

    def entries(self, test_id: str | None = None) -> list[JournalEntry]:
        journal = self.app.state.server.journal
        entries: list[JournalEntry] = journal.entries(test_id)
        return entries

    def close(self) -> None:
        self._stack.close()
        self._url = None

    def __enter__(self) -> MockServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class TestScope:
    """One test's view of a MockServer: the headers that tag its requests, and its journal."""

    __test__ = False  # not a pytest test class, whatever its name
    server: MockServer
    test_id: str

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self, scenario: str | None = None) -> dict[str, str]:
        """`x-conformance-test-id` (and `x-conformance-scenario`): pass as an SDK's `default_headers`."""
        headers = {TEST_ID_HEADER: self.test_id}
        if scenario is not None:
            headers[SCENARIO_HEADER] = find_scenario(scenario).name  # a typo fails here, not on the server
        return headers

    def entries(self) -> list[JournalEntry]:
        return self.server.entries(self.test_id)

    def requests(self) -> list[dict[str, Any]]:
        """This test's requests as JSON, each with its verdict (see `conformance.server.report`)."""
        return [report(entry) for entry in self.entries()]

    def invalid(self) -> list[str]:
        """`"METHOD path: error"` for every rule this test's requests broke ([] when all were valid)."""
        return [f"{e.method} {e.path}: {error}" for e in self.entries() for error in judge(e)["errors"]]
