"""Group `sse`: the wire format and the event grammar of streamed responses (api-facts §4, §7).

Messages streams follow the §4.3 state machine; legacy `/v1/complete` streams have their own, smaller
grammar. Everything here is tuned against the genuine recordings in ../shared/traffic: pings anywhere,
padded JSON, empty first `input_json_delta`, whole blocks in `content_block_start`, programmatic tool
calls with a non-empty `input` at start, and the degenerate `message_start`+`message_stop` stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance._accumulate import TOOL_INPUT_BLOCKS, frame_type
from conformance._exchange import Exchange
from conformance._sse import ParsedStream
from conformance.checks._registry import CheckContext, Failure, check
from conformance.checks.errors import KNOWN_ERROR_TYPES, envelope_problems

GROUP = "sse"

MESSAGE_EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)
COMPLETION_EVENTS = frozenset({"completion", "ping", "error"})
CONTENT_EVENTS = frozenset({"content_block_start", "content_block_delta", "content_block_stop"})

# Which block types each delta type may target (rule 3).
DELTA_TARGETS: dict[str, frozenset[str]] = {
    "text_delta": frozenset({"text"}),
    "citations_delta": frozenset({"text"}),
    "input_json_delta": TOOL_INPUT_BLOCKS,
    "thinking_delta": frozenset({"thinking"}),
    "signature_delta": frozenset({"thinking"}),
    "compaction_delta": frozenset({"compaction"}),
}
KNOWN_BLOCKS = frozenset(
    {
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "mcp_tool_use",
        "mcp_tool_result",
        "mcp_tool_listing",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "code_execution_tool_result",
        "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result",
        "tool_search_tool_result",
        "advisor_tool_result",
        "container_upload",
        "compaction",
        "fallback",
    }
)
# Fields clients read from a block as soon as it starts (C7); the values may be empty.
START_FIELDS: dict[str, dict[str, type]] = {
    "text": {"text": str},
    "thinking": {"thinking": str},
    "redacted_thinking": {"data": str},
    "tool_use": {"id": str, "name": str, "input": dict},
    "server_tool_use": {"id": str, "name": str, "input": dict},
}
# Input-side usage counts that a message_delta repeats as totals; compaction legitimately shrinks them.
INPUT_USAGE_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass(frozen=True)
class Event:
    """One frame as the grammar sees it: its position, its type and its JSON object (or None)."""

    pos: int
    name: str | None
    data: dict[str, Any] | None

    @property
    def where(self) -> str:
        return f"event #{self.pos} ({self.name})"

    def get(self, key: str) -> Any:
        return None if self.data is None else self.data.get(key)


def _requested_stream(exchange: Exchange) -> bool:
    body = exchange.request.json()
    return isinstance(body, dict) and body.get("stream") is True


def _parsed(exchange: Exchange) -> ParsedStream | None:
    """The response as SSE when it is one: declared so, or a stream was asked for and the body decodes as one."""
    resp = exchange.response
    if resp.is_stream:
        return resp.stream
    if _requested_stream(exchange) and 200 <= resp.status < 300 and resp.frames:
        return resp.stream
    return None


def _is_completion(exchange: Exchange) -> bool:
    return exchange.request.path.rstrip("/").endswith("/v1/complete")


def _events(exchange: Exchange, *, completion: bool = False) -> list[Event] | None:
    """The frames of a Messages stream (or of a /v1/complete stream), or None when not applicable."""
    stream = _parsed(exchange)
    if stream is None or _is_completion(exchange) != completion:
        return None
    out = []
    for pos, frame in enumerate(stream.frames):
        data = frame.json_or_none()
        out.append(Event(pos, frame_type(frame), data if isinstance(data, dict) else None))
    return out


def _messages(exchange: Exchange) -> list[Event]:
    return _events(exchange) or []


def _until_terminal(events: list[Event]) -> list[Event]:
    """The events up to the stream's end as the SDK sees it: the first message_stop or error, inclusive."""
    for i, ev in enumerate(events):
        if ev.name in ("message_stop", "error"):
            return events[: i + 1]
    return events


# --------------------------------------------------------------------------------------------
# Wire format


@check("sse.content_type", group=GROUP, description="A 200 answer to stream:true is text/event-stream (C1).")
def content_type(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    resp = exchange.response
    if not _requested_stream(exchange) or resp.status != 200 or resp.is_stream:
        return
    declared = resp.headers.get("content-type")
    if declared is None:
        # The SDK streams because it asked to, not because of the header; proxies may still buffer.
        yield Failure("stream:true was answered without a content-type", "content-type", severity="warning")
    else:
        yield Failure(f"stream:true was answered with content-type {declared!r}, not text/event-stream", "content-type")


@check(
    "sse.event_line", group=GROUP, description="Every frame has an `event:` line (C1; data-only frames break the SDK)."
)
def event_line(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    stream = _parsed(exchange)
    if stream is None:
        return
    missing = [pos for pos, frame in enumerate(stream.frames) if not frame.event]
    if missing:
        yield Failure(
            f"{len(missing)} of {len(stream.frames)} frames have no `event:` line; SDK 1.x+ skips them",
            f"event #{missing[0]}",
        )


@check("sse.event_name", group=GROUP, description="The `event:` name equals data.type (C1).")
def event_name(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    stream = _parsed(exchange)
    if stream is None:
        return
    for pos, frame in enumerate(stream.frames):
        data = frame.json_or_none()
        if frame.event and isinstance(data, dict) and data.get("type") != frame.event:
            yield Failure(f"event {frame.event!r} carries data.type {data.get('type')!r}", f"event #{pos}")


@check("sse.data_json", group=GROUP, description="Each frame's data is one complete JSON object (C1).")
def data_json(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    stream = _parsed(exchange)
    if stream is None:
        return
    for pos, frame in enumerate(stream.frames):
        where = f"event #{pos} ({frame.event})"
        if frame.data == "":
            yield Failure("the frame has no data; the SDK skips it", where, severity="warning")
            continue
        try:
            data = json.loads(frame.data)
        except (ValueError, RecursionError) as exc:
            yield Failure(f"data is not JSON ({exc}): {frame.data[:80]!r}", where)
            continue
        if not isinstance(data, dict):
            yield Failure(f"data is JSON but not an object: {frame.data[:80]!r}", where)
        elif not isinstance(data.get("type"), str):
            yield Failure("data has no string `type` (clients dispatch on it)", where)


@check("sse.truncated", group=GROUP, description="The body does not end in the middle of a line (C3).")
def truncated(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    stream = _parsed(exchange)
    if stream is not None and stream.trailing:
        yield Failure(f"the stream was cut mid-line: {stream.trailing[:80]!r}", "end of body")


@check(
    "sse.unknown_event",
    group=GROUP,
    severity="warning",
    description="Event names outside the documented set (tolerated).",
)
def unknown_event(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    for events, known in ((_events(exchange), MESSAGE_EVENTS), (_events(exchange, completion=True), COMPLETION_EVENTS)):
        for ev in events or []:
            if ev.name is not None and ev.name not in known:
                yield Failure(f"unknown event {ev.name!r}; clients must ignore it", ev.where)


# --------------------------------------------------------------------------------------------
# Messages grammar (§4.3)


@check(
    "sse.message_start",
    group=GROUP,
    description="Exactly one message_start, before any other event but ping (C2, rule 1).",
)
def message_start(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _messages(exchange)
    starts = [ev for ev in events if ev.name == "message_start"]
    if not starts:
        before_error = _until_terminal(events)
        # An error before anything but pings is a legitimate stream (sse.error_event checks it).
        if events and not (before_error[-1].name == "error" and all(ev.name == "ping" for ev in before_error[:-1])):
            yield Failure("the stream has no message_start", "event #0")
        return
    for ev in starts[1:]:
        yield Failure("a second message_start; the SDK would restart the message", ev.where)
    early = [ev for ev in events[: starts[0].pos] if ev.name in MESSAGE_EVENTS - {"ping", "error"}]
    if early:
        yield Failure(f"{early[0].name} before message_start (SDK 0.x raises 'Unexpected event order')", early[0].where)


@check("sse.message_start_fields", group=GROUP, description="message_start.message is a complete, empty Message (C7).")
def message_start_fields(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _messages(exchange)
    start = next((ev for ev in events if ev.name == "message_start"), None)
    if start is None:
        return
    message = start.get("message")
    if not isinstance(message, dict):
        yield Failure("message_start has no `message` object", start.where)
        return
    for key, kind in (("id", str), ("model", str), ("content", list), ("usage", dict)):
        if not isinstance(message.get(key), kind):
            yield Failure(f"message_start.message.{key} is missing or not a {kind.__name__}", start.where)
    if message.get("type") != "message" or message.get("role") != "assistant":
        yield Failure("message_start.message needs type 'message' and role 'assistant'", start.where)
    usage = message.get("usage")
    if isinstance(usage, dict) and not _is_int(usage.get("input_tokens")):
        yield Failure("message_start.message.usage.input_tokens is not an integer (F1)", start.where)
    # A complete message up front is genuine only in the degenerate form (no blocks, no message_delta);
    # otherwise streamed blocks would be appended after it and their indexes would point elsewhere.
    prefilled = bool(message.get("content")) or message.get("stop_reason") is not None
    if prefilled and any(ev.name in CONTENT_EVENTS or ev.name == "message_delta" for ev in events):
        yield Failure("message_start carries content or a stop_reason, yet more content and deltas follow", start.where)


@check(
    "sse.block_lifecycle",
    group=GROUP,
    description="Blocks start at 0,1,2…, one at a time, and each closes once (C4, rules 2-3).",
)
def block_lifecycle(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _until_terminal(_messages(exchange))
    started: set[int] = set()
    stopped: set[int] = set()
    open_index: int | None = None
    next_index = 0
    for ev in events:
        # Frames whose data is not JSON are sse.data_json's; the SDK cannot act on them either.
        if ev.data is None or (ev.name not in CONTENT_EVENTS and ev.name not in ("message_delta", "message_stop")):
            continue
        if ev.name in ("message_delta", "message_stop"):
            if open_index is not None:
                yield Failure(f"{ev.name} while block {open_index} is still open", ev.where)
                open_index = None
            continue
        index = ev.get("index")
        if not _is_int(index):
            yield Failure(f"{ev.name} has no integer index", ev.where)
            continue
        if ev.name == "content_block_start":
            if open_index is not None:
                yield Failure(f"block {index} starts while block {open_index} is still open (blocks overlap)", ev.where)
            if index in started:
                yield Failure(f"block index {index} is started twice", ev.where)
            elif index != next_index:
                yield Failure(f"block index {index} where {next_index} was next (indexes run 0,1,2…)", ev.where)
            started.add(index)
            open_index, next_index = index, max(next_index, index + 1)
            continue
        verb = "delta" if ev.name == "content_block_delta" else "stop"
        if index not in started:
            yield Failure(f"{verb} for block {index}, which never started", ev.where)
        elif index in stopped:
            yield Failure(f"{verb} for block {index} after its content_block_stop", ev.where)
        elif index != open_index:
            state = "no block is open" if open_index is None else f"block {open_index} is the open one"
            yield Failure(f"{verb} for block {index} while {state}", ev.where)
        if verb == "stop":
            stopped.add(index)
            if index == open_index:
                open_index = None
    if open_index is not None and not (events and events[-1].name == "error"):
        yield Failure(f"block {open_index} is never closed", "end of stream")


def _block_types(events: list[Event]) -> dict[int, str]:
    """Block index → block type, from each index's first content_block_start."""
    types: dict[int, str] = {}
    for ev in events:
        block = ev.get("content_block") if ev.name == "content_block_start" else None
        if isinstance(block, dict) and _is_int(ev.get("index")):
            types.setdefault(ev.get("index"), str(block.get("type")))
    return types


def _deltas(events: list[Event]) -> Iterator[tuple[Event, int, dict[str, Any]]]:
    for ev in events:
        delta = ev.get("delta") if ev.name == "content_block_delta" else None
        if isinstance(delta, dict) and _is_int(ev.get("index")):
            yield ev, ev.get("index"), delta


@check("sse.delta_type", group=GROUP, description="Each delta's type fits its block's type (C6, rule 3).")
def delta_type(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _messages(exchange)
    types = _block_types(events)
    for ev, index, delta in _deltas(events):
        kind, block = delta.get("type"), types.get(index)
        targets = DELTA_TARGETS.get(str(kind))
        if block is None:
            continue  # sse.block_lifecycle reports deltas for blocks that never started
        if targets is None:
            yield Failure(f"unknown delta type {kind!r} in a {block} block", ev.where, severity="warning")
        elif block not in targets:
            unknown = block not in KNOWN_BLOCKS
            # The SDK silently drops a mismatched delta: content is lost without a word.
            yield Failure(
                f"{kind} in a {block} block (allowed in: {', '.join(sorted(targets))})",
                ev.where,
                severity="warning" if unknown else None,
            )


@check("sse.block_start_fields", group=GROUP, description="content_block_start carries the fields clients read (C7).")
def block_start_fields(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    for ev in _messages(exchange):
        if ev.name != "content_block_start":
            continue
        block = ev.get("content_block")
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            yield Failure("content_block_start has no content_block with a type", ev.where)
            continue
        yield from _start_field_failures(block, ev.where)


def _start_field_failures(block: dict[str, Any], where: str) -> Iterator[Failure]:
    btype = block["type"]
    for key, kind in START_FIELDS.get(btype, {}).items():
        if not isinstance(block.get(key), kind):
            yield Failure(f"{btype} block starts without a {kind.__name__} `{key}` (clients index it)", where)
    if btype == "text" and isinstance(block.get("text"), str) and block["text"] != "":
        # The SDK appends deltas to it, so nothing breaks, but the API always starts text empty.
        yield Failure("text block starts with non-empty text", where, severity="warning")


@check(
    "sse.input_json",
    group=GROUP,
    description="A tool block's input_json_delta fragments join into a JSON object (D1, rule 5).",
)
def input_json(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _messages(exchange)
    types = _block_types(events)
    fragments: dict[int, list[str]] = {}
    for ev, index, delta in _deltas(events):
        if delta.get("type") != "input_json_delta" or types.get(index) not in TOOL_INPUT_BLOCKS:
            continue
        part = delta.get("partial_json")
        if not isinstance(part, str):
            yield Failure("input_json_delta.partial_json is not a string", ev.where)
            continue
        fragments.setdefault(index, []).append(part)
    for index, parts in sorted(fragments.items()):
        joined = "".join(parts)
        if not joined:
            continue  # only empty fragments: the start's input stands (checked in sse.block_start_fields)
        try:
            value = json.loads(joined)
        except (ValueError, RecursionError) as exc:
            yield Failure(
                f"block {index}: the joined partial_json is not valid JSON ({exc}): ...{joined[-60:]!r}",
                f"block {index}",
            )
            continue
        if not isinstance(value, dict):
            yield Failure(
                f"block {index}: the joined partial_json is a {type(value).__name__}, not an object", f"block {index}"
            )


@check(
    "sse.thinking_signature",
    group=GROUP,
    description="Every streamed thinking block gets a non-empty signature before it stops (H1).",
)
def thinking_signature(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    signed: dict[int, bool] = {}
    for ev in _messages(exchange):
        index = ev.get("index")
        if ev.name == "content_block_start":
            block = ev.get("content_block")
            if isinstance(block, dict) and block.get("type") == "thinking" and _is_int(index):
                signed[index] = _nonempty_str(block.get("signature"))
        elif ev.name == "content_block_delta" and index in signed:
            delta = ev.get("delta")
            if isinstance(delta, dict) and delta.get("type") == "signature_delta":
                signed[index] = _nonempty_str(delta.get("signature"))  # replaces, rule 8
        elif ev.name == "content_block_stop" and index in signed:
            if not signed.pop(index):
                yield Failure(
                    f"thinking block {index} stops without a signature; the next turn will be rejected", ev.where
                )
    for index in signed:
        yield Failure(f"thinking block {index} never got a signature", "end of stream")


@check(
    "sse.terminal",
    group=GROUP,
    description="message_delta(s) after the last block, then one message_stop; never just end (C3, rule 6).",
)
def terminal(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _events(exchange)
    if events is None:
        return
    if not events:
        size = len(exchange.response.body)
        yield Failure(f"the stream holds no SSE event ({size} bytes of body)", "body")
        return
    stops = [ev for ev in events if ev.name == "message_stop"]
    errors = [ev for ev in events if ev.name == "error"]
    if not stops:
        if not errors:
            yield Failure("the stream ends without message_stop or an error event", "end of stream")
        return
    for ev in stops[1:]:
        yield Failure("a second message_stop", ev.where)
    stop = stops[0]
    before = events[: stop.pos]
    deltas = [ev for ev in before if ev.name == "message_delta"]
    content = [ev for ev in before if ev.name in CONTENT_EVENTS]
    if not deltas:
        start = next((ev for ev in before if ev.name == "message_start"), None)
        message = start.get("message") if start else None
        # Degenerate genuine form: message_start already holds the finished message (programmatic tool calling).
        if content or not (isinstance(message, dict) and message.get("stop_reason") is not None):
            yield Failure("message_stop without a message_delta: the message gets no stop_reason", stop.where)
        return
    if content and content[-1].pos > deltas[0].pos:
        yield Failure("content block events after message_delta", content[-1].where)
    last = deltas[-1].get("delta")
    if not isinstance(last, dict):
        yield Failure("message_delta has no `delta` object", deltas[-1].where)
    elif last.get("stop_reason") is None:
        yield Failure("the last message_delta has a null stop_reason", deltas[-1].where)


@check(
    "sse.after_stop",
    group=GROUP,
    severity="warning",
    description="Nothing follows message_stop (pings and unknown events are tolerated).",
)
def after_stop(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _messages(exchange)
    stop = next((ev for ev in events if ev.name == "message_stop"), None)
    if stop is None:
        return
    for ev in events[stop.pos + 1 :]:
        # Message content after the end changes what a lenient client accumulates: that is an error.
        serious = ev.name in CONTENT_EVENTS or ev.name in ("message_delta", "message_start")
        yield Failure(f"{ev.name} after message_stop", ev.where, severity="error" if serious else None)


@check(
    "sse.error_event",
    group=GROUP,
    description="An `error` event has the envelope shape and ends the stream (B4, rule 9).",
)
def error_event(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _events(exchange) or _events(exchange, completion=True) or []
    for ev in events:
        if ev.name != "error":
            continue
        for problem in envelope_problems(ev.data):
            yield Failure(f"error event: {problem}", ev.where)
        error = ev.get("error")
        if isinstance(error, dict) and isinstance(error.get("type"), str) and error["type"] not in KNOWN_ERROR_TYPES:
            yield Failure(f"error event with undocumented error.type {error['type']!r}", ev.where, severity="warning")
        if ev.pos != events[-1].pos:
            yield Failure(
                f"{len(events) - ev.pos - 1} events after the error event; it must end the stream",
                events[ev.pos + 1].where,
            )
        return


@check("sse.usage_cumulative", group=GROUP, description="message_delta usage holds running totals (F1, rule 7).")
def usage_cumulative(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _messages(exchange)
    start = next((ev for ev in events if ev.name == "message_start"), None)
    message = start.get("message") if start else None
    start_usage = message.get("usage") if isinstance(message, dict) else None
    start_usage = start_usage if isinstance(start_usage, dict) else {}
    # Compaction replaces the context mid-turn, so the final input counts may be below the start's
    # (genuine: langchain test_compaction_streaming, vercel anthropic-compaction.1).
    compacted = any(
        ev.name == "content_block_start"
        and isinstance(ev.get("content_block"), dict)
        and ev.get("content_block").get("type") == "compaction"
        for ev in events
    )
    previous: int | None = None
    for ev in events:
        if ev.name != "message_delta":
            continue
        usage = ev.get("usage")
        if not isinstance(usage, dict) or not _is_int(usage.get("output_tokens")):
            yield Failure(
                "message_delta.usage.output_tokens is missing or not an integer (the SDK requires it)", ev.where
            )
            continue
        output = usage["output_tokens"]
        if previous is not None and output < previous:
            yield Failure(
                f"output_tokens fell from {previous} to {output}: deltas must carry totals, not increments", ev.where
            )
        previous = output
        for key in INPUT_USAGE_KEYS:
            value, first = usage.get(key), start_usage.get(key)
            if value is None:
                continue
            if not _is_int(value) or value < 0:
                yield Failure(f"message_delta.usage.{key} is {value!r}, not a non-negative integer", ev.where)
            elif _is_int(first) and value < first and not compacted:
                yield Failure(f"message_delta.usage.{key} {value} is below message_start's {first}", ev.where)


# --------------------------------------------------------------------------------------------
# Legacy /v1/complete streams (§7)


@check(
    "sse.completion_stream",
    group=GROUP,
    description="A /v1/complete stream ends with a completion whose stop_reason is set.",
)
def completion_stream(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    events = _events(exchange, completion=True)
    if events is None:
        return
    completions = [ev for ev in events if ev.name == "completion"]
    if any(ev.name == "error" for ev in events):
        return  # sse.error_event checks that one
    if not completions:
        yield Failure("the completion stream has no completion event", "end of stream")
        return
    for ev in completions:
        if not isinstance(ev.get("completion"), str):
            yield Failure("completion event without a string `completion`", ev.where)
    finals = [ev for ev in completions if ev.get("stop_reason") is not None]
    if not finals:
        yield Failure("no completion event has a stop_reason: the stream just ends", completions[-1].where)
    elif finals[0].pos != completions[-1].pos:
        yield Failure("completion events after the one with a stop_reason", completions[-1].where)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""
