"""SSE events built FROM a finished Message, so that accumulating the stream gives back exactly
that message (api-facts §4.2–4.3): the stream is a view of the non-streaming response, never a
second generation that could drift from it.

Shape: `message_start` (content [], stop fields null, usage with the input tokens and at most 1
output token); per block `content_block_start` (the empty form of the block) → deltas →
`content_block_stop`; one `ping` right after the first `content_block_start` (or after
`message_start` when there is no block); `message_delta` (stop_reason, stop_sequence, stop_details,
cumulative usage); `message_stop`. Deltas: text in runs of 3 tokens; tool input as
`input_json_delta` fragments of 16 characters after an initial empty one (as the API sends);
thinking in runs of 6 tokens then one `signature_delta`; citations as `citations_delta` before
the text of their block.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import StreamingResponse

from conformance._sse import encode_sse
from conformance.server._errors import error_body
from conformance.server._faults import Faults
from conformance.server._tokens import tokenize

Event = tuple[str, dict[str, Any]]
Fragments = Callable[[Any], list[str]]
"""How a tool input is cut into `input_json_delta` fragments (scenarios cut it differently)."""
TEXT_TOKENS_PER_DELTA = 3
THINKING_TOKENS_PER_DELTA = 6
JSON_CHARS_PER_DELTA = 16
_PING: Event = ("ping", {"type": "ping"})


def _token_runs(text: str, per_delta: int) -> list[str]:
    tokens = tokenize(text)
    return ["".join(tokens[i : i + per_delta]) for i in range(0, len(tokens), per_delta)] or [""]


def _delta(index: int, delta: dict[str, Any]) -> Event:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}


def json_fragments(value: Any) -> list[str]:
    """The API's cut: an initial empty fragment, then runs of 16 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return [""] + [text[i : i + JSON_CHARS_PER_DELTA] for i in range(0, len(text), JSON_CHARS_PER_DELTA)]


def block_events(index: int, block: Mapping[str, Any], fragments: Fragments = json_fragments, *,
                 thinking_updates: bool = False) -> list[Event]:
    """start → deltas → stop for one finished content block. With `thinking_updates` (thinking
    `display: "updates"`), each thinking_delta says how many tokens it stands for."""
    kind = block["type"]
    deltas: list[Event] = []
    if kind == "text":
        start: dict[str, Any] = {"type": "text", "text": ""}
        citations = block.get("citations")
        if citations:
            start["citations"] = []
            deltas += [_delta(index, {"type": "citations_delta", "citation": c}) for c in citations]
        deltas += [_delta(index, {"type": "text_delta", "text": run}) for run in _token_runs(block["text"], TEXT_TOKENS_PER_DELTA)]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas += [
            _delta(index, {"type": "thinking_delta", "thinking": run,
                           **({"estimated_tokens": len(tokenize(run))} if thinking_updates else {})})
            for run in _token_runs(block["thinking"], THINKING_TOKENS_PER_DELTA)
        ]
        deltas.append(_delta(index, {"type": "signature_delta", "signature": block["signature"]}))
    elif kind in ("tool_use", "server_tool_use"):
        start = {**block, "input": {}}
        deltas += [_delta(index, {"type": "input_json_delta", "partial_json": f}) for f in fragments(block["input"])]
    elif kind == "compaction":
        start = {"type": "compaction", "content": None}
        deltas.append(_delta(index, {"type": "compaction_delta", "content": block.get("content"),
                                     "encrypted_content": block.get("encrypted_content")}))
    else:
        start = dict(block)  # blocks that arrive whole (redacted_thinking, tool results): no delta
    return [
        ("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}),
        *deltas,
        ("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def message_events(message: Mapping[str, Any], fragments: Fragments = json_fragments, *,
                   thinking_updates: bool = False) -> list[Event]:
    """The whole event sequence of a finished Message."""
    usage = dict(message["usage"])
    start_usage = {**usage, "output_tokens": min(1, usage["output_tokens"])}
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "stop_details": None,
        "usage": start_usage,
    }
    events: list[Event] = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        events += block_events(index, block, fragments, thinking_updates=thinking_updates)
        if index == 0:
            events.insert(2, _PING)
    if not message["content"]:
        events.append(_PING)
    delta: dict[str, Any] = {
        "stop_reason": message["stop_reason"],
        "stop_sequence": message["stop_sequence"],
        "stop_details": message.get("stop_details"),
    }
    if message.get("container") is not None:
        delta["container"] = message["container"]
    delta_usage = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens") if k in usage}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": delta_usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def error_event(error_type: str, message: str, request_id: str | None) -> Event:
    return "error", error_body(error_type, message, request_id)


@dataclass(frozen=True)
class Transport:
    """How a stream travels, beyond its events (the scenarios' wire-level shapes)."""

    split_utf8: bool = False
    """Write each frame in two pieces, cut inside its first multi-byte UTF-8 character."""
    disconnect_after: int | None = None
    """Drop the connection after this many events, without ending the body."""


PLAIN = Transport()
_SPLIT_PAUSE = 0.005
"""Seconds between the two pieces of a split frame, so that they reach the client in separate reads."""


class StreamCut(Exception):
    """Raised by a stream to drop its connection mid-body; the middleware lets it through silently."""


def fault_response(events: list[Event], fault: Faults, request_id: str, transport: Transport = PLAIN) -> StreamingResponse:
    """The stream of `events` with the fault header's pacing and mid-stream error applied."""
    message = "Overloaded" if fault.stream_error_type == "overloaded_error" else f"injected stream error ({fault.stream_error_type})"
    error = error_event(fault.stream_error_type, message, request_id)
    return sse_response(events, delay=fault.delay, error_after=fault.stream_error_after, error=error, transport=transport)


def utf8_halves(frame: bytes) -> list[bytes]:
    """The frame cut inside its first multi-byte character (whole when it has none)."""
    for i, byte in enumerate(frame):
        if byte >= 0xC0:  # a lead byte: cut just after it
            return [frame[: i + 1], frame[i + 1 :]]
    return [frame]


async def _frames(events: list[Event], *, delay: float, error_at: int | None, error: Event | None,
                  transport: Transport) -> AsyncIterator[bytes]:
    for count, (name, data) in enumerate(events):
        if count == transport.disconnect_after:
            raise StreamCut(f"scripted disconnect after {count} events")
        if count == error_at and error is not None:
            yield encode_sse(*error)
            return
        if delay and count:
            await asyncio.sleep(delay)
        frame = encode_sse(name, data)
        if not transport.split_utf8:
            yield frame
            continue
        for piece_index, piece in enumerate(utf8_halves(frame)):
            if piece_index:
                await asyncio.sleep(_SPLIT_PAUSE)
            yield piece


def sse_response(
    events: list[Event],
    *,
    delay: float = 0.0,
    error_after: int | None = None,
    error: Event | None = None,
    headers: Mapping[str, str] | None = None,
    transport: Transport = PLAIN,
) -> StreamingResponse:
    """A `text/event-stream` response, one write per event as the API streams them; with
    `error_after=N`, an `error` event replaces everything from the N-th event on (the stream then
    ends, as the API ends a failed stream)."""
    # An N at or past the end still fails the stream: the error then stands in for message_stop.
    error_at = None if error_after is None else min(error_after, len(events) - 1)
    return StreamingResponse(
        _frames(events, delay=delay, error_at=error_at, error=error, transport=transport),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", **(headers or {})},
    )
