"""What the checks look at: one request, its response (with its SSE frames when it streamed),
and what the checks report back (findings)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from urllib.parse import urlsplit

from conformance._sse import ParsedStream, SSEFrame, decompress, parse_sse

Severity = Literal["error", "warning"]
TransportKind = Literal["connection_lost", "timeout", "too_large", "malformed"]
_UNPARSED: Any = object()  # sentinel: a body not parsed yet (None is a parsed "not JSON")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # horizontal tab is allowed in header values


def header_dict(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> dict[str, str]:
    """Case-insensitive view of headers; repeated headers are joined with ", " as HTTP allows."""
    out: dict[str, str] = {}
    items = headers.items() if isinstance(headers, Mapping) else (headers or [])
    for name, value in items:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else str(value)
    return out


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    _json: Any = field(default=_UNPARSED, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = header_dict(self.headers)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    @property
    def is_valid_http(self) -> bool:
        """False when a header name or value holds a control character (NUL, CR, LF...): not an
        HTTP request at all (RFC 9110 §5.5). An HTTP parser, or the API's edge, rejects it before
        the API sees it, so the API's error envelope is not promised for the answer."""
        return not any(_CONTROL.search(name) or _CONTROL.search(value) for name, value in self.headers.items())

    def json(self) -> Any:
        """The body as JSON, or None when there is none or it is not JSON (parsed once: every
        check asks; treat the result as read-only)."""
        if self._json is _UNPARSED:
            try:
                self._json = json.loads(self.body) if self.body else None
            except (ValueError, RecursionError):  # a body nested deeper than Python's stack
                self._json = None
        return self._json


@dataclass(frozen=True)
class TransportFailure:
    """Why no whole HTTP response arrived: the connection was lost (reset, closed early, a body
    shorter than announced), a wait or the whole response took too long, the response grew past
    its byte limit, or what came back was not HTTP (garbage, oversized or too many headers, broken
    chunking). The `transport` checks report it; no other check judges such a response."""

    kind: TransportKind
    detail: str


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    """The body as received, decompressed (content-encoding undone)."""
    chunks: list[bytes] | None = None
    """The body as it arrived, chunk by chunk, when the transport kept chunk boundaries."""
    failure: TransportFailure | None = None
    """Set when the response did not arrive whole (status 0 when not even its head did); the
    body is then what arrived before the failure."""
    resent: TransportFailure | None = None
    """Set when the request's first connection was lost before any response and the request went
    again on a new one (engine._limits.resend): what the first attempt met. This response is the
    second attempt's."""
    _stream: ParsedStream | None = field(default=None, repr=False)
    _json: Any = field(default=_UNPARSED, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.headers = header_dict(self.headers)

    @classmethod
    def from_wire(cls, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes) -> Response:
        """Build from a body that may still be content-encoded (gzip, deflate)."""
        lowered = header_dict(headers)
        return cls(status, lowered, decompress(body, lowered.get("content-encoding")))

    @property
    def content_type(self) -> str:
        """The media type, lower-cased; '' when absent or not a media type (recorders redact
        header values, e.g. `**REDACTED**`, and a redacted value is no evidence either way)."""
        value = self.headers.get("content-type", "").split(";")[0].strip().lower()
        return value if "/" in value else ""

    @property
    def is_stream(self) -> bool:
        return self.content_type == "text/event-stream"

    @property
    def stream(self) -> ParsedStream:
        if self._stream is None:
            self._stream = parse_sse(self.body)
        return self._stream

    @property
    def frames(self) -> list[SSEFrame]:
        return self.stream.frames

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (parsed once: every check asks; treat the
        result as read-only)."""
        if self._json is _UNPARSED:
            try:
                self._json = json.loads(self.body)
            except (ValueError, RecursionError):  # a body nested deeper than Python's stack
                self._json = None
        return self._json

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Exchange:
    """One request and its response, plus what the engine knows about them."""

    request: Request
    response: Response
    operation_id: str | None = None
    """The contract operation the request was matched to (None: no operation matches)."""
    label: str = ""
    """Free text naming where the exchange came from (test case, cassette file and index...)."""
    expectation: Literal["valid", "invalid", "tolerated"] | None = None
    """What the request was generated to be: schema-valid; invalid (the API rejects it);
    tolerated (invalid only where servers may ignore it, e.g. an unknown query parameter); or
    unknown (recorded traffic). Acceptance checks judge the status against it."""
    expected_status: int | None = None
    """The status the API answers this request with, when the engine knows it (a probe)."""
    mutation: dict[str, str] | None = None
    """For a generated invalid request, what the generator changed (schemathesis's description,
    location and parameter): the expectation is derived from it, so a recording replayed later is
    judged by the current rule, not the one it was recorded under."""


@dataclass
class Scenario:
    """Several exchanges that only mean something together, as a typed record: a stream and its
    non-stream twin, a pagination walk, a batch's life. Checks register for a scenario type
    (`conformance.checks.check(..., on=StreamPair)`); drivers in the engine build them. Each
    subclass is a dataclass whose Exchange fields (single or lists) are its exchanges and whose
    other fields are what the driver knows (the page limit, the uploaded bytes...)."""

    operation_id: str | None

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange of the scenario, in field order."""
        found: list[Exchange] = []
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Exchange):
                found.append(value)
            elif isinstance(value, list) and all(isinstance(v, Exchange) for v in value):
                found.extend(value)
        return found


@dataclass
class StreamPair(Scenario):
    """The same Messages request sent without and with `stream`."""

    plain: Exchange
    streamed: Exchange


@dataclass
class CompletionPair(Scenario):
    """The same legacy /v1/complete request sent without and with `stream`."""

    plain: Exchange
    streamed: Exchange


@dataclass
class CountPair(Scenario):
    """count_tokens of a request, beside the message created from it."""

    counted: Exchange
    created: Exchange


@dataclass
class PaginationWalk(Scenario):
    """A list walked page by page with `after_id`, beside the whole list fetched at once."""

    pages: list[Exchange]
    limit: int
    all_ids: list[str]
    truncated: bool
    """The walk or the whole list stopped before the end (too many pages or items)."""


@dataclass
class BatchLifecycle(Scenario):
    """A batch created, polled until it ended, its results read and deleted; each step labelled
    (`create`, `results_before_end`, `poll 2`, `results`, `delete`...)."""

    steps: list[Exchange]
    custom_ids: list[str]


@dataclass
class FileRoundTrip(Scenario):
    """A file uploaded, its metadata and bytes read, deleted, then looked up again; each step labelled."""

    steps: list[Exchange]
    content: bytes


@dataclass
class ExpectedStop(Scenario):
    """A Messages request built so the API stops for a known reason."""

    exchange: Exchange
    stop_reason: str
    stop_sequence: str | None = None


SCENARIO_TYPES: dict[str, type[Scenario]] = {
    cls.__name__: cls
    for cls in (StreamPair, CompletionPair, CountPair, PaginationWalk, BatchLifecycle, FileRoundTrip, ExpectedStop)
}
"""Every scenario type by name (how a recording names them)."""


@dataclass(frozen=True)
class Finding:
    """One departure from the contract, as a check reports it."""

    check_id: str
    """Stable id, e.g. `sse.event_order`; documented in docs/checks.md."""
    severity: Severity
    message: str
    operation_id: str | None = None
    location: str | None = None
    """Where in the exchange: a JSON pointer into the body, `event #3`, a header name..."""
    reproducer: str | None = None
    """A curl command that reproduces the request, with secrets scrubbed."""
    related: tuple[Finding, ...] = ()
    """When this finding stands for a cause (engine.group_causes): the other findings it caused."""

    @property
    def key(self) -> tuple[str, str | None, str]:
        """What makes two findings the same: a run keeps one per check, operation and message."""
        return self.check_id, self.operation_id, self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "severity": self.severity,
            "message": self.message,
            "operation_id": self.operation_id,
            "location": self.location,
            "reproducer": self.reproducer,
        }
