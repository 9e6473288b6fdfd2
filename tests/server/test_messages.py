"""POST /v1/messages and count_tokens: the deterministic model's promises and the validation rules."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from starlette.testclient import TestClient

from conformance.server import ServerConfig, create_app
from conformance.server._model import generate_message, sign_thinking
from conformance.server._validation import validate_create_message
from tests.server.conftest import test_client

MODEL = "claude-sonnet-4-5"
SCHEMAS: dict[str, dict[str, Any]] = {
    "flat": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}}, "required": ["city"]},
    "numbers": {"type": "object", "properties": {
        "n": {"type": "integer", "minimum": 3, "maximum": 9}, "x": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "step": {"type": "integer", "multipleOf": 5, "minimum": 1}, "flag": {"type": "boolean"}}, "required": ["n", "x", "step", "flag"]},
    "nested": {"type": "object", "properties": {"order": {"type": "object", "properties": {
        "items": {"type": "array", "minItems": 2, "maxItems": 4, "uniqueItems": True, "items": {"type": "string", "minLength": 3, "maxLength": 8}},
        "id": {"type": "string", "format": "uuid"}, "when": {"type": "string", "format": "date-time"}},
        "required": ["items", "id", "when"], "additionalProperties": False}}, "required": ["order"], "additionalProperties": False},
    "refs": {"type": "object", "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}},
             "properties": {"a": {"$ref": "#/$defs/point"}, "b": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/point"}]}}, "required": ["a", "b"]},
    "consts": {"type": "object", "properties": {"kind": {"const": "fixed"}, "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                                "tags": {"type": ["array", "null"], "items": {"type": "integer"}}}, "required": ["kind", "code", "tags"]},
    "all_of": {"type": "object", "allOf": [{"properties": {"a": {"type": "string"}}, "required": ["a"]}, {"properties": {"b": {"type": "integer"}}, "required": ["b"]}]},
    "empty": {"type": "object"},
}


def ask(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 300, "messages": [{"role": "user", "content": text}], **extra}


def create(client: TestClient, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = client.post("/v1/messages", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def error_of(client: TestClient, body: Any, path: str = "/v1/messages") -> tuple[int, str, str]:
    response = client.post(path, json=body)
    payload = response.json()
    assert payload["type"] == "error" and payload["request_id"] == response.headers["request-id"]
    return response.status_code, payload["error"]["type"], payload["error"]["message"]


def test_message_shape(client: TestClient) -> None:
    message = create(client, ask())
    assert message["id"].startswith("msg_01") and message["type"] == "message" and message["role"] == "assistant"
    assert message["model"] == MODEL
    assert set(message["usage"]) >= {"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
                                     "cache_creation", "server_tool_use", "service_tier", "inference_geo"}
    assert message["stop_reason"] == "end_turn" and message["stop_sequence"] is None
    assert message["content"][0]["text"].startswith("Hello there ")


def test_same_request_same_response_and_seed_varies_it(client: TestClient) -> None:
    body = ask(tools=[{"name": "t", "input_schema": SCHEMAS["flat"]}], tool_choice={"type": "any"})
    first, second = create(client, body), create(client, body)
    assert first == second
    with test_client(create_app(ServerConfig(seed=7))) as other:
        assert create(other, body) != first
        assert create(other, body) == create(other, body)


def test_stream_flag_does_not_change_the_seed() -> None:
    params = ask()
    assert generate_message(params, seed=3) == generate_message({**params, "stream": True}, seed=3)


def test_max_tokens_is_honoured(client: TestClient) -> None:
    full = create(client, ask())
    for limit in (1, 2, 5):
        message = create(client, ask(max_tokens=limit))
        assert message["stop_reason"] == "max_tokens"
        assert message["usage"]["output_tokens"] == limit
        assert full["content"][0]["text"].startswith(message["content"][0]["text"])


def test_stop_sequence_cuts_before_the_match(client: TestClient) -> None:
    message = create(client, ask("alpha beta STOP gamma", stop_sequences=["never", "STOP"]))
    assert message["stop_reason"] == "stop_sequence" and message["stop_sequence"] == "STOP"
    assert message["content"][0]["text"] == "alpha beta "
    # the earliest match wins, whichever is listed first
    message = create(client, ask("one two three", stop_sequences=["three", "two"]))
    assert message["stop_sequence"] == "two" and message["content"][0]["text"] == "one "
    # a match at the very start leaves no text, and no empty text block
    message = create(client, ask("halt now", stop_sequences=["halt"]))
    assert message["content"] == [] and message["stop_reason"] == "stop_sequence"


def test_stop_sequences_do_not_apply_to_thinking(client: TestClient) -> None:
    message = create(client, ask("echo me", max_tokens=3000, thinking={"type": "enabled", "budget_tokens": 2000}, stop_sequences=["think"]))
    assert "think" in message["content"][0]["thinking"]
    assert message["stop_reason"] == "end_turn"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@pytest.mark.parametrize("seed", range(4))
def test_tool_inputs_validate_against_their_schema(name: str, seed: int) -> None:
    schema = SCHEMAS[name]
    params = validate_create_message(ask(f"case {seed}", tools=[{"name": "tool", "input_schema": schema}], tool_choice={"type": "tool", "name": "tool"}))
    message = generate_message(params, seed=seed)
    (block,) = message["content"]
    assert block["type"] == "tool_use" and block["id"].startswith("toolu_01") and block["name"] == "tool"
    jsonschema.validate(block["input"], schema, cls=jsonschema.Draft202012Validator)
    assert message["stop_reason"] == "tool_use"


def test_tool_choice_semantics(client: TestClient) -> None:
    tools = [{"name": "get_weather", "input_schema": SCHEMAS["flat"]}, {"name": "get_time", "input_schema": SCHEMAS["empty"]}]
    named = create(client, ask(tools=tools, tool_choice={"type": "tool", "name": "get_time"}))
    assert [b["name"] for b in named["content"]] == ["get_time"]
    assert not any(b["type"] == "tool_use" for b in create(client, ask("use get_weather", tools=tools, tool_choice={"type": "none"}))["content"])
    mentioned = create(client, ask("please use get_weather now", tools=tools))
    assert mentioned["content"][0]["type"] == "text" and mentioned["content"][-1]["name"] == "get_weather"
    for i in range(12):
        forced = create(client, ask(f"anything {i}", tools=tools, tool_choice={"type": "any", "disable_parallel_tool_use": True}))
        assert [b["type"] for b in forced["content"]] == ["tool_use"]
    decisions = {any(b["type"] == "tool_use" for b in create(client, ask(f"question {i}", tools=tools))["content"]) for i in range(16)}
    assert decisions == {True, False}  # auto decides, deterministically per request


def test_tool_loop_ends_after_tool_result(client: TestClient) -> None:
    tools = [{"name": "get_weather", "input_schema": SCHEMAS["flat"]}]
    first = create(client, ask("use get_weather", tools=tools))
    tool_use = first["content"][-1]
    follow_up = ask("use get_weather", tools=tools)
    follow_up["messages"] += [
        {"role": "assistant", "content": first["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use["id"], "content": "Sunny, 21 C"}]},
    ]
    second = create(client, follow_up)
    assert second["stop_reason"] == "end_turn"
    assert second["content"][0]["text"].startswith("Sunny, 21 C")


def test_thinking_block_comes_first_and_is_signed(client: TestClient) -> None:
    message = create(client, ask(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024}))
    thinking = message["content"][0]
    assert thinking["type"] == "thinking" and thinking["thinking"]
    assert thinking["signature"] == sign_thinking(thinking["thinking"])
    # the signed block replays: a follow-up turn carrying it is accepted
    follow_up = ask(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024})
    follow_up["messages"] += [{"role": "assistant", "content": message["content"]}, {"role": "user", "content": "and then?"}]
    assert create(client, follow_up)["content"][0]["type"] == "thinking"


def test_thinking_counts_toward_max_tokens(client: TestClient) -> None:
    message = create(client, ask(max_tokens=1030, thinking={"type": "enabled", "budget_tokens": 1024}))
    assert message["usage"]["output_tokens"] <= 1030
    tiny = generate_message(ask(max_tokens=5, thinking={"type": "adaptive"}, model="claude-sonnet-4-6"), seed=0)
    assert [b["type"] for b in tiny["content"]] == ["thinking"]
    assert tiny["stop_reason"] == "max_tokens" and tiny["usage"]["output_tokens"] == 5


def test_usage_input_tokens_equals_count_tokens(client: TestClient) -> None:
    body = ask(system="You are terse.", tools=[{"name": "t", "description": "A tool", "input_schema": SCHEMAS["nested"]}],
               thinking={"type": "enabled", "budget_tokens": 1024}, max_tokens=2000)
    message = create(client, body)
    count_body = {k: v for k, v in body.items() if k not in ("max_tokens",)}
    counted = client.post("/v1/messages/count_tokens", json=count_body)
    assert counted.status_code == 200 and counted.json() == {"input_tokens": message["usage"]["input_tokens"]}


def test_unknown_and_retired_models_are_404(client: TestClient) -> None:
    assert error_of(client, ask(model="claude-nonexistent"))[:2] == (404, "not_found_error")
    assert error_of(client, ask(model="claude-2.1"))[:2] == (404, "not_found_error")
    counted = {"model": "nope", "messages": [{"role": "user", "content": "x"}]}
    assert error_of(client, counted, "/v1/messages/count_tokens")[:2] == (404, "not_found_error")


def test_any_id_accepts_unknown_models() -> None:
    with test_client(create_app(ServerConfig(any_id=True))) as c:
        assert create(c, ask(model="my-custom-model"))["model"] == "my-custom-model"


def test_prompt_too_long_is_400(client: TestClient) -> None:
    status, kind, message = error_of(client, ask("word " * 210_000))
    assert (status, kind) == (400, "invalid_request_error") and message.startswith("prompt is too long")


def test_system_role_messages_need_version_2026_10_21_or_a_beta_call(client: TestClient) -> None:
    body: dict[str, Any] = {"model": MODEL, "max_tokens": 50, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]}
    assert error_of(client, body)[0] == 400
    # 2023-06-01 has them on beta calls (recorded traffic: the mid-conversation betas, ?beta=true)
    assert client.post("/v1/messages?beta=true", json=body).status_code == 200
    beta = {"anthropic-beta": "mid-conversation-tool-changes-2026-07-01"}
    assert client.post("/v1/messages", json=body, headers=beta).status_code == 200
    response = client.post("/v1/messages", json=body, headers={"anthropic-version": "2026-10-21"})
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["text"].startswith("hi")
    # system messages count as input, the same way in count_tokens
    counted = client.post("/v1/messages/count_tokens", json={k: v for k, v in body.items() if k != "max_tokens"},
                          headers={"anthropic-version": "2026-10-21"})
    assert counted.json()["input_tokens"] == response.json()["usage"]["input_tokens"]
    bad = copy.deepcopy(body)
    bad["messages"][0]["content"] = [{"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}]
    response = client.post("/v1/messages", json=bad, headers={"anthropic-version": "2026-10-21"})
    assert response.status_code == 400 and "messages.0.content.0.type" in response.json()["error"]["message"]


TOOL = {"name": "t", "input_schema": {"type": "object"}}
TOOL_TURN = [
    {"role": "user", "content": "go"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "t", "input": {}}]},
]
INVALID: list[tuple[str, Any, str]] = [
    ("not an object", [1, 2], "Input should be a valid dictionary"),
    ("missing model", {"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}, "model: Field required"),
    ("missing max_tokens", {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}, "max_tokens: Field required"),
    ("max_tokens 0", ask(max_tokens=0), "max_tokens: Input should be greater than or equal to 1"),
    ("max_tokens bool", ask(max_tokens=True), "max_tokens: Input should be a valid integer"),
    ("max_tokens over model limit", ask(max_tokens=10_000_000), "max_tokens: 10000000 > 64000"),
    ("unknown field", ask(foo=1), "foo: Extra inputs are not permitted"),
    ("no messages", ask() | {"messages": []}, "messages: List should have at least 1 item"),
    ("bad role", ask() | {"messages": [{"role": "bot", "content": "x"}]}, "messages.0.role: Input should be 'user' or 'assistant'"),
    ("empty text block", ask() | {"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]},
     "messages.0.content.0.text: text content blocks must be non-empty"),
    ("empty string content", ask() | {"messages": [{"role": "user", "content": ""}]}, "messages.0.content: all messages must have non-empty content"),
    ("first message assistant", ask() | {"messages": [{"role": "assistant", "content": "x"}, {"role": "user", "content": "y"}]},
     'messages.0.role: the first message must use the "user" role'),
    ("unknown block", ask() | {"messages": [{"role": "user", "content": [{"type": "video", "url": "x"}]}]}, "messages.0.content.0.type: Input tag 'video'"),
    ("tool_use in user turn", ask() | {"messages": [{"role": "user", "content": [{"type": "tool_use", "id": "a", "name": "t", "input": {}}]}]},
     "messages.0.content.0.type: tool_use blocks may only appear in assistant messages"),
    ("tool_result without tool_use", ask() | {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9"}]}]},
     "messages.0.content.0.tool_use_id: unexpected tool_use_id found in tool_result blocks: toolu_9"),
    ("tool_use not answered", ask(tools=[TOOL]) | {"messages": [*TOOL_TURN, {"role": "user", "content": "ignored it"}]},
     "messages.1: tool_use ids were found without tool_result blocks immediately after: toolu_1"),
    ("tool_result for another id", ask(tools=[TOOL]) | {"messages": [*TOOL_TURN, {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1"}, {"type": "tool_result", "tool_use_id": "toolu_2"}]}]},
     "messages.2.content.1.tool_use_id: unexpected tool_use_id"),
    ("tool_choice any without tools", ask(tool_choice={"type": "any"}), "tool_choice.any may only be specified while providing tools"),
    ("tool_choice tool without tools", ask(tool_choice={"type": "tool", "name": "x"}), "tool_choice.tool may only be specified while providing tools"),
    ("tool_choice unknown tool", ask(tools=[TOOL], tool_choice={"type": "tool", "name": "x"}), "tool_choice.name: tool 'x' not found in tools"),
    ("tool_choice bad type", ask(tool_choice={"type": "sometimes"}), "tool_choice.type: Input should be 'auto' or 'any' or 'tool' or 'none'"),
    ("duplicate tool names", ask(tools=[TOOL, TOOL]), "tools: Tool names must be unique."),
    ("bad tool name", ask(tools=[{"name": "a b", "input_schema": {"type": "object"}}]), "tools.0.name: String should match pattern"),
    ("tool schema not object", ask(tools=[{"name": "t", "input_schema": {"type": "string"}}]), "tools.0.input_schema.type: Input should be 'object'"),
    ("tool schema invalid", ask(tools=[{"name": "t", "input_schema": {"type": "object", "required": "x"}}]), "tools.0.input_schema.required: invalid JSON Schema"),
    ("budget too small", ask(thinking={"type": "enabled", "budget_tokens": 1000}), "thinking.budget_tokens: Input should be greater than or equal to 1024"),
    ("budget not below max_tokens", ask(max_tokens=1024, thinking={"type": "enabled", "budget_tokens": 1024}),
     "max_tokens: `max_tokens` must be greater than `thinking.budget_tokens`"),
    ("thinking on a model without it", ask(model="claude-3-5-haiku-20241022", max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024}),
     "thinking: extended thinking is not supported"),
    ("thinking with forced tool", ask(max_tokens=2000, tools=[TOOL], tool_choice={"type": "any"}, thinking={"type": "enabled", "budget_tokens": 1024}),
     "thinking: Thinking may not be enabled when tool_choice forces tool use."),
    ("thinking with temperature", ask(max_tokens=2000, temperature=0.5, thinking={"type": "enabled", "budget_tokens": 1024}),
     "temperature: temperature may only be set to 1 when thinking is enabled"),
    ("empty stop sequence", ask(stop_sequences=[""]), "stop_sequences.0: each stop sequence must contain non-whitespace characters"),
    ("blank stop sequence", ask(stop_sequences=["ok", "  "]), "stop_sequences.1: each stop sequence must contain non-whitespace characters"),
    ("temperature range", ask(temperature=1.5), "temperature: Input should be between 0 and 1"),
    ("top_k negative", ask(top_k=-1), "top_k: Input should be greater than or equal to 0"),
    ("stream not bool", ask(stream="yes"), "stream: Input should be a valid boolean"),
    ("metadata extra", ask(metadata={"user": "x"}), "metadata.user: Extra inputs are not permitted"),
    ("image media type", ask() | {"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "AA"}}]}]},
     "messages.0.content.0.source.media_type: Input should be"),
    ("missing file", ask() | {"messages": [{"role": "user", "content": [{"type": "document", "source": {"type": "file", "file_id": "file_missing"}}]}]},
     "messages.0.content.0.source.file_id: file not found: file_missing"),
    ("cache_control ttl", ask() | {"messages": [{"role": "user", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}]}]},
     "messages.0.content.0.cache_control.ttl: Input should be '5m' or '1h'"),
    ("system empty block", ask(system=[{"type": "text", "text": ""}]), "system.0.text: text content blocks must be non-empty"),
    ("output format schema", ask(output_config={"format": {"type": "json_schema"}}), "output_config.format.schema: Field required"),
]


@pytest.mark.parametrize(("case", "body", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_requests_name_the_field(client: TestClient, case: str, body: Any, expected: str) -> None:
    status, kind, message = error_of(client, body)
    assert (status, kind) == (400, "invalid_request_error"), message
    assert message.startswith(expected), message


def test_count_tokens_validates_like_create_minus_output_options(client: TestClient) -> None:
    base = {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}
    assert client.post("/v1/messages/count_tokens", json=base).status_code == 200
    assert error_of(client, base | {"max_tokens": 5}, "/v1/messages/count_tokens")[2] == "max_tokens: Extra inputs are not permitted"
    assert error_of(client, base | {"tool_choice": {"type": "any"}}, "/v1/messages/count_tokens")[0] == 400


def test_validation_accepts_the_documented_content_forms(client: TestClient) -> None:
    body = ask(system=[{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral", "ttl": "1h"}}], metadata={"user_id": "u1"},
               service_tier="auto", temperature=0.2, top_p=0.9, top_k=5, stop_sequences=["\n\nHuman:"])
    body["messages"] = [
        {"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}, "title": "A", "context": "c"},
            {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "inner"}]}, "citations": {"enabled": True}},
            {"type": "search_result", "source": "https://s", "title": "S", "content": [{"type": "text", "text": "found"}]},
        ]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hm", "signature": sign_thinking("hm")},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "calling"},
            {"type": "tool_use", "id": "toolu_a", "name": "t", "input": {"q": 1}},
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_a", "is_error": True,
                                      "content": [{"type": "text", "text": "failed"}]}]},
        {"role": "assistant", "content": "Prefill"},
    ]
    body["tools"] = [TOOL, {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]
    assert create(client, body)["model"] == MODEL


@pytest.mark.parametrize("version", ["2023-06-01", "2026-10-21"])
def test_contract_schema_catches_what_the_hand_rules_leave_loose(client: TestClient, version: str) -> None:
    # The hand rules only check cache_control on replayed server-tool blocks; the contract's schema does the rest.
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "server_tool_use", "name": "web_search", "padding": "z" * 5000}]},
        {"role": "user", "content": "y"},
    ]
    if version == "2026-10-21":
        messages.insert(0, {"role": "system", "content": "be brief"})
    response = client.post("/v1/messages", json=ask() | {"messages": messages}, headers={"anthropic-version": version})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith(f"messages.{2 if version == '2026-10-21' else 1}.content") and len(message) < 400


def test_only_system_messages_is_400(client: TestClient) -> None:
    body = ask() | {"messages": [{"role": "system", "content": "alone"}]}
    response = client.post("/v1/messages", json=body, headers={"anthropic-version": "2026-10-21"})
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("messages: at least one user message")
