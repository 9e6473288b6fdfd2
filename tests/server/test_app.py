"""The middleware's promises: auth, version, betas, headers on every response, 404/405 and
unexpected errors in the envelope, and the fault header."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from conformance.server import create_app
from conformance.server._errors import ApiError
from conformance.server._faults import parse_faults
from tests.server.conftest import HEADERS, test_client

BODY = {"model": "claude-sonnet-4-5", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
RATE_LIMIT_HEADERS = [f"anthropic-ratelimit-{kind}-{part}" for kind in ("requests", "tokens", "input-tokens", "output-tokens") for part in ("limit", "remaining", "reset")]


def assert_envelope(response: httpx.Response, status: int, error_type: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert isinstance(body["error"]["message"], str) and body["request_id"] == response.headers["request-id"]
    assert "Traceback" not in response.text
    return body


@pytest.fixture
def bare(app: Any) -> TestClient:
    """A client that sends no headers of its own."""
    return test_client(app, headers={})


def test_missing_api_key_is_401(bare: TestClient) -> None:
    response = bare.post("/v1/messages", json=BODY, headers={"anthropic-version": "2023-06-01"})
    assert_envelope(response, 401, "authentication_error")
    assert response.headers["x-should-retry"] == "false"


@pytest.mark.parametrize("auth", [{"x-api-key": "k"}, {"authorization": "Bearer token"}, {"Authorization": "bearer t"}])
def test_api_key_or_bearer_token(bare: TestClient, auth: dict[str, str]) -> None:
    assert bare.post("/v1/messages", json=BODY, headers={"anthropic-version": "2023-06-01", **auth}).status_code == 200


@pytest.mark.parametrize("auth", [{"x-api-key": ""}, {"authorization": "Basic abc"}, {"authorization": "Bearer "}])
def test_empty_or_wrong_credentials_are_401(bare: TestClient, auth: dict[str, str]) -> None:
    assert_envelope(bare.post("/v1/messages", json=BODY, headers={"anthropic-version": "2023-06-01", **auth}), 401, "authentication_error")


def test_anthropic_version_is_required_and_checked(bare: TestClient) -> None:
    body = assert_envelope(bare.post("/v1/messages", json=BODY, headers={"x-api-key": "k"}), 400, "invalid_request_error")
    assert body["error"]["message"].startswith("anthropic-version")
    assert_envelope(bare.post("/v1/messages", json=BODY, headers={"x-api-key": "k", "anthropic-version": "2024-01-01"}), 400, "invalid_request_error")
    for version in ("2023-06-01", "2026-10-21"):
        assert bare.post("/v1/messages", json=BODY, headers={"x-api-key": "k", "anthropic-version": version}).status_code == 200


def test_beta_header_as_list_or_repeated(client: TestClient) -> None:
    assert client.post("/v1/messages", json=BODY, headers={"anthropic-beta": "files-api-2025-04-14, made-up-beta-2099-01-01"}).status_code == 200
    repeated = httpx.Headers([*HEADERS.items(), ("anthropic-beta", "a-2025-01-01"), ("anthropic-beta", "b-2026-02-02")])
    assert client.post("/v1/messages", json=BODY, headers=repeated).status_code == 200
    assert_envelope(client.post("/v1/messages", json=BODY, headers={"anthropic-beta": " "}), 400, "invalid_request_error")
    malformed = client.post("/v1/messages", json=BODY, headers={"anthropic-beta": "files-api-2025-04-14,50+>'hh"})
    assert_envelope(malformed, 400, "invalid_request_error")
    assert "50+>" in malformed.json()["error"]["message"]


def test_beta_query_is_accepted(client: TestClient) -> None:
    assert client.post("/v1/messages?beta=true", json=BODY).status_code == 200
    assert client.post("/v1/messages/count_tokens?beta=true", json={k: v for k, v in BODY.items() if k != "max_tokens"}).status_code == 200
    assert client.get("/v1/models?beta=true").status_code == 200


def test_every_response_carries_request_id_and_rate_limit_headers(client: TestClient) -> None:
    responses = [
        client.post("/v1/messages", json=BODY),
        client.post("/v1/messages", json={**BODY, "stream": True}),
        client.post("/v1/messages", json={}),
        client.get("/v1/nowhere"),
        client.get("/v1/models"),
    ]
    ids = set()
    for response in responses:
        assert response.headers["request-id"].startswith("req_")
        ids.add(response.headers["request-id"])
        for name in RATE_LIMIT_HEADERS:
            assert name in response.headers, name
        assert response.headers["anthropic-organization-id"]
    assert len(ids) == len(responses)


def test_unknown_route_and_wrong_method_in_the_envelope(client: TestClient) -> None:
    assert_envelope(client.get("/v1/nowhere"), 404, "not_found_error")
    assert_envelope(client.post("/"), 404, "not_found_error")
    response = client.get("/v1/messages")
    assert_envelope(response, 405, "invalid_request_error")
    assert "POST" in response.headers["allow"]
    assert_envelope(client.delete("/v1/models"), 405, "invalid_request_error")


def test_unexpected_exceptions_become_a_500_envelope_without_traceback() -> None:
    app = create_app()

    async def boom(request: Request) -> Response:
        raise RuntimeError("secret internal detail")

    app.router.routes.append(Route("/v1/boom", boom))
    with test_client(app) as client:
        body = assert_envelope(client.get("/v1/boom"), 500, "api_error")
    assert "secret" not in body["error"]["message"]


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "status", "error_type"), [
    ("overloaded", 529, "overloaded_error"),
    ("rate_limit", 429, "rate_limit_error"),
    ("server_error", 500, "api_error"),
    ("status=503", 503, "api_error"),
    ("status=404", 404, "not_found_error"),
])
def test_status_faults(client: TestClient, fault: str, status: int, error_type: str) -> None:
    response = client.post("/v1/messages", json=BODY, headers={"x-conformance-fault": fault})
    assert_envelope(response, status, error_type)
    if status in (429, 529):
        assert response.headers["retry-after"] == "1"
        assert response.headers["x-should-retry"] == "true"
    if status == 429:
        assert response.headers["anthropic-ratelimit-requests-remaining"] == "0"


def test_status_faults_apply_to_every_route(client: TestClient) -> None:
    assert client.get("/v1/models", headers={"x-conformance-fault": "overloaded=2.5"}).headers["retry-after"] == "2.5"


def test_until_retry_lets_the_retry_through(client: TestClient) -> None:
    headers = {"x-conformance-fault": "overloaded,until_retry=2"}
    assert client.post("/v1/messages", json=BODY, headers=headers).status_code == 529
    assert client.post("/v1/messages", json=BODY, headers={**headers, "x-stainless-retry-count": "1"}).status_code == 529
    assert client.post("/v1/messages", json=BODY, headers={**headers, "x-stainless-retry-count": "2"}).status_code == 200


def test_auth_is_checked_before_faults(bare: TestClient) -> None:
    response = bare.post("/v1/messages", json=BODY, headers={"anthropic-version": "2023-06-01", "x-conformance-fault": "overloaded"})
    assert response.status_code == 401


@pytest.mark.parametrize("bad", ["explode", "delay_ms=abc", "delay_ms=999999", "status=200", "overloaded=-1", "stream_error_type=nope", "refusal=1"])
def test_bad_fault_directives_are_400(client: TestClient, bad: str) -> None:
    body = assert_envelope(client.post("/v1/messages", json=BODY, headers={"x-conformance-fault": bad}), 400, "invalid_request_error")
    assert body["error"]["message"].startswith("x-conformance-fault")


def test_parse_faults_combines_directives() -> None:
    faults = parse_faults("stream_error_after=3; delay_ms=5 ,refusal")
    assert (faults.stream_error_after, faults.delay_ms, faults.outcome, faults.status) == (3, 5, "refusal", None)
    assert parse_faults("").status is None
    error = parse_faults("rate_limit=0.5").status_error(0)
    assert isinstance(error, ApiError) and error.headers["retry-after"] == "0.5"
