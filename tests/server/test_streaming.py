"""Streams: the test-side checker against genuine traffic and broken streams, and the server's
streams against the checker, the non-streaming response, and the fault header."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance._sse import SSEFrame
from tests._traffic import recordings
from tests.server._sse_rules import accumulate, check_completion_stream, check_stream
from tests.server.conftest import assert_valid_stream, frames_of

MODEL = "claude-sonnet-4-5"
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
        "required": ["city"],
    },
}
TIME = {"name": "get_time", "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}}}


def _request(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 200, "messages": [{"role": "user", "content": "Say hello to the stream"}], **extra}


CASES: dict[str, dict[str, Any]] = {
    "plain": _request(),
    "stop_sequence": _request(stop_sequences=["the stream"]),
    "max_tokens": _request(max_tokens=4),
    "max_tokens_1": _request(max_tokens=1),
    "tool_any": _request(tools=[WEATHER, TIME], tool_choice={"type": "any"}),
    "tool_named": _request(tools=[WEATHER, TIME], tool_choice={"type": "tool", "name": "get_time"}),
    "tool_auto_mentioned": _request(tools=[WEATHER], messages=[{"role": "user", "content": "call get_weather please"}]),
    "thinking": _request(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024}),
    "thinking_and_tools": _request(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024}, tools=[WEATHER],
                                   messages=[{"role": "user", "content": "use get_weather"}]),
    "thinking_omitted": _request(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024, "display": "omitted"}),
    "citations": _request(messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The sky is blue. Grass is green."},
         "title": "Colours", "citations": {"enabled": True}},
        {"type": "text", "text": "What colour is the sky?"}]}]),
    "structured_output": _request(output_config={"format": {"type": "json_schema", "schema": {
        "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"], "additionalProperties": False}}}),
    "empty_content": _request(stop_sequences=["Say"]),
}


def _stream(client: TestClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> list[SSEFrame]:
    response = client.post("/v1/messages", json={**body, "stream": True}, headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return frames_of(response.content)


@pytest.mark.parametrize("case", sorted(CASES))
def test_stream_accumulates_to_the_non_streaming_message(client: TestClient, case: str) -> None:
    body = CASES[case]
    message = client.post("/v1/messages", json=body).json()
    response = client.post("/v1/messages", json={**body, "stream": True})
    frames = assert_valid_stream(response.content)
    assert accumulate(frames) == message


@pytest.mark.parametrize("outcome", ["refusal", "pause_turn"])
def test_fault_outcomes_stream_like_they_answer(client: TestClient, outcome: str) -> None:
    headers = {"x-conformance-fault": outcome}
    message = client.post("/v1/messages", json=_request(tools=[WEATHER]), headers=headers).json()
    assert message["stop_reason"] == outcome
    assert all(b["type"] != "tool_use" for b in message["content"])
    if outcome == "refusal":
        assert message["stop_details"]["type"] == "refusal"
    frames = _stream(client, _request(tools=[WEATHER]), headers)
    assert check_stream(frames, strict=True).ok
    assert accumulate(frames) == message


def test_stream_shape_matches_the_api(client: TestClient) -> None:
    frames = _stream(client, CASES["thinking_and_tools"])
    names = [f.event for f in frames]
    assert names[0] == "message_start" and names[1] == "content_block_start" and names[2] == "ping"
    assert names[-2:] == ["message_delta", "message_stop"]
    start = frames[0].json()["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["stop_sequence"] is None
    assert start["usage"]["output_tokens"] == 1
    # thinking first, with its signature just before its stop
    thinking_events = [f.json() for f in frames if f.json().get("index") == 0]
    assert thinking_events[0]["content_block"]["type"] == "thinking"
    assert thinking_events[-2]["delta"]["type"] == "signature_delta"
    # tool input: an empty first fragment, then fragments that join to the input
    tool_index = next(f.json()["index"] for f in frames if f.event == "content_block_start" and f.json()["content_block"]["type"] == "tool_use")
    fragments = [f.json()["delta"]["partial_json"] for f in frames if f.event == "content_block_delta" and f.json()["index"] == tool_index]
    assert fragments[0] == "" and len(fragments) > 2
    assert isinstance(json.loads("".join(fragments)), dict)
    delta = frames[-2].json()
    assert delta["delta"]["stop_reason"] == "tool_use"
    assert delta["usage"]["output_tokens"] >= start["usage"]["output_tokens"]
    assert delta["usage"]["input_tokens"] == start["usage"]["input_tokens"]


def test_citations_arrive_as_citations_delta(client: TestClient) -> None:
    frames = _stream(client, CASES["citations"])
    citations = [f.json()["delta"]["citation"] for f in frames if f.event == "content_block_delta" and f.json()["delta"]["type"] == "citations_delta"]
    assert citations and citations[0]["type"] == "char_location"
    assert citations[0]["cited_text"] == "The sky is blue. Grass is green."


def test_every_frame_has_one_event_and_one_data_line(client: TestClient) -> None:
    response = client.post("/v1/messages", json={**CASES["tool_any"], "stream": True})
    body = response.text
    assert body.endswith("\n\n")
    for chunk in body.split("\n\n")[:-1]:
        lines = chunk.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: ")
        assert json.loads(lines[1][6:])["type"] == lines[0][7:]


@pytest.mark.parametrize("after", [0, 1, 3, 7, 10_000])
def test_stream_error_after_n_events(client: TestClient, after: int) -> None:
    frames = _stream(client, _request(), {"x-conformance-fault": f"stream_error_after={after}"})
    total = len(_stream(client, _request()))
    assert [f.event for f in frames][:-1] == [f.event for f in _stream(client, _request())][: min(after, total - 1)]
    error = frames[-1]
    assert error.event == "error"
    assert error.json()["error"]["type"] == "overloaded_error"
    report = check_stream(frames, strict=True)
    assert report.ok, report.errors


def test_stream_error_type_is_selectable(client: TestClient) -> None:
    frames = _stream(client, _request(), {"x-conformance-fault": "stream_error_after=2,stream_error_type=api_error"})
    assert frames[-1].json()["error"]["type"] == "api_error"


def test_delay_paces_each_event(client: TestClient) -> None:
    body = _request(max_tokens=6)
    events = len(_stream(client, body))
    started = time.monotonic()
    frames = _stream(client, body, {"x-conformance-fault": "delay_ms=20"})
    elapsed = time.monotonic() - started
    assert len(frames) == events
    assert elapsed >= 0.02 * (events - 1) * 0.9


def test_completion_stream(client: TestClient) -> None:
    body = {"model": "claude-2.1", "max_tokens_to_sample": 40, "prompt": "\n\nHuman: tell me a story\n\nAssistant:", "stream": True}
    response = client.post("/v1/complete", json=body)
    frames = frames_of(response.content)
    assert check_completion_stream(frames).ok
    whole = client.post("/v1/complete", json={**body, "stream": False}).json()
    text = "".join(f.json()["completion"] for f in frames if f.event == "completion")
    assert text == whole["completion"]
    assert frames[-1].json()["stop_reason"] == whole["stop_reason"]


# -- the checker itself ------------------------------------------------------------------------


@pytest.mark.shared
def test_checker_accepts_every_genuine_recorded_stream() -> None:
    checked = 0
    for rec in recordings():
        if not rec.streaming:
            continue
        frames = rec.exchange().response.frames
        if any(f.event == "completion" for f in frames):
            report = check_completion_stream(frames)
        elif any(f.event == "message_start" for f in frames):
            report = check_stream(frames)
        else:
            continue  # data-only fixture (e.g. vercel .chunks.txt): not a wire recording
        assert report.ok, f"{rec.name}: {report.errors}"
        checked += 1
    assert checked > 50


@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_frame_encoding_is_byte_identical(case: str) -> None:
    import json

    from conformance._sse import encode_sse
    from conformance.server._model import generate_message
    from conformance.server._streaming import message_events

    body = {**CASES[case], "messages": [*CASES[case]["messages"][:-1], {"role": "user", "content": 'quotes " \\ é \u2028 \x01 😀 </script>'}]}
    for name, data in message_events(generate_message(body, seed=0)):
        compact = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        assert encode_sse(name, data) == f"event: {name}\ndata: {compact}\n\n".encode()
