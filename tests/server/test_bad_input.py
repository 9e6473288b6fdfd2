"""Hostile input: every bad request gets a fast 4xx in the envelope, never a 500, a hang or a traceback,
both in-process and over real HTTP (uvicorn), where the transport adds its own ways to fail."""

from __future__ import annotations

import copy
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conformance.server import ServerConfig, create_app
from tests.server.conftest import HEADERS, test_client
from tests.server.test_properties import EXAMPLES
from tests.server.test_properties import requests as valid_requests

FAST = 1.0
"""Seconds a refusal may take; generous for shared CI machines, far below any hang."""
GOOD = {"model": "claude-sonnet-4-5", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
JSON = {"content-type": "application/json"}

BAD_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "truncated": (b'{"model": "claude-sonnet-4-5", "max_tokens": 2', JSON),
    "empty": (b"", JSON),
    "not json": (b"hello", JSON),
    "deeply nested arrays": (b"[" * 200_000 + b"]" * 200_000, JSON),
    "deeply nested objects": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON),
    "nested just under the parser limit": (json.dumps({**GOOD, "metadata": {"user_id": None}, "messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "x", "content": "y"}]}]}).encode(), JSON),
    "invalid utf-8": (b'{"model": "\xff\xfe"}', JSON),
    "lone surrogate escape": (json.dumps({**GOOD, "messages": [{"role": "user", "content": "\ud800"}]}).encode(), JSON),
    "NaN": (b'{"model": "claude-sonnet-4-5", "max_tokens": NaN, "messages": []}', JSON),
    "wrong content-type": (json.dumps(GOOD).encode(), {"content-type": "text/plain"}),
    "form content-type": (b"model=x", {"content-type": "application/x-www-form-urlencoded"}),
    "array body": (b"[]", JSON),
    "10 MB of junk": (b"x" * 10_000_000, JSON),
    "10 MB prompt": (json.dumps({**GOOD, "messages": [{"role": "user", "content": "word " * 2_000_000}]}).encode(), JSON),
    "10 MB of spaces in a prompt": (json.dumps({**GOOD, "messages": [{"role": "user", "content": " " * 10_000_000}]}).encode(), JSON),
}


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    with test_client(create_app(ServerConfig())) as client:
        yield client


def _check_refusal(response: httpx.Response, elapsed: float) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] in ("invalid_request_error", "request_too_large", "not_found_error")
    assert "Traceback" not in response.text and "File \"" not in response.text
    assert elapsed < FAST, f"took {elapsed:.2f}s"


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_in_process(client: TestClient, case: str) -> None:
    body, headers = BAD_BODIES[case]
    started = time.monotonic()
    response = client.post("/v1/messages", content=body, headers=headers)
    _check_refusal(response, time.monotonic() - started)


@pytest.mark.parametrize("case", ["truncated", "deeply nested arrays", "invalid utf-8", "10 MB prompt", "wrong content-type"])
def test_bad_bodies_over_http(live_url: str, case: str) -> None:
    body, headers = BAD_BODIES[case]
    with httpx.Client(base_url=live_url, headers=HEADERS, timeout=10) as http:
        started = time.monotonic()
        response = http.post("/v1/messages", content=body, headers=headers)
        _check_refusal(response, time.monotonic() - started)


def test_oversized_body_is_413_before_it_is_read() -> None:
    small = create_app(ServerConfig(max_request_bytes=1000))
    with test_client(small) as client:
        response = client.post("/v1/messages", json={**GOOD, "messages": [{"role": "user", "content": "x" * 2000}]})
        assert response.status_code == 413 and response.json()["error"]["type"] == "request_too_large"

        def chunks() -> object:
            yield json.dumps(GOOD).encode()[:-1]
            yield b" " * 2000 + b"}"

        chunked = client.post("/v1/messages", content=chunks(), headers=JSON)  # no Content-Length
        assert chunked.status_code == 413 and chunked.json()["error"]["type"] == "request_too_large"


def test_huge_headers_in_process(client: TestClient) -> None:
    response = client.post("/v1/messages", json=GOOD, headers={"x-padding": "a" * 100_000})
    assert response.status_code == 431 and response.json()["error"]["type"] == "invalid_request_error"


def test_huge_headers_over_http(live_url: str) -> None:
    with httpx.Client(base_url=live_url, headers=HEADERS, timeout=10) as http:
        started = time.monotonic()
        response = http.post("/v1/messages", json=GOOD, headers={"x-padding": "a" * 100_000})
        _check_refusal(response, time.monotonic() - started)
        assert response.status_code == 431


def test_garbage_over_the_socket_does_not_kill_the_server(live_url: str) -> None:
    parts = urlsplit(live_url)
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=5) as sock:
        sock.sendall(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
        try:
            sock.recv(1024)
        except OSError:
            pass
    with httpx.Client(base_url=live_url, headers=HEADERS, timeout=10) as http:
        assert http.post("/v1/messages", json=GOOD).status_code == 200


def test_many_bad_requests_leave_the_server_healthy(client: TestClient) -> None:
    for body, headers in BAD_BODIES.values():
        if len(body) < 100_000:
            client.post("/v1/messages", content=body, headers=headers)
            client.post("/v1/messages/count_tokens", content=body, headers=headers)
            client.post("/v1/complete", content=body, headers=headers)
    assert client.post("/v1/messages", json=GOOD).status_code == 200


# -- fuzzing: valid requests with one part replaced by arbitrary JSON ----------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    body = copy.deepcopy(draw(valid_requests()))
    path = draw(st.sampled_from(_paths(body)))
    if not path:
        return draw(json_values)
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    if isinstance(body, dict):
        body.pop("stream", None)
    return body


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=mutated_requests())
def test_mutated_requests_never_fail_the_server(fuzz_client: TestClient, body: Any) -> None:
    for path in ("/v1/messages", "/v1/messages/count_tokens"):
        response = fuzz_client.post(path, json=body)
        assert response.status_code in (200, 400, 404), (path, response.status_code, response.text[:500])
        if response.status_code != 200:
            error = response.json()
            assert error["type"] == "error" and error["error"]["message"]
