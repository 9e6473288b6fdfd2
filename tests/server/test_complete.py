"""POST /v1/complete, the legacy Text Completions API."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

PROMPT = "\n\nHuman: Tell me about the sea\n\nAssistant:"


def complete(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/complete", json={"model": "claude-2.1", "max_tokens_to_sample": 200, "prompt": PROMPT, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_completion_shape_and_natural_end(client: TestClient) -> None:
    body = complete(client)
    assert body["type"] == "completion" and body["id"].startswith("compl_") and body["model"] == "claude-2.1"
    assert body["completion"].startswith(" Tell me about the sea")
    assert body["stop_reason"] == "stop_sequence" and body["stop"] == "\n\nHuman:"
    assert complete(client) == body


def test_max_tokens_to_sample_and_stop_sequences(client: TestClient) -> None:
    short = complete(client, max_tokens_to_sample=3)
    assert short["stop_reason"] == "max_tokens" and short["stop"] is None and short["completion"] == " Tell me about"
    stopped = complete(client, stop_sequences=["about"])
    assert stopped["stop_reason"] == "stop_sequence" and stopped["stop"] == "about" and stopped["completion"] == " Tell me "


def test_catalogue_models_and_aliases_work_too(client: TestClient) -> None:
    assert complete(client, model="claude-2")["model"] == "claude-2"
    assert complete(client, model="claude-sonnet-4-5")["type"] == "completion"


@pytest.mark.parametrize(("body", "expected"), [
    ({"prompt": "Hello"}, 'prompt: prompt must start with "\\n\\nHuman:" turn'),
    ({"prompt": "\n\nHuman: hi"}, 'prompt: prompt must end with "\\n\\nAssistant:" turn'),
    ({"prompt": ""}, "prompt: String should have at least 1 character"),
    ({"max_tokens_to_sample": 0}, "max_tokens_to_sample: Input should be greater than or equal to 1"),
    ({"max_tokens": 5}, "max_tokens: Extra inputs are not permitted"),
    ({"stop_sequences": [""]}, "stop_sequences.0: String should have at least 1 character"),
    ({"temperature": 2}, "temperature: Input should be between 0 and 1"),
])
def test_invalid_completion_requests(client: TestClient, body: dict[str, Any], expected: str) -> None:
    response = client.post("/v1/complete", json={"model": "claude-2.1", "max_tokens_to_sample": 10, "prompt": PROMPT, **body})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == expected


def test_unknown_model_is_404(client: TestClient) -> None:
    response = client.post("/v1/complete", json={"model": "claude-0", "max_tokens_to_sample": 10, "prompt": PROMPT})
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found_error"
