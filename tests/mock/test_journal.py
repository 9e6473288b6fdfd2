"""The request journal: per-test scopes, the faithful verdict on every request (whatever the mode
answered), no credentials kept, bounded, over HTTP and from Python."""

from __future__ import annotations

import httpx
import pytest

from conformance.server import JOURNAL_PATH, TEST_ID_HEADER, MockServer, ServerConfig, journal_of
from tests.mock.conftest import client_for

GOOD = {"model": "claude-sonnet-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "Hello"}]}
TOOL = {"name": "echo", "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}}}
UNANSWERED_TOOL_USE = {**GOOD, "tools": [TOOL], "messages": [
    {"role": "user", "content": "Echo hi"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "echo", "input": {"text": "hi"}}]},
    {"role": "user", "content": "no tool_result here"},
]}
DROPPED_SIGNATURE = {**GOOD, "thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048, "messages": [
    {"role": "user", "content": "Think"},
    {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Done"}]},
    {"role": "user", "content": "Again"},
]}


@pytest.mark.parametrize(
    ("body", "headers", "mention", "status"),
    [
        (UNANSWERED_TOOL_USE, {}, "tool_result", 200),  # schema-valid: mock mode answers, the journal tells
        (GOOD, {"anthropic-beta": "string"}, "anthropic-beta", 200),
        (DROPPED_SIGNATURE, {}, "signature", 400),  # the schema requires it: refused in mock mode too
    ],
)
def test_client_regressions_show_up_in_the_journal(body: dict, headers: dict[str, str], mention: str, status: int) -> None:
    app_client = client_for(ServerConfig(mock=True), {TEST_ID_HEADER: "t"})
    assert app_client.post("/v1/messages", json=body, headers=headers).status_code == status
    (entry,) = app_client.get(JOURNAL_PATH, params={"test_id": "t"}).json()["data"]
    assert entry["status"] == status and entry["verdict"]["valid"] is False
    assert any(mention in error for error in entry["verdict"]["errors"]), entry["verdict"]


def test_valid_requests_and_scopes() -> None:
    client = client_for(ServerConfig(mock=True))
    client.post("/v1/messages", json=GOOD, headers={TEST_ID_HEADER: "a"})
    client.post("/v1/messages", json={**GOOD, "model": "scenario:refusal"}, headers={TEST_ID_HEADER: "b"})
    client.get("/v1/models", headers={TEST_ID_HEADER: "b"})
    a = client.get(JOURNAL_PATH, params={"test_id": "a"}).json()["data"]
    b = client.get(JOURNAL_PATH, params={"test_id": "b"}).json()["data"]
    assert [e["verdict"]["valid"] for e in a] == [True] and a[0]["body"] == GOOD
    assert [(e["path"], e["verdict"]["valid"], e["verdict"]["judged"]) for e in b] == [
        ("/v1/messages", True, "body"), ("/v1/models", True, "headers")]
    assert client.delete(JOURNAL_PATH, params={"test_id": "b"}).json() == {"deleted": 2}
    assert client.get(JOURNAL_PATH, params={"test_id": "b"}).json()["data"] == []
    assert len(client.get(JOURNAL_PATH).json()["data"]) == 1


def test_batches_are_judged_item_by_item() -> None:
    client = client_for(ServerConfig(mock=True), {TEST_ID_HEADER: "batch"})
    client.post("/v1/messages/batches", json={"requests": [{"custom_id": "ok", "params": GOOD}, {"custom_id": "bad", "params": UNANSWERED_TOOL_USE}]})
    (entry,) = journal_of(client.app).entries("batch")
    assert client.get(JOURNAL_PATH, params={"test_id": "batch"}).json()["data"][0]["verdict"]["valid"] is False
    assert entry.status == 200


def test_credentials_never_kept_and_size_bounded() -> None:
    client = client_for(ServerConfig(journal_size=3), {"x-api-key": "sk-ant-secret", "authorization": "Bearer sk-ant-secret"})
    for _ in range(5):
        client.post("/v1/messages", json=GOOD)
    entries = client.get(JOURNAL_PATH).json()["data"]
    assert len(entries) == 3 and "sk-ant-secret" not in str(entries)
    assert entries[0]["headers"]["x-api-key"] == "<redacted>"
    off = client_for(ServerConfig(journal_size=0))
    off.post("/v1/messages", json=GOOD)
    assert off.get(JOURNAL_PATH).json()["data"] == []


def test_big_bodies_are_kept_cut_and_not_judged() -> None:
    client = client_for(ServerConfig(), {TEST_ID_HEADER: "big"})
    client.post("/v1/messages", json={**GOOD, "messages": [{"role": "user", "content": "x" * 300_000}]})
    (entry,) = client.get(JOURNAL_PATH, params={"test_id": "big"}).json()["data"]
    assert entry["body_truncated"] is True and len(entry["body"]) <= 1024
    assert entry["verdict"]["valid"] is False and "not judged" in entry["verdict"]["errors"][0]


def test_over_loopback_with_the_harness() -> None:
    with MockServer() as server:
        scope = server.scope("loopback")
        response = httpx.post(f"{scope.url}/v1/messages", json=UNANSWERED_TOOL_USE, timeout=10,
                              headers={"x-api-key": "k", "anthropic-version": "2023-06-01", **scope.headers("refusal")})
        assert response.json()["stop_reason"] == "refusal"
        (problem,) = scope.invalid()
        assert problem.startswith("POST /v1/messages: messages.1") and scope.requests()[0]["status"] == 200
        assert httpx.get(f"{scope.url}{JOURNAL_PATH}", params={"test_id": "loopback"}, timeout=10).json()["data"][0]["test_id"] == "loopback"
        assert httpx.get(f"{scope.url}/_conformance/health", timeout=10).json() == {"status": "healthy"}  # for readiness scripts
