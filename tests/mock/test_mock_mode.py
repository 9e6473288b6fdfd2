"""Mock mode accepts what the contract's schemas accept (placeholders included) and answers with
schema-valid data; it still refuses what the schemas refuse, in the API's envelope. Faithful mode,
the default, keeps refusing the placeholders."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.contract import load_contract
from conformance.server import ServerConfig
from tests.mock.conftest import client_for, judge_answer

PLACEHOLDER_MESSAGE = {  # what generated SDK tests send: schema-valid, refused by the API's own rules
    "model": "claude-instant-1.2",  # retired
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hello, world"}],
    "thinking": {"type": "enabled", "budget_tokens": 1024},  # budget not below max_tokens
    "tools": [{"name": "name", "input_schema": {"type": "object", "properties": {"location": "bar"}}}],  # not JSON Schema
    "tool_choice": {"type": "auto"},
}
BETA_STRING = {"anthropic-beta": "string"}


def test_faithful_mode_refuses_the_placeholders() -> None:
    client = client_for(ServerConfig())
    assert client.post("/v1/messages", json=PLACEHOLDER_MESSAGE).status_code in (400, 404)
    refused = client.post("/v1/messages", json={**PLACEHOLDER_MESSAGE, "model": "claude-sonnet-4-5"}, headers=BETA_STRING)
    assert refused.status_code == 400 and "anthropic-beta" in refused.json()["error"]["message"]


@pytest.mark.parametrize("stream", [False, True])
def test_mock_mode_answers_the_placeholders_with_valid_data(stream: bool) -> None:
    client = client_for(ServerConfig(mock=True), BETA_STRING)
    body = {**PLACEHOLDER_MESSAGE, "stream": stream}
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 200, response.text
    errors, warned = judge_answer(body, response)
    assert errors == [] and warned == []
    if not stream:
        assert response.json()["content"][0]["text"].startswith("Hello, world")  # a realistic reply: the echo
        assert client.post("/v1/messages", json=body).json() == response.json()  # deterministic


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"max_tokens": "many"}, "max_tokens"),
        ({"messages": "hi"}, "messages"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"temperature": 7}, "temperature"),
    ],
)
def test_mock_mode_still_refuses_what_the_schema_refuses(change: dict[str, Any], field: str) -> None:
    response = client_for(ServerConfig(mock=True)).post("/v1/messages", json={**PLACEHOLDER_MESSAGE, **change})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error" and field in body["error"]["message"]
    assert load_contract().validate("ErrorResponse", body, view="strict") == []


def test_mock_mode_count_tokens_and_batches() -> None:
    client = client_for(ServerConfig(mock=True), BETA_STRING)
    counted = client.post("/v1/messages/count_tokens", json={k: v for k, v in PLACEHOLDER_MESSAGE.items() if k != "max_tokens"})
    assert counted.status_code == 200 and counted.json()["input_tokens"] > 0
    batch = client.post("/v1/messages/batches", json={"requests": [{"custom_id": "a", "params": PLACEHOLDER_MESSAGE}]}).json()
    assert client.get(f"/v1/messages/batches/{batch['id']}").json()["processing_status"] == "ended"  # polling ends it
    results = client.get(f"/v1/messages/batches/{batch['id']}/results").text
    assert '"succeeded"' in results


def test_mock_mode_lists_and_ids() -> None:
    client = client_for(ServerConfig(mock=True))
    both = client.get("/v1/models?before_id=before_id&after_id=after_id&limit=0")
    assert both.status_code == 200 and both.json()["data"] == []
    assert client.get("/v1/skills?limit=0&page=page&source=source", headers={"anthropic-beta": "skills-2025-10-02"}).status_code == 200
    assert client.get("/v1/models/made-up-model").json()["id"] == "made-up-model"
    assert client.get("/v1/models?limit=x").status_code == 400  # not a number: refused in both modes
    faithful = client_for(ServerConfig())
    assert faithful.get("/v1/models?before_id=a&after_id=b").status_code == 400
    assert faithful.get("/v1/models?limit=0").status_code == 400


def test_mock_mode_uploads_without_filenames() -> None:
    client = client_for(ServerConfig(mock=True))
    meta = client.post("/v1/files", files={"file": (None, b"raw file contents")}).json()
    assert meta["filename"] == "upload" and meta["size_bytes"] == len(b"raw file contents")
    skill = client.post("/v1/skills", files=[("files", (None, b"raw file contents"))], headers={"anthropic-beta": "skills-2025-10-02"})
    assert skill.status_code == 200 and skill.json()["id"].startswith("skill_")
    version = client.post("/v1/skills/skill_made_up/versions", files=[("files", (None, b"x"))],
                          headers={"anthropic-beta": "skills-2025-10-02"})
    assert version.status_code == 200 and version.json()["skill_id"] == "skill_made_up"
    faithful = client_for(ServerConfig())
    assert faithful.post("/v1/files", files={"file": (None, b"raw")}).status_code == 400
    assert faithful.post("/v1/skills/skill_made_up/versions", files=[("files", (None, b"x"))]).status_code == 404
