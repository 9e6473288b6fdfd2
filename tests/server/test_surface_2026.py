"""The SDK 2.12 surface in the reference server, in process: system-message fields, compaction
requests and their signed blocks, thinking updates, new parameters, and 409 conflict_error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.contract import load_contract
from conformance.server import create_app
from tests.server.conftest import HEADERS, frames_of, test_client

MODEL = "claude-sonnet-4-6"
V2 = {**HEADERS, "anthropic-version": "2026-10-21"}
CONVERSATION: list[dict[str, Any]] = [
    {"role": "user", "content": "tell me about Paris"},
    {"role": "assistant", "content": "Paris is the capital of France."},
    {"role": "system", "content": [{"type": "tool_addition", "tool": {"type": "tool_reference", "name": "lookup"}}]},
    {"role": "user", "content": "and Lyon?"},
]


@pytest.fixture
def v2() -> TestClient:
    return test_client(create_app(), V2)


def post(client: TestClient, **body: Any) -> Any:
    return client.post("/v1/messages", json={"model": MODEL, "max_tokens": 200, **body})


def compacted(client: TestClient) -> dict[str, Any]:
    response = post(client, messages=CONVERSATION, compaction={"type": "summarize"})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_compaction_request_gets_its_block_alone_and_signed(v2: TestClient) -> None:
    message = compacted(v2)
    assert message["stop_reason"] == "compaction" and [b["type"] for b in message["content"]] == ["compaction"]
    block = message["content"][0]
    assert "Paris" in block["content"] and "Lyon" in block["content"] and block["signature"]
    assert block["tool_changes"] == [CONVERSATION[2]["content"][0]]
    assert not load_contract().validate("Message", message, view="strict")
    assert compacted(v2) == message  # deterministic


def test_a_compaction_block_comes_back_unchanged_or_is_refused(v2: TestClient) -> None:
    block = compacted(v2)["content"][0]
    back = post(v2, messages=[{"role": "user", "content": [block, {"type": "text", "text": "Marseille?"}]}])
    assert back.status_code == 200 and back.json()["stop_reason"] == "end_turn"
    for change in ({"content": "another summary"}, {"tool_changes": []}, {"signature": "forged"}):
        altered = post(v2, messages=[{"role": "user", "content": [{**block, **change}, {"type": "text", "text": "x"}]}])
        assert altered.status_code == 400, change
        assert altered.json()["error"]["message"].startswith("messages.0.content.0.signature")


def test_compaction_cannot_be_combined_with_context_management(v2: TestClient) -> None:
    response = post(v2, messages=CONVERSATION, compaction={"type": "summarize"}, context_management={"edits": []})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("compaction")


def test_count_tokens_accepts_compaction_and_ignores_it(v2: TestClient) -> None:
    body = {"model": MODEL, "messages": CONVERSATION}
    plain = v2.post("/v1/messages/count_tokens", json=body).json()
    assert v2.post("/v1/messages/count_tokens", json={**body, "compaction": {"type": "summarize"}}).json() == plain


def test_thinking_updates_say_how_many_tokens_each_delta_stands_for(v2: TestClient) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024, "display": "updates"}
    response = post(v2, max_tokens=2000, stream=True, thinking=thinking, messages=[{"role": "user", "content": "hi"}])
    deltas = [json.loads(f.data)["delta"] for f in frames_of(response.text) if f.event == "content_block_delta"]
    thoughts = [d for d in deltas if d["type"] == "thinking_delta"]
    assert thoughts and all(d["estimated_tokens"] > 0 for d in thoughts)
    plain = post(v2, max_tokens=2000, stream=True, thinking={**thinking, "display": "summarized"},
                 messages=[{"role": "user", "content": "hi"}])
    assert '"estimated_tokens"' not in plain.text


def test_between_tools_thinks_only_after_a_tool_result(v2: TestClient) -> None:
    tools = [{"name": "t", "input_schema": {"type": "object"}}]
    first = post(v2, thinking={"type": "between_tools"}, tools=tools, messages=[{"role": "user", "content": "go"}]).json()
    assert "thinking" not in [b["type"] for b in first["content"]]
    turn = [{"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"}]}]
    after = post(v2, max_tokens=2000, thinking={"type": "between_tools"}, tools=tools, messages=turn).json()
    assert after["content"][0]["type"] == "thinking"


@pytest.mark.parametrize(
    "extra",
    [
        {"thread": {"type": "continue", "previous_message_id": "msg_01abc"}},
        {"billing_policy": {"type": "billing_policy", "bill_to": "self"}},
        {"thinking": {"type": "adaptive", "display": "updates", "block_binding": {"prefix_mismatch_behavior": "drop_block"}}},
        {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://x/y.png"},
                                                     "transformations": {"oversized_image": "downsize"}}]}]},
        {"tools": [{"type": "browser_toolset_20260801", "configs": {"navigate": {"enabled": False}}}]},
        {"tools": [{"type": "web_fetch_20260318", "name": "web_fetch", "url_sources": {"user_input": {"type": "none"}}}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "system", "output_config": {"effort": "low"}},
                      {"role": "user", "content": "r"}]},
        {"mcp_servers": [{"type": "url", "url": "https://mcp.example.com/sse", "name": "ex"}],
         "tools": [{"type": "mcp_toolset", "mcp_server_name": "ex", "tools": [{"name": "a", "input_schema": {"type": "object"}}]}]},
    ],
    ids=["thread", "billing_policy", "block_binding", "image transformations", "browser toolset", "url_sources",
         "system output_config alone", "mcp toolset"],
)
def test_the_new_request_fields_are_accepted(v2: TestClient, extra: dict[str, Any]) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], **extra}
    assert post(v2, **body).status_code == 200, post(v2, **body).text


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"thread": {"type": "continue"}}, "thread"),
        ({"messages": [{"role": "system", "content": "x", "clear_at": "sometimes"}, {"role": "user", "content": "q"}]},
         "messages.0"),
        ({"messages": [{"role": "user", "content": "q"}, {"role": "system"}]}, "messages.1"),
        ({"compaction": {"type": "forget"}}, "compaction"),
    ],
    ids=["thread without id", "bad clear_at", "empty system message", "unknown compaction type"],
)
def test_malformed_new_fields_are_400_naming_them(v2: TestClient, extra: dict[str, Any], where: str) -> None:
    response = post(v2, **{"messages": [{"role": "user", "content": "hi"}], **extra})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith(where), response.text


def test_status_409_is_a_conflict_error_the_sdk_may_retry(v2: TestClient) -> None:
    response = v2.post("/v1/messages", json={"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
                       headers={"x-conformance-fault": "status=409"})
    assert response.status_code == 409 and response.json()["error"]["type"] == "conflict_error"
    assert response.headers["x-should-retry"] == "true"
    assert not load_contract().validate_response("createMessage", 409, "application/json", response.json(), view="strict")
