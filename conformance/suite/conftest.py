"""Options and fixtures of the conformance suite (an initial conftest when run with --pyargs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.engine._options import add_options, session_from_options
from conformance.engine._session import Session


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.fixture(scope="session")
def conformance_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    with session_from_options(request.config) as session:
        request.config.stash[SESSION_KEY] = session
        yield session


@pytest.fixture(scope="session")
def conformance_schema(conformance_session: Session):  # type: ignore[no-untyped-def]
    from conformance.engine._generation import schemathesis_schema

    return schemathesis_schema(conformance_session)


SESSION_KEY = pytest.StashKey[Session]()
