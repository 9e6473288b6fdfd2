"""The conformance pytest plugin: options and fixtures, nothing more (registered as `pytest11`).

Inert unless a test asks for its fixtures: `pytest --pyargs conformance.suite --conformance-...`
or `conformance run`. Imports are lazy so that loading it costs nothing in other pytest runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.engine._session import Session

SESSION_KEY = pytest.StashKey["Session"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.engine._options import add_options

    add_options(parser)


@pytest.fixture(scope="session")
def conformance_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    from conformance.engine._options import session_from_options

    with session_from_options(request.config) as session:
        request.config.stash[SESSION_KEY] = session
        yield session


@pytest.fixture(autouse=True)
def _conformance_test_scope(request: pytest.FixtureRequest) -> Iterator[None]:
    """Findings are judged per test: start each conformance test with an empty list."""
    session = request.config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.begin_test()
    yield


@pytest.fixture(scope="session")
def conformance_schema(conformance_session: Session) -> Any:
    from conformance.engine._generation import schemathesis_schema

    return schemathesis_schema(conformance_session)
