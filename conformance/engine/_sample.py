"""What a report shows of the exchanges behind a finding: a scrubbed, size-capped sample.

A run keeps one sample per distinct exchange that produced a finding (not every exchange: a run
sends hundreds). Secrets are scrubbed here, when the sample is taken, with the same rules as
reproducers and cassettes (conformance._reproduce), so no report writer ever sees a key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from conformance._exchange import Exchange, Finding
from conformance._reproduce import scrub_headers, scrub_text

REQUEST_BODY_CHARS = 8_000
RESPONSE_BODY_CHARS = 16_000
EVENT_CHARS = 16_000
"""Characters of SSE event data kept per response (the events, in order, until this many)."""
SAMPLE_EXCHANGES = 4
"""Exchanges kept per finding: a scenario (a batch's life, a pagination walk) can have dozens."""


def finding_key(finding: Finding) -> str:
    """A stable id for a finding: the run keeps one finding per check, operation and message."""
    text = f"{finding.check_id}\0{finding.operation_id or ''}\0{finding.message}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _text(data: bytes | None, limit: int) -> tuple[str, int]:
    """The body as scrubbed text, cut at `limit` characters; also how many characters were cut."""
    text = scrub_text((data or b"").decode("utf-8", errors="replace"))
    return (text, 0) if len(text) <= limit else (text[:limit], len(text) - limit)


def _events(exchange: Exchange) -> tuple[list[dict[str, str | None]], int]:
    events: list[dict[str, str | None]] = []
    budget = EVENT_CHARS
    frames = exchange.response.frames
    for frame in frames:
        data = scrub_text(frame.data)
        if len(data) > budget:  # the first event past the limit is kept in part, then no more
            if budget:
                events.append({"event": frame.event, "data": data[:budget] + "…"})
            break
        budget -= len(data)
        events.append({"event": frame.event, "data": data})
    return events, len(frames) - len(events)


def sample_exchange(exchange: Exchange) -> dict[str, Any]:
    """One exchange as a report shows it (keys documented in docs/results.schema.json)."""
    request, response = exchange.request, exchange.response
    request_body, request_cut = _text(request.body, REQUEST_BODY_CHARS)
    sampled_response: dict[str, Any] = {"status": response.status, "headers": scrub_headers(response.headers)}
    if response.is_stream:
        events, omitted = _events(exchange)
        sampled_response |= {"body": None, "body_omitted_chars": 0, "events": events, "events_omitted": omitted}
    else:
        body, cut = _text(response.body, RESPONSE_BODY_CHARS)
        sampled_response |= {"body": body, "body_omitted_chars": cut, "events": None, "events_omitted": 0}
    return {
        "operation_id": exchange.operation_id,
        "label": scrub_text(exchange.label),
        "request": {"method": request.method, "url": scrub_text(request.url), "headers": scrub_headers(request.headers),
                    "body": request_body if request.body else None, "body_omitted_chars": request_cut},
        "response": sampled_response,
    }


def sample_exchanges(exchanges: Sequence[Exchange]) -> tuple[str, dict[str, Any]]:
    """A sample of the first exchanges behind a finding, and its id (the same exchanges, the same id)."""
    sample = {"exchanges": [sample_exchange(e) for e in exchanges[:SAMPLE_EXCHANGES]],
              "exchanges_omitted": max(0, len(exchanges) - SAMPLE_EXCHANGES)}
    digest = hashlib.sha1(json.dumps(sample, sort_keys=True).encode()).hexdigest()[:16]
    return digest, sample
