"""Group `sse`: every check fails on a deliberately broken stream and stays quiet on good ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conformance._exchange import Exchange
from conformance.checks import registered_checks
from tests.checks.conftest import Case, assert_caught, assert_clean

if TYPE_CHECKING:  # the fixtures' types only; conftest is not imported at run time
    from tests.checks.conftest import Build, Checks




def _cut(b: Build) -> Exchange:
    body = b.sse(b.text_stream())
    return b.stream(body[: body.rindex(b"message_stop") + 5])  # ends inside the last data line


def _replace(frames: list, old: int, new: object) -> list:
    return [new if i == old else frame for i, frame in enumerate(frames)]


BROKEN = [
    # wire format (C1, C3)
    Case(
        "json answer to stream:true",
        "sse.content_type",
        lambda b: b.json(b.message([{"type": "text", "text": "Hi"}], stop_reason="end_turn"), request={"stream": True}),
    ),
    Case(
        "stream answer without content-type",
        "sse.content_type",
        lambda b: b.json(
            b.message([{"type": "text", "text": "Hi"}], stop_reason="end_turn"), request={"stream": True}, headers={}
        ),
        "warning",
    ),
    Case(
        "data-only frames (no event: lines)", "sse.event_line", lambda b: b.stream([(None, f) for f in b.text_stream()])
    ),
    Case(
        "event name differs from data.type",
        "sse.event_name",
        lambda b: b.stream(_replace(b.text_stream(), 5, ("content_block_delta", b.stop(0)))),
    ),
    Case(
        "a JSON payload split across frames",
        "sse.data_json",
        lambda b: b.stream(
            _replace(b.text_stream(), 3, ("content_block_delta", '{"type":"content_block_delta","index":0,"del'))
        ),
    ),
    Case("OpenAI [DONE] sentinel", "sse.data_json", lambda b: b.stream([*b.text_stream(), ("message_stop", "[DONE]")])),
    Case("data is a JSON array", "sse.data_json", lambda b: b.stream([*b.text_stream()[:-1], ("message_stop", "[1]")])),
    Case("empty data", "sse.data_json", lambda b: b.stream([("ping", ""), *b.text_stream()]), "warning"),
    Case("body cut mid-line", "sse.truncated", _cut),
    Case(
        "unknown event name",
        "sse.unknown_event",
        lambda b: b.stream([*b.text_stream()[:3], {"type": "content_block_magic"}, *b.text_stream()[3:]]),
        "warning",
    ),
    # ordering (C2, C7)
    Case(
        "content_block_start before message_start",
        "sse.message_start",
        lambda b: b.stream([*b.text(0)[:1], b.start(), *b.text(0)[1:], *b.end()]),
    ),
    Case("two message_starts", "sse.message_start", lambda b: b.stream([b.start(), *b.text_stream()])),
    Case("no message_start", "sse.message_start", lambda b: b.stream([*b.text(0), *b.end()])),
    Case(
        "content, then an error, no message_start",
        "sse.message_start",
        lambda b: b.stream([*b.text(0), {"type": "error", "error": {"type": "api_error", "message": "x"}}]),
    ),
    Case(
        "message_start without id",
        "sse.message_start_fields",
        lambda b: b.stream(
            [
                {"type": "message_start", "message": {k: v for k, v in b.message().items() if k != "id"}},
                *b.text(0),
                *b.end(),
            ]
        ),
    ),
    Case(
        "message_start usage without input_tokens",
        "sse.message_start_fields",
        lambda b: b.stream([b.start(usage={"output_tokens": 1}), *b.text(0), *b.end()]),
    ),
    Case(
        "message_start prefilled, then more blocks",
        "sse.message_start_fields",
        lambda b: b.stream([b.start(content=[{"type": "text", "text": "x"}]), *b.text(0), *b.end()]),
    ),
    # block lifecycle (C4)
    Case(
        "two tools on the same index",
        "sse.block_lifecycle",
        lambda b: b.stream([b.start(), *b.tool(0), *b.tool(0, tool_id="toolu_2"), *b.end("tool_use")]),
    ),
    Case("first block index is 1", "sse.block_lifecycle", lambda b: b.stream([b.start(), *b.text(1), *b.end()])),
    Case(
        "delta after content_block_stop",
        "sse.block_lifecycle",
        lambda b: b.stream([b.start(), *b.text(0), b.delta(0, {"type": "text_delta", "text": "late"}), *b.end()]),
    ),
    Case("block never closed", "sse.block_lifecycle", lambda b: b.stream([b.start(), *b.text(0)[:-1], *b.end()])),
    Case(
        "overlapping blocks",
        "sse.block_lifecycle",
        lambda b: b.stream([b.start(), *b.text(0)[:-1], *b.text(1), b.stop(0), *b.end()]),
    ),
    Case(
        "delta for a block that never started",
        "sse.block_lifecycle",
        lambda b: b.stream([b.start(), b.delta(0, {"type": "text_delta", "text": "x"}), *b.end()]),
    ),
    # delta/block type (C6)
    Case(
        "thinking_delta in a text block",
        "sse.delta_type",
        lambda b: b.stream(_replace(b.text_stream(), 3, b.delta(0, {"type": "thinking_delta", "thinking": "hm"}))),
    ),
    Case(
        "input_json_delta in a text block",
        "sse.delta_type",
        lambda b: b.stream(
            _replace(b.text_stream(), 3, b.delta(0, {"type": "input_json_delta", "partial_json": "{}"}))
        ),
    ),
    Case(
        "unknown delta type",
        "sse.delta_type",
        lambda b: b.stream(_replace(b.text_stream(), 3, b.delta(0, {"type": "sparkle_delta"}))),
        "warning",
    ),
    # start-event fields (C7)
    Case(
        "text block starts without text",
        "sse.block_start_fields",
        lambda b: b.stream(_replace(b.text_stream(), 2, b.block_start(0, {"type": "text"}))),
    ),
    Case(
        "tool_use starts without input",
        "sse.block_start_fields",
        lambda b: b.stream(
            [
                b.start(),
                b.block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "get_weather"}),
                b.stop(0),
                *b.end("tool_use"),
            ]
        ),
    ),
    Case(
        "text block starts non-empty",
        "sse.block_start_fields",
        lambda b: b.stream(_replace(b.text_stream(), 2, b.block_start(0, {"type": "text", "text": "Hi"}))),
        "warning",
    ),
    # tool input (D1)
    Case(
        "truncated input_json",
        "sse.input_json",
        lambda b: b.stream([b.start(), *b.tool(0, ["", '{"city": "Par']), *b.end("tool_use")]),
    ),
    Case(
        "input_json joins to an array",
        "sse.input_json",
        lambda b: b.stream([b.start(), *b.tool(0, ["[1,", "2]"]), *b.end("tool_use")]),
    ),
    # thinking (H1)
    Case(
        "thinking without signature_delta",
        "sse.thinking_signature",
        lambda b: b.stream([b.start(), *b.thinking(0, signature=None), *b.text(1), *b.end()]),
    ),
    Case(
        "thinking with an empty signature",
        "sse.thinking_signature",
        lambda b: b.stream([b.start(), *b.thinking(0, signature=""), *b.text(1), *b.end()]),
    ),
    # terminal (C3)
    Case("stream ends without message_stop", "sse.terminal", lambda b: b.stream(b.text_stream()[:-1])),
    Case("stream ends after the blocks", "sse.terminal", lambda b: b.stream([b.start(), *b.text(0)])),
    Case(
        "message_stop without message_delta",
        "sse.terminal",
        lambda b: b.stream([b.start(), *b.text(0), {"type": "message_stop"}]),
    ),
    Case(
        "null stop_reason in the last message_delta",
        "sse.terminal",
        lambda b: b.stream([b.start(), *b.text(0), *b.end(stop_reason=None)]),
    ),
    Case(
        "a block after message_delta",
        "sse.terminal",
        lambda b: b.stream([b.start(), *b.text(0), b.message_delta(), *b.text(1), {"type": "message_stop"}]),
    ),
    Case("two message_stops", "sse.terminal", lambda b: b.stream([*b.text_stream(), {"type": "message_stop"}])),
    Case("empty stream body", "sse.terminal", lambda b: b.stream(b"")),
    Case(
        "ping after message_stop", "sse.after_stop", lambda b: b.stream([*b.text_stream(), {"type": "ping"}]), "warning"
    ),
    Case("content after message_stop", "sse.after_stop", lambda b: b.stream([*b.text_stream(), *b.text(1)])),
    # mid-stream errors (B4)
    Case(
        "events after the error event",
        "sse.error_event",
        lambda b: b.stream(
            [
                b.start(),
                *b.text(0)[:2],
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                *b.end(),
            ]
        ),
    ),
    Case(
        "OpenAI-style error frame",
        "sse.error_event",
        lambda b: b.stream([b.start(), ("error", {"error": {"message": "upstream failed", "code": 500}})]),
    ),
    Case(
        "error frame with an undocumented type",
        "sse.error_event",
        lambda b: b.stream([b.start(), {"type": "error", "error": {"type": "upstream_error", "message": "x"}}]),
        "warning",
    ),
    # usage (F1)
    Case(
        "output_tokens sent as increments",
        "sse.usage_cumulative",
        lambda b: b.stream(
            [b.start(), *b.text(0), b.message_delta(None, 7), b.message_delta("end_turn", 3), {"type": "message_stop"}]
        ),
    ),
    Case(
        "message_delta zeroes input_tokens",
        "sse.usage_cumulative",
        lambda b: b.stream([b.start(), *b.text(0), b.message_delta(input_tokens=0), {"type": "message_stop"}]),
    ),
    Case(
        "message_delta without output_tokens",
        "sse.usage_cumulative",
        lambda b: b.stream(
            [
                b.start(),
                *b.text(0),
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}},
                {"type": "message_stop"},
            ]
        ),
    ),
    # legacy completions
    Case(
        "completion stream never sets stop_reason",
        "sse.completion_stream",
        lambda b: b.stream(
            [{"type": "completion", "completion": "Hi", "stop_reason": None, "model": "claude-2.1"}],
            path="/v1/complete",
        ),
    ),
    Case(
        "completion after the final one",
        "sse.completion_stream",
        lambda b: b.stream(
            [
                {"type": "completion", "completion": "", "stop_reason": "max_tokens", "model": "m"},
                {"type": "completion", "completion": "x", "stop_reason": None, "model": "m"},
            ],
            path="/v1/complete",
        ),
    ),
]


def _degenerate(b: Build) -> Exchange:
    """Genuine shape (vercel anthropic-programmatic-tool-calling.1): a finished message in message_start."""
    block = {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
        "caller": {"type": "code_execution_20250825", "tool_id": "srvtoolu_1"},
    }
    return b.stream(
        [
            b.start(content=[block], stop_reason="tool_use", usage={"input_tokens": 0, "output_tokens": 0}),
            {"type": "message_stop"},
        ],
        request={"tools": [b.WEATHER_TOOL]},
    )


def _whole_blocks(b: Build) -> Exchange:
    """Result blocks and programmatic tool calls arrive whole in content_block_start, with no delta."""
    result = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}
    call = {
        "type": "tool_use",
        "id": "toolu_9",
        "name": "get_weather",
        "input": {"city": "Oslo"},
        "caller": {"type": "direct"},
    }
    return b.stream(
        [
            b.start(),
            *b.tool(0, ["", '{"query": "x"}'], name="web_search", tool_id="srvtoolu_1", kind="server_tool_use"),
            b.block_start(1, result),
            b.stop(1),
            b.block_start(2, call),
            b.stop(2),
            *b.end("tool_use"),
        ],
        request={"tools": [b.WEATHER_TOOL, {"type": "web_search_20250305", "name": "web_search"}]},
    )


def _padded(b: Build) -> Exchange:
    """Genuine wire details: JSON padded with spaces, `{"type": "ping"}`, pings inside a block, CRLF."""
    body = b.sse([b.start(), b.text(0)[0], {"type": "ping"}, *b.text(0)[1:], *b.end()], crlf=True)
    return b.stream(body.replace(b"}\r\n", b"        }\r\n").replace(b'"type":"ping"', b'"type": "ping"'))


GOOD = {
    "text": lambda b: b.stream(b.text_stream()),
    "tool": lambda b: b.stream(b.tool_stream(), request={"tools": [b.WEATHER_TOOL]}),
    "thinking": lambda b: b.stream(
        b.thinking_stream(), request={"thinking": {"type": "enabled", "budget_tokens": 1024}}
    ),
    "degenerate programmatic": _degenerate,
    "whole blocks": _whole_blocks,
    "padded crlf": _padded,
    "error ends the stream mid-block": lambda b: b.stream(
        [
            b.start(),
            *b.text(0)[:2],
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": "req_1"},
        ]
    ),
    "error before message_start": lambda b: b.stream(
        [{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}]
    ),
    "cumulative message_deltas": lambda b: b.stream(
        [
            b.start(),
            *b.text(0),
            b.message_delta(None, 3),
            b.message_delta("end_turn", 9, input_tokens=12),
            {"type": "message_stop"},
        ]
    ),
    "compaction shrinks input": lambda b: b.stream(
        [
            b.start(),
            b.block_start(0, {"type": "compaction", "content": None}),
            b.delta(0, {"type": "compaction_delta", "content": "summary", "encrypted_content": None}),
            b.stop(0),
            b.message_delta("end_turn", 9, input_tokens=2),
            {"type": "message_stop"},
        ]
    ),
    "completion crlf": lambda b: b.stream(
        b.sse(
            [
                {"type": "completion", "completion": " Hi", "stop_reason": None, "model": "claude-2.1"},
                {"type": "ping"},
                {"type": "completion", "completion": "", "stop_reason": "stop_sequence", "model": "claude-2.1"},
            ],
            crlf=True,
        ),
        path="/v1/complete",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: f"{c.check_id}:{c.name}")
def test_broken_stream_is_caught(case: Case, build: Build, checks: Checks) -> None:
    assert_caught(case, checks(case.make(build)))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_stream_passes(name: str, build: Build, checks: Checks) -> None:
    assert_clean(checks(GOOD[name](build)))


def test_every_sse_check_has_a_broken_case() -> None:
    covered = {case.check_id for case in BROKEN}
    assert covered == {info.id for info in registered_checks() if info.group == "sse"}


def test_location_and_reproducer(build: Build, checks: Checks) -> None:
    findings = checks(build.stream([build.start(), *build.text(1), *build.end()]))
    finding = next(f for f in findings if f.check_id == "sse.block_lifecycle")
    assert finding.location == "event #1 (content_block_start)"
    assert finding.operation_id == "op"
    assert finding.reproducer is not None and finding.reproducer.startswith("curl -X POST")
