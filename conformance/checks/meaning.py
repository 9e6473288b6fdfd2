"""Group `meaning`: does the final Message honour what the request asked for (compat-bugs D, E, H)?

These checks read the Message a client ends up with (the JSON body, or the accumulated stream) next
to the request JSON. They are oracles a schema cannot express: stop_reason against the content,
max_tokens and stop_sequences honoured, tool_choice and tool schemas respected, thinking signed.
Each exemption below is there because genuine recordings in ../shared/traffic needed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from conformance._accumulate import AccumulationError, accumulate
from conformance._exchange import Exchange
from conformance.checks._registry import CheckContext, Failure, check
from conformance.contract import broken_rule

GROUP = "meaning"

TOOL_CALL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
# Stop reasons that end a turn early: the model may not have got to what was asked for yet.
CUT_SHORT = frozenset({"max_tokens", "refusal", "model_context_window_exceeded"})


def final_message(exchange: Exchange) -> dict[str, Any] | None:
    """The Message a client gets: the 2xx JSON body, or the accumulated stream; None otherwise."""
    resp = exchange.response
    if not 200 <= resp.status < 300 or exchange.request.path.rstrip("/").endswith("/v1/complete"):
        return None
    if resp.is_stream:
        try:
            message = accumulate(resp.frames)
        except AccumulationError:
            return None
    else:
        message = resp.json()
    if (
        not isinstance(message, dict)
        or message.get("type") != "message"
        or not isinstance(message.get("content"), list)
    ):
        return None
    return message


def _pair(exchange: Exchange) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(request JSON, final message) when both are there and the API would have answered the
    request: what a request the API rejects (the engine made it invalid, or it breaks a
    documented rule: contract.broken_rule) was answered with means nothing."""
    request = exchange.request.json()
    if exchange.expectation == "invalid" or broken_rule(request) is not None:
        return None
    message = final_message(exchange)
    if not isinstance(request, dict) or message is None:
        return None
    return request, message


def _blocks(message: dict[str, Any], *types: str) -> list[tuple[int, dict[str, Any]]]:
    return [
        (i, block)
        for i, block in enumerate(message["content"])
        if isinstance(block, dict) and (not types or block.get("type") in types)
    ]


def _where(index: int) -> str:
    return f"/content/{index}"


@check("meaning.max_tokens", group=GROUP, description="usage.output_tokens never exceeds max_tokens (E2).")
def max_tokens(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    limit = request.get("max_tokens")
    usage = message.get("usage")
    output = usage.get("output_tokens") if isinstance(usage, dict) else None
    if not isinstance(limit, int) or not isinstance(output, int):
        return
    if output > limit:
        yield Failure(f"output_tokens {output} exceeds max_tokens {limit}", "/usage/output_tokens")
    elif message.get("stop_reason") == "max_tokens" and output < limit:
        # Genuine max_tokens stops report exactly the limit; fewer hints at a made-up stop_reason.
        yield Failure(
            f"stop_reason max_tokens, yet only {output} of {limit} tokens were produced",
            "/stop_reason",
            severity="warning",
        )


@check("meaning.stop_sequence", group=GROUP, description="stop_sequences are honoured and reported truthfully (E1).")
def stop_sequence(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    requested = [s for s in request.get("stop_sequences") or [] if isinstance(s, str) and s]
    reason, matched = message.get("stop_reason"), message.get("stop_sequence")
    if matched is not None and reason != "stop_sequence":
        yield Failure(f"stop_sequence {matched!r} is set but stop_reason is {reason!r}", "/stop_sequence")
    if reason == "stop_sequence" and matched not in requested:
        yield Failure(
            f"stop_reason stop_sequence with stop_sequence {matched!r}, not one of {requested}", "/stop_sequence"
        )
    # Generation stops at the first match, so a requested sequence in the visible text was ignored
    # (or echoed back). Thinking is exempt: stop sequences apply to visible text only (E4).
    for index, block in _blocks(message, "text"):
        text = block.get("text")
        hit = next((s for s in requested if isinstance(text, str) and s in text), None)
        if hit is None:
            continue
        if reason == "stop_sequence" and hit == matched:
            yield Failure(f"the matched stop sequence {hit!r} was left in the text; it must be cut", _where(index))
        else:
            yield Failure(
                f"text contains the requested stop sequence {hit!r}, yet stop_reason is {reason!r}", _where(index)
            )


def _pending_tool_uses(message: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """tool_use blocks the client must answer. Calls made from code execution (programmatic tool
    calling, `caller.type` not "direct") are answered inside the turn, which may then end_turn
    (genuine: vercel anthropic-programmatic-tool-calling.1.json)."""
    pending = []
    for index, block in _blocks(message, "tool_use"):
        caller = block.get("caller")
        if isinstance(caller, dict) and caller.get("type") not in (None, "direct"):
            continue
        pending.append((index, block))
    return pending


@check(
    "meaning.tool_use_stop_reason",
    group=GROUP,
    description="A turn with a tool_use stops with stop_reason tool_use, and vice versa (D2).",
)
def tool_use_stop_reason(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    message = final_message(exchange)
    if message is None:
        return
    reason = message.get("stop_reason")
    pending = _pending_tool_uses(message)
    # Other reasons (max_tokens, pause_turn, refusal…) may legitimately cut a turn that has a tool_use.
    if pending and reason in ("end_turn", "stop_sequence"):
        yield Failure(
            f"the content has a tool_use but stop_reason is {reason!r}: agent loops stop here", "/stop_reason"
        )
    if reason == "tool_use" and not _blocks(message, "tool_use"):
        yield Failure("stop_reason tool_use but the content has no tool_use block", "/stop_reason")


def _tool_calls(message: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return _blocks(message, *TOOL_CALL_BLOCKS)


@check("meaning.tool_choice", group=GROUP, description="tool_choice any/tool/none is obeyed (D3).")
def tool_choice(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    choice = request.get("tool_choice")
    if not isinstance(choice, dict) or message.get("stop_reason") in CUT_SHORT:
        return
    calls = _tool_calls(message)
    kind = choice.get("type")
    if kind == "any" and not calls:
        yield Failure("tool_choice any, but no tool was called", "/content")
    elif kind == "tool" and not any(block.get("name") == choice.get("name") for _, block in calls):
        yield Failure(f"tool_choice forces {choice.get('name')!r}, but it was not called", "/content")
    elif kind == "none":
        for index, block in calls:
            yield Failure(f"tool_choice none, yet {block.get('type')} {block.get('name')!r} was called", _where(index))


def _custom_tools(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tools the client defined itself (no versioned server/client type), by name."""
    tools = request.get("tools")
    if not isinstance(tools, list):
        return {}
    return {
        tool["name"]: tool
        for tool in tools
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and tool.get("type") in (None, "custom")
    }


def _offered_names(request: dict[str, Any]) -> set[str]:
    """Every tool name the request makes available: `tools[]`, plus definitions carried inside
    messages (2.x `tool_addition` blocks; genuine: langchain test_system_tool_addition)."""
    names = {t["name"] for t in request.get("tools") or [] if isinstance(t, dict) and isinstance(t.get("name"), str)}
    stack: list[Any] = [request.get("messages")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("name"), str) and "input_schema" in node:
                names.add(node["name"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


@check(
    "meaning.tool_input_schema",
    group=GROUP,
    description="A tool_use input validates against the offered tool's input_schema.",
)
def tool_input_schema(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    tools = _custom_tools(request)
    for index, block in _blocks(message, "tool_use"):
        tool = tools.get(str(block.get("name")))
        schema = tool.get("input_schema") if tool is not None else None
        if tool is None or not isinstance(schema, dict):
            continue
        try:
            validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
            validator_cls.check_schema(schema)
        except SchemaError:
            continue  # the request's schema is broken: nothing to hold the server to
        error = jsonschema.exceptions.best_match(validator_cls(schema).iter_errors(block.get("input")))
        if error is not None:
            # Only strict tools promise schema-valid input; otherwise models may stray (a warning).
            yield Failure(
                f"input for {block.get('name')!r} does not fit its input_schema: {error.message}",
                f"{_where(index)}/input",
                severity=None if tool.get("strict") is True else "warning",
            )


@check("meaning.tool_name_offered", group=GROUP, description="A tool_use names a tool the request offered (D5).")
def tool_name_offered(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    offered = _offered_names(request)
    for index, block in _blocks(message, "tool_use"):
        if block.get("name") not in offered:
            yield Failure(f"tool_use calls {block.get('name')!r}, which the request did not offer", _where(index))


@check(
    "meaning.tool_ids_unique", group=GROUP, description="Tool call ids are present and unique within a message (D5)."
)
def tool_ids_unique(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    message = final_message(exchange)
    if message is None:
        return
    seen: dict[str, int] = {}
    for index, block in _tool_calls(message):
        tool_id = block.get("id")
        if not isinstance(tool_id, str) or not tool_id:
            yield Failure(f"{block.get('type')} without an id: its result cannot be matched", _where(index))
        elif tool_id in seen:
            yield Failure(f"tool id {tool_id!r} repeats block {seen[tool_id]}'s", _where(index))
        else:
            seen[tool_id] = index


def _fresh_user_turn(request: dict[str, Any]) -> bool:
    """The request ends with a user message that is not only answering tools. After a tool_result,
    or when continuing an assistant turn (pause_turn), the model goes on without a new thinking
    block (genuine: pydantic-ai test_anthropic_tool_with_thinking, test_pause_turn_web_search_vcr)."""
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    last = messages[-1]
    if last.get("role") != "user":
        return False
    content = last.get("content")
    return not (
        isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    )


@check(
    "meaning.thinking_first",
    group=GROUP,
    description="With thinking enabled, a fresh turn opens with a thinking block (C5).",
)
def thinking_first(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    thinking = request.get("thinking")
    # "adaptive" lets the model skip thinking (genuine), so only "enabled" promises a block; a
    # compaction request is answered with the compaction block alone.
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled" or not _fresh_user_turn(request):
        return
    if request.get("compaction") is not None:
        return
    if not message["content"] or message.get("stop_reason") in CUT_SHORT:
        return
    first = message["content"][0]
    first_type = first.get("type") if isinstance(first, dict) else None
    if first_type not in ("thinking", "redacted_thinking"):
        yield Failure(f"thinking is enabled but the first block is {first_type!r}", _where(0))


@check(
    "meaning.thinking_signature",
    group=GROUP,
    description="thinking blocks carry a signature, redacted_thinking carries data (H1).",
)
def thinking_signature(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    message = final_message(exchange)
    if message is None:
        return
    for index, block in _blocks(message, "thinking", "redacted_thinking"):
        key = "signature" if block["type"] == "thinking" else "data"
        value = block.get(key)
        if not isinstance(value, str) or not value:
            yield Failure(
                f"{block['type']} block without {key}: replaying it next turn fails", f"{_where(index)}/{key}"
            )


@check(
    "meaning.compaction",
    group=GROUP,
    description="A compaction request gets its compaction block alone, signed, and stop_reason compaction.",
)
def compaction(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """`compaction` makes the request a compaction request: the reply is the one `compaction`
    block later requests send back in place of what it summarizes, so it must carry the
    `signature` the API checks on the way back (SDK 2.12 `BetaCompactionConfigParam`)."""
    pair = _pair(exchange)
    if pair is None:
        return
    request, message = pair
    if request.get("compaction") is None or message.get("stop_reason") in CUT_SHORT:
        return
    types = [b.get("type") if isinstance(b, dict) else None for b in message["content"]]
    if message.get("stop_reason") != "compaction":
        yield Failure(f"a compaction request ended with stop_reason {message.get('stop_reason')!r}, not 'compaction'",
                      "/stop_reason")
    if types != ["compaction"]:
        yield Failure(f"a compaction request got content {types}: the compaction block alone was expected", "/content")
        return
    block = message["content"][0]
    if not isinstance(block.get("signature"), str) or not block["signature"]:
        yield Failure("compaction block without a signature: it cannot be sent back and verified", _where(0) + "/signature")
