"""Domain strategies: valid Anthropic requests that generic schema generation cannot reach.

Schemathesis explores the contract's shapes; these build *meaningful* requests: conversations
that alternate roles, tool_use / tool_result pairs with matching ids, tools with input schemas and
a tool_choice, thinking budgets below max_tokens, stop sequences the target will meet (the user
asks for a phrase to be repeated, and the reference model echoes the last user message), small
images and documents, batches of such requests.
"""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

# A 1×1 PNG: the smallest real image, so image requests cost almost nothing.
TINY_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
        "c0f01f0005000201ff0dc1a3e50000000049454e44ae426082"
    )
).decode()

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")

TOOLS: tuple[dict[str, Any], ...] = (
    {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
    {
        "name": "add_numbers",
        "description": "Add two integers.",
        "input_schema": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
    {
        "name": "lookup_order",
        "description": "Find an order by id, with optional line items.",
        "input_schema": {
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{4}$"},
                "include_items": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            },
            "required": ["order_id"],
        },
    },
)


def phrases() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(WORDS), min_size=2, max_size=5).map(" ".join)


def user_text() -> st.SearchStrategy[str]:
    return phrases().map(lambda p: f"Repeat after me, exactly: {p}")


def user_blocks() -> st.SearchStrategy[list[dict[str, Any]]]:
    text = user_text().map(lambda t: {"type": "text", "text": t})
    image = st.just({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": TINY_PNG}})
    document = phrases().map(lambda p: {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": p}})
    # The last block is text, so the echo (and so any stop sequence) comes from it.
    return st.tuples(st.lists(st.one_of(image, document), max_size=1), text).map(lambda t: [*t[0], t[1]])


def conversations() -> st.SearchStrategy[list[dict[str, Any]]]:
    """1 to 3 turns alternating user/assistant, ending on a user turn."""
    turn = st.one_of(user_text(), user_blocks())
    return st.lists(st.tuples(turn, phrases()), min_size=0, max_size=1).flatmap(
        lambda earlier: turn.map(
            lambda last: [
                message
                for user, reply in earlier
                for message in ({"role": "user", "content": user}, {"role": "assistant", "content": reply})
            ]
            + [{"role": "user", "content": last}]
        )
    )


def tool_choices(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.just({"type": "auto"}),
        st.just({"type": "any"}),
        st.just({"type": "none"}),
        st.sampled_from(names).map(lambda n: {"type": "tool", "name": n}),
    )


@st.composite
def message_requests(draw: st.DrawFn, model: str, max_tokens_cap: int, *, thinking: bool = True) -> dict[str, Any]:
    """A valid Create Message body (without `stream`)."""
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": draw(st.integers(min_value=1, max_value=max(1, min(max_tokens_cap, 200)))),
        "messages": draw(conversations()),
    }
    if draw(st.booleans()):
        request["system"] = draw(st.sampled_from(["You are terse.", "Answer in English."]))
    if draw(st.booleans()):
        tools = draw(st.lists(st.sampled_from(TOOLS), min_size=1, max_size=3, unique_by=lambda t: t["name"]))
        request["tools"] = tools
        request["tool_choice"] = draw(tool_choices([t["name"] for t in tools]))
    if draw(st.booleans()):
        last = _last_user_text(request["messages"])
        words = last.split(": ", 1)[-1].split()
        # A word of the phrase the user asked for: the reply meets it when the model complies.
        request["stop_sequences"] = [draw(st.sampled_from(words))] if words else ["."]
    if thinking and max_tokens_cap >= 2048 and draw(st.integers(0, 3)) == 0:
        request["max_tokens"] = draw(st.integers(min_value=1025, max_value=max_tokens_cap))
        request["thinking"] = {"type": "enabled", "budget_tokens": 1024}
        if request.get("tool_choice", {}).get("type") in ("any", "tool"):
            request["tool_choice"] = {"type": "auto"}  # the API refuses forced tool use with thinking
    return request


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    content = messages[-1]["content"]
    if isinstance(content, str):
        return content
    return next((b["text"] for b in reversed(content) if b.get("type") == "text"), "")


def tool_round_trip(model: str, max_tokens: int, tool_use_id: str = "toolu_01ConformanceRoundTrip") -> dict[str, Any]:
    """A multi-turn request whose last user turn answers a tool_use with a tool_result (catalogue D4)."""
    tool = TOOLS[0]
    return {
        "model": model,
        "max_tokens": max_tokens,
        "tools": [tool],
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": tool_use_id, "name": tool["name"], "input": {"city": "Paris"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": tool_use_id, "content": [{"type": "text", "text": "18 C, clear"}]},
                {"type": "text", "text": "Repeat after me, exactly: alpha bravo"},
            ]},
        ],
    }
