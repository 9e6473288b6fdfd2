"""A recording is what each suite test judged, written as the test ran; a replay judges it again.

One file per test, `<module>/<test>.json.gz`: a vcrpy cassette (version 1, JSON, gzip), so vcrpy,
`zcat | jq` and `conformance validate` read its interactions, plus what the engine knew about each
exchange (its operation, its expectation or the mutation that made it invalid, the status the
engine expected) and the test's judge calls in order (an exchange alone, or a typed scenario: a
stream and its twin, a pagination walk, a batch's life, its exchanges by number). Replaying makes
those calls again with the current checks: nothing is generated and nothing is sent, so a
recording outlives the libraries that generated it.

Secrets are scrubbed on the way in (`Scrubber`), and bodies are stored as the checks saw them
(content-encoding undone): text as text, other bytes as base64.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance._exchange import SCENARIO_TYPES, Exchange, Request, Response, TransportFailure, header_dict
from conformance._reproduce import scrub_headers, scrub_text
from conformance.cassettes._read import CassetteError, _body_bytes, _header_pairs, _read_bytes
from conformance.engine import Judged, mutation_expectation

# Request headers that describe one send, not the request (the embedded server's port, the client's
# version, a random test-case id): neither recorded nor matched, so a recording of the same run is
# the same file.
VOLATILE_HEADERS = frozenset(
    {"user-agent", "x-schemathesis-testcaseid", "host", "content-length", "accept-encoding", "connection"}
)
FINGERPRINT_FILE = "run.json"
"""A recording's description of its run (`cassettes._record.run_header`) and its verdicts."""
FORMAT = 2
"""The recording format. 1 was request-level vcrpy cassettes replayed by generating again."""
SUFFIX = ".json.gz"
_BYTES = "$bytes"
_EXCHANGE = "$exchange"


@dataclass(frozen=True)
class Scrubber:
    """What never reaches a recording: `conformance._reproduce`'s secrets (credential and identity
    headers by name, `sk-ant-` keys anywhere) and this run's own key wherever a server echoes it,
    whatever it looks like."""

    secrets: tuple[str, ...] = ()

    def text(self, text: str) -> str:
        return scrub_text(text, self.secrets)

    def body(self, body: bytes) -> bytes:
        """`text` for a body of any bytes (non-UTF-8 bytes are kept as they are)."""
        if b"sk-ant-" not in body and not any(s.encode() in body for s in self.secrets):
            return body  # the common case: the bytes stay untouched, no decoding
        return self.text(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def headers(self, headers: Mapping[str, str] | Sequence[tuple[str, str]]) -> dict[str, str]:
        items = headers.items() if isinstance(headers, Mapping) else headers
        return {name: self.text(value) for name, value in scrub_headers(items).items()}


@dataclass
class RecordedTest:
    """One suite test as it ran: its judge calls in order, and how it ended."""

    nodeid: str
    order: int
    """Its place in the collected suite: a replay goes in this order, whatever the workers did."""
    outcome: str = "passed"
    """passed, failed, skipped or error."""
    message: str | None = None
    """The skip reason, or the failure text (scrubbed, cut short)."""
    duration: float = 0.0
    unsupported: dict[str, str] = field(default_factory=dict)
    """Operations the test found the target does not offer."""
    steps: list[Judged] = field(default_factory=list)

    @property
    def operation_ids(self) -> set[str]:
        return {op for step in self.steps for op in _step_operations(step) if op}


def _step_operations(step: Judged) -> Iterator[str | None]:
    if step.scenario is not None:
        yield step.scenario.operation_id
        yield from (exchange.operation_id for exchange in step.scenario.exchanges)
    elif step.exchange is not None:
        yield step.exchange.operation_id


def target_name(base_url: str | None) -> str:
    """The cassette folder of a target: `reference` for the embedded server, else host[-port]."""
    if base_url is None:
        return "reference"
    netloc = urlsplit(base_url).netloc or base_url
    return re.sub(r"[^A-Za-z0-9._-]+", "-", netloc.rsplit("@", 1)[-1]).strip("-") or "target"


def rebase(url: str, base: str | None) -> str:
    """`url` with the scheme and host of `base` (the embedded server's port changes every run)."""
    if not base:
        return url
    parts, fixed = urlsplit(url), urlsplit(base)
    return urlunsplit((fixed.scheme, fixed.netloc, parts.path, parts.query, parts.fragment))


# --- writing -----------------------------------------------------------------------------------


def write_test(path: Path, test: RecordedTest, *, scrubber: Scrubber, base: str | None = None) -> None:
    """Write one test's recording (atomically: never a truncated file)."""
    exchanges: list[Exchange] = []
    index: dict[int, int] = {}

    def number(exchange: Exchange) -> int:
        if id(exchange) not in index:
            index[id(exchange)] = len(exchanges)
            exchanges.append(exchange)
        return index[id(exchange)]

    steps: list[dict[str, Any]] = []
    for step in test.steps:
        if step.scenario is not None:
            scenario = step.scenario
            steps.append({"scenario": type(scenario).__name__, "judge_exchanges": step.judge_exchanges,
                          "fields": {item.name: _field(getattr(scenario, item.name), number)
                                     for item in fields(scenario)}})
        elif step.exchange is not None:
            steps.append({"exchange": number(step.exchange)})
    document = {
        "version": 1,
        "interactions": [_interaction(exchange, scrubber, base) for exchange in exchanges],
        "conformance": {"format": FORMAT, "test": test.nodeid, "order": test.order, "outcome": test.outcome,
                        "message": scrubber.text(test.message) if test.message else None,
                        "duration": round(test.duration, 3), "unsupported": test.unsupported, "steps": steps},
    }
    data = gzip.compress(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), 9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.part")
    temporary.write_bytes(data)
    temporary.replace(path)


def _interaction(exchange: Exchange, scrubber: Scrubber, base: str | None) -> dict[str, Any]:
    request, response = exchange.request, exchange.response
    meta = {"operation_id": exchange.operation_id, "label": exchange.label, "expectation": exchange.expectation,
            "expected_status": exchange.expected_status, "mutation": exchange.mutation}
    for key, failure in (("transport_failure", response.failure), ("resent", response.resent)):
        if failure is not None:  # a replay judges it by the transport checks again
            meta[key] = {"kind": failure.kind, "detail": scrubber.text(failure.detail)}
    return {
        "request": {"method": request.method, "uri": scrubber.text(rebase(request.url, base)),
                    "headers": _headers(scrubber.headers([(k, v) for k, v in request.headers.items()
                                                          if k not in VOLATILE_HEADERS])),
                    "body": _body(scrubber.body(request.body)) if request.body is not None else None},
        "response": {"status": {"code": response.status, "message": ""},
                     "headers": _headers(scrubber.headers(response.headers)),
                     "body": _body(scrubber.body(response.body))},
        "conformance": {key: value for key, value in meta.items() if value is not None},
    }


def _headers(headers: Mapping[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in headers.items()}


def _body(data: bytes) -> dict[str, str]:
    try:
        return {"string": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64_string": base64.b64encode(data).decode()}


def _field(value: Any, number: Callable[[Exchange], int]) -> Any:
    """A scenario's field as JSON: exchanges by their number in the file, bytes tagged."""
    if isinstance(value, Exchange):
        return {_EXCHANGE: number(value)}
    if isinstance(value, list) and value and all(isinstance(v, Exchange) for v in value):
        return [{_EXCHANGE: number(v)} for v in value]
    return _encode(value)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any, exchanges: Sequence[Exchange]) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES}:
            return base64.b64decode(value[_BYTES])
        if set(value) == {_EXCHANGE}:
            return exchanges[int(value[_EXCHANGE])]
        return {k: _decode(v, exchanges) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, exchanges) for v in value]
    return value


# --- reading -----------------------------------------------------------------------------------


def is_recorded_test(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("conformance"), dict) and "interactions" in document


def read_test(path: Path) -> RecordedTest:
    """One test's recording; CassetteError (one line naming the file) when it cannot be read."""
    try:
        document = json.loads(_read_bytes(path))
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested past what Python parses
        raise CassetteError(f"{path}: not a recording (JSON): {type(exc).__name__}: {str(exc)[:200]}") from None
    if not is_recorded_test(document):
        raise CassetteError(f"{path}: not a conformance recording (no `conformance` section)")
    meta = document["conformance"]
    if meta.get("format") != FORMAT:
        raise CassetteError(f"{path}: recording format {meta.get('format')!r}, this version reads {FORMAT}")
    try:
        exchanges = [_exchange(interaction) for interaction in document["interactions"]]
        steps = [_step(step, exchanges) for step in meta["steps"]]
        return RecordedTest(str(meta["test"]), int(meta["order"]), str(meta["outcome"]), meta.get("message"),
                            float(meta.get("duration") or 0), dict(meta.get("unsupported") or {}), steps)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise CassetteError(f"{path}: malformed recording: {type(exc).__name__}: {exc}") from None


def _failure(recorded: Any) -> TransportFailure | None:
    return TransportFailure(recorded["kind"], str(recorded["detail"])) if recorded else None


def _exchange(interaction: Mapping[str, Any]) -> Exchange:
    request, response, meta = interaction["request"], interaction["response"], interaction.get("conformance") or {}
    operation_id = meta.get("operation_id")
    mutation = meta.get("mutation")
    failure, resent = (_failure(meta.get(key)) for key in ("transport_failure", "resent"))
    return Exchange(
        Request(str(request["method"]), str(request["uri"]), header_dict(_header_pairs(request.get("headers"))),
                _body_bytes(request.get("body"))),
        # As the checks saw it: already decoded, so not `Response.from_wire`.
        Response(int(response["status"]["code"]), header_dict(_header_pairs(response.get("headers"))),
                 _body_bytes(response.get("body")) or b"", failure=failure, resent=resent),
        operation_id=operation_id,
        label=str(meta.get("label") or ""),
        # The current rule decides what a generated invalid request deserves.
        expectation=mutation_expectation(mutation, operation_id) if mutation else meta.get("expectation"),
        expected_status=meta.get("expected_status"),
        mutation=mutation,
    )


def _step(step: Mapping[str, Any], exchanges: list[Exchange]) -> Judged:
    if "scenario" in step:
        kind = SCENARIO_TYPES.get(str(step["scenario"]))
        if kind is None:
            raise ValueError(f"unknown scenario {step['scenario']!r}")
        scenario = kind(**{name: _decode(value, exchanges) for name, value in step["fields"].items()})
        return Judged(scenario=scenario, judge_exchanges=bool(step.get("judge_exchanges", True)))
    return Judged(exchange=exchanges[int(step["exchange"])])


def recorded_tests(folder: Path) -> list[RecordedTest]:
    """Every test recorded under `folder`, in suite order."""
    paths = sorted(folder.glob(f"*/*{SUFFIX}"))
    return sorted((read_test(path) for path in paths), key=lambda test: (test.order, test.nodeid))
