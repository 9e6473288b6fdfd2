"""The scenario catalogue: scripted answers of `POST /v1/messages` for what a client must survive.

A request picks one with the `x-conformance-scenario: NAME` header, or, for clients that cannot set
headers, with the model alias `scenario:NAME` (answered as `claude-sonnet-4-5`). Scenarios work in
faithful and mock mode alike; `conformance serve --list-scenarios` prints the catalogue, and
docs/clients.md explains each. A scenario is data over a few hooks, applied to the deterministic
model's answer:

* `faults`: directives of the fault header (`_faults`), applied as if the request had sent them
  (the request's own header comes after, so it can still override them);
* `prepare`: the params before the model runs (e.g. force a tool call);
* `reshape`: the finished Message (e.g. add a block);
* `stream`: the event list built from it (e.g. a `ping` between every event);
* `fragments`, `transport`: how tool JSON is cut, how frames travel (split UTF-8, disconnect);
* `first_byte_delay`: seconds before any byte of the answer.

`validity` says whether the answer is valid by the contract: `valid` (strict view), `tolerant`
(valid only by the tolerant view: forward-compatibility shapes a client must ignore), or `invalid`
(deliberately broken; the stream checks fail it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from conformance.server._errors import ApiError
from conformance.server._faults import Faults, parse_faults
from conformance.server._streaming import PLAIN, Event, Fragments, Transport, json_fragments, message_events
from conformance.server._tokens import tokenize

SCENARIO_HEADER = "x-conformance-scenario"
MODEL_PREFIX = "scenario:"
"""`model: "scenario:NAME"` selects NAME for clients that cannot set a header."""
SCENARIO_MODEL = "claude-sonnet-4-5"
"""The model a `scenario:` alias is answered as."""

Validity = Literal["valid", "tolerant", "invalid"]
Params = dict[str, Any]
Message = dict[str, Any]

TRICKY_TEXT = 'He said "hi" \\ café — ☕ 😀 done'
"""Put in the first string property of a tool input: an escaped quote and backslash, accents, a
BMP symbol and a character outside the BMP (a surrogate pair once escaped)."""
MULTIBYTE_SUFFIX = " — café ☕ 😀"
"""Appended to the first text block when frames are written cut inside multi-byte characters."""
LONG_STREAM_MAX_TOKENS = 32_000
FIRST_BYTE_DELAY = 1.0
DISCONNECT_AFTER = 5


def _identity_params(params: Params) -> Params:
    return params


def _identity_message(params: Params, message: Message) -> Message:
    return message


@dataclass(frozen=True)
class Scenario:
    name: str
    client_should: str
    """One line: what a correct client does with the answer."""
    validity: Validity = "valid"
    faults: str = ""
    prepare: Callable[[Params], Params] = _identity_params
    reshape: Callable[[Params, Message], Message] = _identity_message
    stream: Callable[[list[Event]], list[Event]] = lambda events: events
    fragments: Fragments = json_fragments
    transport: Transport = PLAIN
    first_byte_delay: float = 0.0

    def faults_with(self, header: str | None) -> Faults:
        """The scenario's faults, then the request's own fault header (which wins where both speak)."""
        return parse_faults(",".join(part for part in (self.faults, header or "") if part))

    def events(self, message: Message, *, thinking_updates: bool = False) -> list[Event]:
        return self.stream(message_events(message, self.fragments, thinking_updates=thinking_updates))


NONE = Scenario("none", "nothing special: the plain deterministic answer")


# -- reshaping helpers -----------------------------------------------------------------------------


def _with_first_block(block: Mapping[str, Any]) -> Callable[[Params, Message], Message]:
    def reshape(params: Params, message: Message) -> Message:
        return {**message, "content": [dict(block), *message["content"]]}

    return reshape


def _append_to_first_text(suffix: str) -> Callable[[Params, Message], Message]:
    def reshape(params: Params, message: Message) -> Message:
        content = [dict(block) for block in message["content"]]
        for block in content:
            if block["type"] == "text":
                block["text"] += suffix
                break
        else:
            content.append({"type": "text", "text": suffix.strip()})
        usage = {**message["usage"], "output_tokens": message["usage"]["output_tokens"] + len(tokenize(suffix))}
        return {**message, "content": content, "usage": usage}

    return reshape


FALLBACK_MODEL = "claude-sonnet-4-5-20250929"


def _fallback(params: Params, message: Message) -> Message:
    """A fallback block first; the message is relabeled with the model that served it, as the API does."""
    block = {"type": "fallback", "from": {"model": params["model"]}, "to": {"model": FALLBACK_MODEL},
             "trigger": {"type": "refusal", "category": None}}
    return {**_with_first_block(block)(params, message), "model": FALLBACK_MODEL}


def _stream_starts_with_requested_model(events: list[Event]) -> list[Event]:
    """`message_start` names the requested model; the fallback block tells the client which one took over."""
    requested = next((data["content_block"]["from"]["model"] for name, data in events
                      if name == "content_block_start" and data["content_block"]["type"] == "fallback"), None)
    if requested is None or events[0][0] != "message_start":
        return events
    name, data = events[0]
    return [(name, {**data, "message": {**data["message"], "model": requested}}), *events[1:]]


def _long_text(params: Params, message: Message) -> Message:
    """`max_tokens` tokens of text (at most LONG_STREAM_MAX_TOKENS), ending on `max_tokens`."""
    count = min(int(params["max_tokens"]), LONG_STREAM_MAX_TOKENS)
    words = ("stream", "token", "delta", "event", "chunk", "reader", "buffer", "client")
    text = "".join((" " if i else "") + words[i % len(words)] for i in range(count))
    usage = {**message["usage"], "output_tokens": count}
    return {**message, "content": [{"type": "text", "text": text}], "stop_reason": "max_tokens", "stop_sequence": None, "usage": usage}


def _force_first_tool(params: Params) -> Params:
    custom = [tool for tool in params.get("tools") or () if isinstance(tool, Mapping) and "input_schema" in tool]
    if not custom:
        return params
    return {**params, "tool_choice": {"type": "tool", "name": custom[0]["name"], "disable_parallel_tool_use": True}}


def _tricky_tool_input(params: Params, message: Message) -> Message:
    """The first string property of each tool input becomes TRICKY_TEXT (when its schema allows any string)."""
    schemas = {tool["name"]: tool.get("input_schema") or {} for tool in params.get("tools") or () if isinstance(tool, Mapping)}
    content = []
    for block in message["content"]:
        if block["type"] == "tool_use":
            properties = schemas.get(block["name"], {}).get("properties") or {}
            plain = [name for name, schema in properties.items()
                     if isinstance(schema, Mapping) and schema.get("type") == "string" and not set(schema) & {"enum", "const", "pattern", "maxLength", "format"}]
            if plain:
                block = {**block, "input": {**block["input"], plain[0]: TRICKY_TEXT}}
        content.append(block)
    return {**message, "content": content}


_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\.")


def escape_split_fragments(value: Any) -> list[str]:
    """The input's ASCII JSON cut inside every escape sequence (`\\"` → `\\` | `"`, `\\u00e9` →
    `\\u00` | `e9`), so a surrogate pair is also cut between and inside its two halves."""
    text = json.dumps(value, ensure_ascii=True)
    cuts = sorted({m.start() + (1 if len(m.group()) == 2 else 4) for m in _ESCAPE.finditer(text)})
    pieces, start = [""], 0
    for cut in [*cuts, len(text)]:
        if cut > start:
            pieces.append(text[start:cut])
            start = cut
    return pieces


def _ping_between_every_event(events: list[Event]) -> list[Event]:
    ping: Event = ("ping", {"type": "ping"})
    out: list[Event] = []
    for event in events:
        if event[0] == "ping":
            continue
        if out:
            out.append(ping)
        out.append(event)
    return out


def _insert_after_first(kind: str, extra: Event) -> Callable[[list[Event]], list[Event]]:
    def stream(events: list[Event]) -> list[Event]:
        at = next((i for i, (name, _) in enumerate(events) if name == kind), 0) + 1
        return [*events[:at], extra, *events[at:]]

    return stream


def _without_message_stop(events: list[Event]) -> list[Event]:
    return [event for event in events if event[0] != "message_stop"]


def _unknown_delta(events: list[Event]) -> list[Event]:
    """A delta of an unknown type inside the first block, right after its start."""
    at = next((i for i, (name, _) in enumerate(events) if name == "content_block_start"), None)
    if at is None:
        return events
    index = events[at][1]["index"]
    delta: Event = ("content_block_delta", {"type": "content_block_delta", "index": index,
                                            "delta": {"type": "future_delta", "payload": "a delta type this client has not heard of"}})
    return [*events[: at + 1], delta, *events[at + 1 :]]


# -- the catalogue ---------------------------------------------------------------------------------

CATALOGUE: tuple[Scenario, ...] = (
    Scenario("mid_stream_error", "stream: raise the `error` event's error (overloaded_error) after the events before it; no final message",
             faults="stream_error_after=4"),
    Scenario("rate_limit", "retry the 429 after `retry-after` (0 s here) since `x-should-retry: true`; the retry succeeds",
             faults="rate_limit=0,until_retry=1"),
    Scenario("overloaded", "retry the 529 after `retry-after` (0 s) since `x-should-retry: true`; the retry succeeds",
             faults="overloaded=0,until_retry=1"),
    Scenario("overloaded_no_retry", "do not retry: `x-should-retry: false` overrides the 529; raise the overloaded error at once",
             faults="overloaded=0,should_retry=false"),
    Scenario("ping_storm", "ignore the `ping` sent between every two events; the message is unchanged",
             stream=_ping_between_every_event),
    Scenario("unknown_event", "skip an event type it does not know (`future_event`, after message_start)", validity="tolerant",
             stream=_insert_after_first("message_start", ("future_event", {"type": "future_event", "detail": "not known yet"}))),
    Scenario("unknown_block", "keep going past a content block of an unknown type (`future_block`, first in content)", validity="tolerant",
             reshape=_with_first_block({"type": "future_block", "detail": "a block type this client has not heard of"})),
    Scenario("unknown_delta", "skip a delta of an unknown type (`future_delta`) inside a known block", validity="tolerant",
             stream=_unknown_delta),
    Scenario("tool_json_split", "reassemble tool input whose JSON fragments are cut inside escape sequences and between "
             "the halves of a surrogate pair (needs a tool with a plain string property; it is called)",
             prepare=_force_first_tool, reshape=_tricky_tool_input, fragments=escape_split_fragments),
    Scenario("utf8_split", "decode UTF-8 across network reads: every frame arrives in two writes cut inside a multi-byte character",
             reshape=_append_to_first_text(MULTIBYTE_SUFFIX), transport=Transport(split_utf8=True)),
    Scenario("slow_first_byte", f"wait: nothing arrives for {FIRST_BYTE_DELAY:g} s (a client timeout shorter than that times out)",
             first_byte_delay=FIRST_BYTE_DELAY),
    Scenario("disconnect", f"stream: report a connection error when the server drops the connection after {DISCONNECT_AFTER} events",
             validity="invalid", transport=Transport(disconnect_after=DISCONNECT_AFTER)),
    Scenario("no_message_stop", "notice a stream that ends without `message_stop` (the official SDKs do not: they return what came)",
             validity="invalid", stream=_without_message_stop),
    Scenario("refusal", "surface `stop_reason: refusal` and its `stop_details`; no tool use", faults="refusal"),
    Scenario("pause_turn", "surface `stop_reason: pause_turn` (send the turn back to continue)", faults="pause_turn"),
    Scenario("compaction", "keep the `compaction` block (beta) first in content, streamed as one `compaction_delta`",
             reshape=_with_first_block({"type": "compaction", "content": "Summary of the earlier turns of this conversation.",
                                        "encrypted_content": "Q29tcGFjdGVkIGNvbnRleHQ="})),
    Scenario("redacted_thinking", "keep the `redacted_thinking` block (arrives whole, no delta) to send it back unchanged",
             reshape=_with_first_block({"type": "redacted_thinking", "data": "RWFzdGVyIGVnZyBmb3IgY2xpZW50IHRlc3Rz"})),
    Scenario("fallback", "keep the `fallback` block (beta) where a fallback model took over; the message names that model",
             reshape=_fallback, stream=_stream_starts_with_requested_model),
    Scenario("long_stream", f"stream `max_tokens` tokens of text (up to {LONG_STREAM_MAX_TOKENS}) without buffering it all or slowing down",
             reshape=_long_text),
    Scenario("request_id", "expose the `request-id` header every answer carries (message, stream, error)"),
)
BY_NAME: dict[str, Scenario] = {scenario.name: scenario for scenario in (NONE, *CATALOGUE)}


def find_scenario(name: str) -> Scenario:
    scenario = BY_NAME.get(name.strip().lower())
    if scenario is None:
        raise ApiError(400, f"{SCENARIO_HEADER}: unknown scenario {name!r} (`conformance serve --list-scenarios` lists them)")
    return scenario


def select_scenario(header: str | None, body: object) -> tuple[Scenario, object]:
    """The scenario a request asks for (the header wins over a `scenario:` model alias) and the
    body to answer, with the alias replaced by SCENARIO_MODEL."""
    model = body.get("model") if isinstance(body, dict) else None
    by_model = isinstance(model, str) and model.startswith(MODEL_PREFIX)
    if by_model:
        assert isinstance(body, dict)
        body = {**body, "model": SCENARIO_MODEL}
    if header and header.strip():
        return find_scenario(header), body
    if by_model:
        return find_scenario(str(model)[len(MODEL_PREFIX):]), body
    return NONE, body


def listing() -> str:
    """`conformance serve --list-scenarios`: one line per scenario."""
    width = max(len(s.name) for s in CATALOGUE)
    return "\n".join(f"{s.name:<{width}}  {s.validity:<8}  {s.client_should}" for s in CATALOGUE)
