"""Group `schema`: the response against the contract — status, content type, headers, body, events.

A body or event that fails the tolerant view is an error (it breaks clients today); one that
passes tolerant but fails strict is a warning (new in the API, or missing from the contract).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conformance._exchange import Exchange
from conformance.checks._registry import CheckContext, Failure, check

_JSONL = ("application/x-jsonl", "application/jsonl", "application/x-ndjson")
_MAX_REPORTED = 5  # per exchange and check: the first few errors say enough


def _operation_id(exchange: Exchange, ctx: CheckContext) -> str | None:
    if ctx.contract is None or not exchange.request.is_valid_http:
        return None  # a request that is not valid HTTP never reaches an operation
    if exchange.operation_id:
        return exchange.operation_id
    request = exchange.request
    operation = ctx.contract.match(request.method, request.path, request.query)
    return operation.operation_id if operation else None


def _media_type(exchange: Exchange, operation_id: str) -> str:
    declared = exchange.response.content_type
    if declared:
        return declared
    # Some recorders drop response headers; fall back on what the body is.
    if operation_id == "getMessageBatchResults" and exchange.response.status == 200:
        return "application/x-jsonl"
    return "application/json"


def _instances(exchange: Exchange, media_type: str) -> Iterator[tuple[str | None, Any]]:
    text = exchange.response.text
    if media_type in _JSONL:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield f"line {number}", json.loads(line)
    else:
        yield None, json.loads(text)


def _binary(exchange: Exchange, operation_id: str, media_type: str) -> bool:
    return (operation_id == "downloadFile" and exchange.response.status == 200) or not (
        media_type.endswith("json") or media_type in _JSONL or media_type == "text/event-stream"
    )


@check("schema.operation", group="schema", severity="warning")
def operation_known(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The request goes to an operation of the contract (else nothing else can be checked)."""
    if ctx.contract is not None and _operation_id(exchange, ctx) is None and exchange.response.status < 400:
        yield Failure(f"{exchange.request.method} {exchange.request.path} is not an operation of the contract")


@check("schema.status", group="schema")
def status_documented(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The status code is one the contract documents for the operation."""
    operation_id = _operation_id(exchange, ctx)
    if operation_id is None:
        return
    if ctx.contract.response(operation_id, exchange.response.status) is None:
        yield Failure(f"status {exchange.response.status} is not documented for {operation_id}")


@check("schema.content_type", group="schema")
def content_type_documented(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The content type is one the contract documents for that status (JSON, SSE, JSONL, bytes)."""
    operation_id = _operation_id(exchange, ctx)
    if operation_id is None or not exchange.response.body:
        return
    found = ctx.contract.response(operation_id, exchange.response.status)
    if found is None:
        return
    documented = list((found[1].get("content") or {}).keys())
    declared = exchange.response.content_type
    if not declared or not documented or operation_id == "downloadFile":
        return  # absent headers (stripped by a recorder) are not evidence; file bytes take any type
    if declared not in documented and "*/*" not in documented:
        if exchange.response.status == 413:
            # The real API's edge may answer 413 outside the envelope (api-facts §1).
            yield Failure(f"content type {declared} is not documented for 413", severity="warning")
            return
        yield Failure(f"content type {declared!r} is not documented (expected {', '.join(documented)})")


@check("schema.request_id", group="schema", severity="warning")
def request_id_header(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """Every response carries a `request-id` header (recorders often strip it: warning by default)."""
    if ctx.contract is None or _operation_id(exchange, ctx) is None:
        return
    if not exchange.response.headers.get("request-id"):
        yield Failure("the response has no request-id header", location="header request-id")


def _body_findings(exchange: Exchange, ctx: CheckContext, view: str) -> Iterator[Failure]:
    operation_id = _operation_id(exchange, ctx)
    if operation_id is None or exchange.response.is_stream or not exchange.response.body:
        return
    media_type = _media_type(exchange, operation_id)
    if _binary(exchange, operation_id, media_type):
        return
    try:
        instances = list(_instances(exchange, media_type))
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack
        if view == "tolerant":
            yield Failure(f"the {media_type} body is not valid JSON: {exchange.response.text[:80]!r}")
        return
    reported = 0
    for where, instance in instances:
        errors = ctx.contract.validate_response(operation_id, exchange.response.status, media_type, instance, view=view)
        for error in errors or []:
            if reported == _MAX_REPORTED:
                return
            reported += 1
            location = f"{where} {error.path or '/'}" if where else (error.path or "/")
            yield Failure(f"{view} view: {error.message}", location=location)


@check("schema.body", group="schema")
def body_tolerant(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The body validates against the tolerant view of the contract."""
    yield from _body_findings(exchange, ctx, "tolerant")


@check("schema.body_strict", group="schema", severity="warning")
def body_strict(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The body validates against the strict view (unknown fields, values and types are flagged)."""
    if not list(_body_findings(exchange, ctx, "tolerant")):
        yield from _body_findings(exchange, ctx, "strict")


def _event_findings(exchange: Exchange, ctx: CheckContext, view: str) -> Iterator[Failure]:
    operation_id = _operation_id(exchange, ctx)
    if operation_id is None or not exchange.response.is_stream:
        return
    reported = 0
    for index, frame in enumerate(exchange.response.frames):
        payload = frame.json_or_none()
        if payload is None:
            continue  # not JSON: the sse checks report it
        errors = ctx.contract.validate_event(operation_id, payload, status=exchange.response.status, view=view)
        if errors is None:
            if view == "tolerant" and index == 0:
                yield Failure(f"{operation_id} does not document an event stream for status {exchange.response.status}")
            return
        for error in errors:
            if reported == _MAX_REPORTED:
                return
            reported += 1
            yield Failure(
                f"{view} view: {error.message}", location=f"event #{index} ({frame.event}) {error.path or '/'}"
            )


@check("schema.event", group="schema")
def event_tolerant(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """Each SSE event's data validates against the tolerant view of the event schemas."""
    yield from _event_findings(exchange, ctx, "tolerant")


@check("schema.event_strict", group="schema", severity="warning")
def event_strict(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """Each SSE event's data validates against the strict view (new event and delta types flagged)."""
    if not list(_event_findings(exchange, ctx, "tolerant")):
        yield from _event_findings(exchange, ctx, "strict")
