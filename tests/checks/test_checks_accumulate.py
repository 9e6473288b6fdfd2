"""conformance._accumulate: the SDK's accumulate_event semantics (api-facts §4, rules 7 and 8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conformance._accumulate import AccumulationError, accumulate
from conformance._sse import parse_sse

if TYPE_CHECKING:
    from tests.checks.conftest import Build


def frames(build: Build, events: list) -> list:
    return parse_sse(build.sse(events)).frames


def test_text_tool_and_usage(build: Build) -> None:
    message = accumulate(frames(build, build.tool_stream()))
    assert message["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ]
    assert message["stop_reason"] == "tool_use"
    assert message["usage"] == {"input_tokens": 10, "output_tokens": 20}


def test_thinking_signature_replaces_and_thinking_appends(build: Build) -> None:
    events = [
        build.start(),
        *build.thinking(0)[:-1],
        build.delta(0, {"type": "signature_delta", "signature": "second"}),
        build.stop(0),
        *build.end(),
    ]
    block = accumulate(frames(build, events))["content"][0]
    assert block == {"type": "thinking", "thinking": "Let me think.", "signature": "second"}


def test_citations_append(build: Build) -> None:
    cite = {"type": "char_location", "cited_text": "x", "document_index": 0, "start_char_index": 0, "end_char_index": 1}
    events = [
        build.start(),
        build.block_start(0, {"type": "text", "text": "", "citations": None}),
        build.delta(0, {"type": "citations_delta", "citation": cite}),
        build.delta(0, {"type": "citations_delta", "citation": cite}),
        build.stop(0),
        *build.end(),
    ]
    assert accumulate(frames(build, events))["content"][0]["citations"] == [cite, cite]


def test_message_delta_overwrites_and_keeps(build: Build) -> None:
    container = {"id": "container_1", "expires_at": "2026-01-01T00:00:00Z"}
    first = {
        "type": "message_delta",
        "delta": {"stop_reason": "pause_turn", "stop_sequence": None, "container": container},
        "usage": {"output_tokens": 3, "input_tokens": 11},
    }
    second = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None, "container": None},
        "usage": {"output_tokens": 9, "cache_read_input_tokens": None},
    }
    message = accumulate(frames(build, [build.start(), *build.text(0), first, second, {"type": "message_stop"}]))
    assert message["stop_reason"] == "end_turn"  # overwritten every time
    assert message["container"] == container  # only when not null
    assert message["usage"] == {"input_tokens": 11, "output_tokens": 9}  # totals overwrite; null keeps


def test_whole_blocks_and_programmatic_input_stand(build: Build) -> None:
    call = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}, "caller": {"type": "direct"}}
    events = [
        build.start(),
        build.block_start(0, call),
        build.delta(0, {"type": "input_json_delta", "partial_json": ""}),
        build.stop(0),
        *build.end("tool_use"),
    ]
    assert accumulate(frames(build, events))["content"] == [call]


def test_tolerates_pings_unknown_and_early_events(build: Build) -> None:
    events = [{"type": "ping"}, build.stop(0), build.start(), {"type": "mystery"}, *build.text(0), *build.end()]
    assert accumulate(frames(build, events))["content"] == [{"type": "text", "text": "Hello world"}]


def test_broken_input_json_keeps_start_input(build: Build) -> None:
    events = [build.start(), *build.tool(0, ["", '{"city": "Par']), *build.end("tool_use")]
    assert accumulate(frames(build, events))["content"][0]["input"] == {}


def test_does_not_mutate_frames(build: Build) -> None:
    parsed = frames(build, build.text_stream())
    accumulate(parsed)
    assert accumulate(parsed)["content"] == [{"type": "text", "text": "Hello world"}]


def test_no_message_start(build: Build) -> None:
    with pytest.raises(AccumulationError):
        accumulate(frames(build, [{"type": "ping"}]))
