"""Fixtures for a client library's own tests (registered by the conformance pytest plugin).

* `conformance_mock_server` (session): a `conformance.server.MockServer` in mock mode, in-process
  and, on first use of `.url`, on a loopback port; it stops when the session ends.
* `conformance_mock`: this test's scope of it (`TestScope`): `.url`, `.headers(scenario)` to pass
  as an SDK's `default_headers`, and `.requests()` / `.invalid()` from the request journal, which
  sees only this test's requests (under pytest-xdist each worker has its own server).

docs/clients.md shows them driving the official SDK; examples/client-library/ is a whole suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.server import MockServer, TestScope


@pytest.fixture(scope="session")
def conformance_mock_server() -> Iterator[MockServer]:
    from conformance.server import MockServer  # lazy: the plugin costs nothing to runs that do not use it

    with MockServer() as server:
        yield server


@pytest.fixture
def conformance_mock(conformance_mock_server: MockServer, request: pytest.FixtureRequest) -> TestScope:
    return conformance_mock_server.scope(request.node.nodeid)
