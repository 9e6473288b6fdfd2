"""Every scenario's answer, streamed and not, judged by the engine's checks: `valid` ones pass the
strict view, `tolerant` ones only the tolerant view (forward-compatibility shapes), `invalid` ones
fail (deliberately). The SDK's side of each scenario is examples/client-library (test_examples.py)."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance._sse import parse_sse
from conformance.server import (
    API_HEADERS,
    SCENARIO_HEADER,
    SCENARIOS,
    MockServer,
    Scenario,
    ServerConfig,
    scenario_listing,
)
from conformance.server._scenarios import TRICKY_TEXT
from tests.mock.conftest import client_for, judge_answer

TOOL = {"name": "echo", "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}
BODY = {"model": "claude-sonnet-4-5", "max_tokens": 300, "messages": [{"role": "user", "content": "Hi there"}], "tools": [TOOL]}
STATUS_SCENARIOS = {"rate_limit": 429, "overloaded": 529, "overloaded_no_retry": 529}
STREAM_ONLY = {"disconnect", "mid_stream_error", "no_message_stop", "unknown_event", "unknown_delta"}  # plain JSON answers


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("stream", [False, True])
def test_scenario_answers_are_as_valid_as_declared(scenario: Scenario, stream: bool) -> None:
    client = client_for(ServerConfig(), {SCENARIO_HEADER: scenario.name})
    body = {**BODY, "stream": stream}
    response = client.post("/v1/messages", json=body)
    if scenario.name in STATUS_SCENARIOS:
        assert response.status_code == STATUS_SCENARIOS[scenario.name]
        assert response.headers["retry-after"] == "0" and response.headers["request-id"].startswith("req_")
        assert response.headers["x-should-retry"] == ("false" if scenario.name == "overloaded_no_retry" else "true")
        retried = client.post("/v1/messages", json=body, headers={"x-stainless-retry-count": "1"})
        assert retried.status_code == (529 if scenario.name == "overloaded_no_retry" else 200)
        return
    assert response.status_code == 200
    errors, warned = judge_answer(body, response)
    expected = scenario.validity if stream or scenario.name not in STREAM_ONLY else "valid"
    if expected == "valid":
        assert errors == [] and warned == []
    elif expected == "tolerant":
        assert errors == [] and warned, "a forward-compatibility shape is a strict-view departure"
    else:
        assert errors


def test_mid_stream_error_is_an_error_event() -> None:
    response = client_for(ServerConfig(), {SCENARIO_HEADER: "mid_stream_error"}).post("/v1/messages", json={**BODY, "stream": True})
    assert b"event: error" in response.content and b"message_stop" not in response.content


def test_tool_json_split_cuts_inside_escapes() -> None:
    response = client_for(ServerConfig(), {SCENARIO_HEADER: "tool_json_split"}).post("/v1/messages", json={**BODY, "stream": True})
    fragments = [f.json()["delta"]["partial_json"] for f in parse_sse(response.content).frames
                 if f.event == "content_block_delta" and f.json()["delta"]["type"] == "input_json_delta"]
    assert json.loads("".join(fragments)) == {"text": TRICKY_TEXT}
    endings = {fragment[-4:] for fragment in fragments if fragment}
    assert any(e.endswith("\\u00") for e in endings), "a fragment ends inside an escape of é"
    assert any(e.endswith("\\") and not e.endswith("\\\\") for e in endings), "a fragment ends inside an escaped quote"
    assert "\\ud8" in endings or any(f.startswith("3d\\ude") for f in fragments), "the emoji's surrogate pair is cut"


def test_model_alias_selects_and_header_wins() -> None:
    client = client_for(ServerConfig())
    by_alias = client.post("/v1/messages", json={**BODY, "model": "scenario:pause_turn"}).json()
    assert by_alias["stop_reason"] == "pause_turn" and by_alias["model"] == "claude-sonnet-4-5"
    header_wins = client.post("/v1/messages", json={**BODY, "model": "scenario:pause_turn"}, headers={SCENARIO_HEADER: "refusal"})
    assert header_wins.json()["stop_reason"] == "refusal"


def test_unknown_scenario_is_a_400_naming_the_header() -> None:
    response = client_for(ServerConfig(), {SCENARIO_HEADER: "no-such-thing"}).post("/v1/messages", json=BODY)
    assert response.status_code == 400 and SCENARIO_HEADER in response.json()["error"]["message"]
    assert client_for(ServerConfig()).post("/v1/messages", json={**BODY, "model": "scenario:nope"}).status_code == 400


def test_listing_has_one_line_per_scenario() -> None:
    lines = scenario_listing().splitlines()
    assert len(lines) == len(SCENARIOS) and all(line.split()[0] == s.name for line, s in zip(lines, SCENARIOS, strict=True))


def test_utf8_split_cuts_characters_across_network_reads() -> None:
    with MockServer(ServerConfig()) as server:
        body = {**BODY, "stream": True, "messages": [{"role": "user", "content": "ünïcödé"}]}
        with httpx.stream("POST", f"{server.url}/v1/messages", json=body, timeout=30,
                          headers={**API_HEADERS, SCENARIO_HEADER: "utf8_split"}) as response:
            chunks = list(response.iter_raw())
    cut = [chunk for chunk in chunks if not _decodes(chunk)]
    assert cut, "no read ended inside a multi-byte character"
    assert _decodes(b"".join(chunks))


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
