"""Fixtures for the reference server's tests.

* `app` — a fresh app (default config); `client` — an httpx client bound to it in-process
  (Starlette's TestClient is an `httpx.Client` over the ASGI app) with auth and version headers.
* `live_url` — the app served by uvicorn on an ephemeral loopback port, in a thread (one per
  session): what the official SDK talks to, over real HTTP and real SSE.
* `sdk` — an `anthropic.Anthropic` client on `live_url` with retries off. When the environment
  variable `CONFORMANCE_SDK_BASE_URL` is set (the SDK 2.x run, see test_sdk_messages_v2.py), the
  SDK tests use that server instead of starting one.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx 0.28 works the same for these tests.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from conformance._sse import SSEFrame, parse_sse
from conformance.server import ServerConfig, create_app, serve_reference
from tests.server._sse_rules import check_stream

HEADERS = {"x-api-key": "test-key", "anthropic-version": "2023-06-01"}
EXTERNAL_URL_ENV = "CONFORMANCE_SDK_BASE_URL"


def test_client(app: Starlette, headers: dict[str, str] | None = None) -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(app, headers=HEADERS if headers is None else headers, raise_server_exceptions=True)


test_client.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def app() -> Starlette:
    return create_app(ServerConfig())


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with test_client(app) as c:
        yield c


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        yield external
        return
    with serve_reference(ServerConfig()) as url:
        yield url


@pytest.fixture
def sdk(live_url: str) -> Any:
    anthropic = pytest.importorskip("anthropic")
    return anthropic.Anthropic(api_key="test-key", base_url=live_url, max_retries=0)


def frames_of(body: bytes | str) -> list[SSEFrame]:
    parsed = parse_sse(body)
    assert parsed.trailing == "", f"stream cut mid-line: {parsed.trailing[:80]!r}"
    return parsed.frames


def assert_valid_stream(body: bytes | str) -> list[SSEFrame]:
    """Every stream the tests see from the server goes through the strict checker."""
    frames = frames_of(body)
    report = check_stream(frames, strict=True)
    assert report.ok and not report.warnings, f"errors={report.errors} warnings={report.warnings}"
    return frames
