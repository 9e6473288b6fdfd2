"""Group `meaning`: the final Message against the request, on broken and good exchanges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from conformance._exchange import Exchange
from conformance.checks import registered_checks
from conformance.checks.meaning import final_message
from tests.checks.conftest import Case, assert_caught, assert_clean

if TYPE_CHECKING:
    from tests.checks.conftest import Build, Checks




TEXT = {"type": "text", "text": "Hello"}
CALL = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
THINKING = {"type": "thinking", "thinking": "Hmm.", "signature": "sig-abc"}
ENABLED = {"type": "enabled", "budget_tokens": 1024}
THINKS = {"thinking": ENABLED, "max_tokens": 2048}  # budget_tokens below max_tokens, as the API asks


def reply(
    b: Build,
    content: list[dict[str, Any]],
    stop_reason: str = "end_turn",
    *,
    output_tokens: int = 5,
    stop_sequence: str | None = None,
    **request: Any,
) -> Exchange:
    """A non-stream Message answering a request with the given extra fields."""
    message = b.message(
        content,
        stop_reason=stop_reason,
        stop_sequence=stop_sequence,
        usage={"input_tokens": 10, "output_tokens": output_tokens},
    )
    return b.json(message, request=request)


def strict_tool(b: Build) -> dict[str, Any]:
    return {**b.WEATHER_TOOL, "strict": True}


COMPACT = {"type": "summarize"}
COMPACTION = {"type": "compaction", "content": "Summary: weather in Paris", "signature": "c2ln", "tool_changes": []}

BROKEN = [
    # compaction requests (SDK 2.12 BetaCompactionConfigParam)
    Case(
        "compaction request answered with text",
        "meaning.compaction",
        lambda b: reply(b, [TEXT], compaction=COMPACT),
    ),
    Case(
        "compaction block without its signature",
        "meaning.compaction",
        lambda b: reply(b, [{**COMPACTION, "signature": None}], "compaction", compaction=COMPACT),
    ),
    Case(
        "compaction block followed by text",
        "meaning.compaction",
        lambda b: reply(b, [COMPACTION, TEXT], "compaction", compaction=COMPACT),
    ),
    # E2
    Case(
        "output_tokens over max_tokens",
        "meaning.max_tokens",
        lambda b: reply(b, [TEXT], output_tokens=12, max_tokens=1),
    ),
    Case(
        "max_tokens stop far below the limit",
        "meaning.max_tokens",
        lambda b: reply(b, [TEXT], "max_tokens", output_tokens=3),
        "warning",
    ),
    # E1
    Case(
        "stop sequence ignored",
        "meaning.stop_sequence",
        lambda b: reply(b, [{"type": "text", "text": "one END two"}], stop_sequences=["END"]),
    ),
    Case(
        "stop sequence echoed into the text",
        "meaning.stop_sequence",
        lambda b: reply(
            b, [{"type": "text", "text": "oneEND"}], "stop_sequence", stop_sequence="END", stop_sequences=["END"]
        ),
    ),
    Case(
        "stop_sequence not one of the requested",
        "meaning.stop_sequence",
        lambda b: reply(b, [TEXT], "stop_sequence", stop_sequence="STOP", stop_sequences=["END"]),
    ),
    Case(
        "stop_sequence set with end_turn",
        "meaning.stop_sequence",
        lambda b: reply(b, [TEXT], "end_turn", stop_sequence="END", stop_sequences=["END"]),
    ),
    # D2
    Case("end_turn where tool_use", "meaning.tool_use_stop_reason", lambda b: reply(b, [TEXT, CALL], "end_turn")),
    Case(
        "end_turn where tool_use, streamed",
        "meaning.tool_use_stop_reason",
        lambda b: b.stream([b.start(), *b.tool(0), *b.end("end_turn")]),
    ),
    Case("tool_use stop without a tool_use", "meaning.tool_use_stop_reason", lambda b: reply(b, [TEXT], "tool_use")),
    # D3
    Case("tool_choice any ignored", "meaning.tool_choice", lambda b: reply(b, [TEXT], tool_choice={"type": "any"})),
    Case(
        "tool_choice tool ignored",
        "meaning.tool_choice",
        lambda b: reply(b, [TEXT], tool_choice={"type": "tool", "name": "get_weather"}),
    ),
    Case(
        "tool_choice none ignored",
        "meaning.tool_choice",
        lambda b: reply(b, [CALL], "tool_use", tool_choice={"type": "none"}),
    ),
    # D1 / schema
    Case(
        "strict tool input misses a required field",
        "meaning.tool_input_schema",
        lambda b: reply(b, [{**CALL, "input": {"town": "Paris"}}], "tool_use", tools=[strict_tool(b)]),
    ),
    Case(
        "non-strict tool input off-schema",
        "meaning.tool_input_schema",
        lambda b: reply(b, [{**CALL, "input": {"city": 7}}], "tool_use"),
        "warning",
    ),
    # D5
    Case(
        "tool not offered",
        "meaning.tool_name_offered",
        lambda b: reply(b, [{**CALL, "name": "delete_everything"}], "tool_use"),
    ),
    Case("duplicate tool ids", "meaning.tool_ids_unique", lambda b: reply(b, [CALL, CALL], "tool_use")),
    Case(
        "tool_use without id",
        "meaning.tool_ids_unique",
        lambda b: reply(b, [{k: v for k, v in CALL.items() if k != "id"}], "tool_use"),
    ),
    # C5 / H1
    Case("thinking enabled, text first", "meaning.thinking_first", lambda b: reply(b, [TEXT], **THINKS)),
    Case(
        "thinking enabled, text first, streamed",
        "meaning.thinking_first",
        lambda b: b.stream([b.start(), *b.text(0), *b.end()], request=THINKS),
    ),
    Case(
        "thinking without signature",
        "meaning.thinking_signature",
        lambda b: reply(b, [{"type": "thinking", "thinking": "Hmm."}, TEXT], **THINKS),
    ),
    Case(
        "redacted_thinking without data",
        "meaning.thinking_signature",
        lambda b: reply(b, [{"type": "redacted_thinking", "data": ""}, TEXT], **THINKS),
    ),
]


def _after_tool_result(b: Build) -> Exchange:
    """Genuine (pydantic-ai test_anthropic_tool_with_thinking): no new thinking block after a tool_result."""
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [THINKING, CALL]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]},
    ]
    return reply(b, [TEXT], **THINKS, messages=messages)


def _tool_addition(b: Build) -> Exchange:
    """Genuine (langchain test_system_tool_addition): a tool defined inside a system message."""
    addition = {
        "type": "tool_addition",
        "tool": {"type": "tool_definition", "definition": {"name": "get_time", "input_schema": {"type": "object"}}},
    }
    messages = [{"role": "system", "content": [addition]}, {"role": "user", "content": "Time?"}]
    return reply(b, [{**CALL, "name": "get_time", "input": {}}], "tool_use", messages=messages, tools=[])


GOOD = {
    "text": lambda b: reply(b, [TEXT]),
    # Requests the API rejects (contract.broken_rule) are not judged: their answer means nothing.
    "thinking budget above max_tokens": lambda b: reply(
        b, [TEXT], thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=64
    ),
    "max_tokens 0": lambda b: reply(b, [TEXT], output_tokens=12, max_tokens=0),
    "tool_choice any with no tools offered": lambda b: reply(b, [TEXT], tool_choice={"type": "any"}, tools=[]),
    "tool call": lambda b: reply(b, [TEXT, CALL], "tool_use", tool_choice={"type": "auto"}),
    "tool_choice any": lambda b: reply(b, [CALL], "tool_use", tool_choice={"type": "any"}),
    "tool_choice tool, strict": lambda b: reply(
        b, [CALL], "tool_use", tools=[strict_tool(b)], tool_choice={"type": "tool", "name": "get_weather"}
    ),
    "tool_choice none": lambda b: reply(b, [], tool_choice={"type": "none"}),
    "tool_choice any cut by max_tokens": lambda b: reply(
        b, [TEXT], "max_tokens", output_tokens=100, tool_choice={"type": "any"}
    ),
    "stop sequence honoured": lambda b: reply(
        b, [{"type": "text", "text": "one "}], "stop_sequence", stop_sequence="END", stop_sequences=["END"]
    ),
    "max_tokens reached": lambda b: reply(b, [TEXT], "max_tokens", output_tokens=100),
    "paused with a tool_use": lambda b: reply(b, [CALL], "pause_turn"),
    "programmatic calls end the turn": lambda b: reply(
        b,
        [
            {**CALL, "caller": {"type": "code_execution_20250825", "tool_id": "srvtoolu_1"}},
            {"type": "code_execution_tool_result", "tool_use_id": "srvtoolu_1", "content": {}},
            TEXT,
        ],
    ),
    "thinking first": lambda b: reply(b, [THINKING, TEXT], **THINKS),
    "redacted thinking first": lambda b: reply(
        b, [{"type": "redacted_thinking", "data": "EmwK"}, TEXT], **THINKS
    ),
    "adaptive thinking may skip": lambda b: reply(b, [TEXT], thinking={"type": "adaptive"}),
    "thinking after tool_result": _after_tool_result,
    "tool defined in a message": _tool_addition,
    "compaction alone": lambda b: reply(b, [COMPACTION], "compaction", compaction=COMPACT, **THINKS),
    "compaction cut short": lambda b: reply(b, [], "max_tokens", output_tokens=100, compaction=COMPACT),
    "streamed tool call": lambda b: b.stream(b.tool_stream()),
    "streamed thinking": lambda b: b.stream(b.thinking_stream(), request=THINKS),
}


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: f"{c.check_id}:{c.name}")
def test_broken_meaning_is_caught(case: Case, build: Build, checks: Checks) -> None:
    assert_caught(case, checks(case.make(build)))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_message_passes(name: str, build: Build, checks: Checks) -> None:
    assert_clean(checks(GOOD[name](build)))


def test_final_message_of_stream_and_body_agree(build: Build, checks: Checks) -> None:
    streamed = final_message(build.stream(build.tool_stream()))
    assert streamed is not None
    assert [b["type"] for b in streamed["content"]] == ["text", "tool_use"]
    assert streamed["content"][1]["input"] == {"city": "Paris"}
    assert streamed["stop_reason"] == "tool_use" and streamed["usage"]["output_tokens"] == 20


def test_no_message_no_findings(build: Build, checks: Checks) -> None:
    assert final_message(build.error(400, "invalid_request_error")) is None
    assert final_message(build.stream([{"type": "error", "error": {"type": "api_error", "message": "x"}}])) is None


def test_every_meaning_check_has_a_broken_case() -> None:
    covered = {case.check_id for case in BROKEN}
    assert covered == {info.id for info in registered_checks() if info.group == "meaning" and not info.scenario}
