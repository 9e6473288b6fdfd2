"""Deliberately broken servers: the reference server with exactly one thing wrong.

Each is the reference app (`conformance.server.create_app()`) behind `Broken`, a small ASGI wrapper
with at most one request hook (rewrite the request, or answer it instead of the server) and one
response hook (rewrite the buffered response). `CASES` maps a name to the app factory, the check id
that must fail against it and the focused run that shows it (test_broken_servers.py runs them).

Most breaks copy a departure compatible servers were seen to make (the catalogue ids of
compat-bugs.md are in parentheses). The wrapper keeps the rest of each answer genuine, so the
expected check is the one that has to notice; others may notice too.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance._sse import encode_sse, parse_sse
from conformance.contract import load_contract
from conformance.engine import RunConfig
from conformance.server import create_app

API_KEY = "test-key"
STRICT_PROFILE = Path(__file__).with_name("broken-servers.toml")
"""The reference profile with every warning-level check raised to an error (so those can fail too)."""

# --------------------------------------------------------------------------------------------
# The wrapper


@dataclass(frozen=True)
class Call:
    """The request as the wrapper received it (body read in full)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in reversed(self.headers) if k == name.lower()), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def matches(self, method: str, path: str) -> bool:
        """Method and path match (both full-match regexes)."""
        return re.fullmatch(method, self.method) is not None and re.fullmatch(path, self.path) is not None


@dataclass
class Reply:
    """A response, buffered in full so a hook can rewrite any part of it."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_json(self, value: Any) -> Reply:
        return replace(self, body=json.dumps(value).encode())


RequestHook = Callable[[Call], Call | Reply]
"""Returns the call to forward (maybe rewritten), or a Reply to answer instead of the server."""
ResponseHook = Callable[[Call, Reply], Reply]


_REQUEST_IDS = itertools.count(1)


def json_reply(status: int, body: Any) -> Reply:
    """An answer the wrapper makes itself, with the `request-id` every API answer carries (the
    wrapper must not break that too)."""
    headers = {"content-type": "application/json", "request-id": f"req_011CBroken{next(_REQUEST_IDS):014d}"}
    return Reply(status, headers, json.dumps(body).encode())


def api_error(status: int, error_type: str, message: str) -> Reply:
    """An answer in the API's own error envelope (what the reference server would send)."""
    return json_reply(status, {"type": "error", "error": {"type": error_type, "message": message}})


class Broken:
    """An ASGI app: `inner` behind an optional request hook and an optional response hook."""

    def __init__(
        self, inner: ASGIApp, *, request: RequestHook | None = None, response: ResponseHook | None = None
    ) -> None:
        self.inner = inner
        self.request = request
        self.response = response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        call = Call(
            method=scope["method"],
            path=scope["path"],
            query=parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
            headers=tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]),
            body=await _read_body(receive),
        )
        outcome = self.request(call) if self.request is not None else call
        if isinstance(outcome, Reply):
            reply = outcome
        else:
            reply = await _forward(self.inner, scope, outcome, receive)
            if self.response is not None:
                reply = self.response(outcome, reply)
        await _send(reply, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _forward(app: ASGIApp, scope: Scope, call: Call, receive: Receive) -> Reply:
    """Run `call` through the app and buffer what it sends (streams end, so this terminates)."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in call.headers if k != "content-length"]
    headers.append((b"content-length", str(len(call.body)).encode()))
    inner_scope = {**scope, "headers": headers, "query_string": urlencode(call.query, doseq=True).encode()}
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": call.body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as the server's would

    reply = Reply(500)
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(inner_scope, replay, collect)
    reply.body = b"".join(chunks)
    return reply


async def _send(reply: Reply, send: Send) -> None:
    headers = {k: v for k, v in reply.headers.items() if k not in ("content-length", "transfer-encoding")}
    if reply.status not in (204, 304):
        headers["content-length"] = str(len(reply.body))
    await send({"type": "http.response.start", "status": reply.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": b"" if reply.status in (204, 304) else reply.body})


def broken(*, request: RequestHook | None = None, response: ResponseHook | None = None) -> Callable[[], ASGIApp]:
    """A factory of fresh broken apps (a fresh reference server each, so no state is shared)."""
    return lambda: Broken(create_app(), request=request, response=response)


# --------------------------------------------------------------------------------------------
# Hook builders


def on_json(method: str, path: str, edit: Callable[[Any], Any]) -> ResponseHook:
    """Edit the JSON body of 200 answers to `method` (a regex) on `path` (a regex); `edit` returns
    the new body (it may edit the old one in place and return it)."""

    def hook(call: Call, reply: Reply) -> Reply:
        if not call.matches(method, path) or reply.status != 200 or reply.content_type != "application/json":
            return reply
        return reply.with_json(edit(reply.json()))

    return hook


def on_message_requests(edit: Callable[[dict[str, Any]], None]) -> RequestHook:
    """Rewrite the JSON body of `POST /v1/messages` (in place) before the server sees it."""

    def hook(call: Call) -> Call:
        body = call.json()
        if not call.matches("POST", "/v1/messages") or not isinstance(body, dict):
            return call
        edit(body)
        return replace(call, body=json.dumps(body).encode())

    return hook


@dataclass
class Event:
    """One SSE frame of a Messages stream: its `event:` name and its JSON data (edited in place)."""

    name: str
    data: dict[str, Any]


EventsEdit = Callable[[list[Event]], list[Event]]


def on_streams(edit: EventsEdit, *, event_lines: bool = True, path: str = "/v1/messages") -> ResponseHook:
    """Edit the events of `POST {path}` streams; re-encode them, without `event:` lines if
    `event_lines` is False."""

    def hook(call: Call, reply: Reply) -> Reply:
        if not call.matches("POST", path) or reply.status != 200 or reply.content_type != "text/event-stream":
            return reply
        events = edit([Event(str(f.event), f.json()) for f in parse_sse(reply.body).frames])
        if event_lines:
            body = b"".join(encode_sse(e.name, e.data) for e in events)
        else:
            body = b"".join(f"data: {json.dumps(e.data)}\n\n".encode() for e in events)
        return replace(reply, body=body)

    return hook


def _named(events: Iterable[Event], *names: str) -> Iterator[Event]:
    return (e for e in events if e.name in names)


def _deltas(events: Iterable[Event], delta_type: str) -> Iterator[dict[str, Any]]:
    return (e.data["delta"] for e in _named(events, "content_block_delta") if e.data["delta"].get("type") == delta_type)


def unchanged(events: list[Event]) -> list[Event]:
    return events


# --------------------------------------------------------------------------------------------
# The breaks. Stream edits first, then Message, request and resource breaks.


def message_start_after_first_block(events: list[Event]) -> list[Event]:
    """content_block_start before message_start (C2: SDK 0.x raises 'Unexpected event order')."""
    first = next(i for i, e in enumerate(events) if e.name == "content_block_start")
    return [*events[1 : first + 1], events[0], *events[first + 1 :]]


def no_message_stop(events: list[Event]) -> list[Event]:
    """The stream ends after message_delta: no message_stop (a common proxy truncation)."""
    return [e for e in events if e.name != "message_stop"]


def every_block_index_zero(events: list[Event]) -> list[Event]:
    """A server that does not count blocks: every block is index 0 (C4)."""
    for event in _named(events, "content_block_start", "content_block_delta", "content_block_stop"):
        event.data["index"] = 0
    return events


def text_as_thinking_delta(events: list[Event]) -> list[Event]:
    """Text streamed as thinking_delta inside a text block (C6: the SDK silently drops it)."""
    for delta in _deltas(events, "text_delta"):
        delta["type"], delta["thinking"] = "thinking_delta", delta.pop("text")
    return events


def cut_input_json(events: list[Event]) -> list[Event]:
    """Each tool block's input JSON loses its last character (D1: the closing brace never sent)."""
    last: dict[int, dict[str, Any]] = {}
    for event in _named(events, "content_block_delta"):
        delta = event.data["delta"]
        if delta.get("type") == "input_json_delta" and delta.get("partial_json"):
            last[event.data["index"]] = delta
    for delta in last.values():
        delta["partial_json"] = delta["partial_json"][:-1]
    return events


def usage_as_increments(events: list[Event]) -> list[Event]:
    """message_delta usage counts what came since message_start, not running totals (F1)."""
    start = next(_named(events, "message_start")).data["message"]["usage"]
    for event in _named(events, "message_delta"):
        usage = event.data["usage"]
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
            if key in usage:
                usage[key] = 0  # no new input since the start
        usage["output_tokens"] -= start.get("output_tokens") or 0
    return events


def shout_streamed_text(events: list[Event]) -> list[Event]:
    """The stream's text differs from the JSON answer's (J1: two code paths that drifted apart)."""
    for delta in _deltas(events, "text_delta"):
        delta["text"] = delta["text"].upper()
    return events


def shout_completion_text(events: list[Event]) -> list[Event]:
    """The /v1/complete stream's text differs from the JSON completion's."""
    for event in events:
        if event.name == "completion" and isinstance(event.data.get("completion"), str):
            event.data["completion"] = event.data["completion"].upper()
    return events


def output_tokens_as_string(events: list[Event]) -> list[Event]:
    """message_start.usage.output_tokens as a string (a serializer that quotes numbers)."""
    for event in _named(events, "message_start"):
        usage = event.data["message"]["usage"]
        usage["output_tokens"] = str(usage["output_tokens"])
    return events


def logprobs_in_deltas(events: list[Event]) -> list[Event]:
    """An extra `logprobs` field on every content_block_delta (an OpenAI-compatible leftover)."""
    for event in _named(events, "content_block_delta"):
        event.data["logprobs"] = None
    return events


def swap_stop_reason(old: str, new: str) -> ResponseHook:
    """Report stop_reason `new` where the model stopped for `old`, streamed or not."""

    def edit(holder: dict[str, Any]) -> dict[str, Any]:  # a Message, or a message_delta's `delta`: same keys
        if holder.get("stop_reason") == old:
            holder["stop_reason"] = new
        return holder

    def edit_events(events: list[Event]) -> list[Event]:
        for event in _named(events, "message_delta"):
            edit(event.data["delta"])
        return events

    json_hook, stream_hook = on_json("POST", "/v1/messages", edit), on_streams(edit_events)
    return lambda call, reply: stream_hook(call, json_hook(call, reply))


def ignore_stop_sequences(body: dict[str, Any]) -> None:
    body.pop("stop_sequences", None)


def ignore_max_tokens(body: dict[str, Any]) -> None:
    """Generate as if max_tokens were generous (E2: the limit is only used for validation)."""
    if isinstance(body.get("max_tokens"), int):
        body["max_tokens"] = max(body["max_tokens"], 1024)


def malformed_json_is_500(call: Call) -> Call | Reply:
    """A JSON decoding error escapes as an internal error (B3)."""
    declared_json = call.header("content-type") == "application/json"
    if call.method == "POST" and call.body and declared_json and call.json() is None:
        return api_error(500, "api_error", "Internal server error")
    return call


def no_count_tokens(call: Call) -> Call | Reply:
    """The server has no count_tokens route (G1)."""
    if call.matches("POST", "/v1/messages/count_tokens"):
        return api_error(404, "not_found_error", f"Not found: {call.method} {call.path}")
    return call


def no_models_list(call: Call) -> Call | Reply:
    """The server has no GET /v1/models route (G1: some mocks serve /models only)."""
    if call.matches("GET", "/v1/models"):
        return api_error(404, "not_found_error", f"Not found: {call.method} {call.path}")
    return call


def no_authentication(call: Call) -> Call:
    """Any request is served, with or without an API key (local servers often skip auth)."""
    if call.header("x-api-key") or call.header("authorization"):
        return call
    return replace(call, headers=(*call.headers, ("x-api-key", API_KEY)))


def forced_tool_choice_rejected(call: Call) -> Call | Reply:
    """tool_choice any/tool answered 400 (D3: servers whose models cannot be forced to call a tool)."""
    body = call.json()
    choice = body.get("tool_choice") if call.matches("POST", "/v1/messages") and isinstance(body, dict) else None
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return api_error(400, "invalid_request_error", f"tool_choice {choice['type']!r} is not supported")
    return call


CANNED_MESSAGE = {
    "id": "msg_01Canned", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
    "content": [{"type": "text", "text": "Hello."}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 1, "output_tokens": 2},
}


def schema_invalid_messages_accepted(call: Call) -> Call | Reply:
    """No schema validation: a Create Message body that breaks the contract gets a canned Message.
    Rules beyond the schema (which the reference enforces) still get their 400."""
    body = call.json()
    if not call.matches("POST", "/v1/messages") or body is None:
        return call
    contract = load_contract()
    pointer = contract.request_schema_pointer("createMessage")
    if pointer is None or not contract.validate(pointer, body):
        return call
    return json_reply(200, CANNED_MESSAGE)


def unknown_routes_answered(call: Call) -> Call | Reply:
    """A catch-all route: paths the API does not have answer 200 (A2: "returning 200 anyway")."""
    if load_contract().match(call.method, call.path, urlencode(call.query, doseq=True)) is None:
        return json_reply(200, {})
    return call


def openai_error_envelope(call: Call, reply: Reply) -> Reply:
    """Errors in OpenAI's shape, {"error": {message, type, param, code}} (B1)."""
    body = reply.json()
    if reply.status < 400 or not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return reply
    error = body["error"]
    return reply.with_json({"error": {"message": error.get("message"), "type": error.get("type"), "param": None,
                                      "code": None}})


def no_request_id(call: Call, reply: Reply) -> Reply:
    return replace(reply, headers={k: v for k, v in reply.headers.items() if k != "request-id"})


def count_tokens_overhead(body: dict[str, Any]) -> dict[str, Any]:
    """count_tokens adds a few tokens the message does not use (another tokenizer or template)."""
    body["input_tokens"] += 3
    return body


def openai_model_list(body: dict[str, Any]) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": m["id"], "object": "model", "created": 0, "owned_by": "anthropic"}
                                       for m in body["data"]]}


def models_with_owner(body: dict[str, Any]) -> dict[str, Any]:
    """An undocumented extra field on each model (tolerated, but not in the strict contract)."""
    for model in body["data"]:
        model["owned_by"] = "anthropic"
    return body


def models_as_text(call: Call, reply: Reply) -> Reply:
    """The JSON is right; the declared content type is not."""
    if not call.matches("GET", "/v1/models") or reply.status != 200:
        return reply
    return replace(reply, headers={**reply.headers, "content-type": "text/plain; charset=utf-8"})


def models_ignore_cursor(call: Call) -> Call:
    """Model lists ignore `after_id`: every page is the first page again (G2)."""
    if not call.matches("GET", "/v1/models"):
        return call
    return replace(call, query={k: v for k, v in call.query.items() if k not in ("after_id", "before_id")})


def batch_counts_off(body: dict[str, Any]) -> dict[str, Any]:
    """request_counts that count one request too many (G3)."""
    if body.get("type") == "message_batch":
        body["request_counts"]["processing"] += 1
    return body


_UPLOADS: dict[str, bytes] = {}
"""What file_bytes_changed saw uploaded, by file id (the reference server, like the API, serves no upload back)."""


def file_bytes_changed(call: Call, reply: Reply) -> Reply:
    """Uploads are served back with their line endings translated, as a text-mode file read would."""
    if call.matches("POST", r"/v1/files") and reply.status == 200:
        part = call.body.split(b"\r\n\r\n", 1)[-1].rsplit(b"\r\n--", 1)[0]  # the one file part of the multipart body
        _UPLOADS[json.loads(reply.body)["id"]] = part
    if call.matches("GET", r"/v1/files/[^/]+/content") and call.path.split("/")[3] in _UPLOADS:
        served = _UPLOADS[call.path.split("/")[3]].replace(b"\n", b"\r\n")
        return Reply(200, {"content-type": "application/octet-stream", "request-id": reply.headers.get("request-id", "req_x")}, served)
    return reply


def file_delete_no_content(call: Call, reply: Reply) -> Reply:
    """DELETE answers 204 No Content (a REST habit) where the API answers 200 with a body."""
    if call.matches("DELETE", r"/v1/files/[^/]+") and reply.status == 200:
        return Reply(204, {k: v for k, v in reply.headers.items() if k != "content-type"})
    return reply


# --------------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Focus:
    """A focused run: the operations a break needs and the suite tests that exercise them."""

    name: str
    include: tuple[str, ...]
    tests: str
    """A pytest -k expression over conformance.suite (the scenario tests, each a few requests)."""
    profile: str = str(STRICT_PROFILE)
    max_examples: int = 2
    slow: bool = False

    def options(self, base_url: str) -> RunConfig:
        return RunConfig(base_url=base_url, api_key=API_KEY, profile=self.profile, include=list(self.include),
                          max_examples=self.max_examples, quiet=True, pytest_args=["-k", self.tests, "--tb=line"])


MESSAGES = Focus("messages", ("createMessage",), "test_semantics or test_generated_messages_stream_like_non_stream")
PROBES = Focus("probes", ("createMessage",), "test_error_probes")
COUNT = Focus("count_tokens", ("countMessageTokens", "createMessage"), "test_count_tokens_matches_usage")
MODELS = Focus("models", ("listModels",), "test_models_pagination")
BATCHES = Focus("batches", ("createMessageBatch", "getMessageBatch", "getMessageBatchResults", "deleteMessageBatch",
                            "listMessageBatches"), "test_batch_lifecycle_and_pagination")
FILES = Focus("files", ("uploadFile", "getFileMetadata", "downloadFile", "deleteFile"), "test_file_round_trip")
# Generated (schemathesis) traffic: the only requests marked `invalid` without a fixed status (two
# examples is the fewest that yields negative createMessage cases). The reference server rejects
# some schema-valid requests on purpose (rules a schema cannot state), so acceptance.valid_accepted
# stays a warning here.
GENERATED = Focus("generated", ("createMessage",), "test_operation", profile="reference", max_examples=2, slow=True)
COMPLETE = Focus("complete", ("createCompletion",), "test_completion_streams_like_non_stream")
FOCUSES = (MESSAGES, PROBES, COUNT, MODELS, BATCHES, FILES, COMPLETE, GENERATED)


@dataclass(frozen=True)
class Case:
    factory: Callable[[], ASGIApp]
    check_id: str
    """The check that must report an error against this server."""
    focus: Focus
    bug: str | None = None
    """Set when the check misses this break today: the case is an expected failure, with the reason."""


CASES: dict[str, Case] = {
    # The families the issue names ("Proof that the checks can fail").
    "events out of order": Case(broken(response=on_streams(message_start_after_first_block)), "sse.message_start",
                                MESSAGES),
    "data-only frames": Case(broken(response=on_streams(unchanged, event_lines=False)), "sse.event_line", MESSAGES),
    "duplicate block index": Case(broken(response=on_streams(every_block_index_zero)), "sse.block_lifecycle",
                                  MESSAGES),
    "thinking_delta in a text block": Case(broken(response=on_streams(text_as_thinking_delta)), "sse.delta_type",
                                           MESSAGES),
    "truncated input_json": Case(broken(response=on_streams(cut_input_json)), "sse.input_json", MESSAGES),
    "end_turn where tool_use": Case(broken(response=swap_stop_reason("tool_use", "end_turn")),
                                    "meaning.tool_use_stop_reason", MESSAGES),
    "stop sequences ignored": Case(broken(request=on_message_requests(ignore_stop_sequences)), "meaning.stop_sequence",
                                   MESSAGES),
    "max_tokens ignored": Case(broken(request=on_message_requests(ignore_max_tokens)), "meaning.max_tokens", MESSAGES),
    "OpenAI-style error envelope": Case(broken(response=openai_error_envelope), "errors.envelope", PROBES),
    "500 on malformed JSON": Case(broken(request=malformed_json_is_500), "acceptance.no_server_error", PROBES),
    # A valid count request with a model the target lists must be answered 200 (catalogue G1).
    "no count_tokens": Case(broken(request=no_count_tokens), "acceptance.expected_status", COUNT),
    "no models list": Case(broken(request=no_models_list), "acceptance.expected_status", MODELS),
    "models in the wrong shape": Case(broken(response=on_json("GET", "/v1/models", openai_model_list)), "schema.body",
                                      MODELS),
    "complete stream differs from non-streaming": Case(broken(response=on_streams(shout_completion_text, path="/v1/complete")),
                                                       "equivalence.completion_stream_matches", COMPLETE),
    "no message_stop": Case(broken(response=on_streams(no_message_stop)), "sse.terminal", MESSAGES),
    "non-cumulative usage": Case(broken(response=on_streams(usage_as_increments)), "sse.usage_cumulative", MESSAGES),
    "streaming differs from non-streaming": Case(broken(response=on_streams(shout_streamed_text)),
                                                 "equivalence.stream_matches", MESSAGES),
    "pagination repeats items": Case(broken(request=models_ignore_cursor), "pagination.walk", MODELS),
    "batch counts do not sum": Case(broken(response=on_json("GET|POST", r"/v1/messages/batches(/[^/]+)?",
                                                            batch_counts_off)), "batches.lifecycle", BATCHES),
    "file bytes changed": Case(broken(response=file_bytes_changed), "files.round_trip", FILES),
    # One more server for each check that no unit test under tests/checks/ makes fail.
    "count_tokens off by a few": Case(broken(response=on_json("POST", "/v1/messages/count_tokens",
                                                              count_tokens_overhead)),
                                      "tokens.count_matches_usage", COUNT),
    "max_tokens stop reported as end_turn": Case(broken(response=swap_stop_reason("max_tokens", "end_turn")),
                                                 "meaning.stop_reason_expected", MESSAGES),
    "no authentication": Case(broken(request=no_authentication), "acceptance.expected_status", PROBES),
    "forced tool_choice rejected": Case(broken(request=forced_tool_choice_rejected), "acceptance.valid_accepted",
                                        MESSAGES),
    "schema-invalid requests accepted": Case(broken(request=schema_invalid_messages_accepted),
                                             "acceptance.invalid_rejected", GENERATED),
    "catch-all route": Case(broken(request=unknown_routes_answered), "schema.operation", PROBES),
    "DELETE answers 204": Case(broken(response=file_delete_no_content), "schema.status", FILES),
    "JSON served as text/plain": Case(broken(response=models_as_text), "schema.content_type", MODELS),
    "no request-id header": Case(broken(response=no_request_id), "schema.request_id", MODELS),
    "extra field on models": Case(broken(response=on_json("GET", "/v1/models", models_with_owner)),
                                  "schema.body_strict", MODELS),
    "output_tokens as a string": Case(broken(response=on_streams(output_tokens_as_string)), "schema.event", MESSAGES),
    "logprobs in deltas": Case(broken(response=on_streams(logprobs_in_deltas)), "schema.event_strict", MESSAGES),
}
