"""The journal's verdict on a request, and the `/_conformance/journal` routes that serve it.

The verdict is what the faithful server would say, whatever mode answered: `anthropic-version`,
beta names, and for Messages, count_tokens and batch creation the hand rules plus the contract's
request schema (a `scenario:` model alias counts as the model it stands for). `{"valid": true}`
or `{"valid": false, "errors": ["messages.1.content.0: ..."]}`; other routes are judged on their
headers only (`"judged": "headers"`). File ids are taken to exist (the journal has no store).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from conformance.server._batches import parse_requests
from conformance.server._errors import ApiError
from conformance.server._http import DEFAULT_API_VERSION, parse_json_body
from conformance.server._journal import HEALTH_PATH, JOURNAL_PATH, MAX_BODY_BYTES, Journal, JournalEntry
from conformance.server._scenarios import select_scenario
from conformance.server._validation import API_VERSIONS, beta_error, validate_count_tokens, validate_create_message

_JUDGED_BODIES = {"/v1/messages": "create", "/v1/messages/count_tokens": "count_tokens", "/v1/messages/batches": "batch"}


def report(entry: JournalEntry) -> dict[str, Any]:
    """The entry as JSON, with its verdict."""
    body = entry.json()
    return {
        "seq": entry.seq,
        "test_id": entry.test_id,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "headers": dict(entry.headers),
        "body": body if body is not None else entry.body[:1024].decode("utf-8", "replace"),
        "body_truncated": entry.body_truncated,
        "status": entry.status,
        "request_id": entry.request_id,
        "verdict": judge(entry),
    }


def control_app(journal: Journal) -> Router:
    """The `/_conformance/` routes (outside the API: no key needed, never journaled): the journal,
    and `health` for scripts that wait for the server to come up."""

    async def read(request: Request) -> Response:
        entries = journal.entries(request.query_params.get("test_id"))
        return JSONResponse({"data": [report(entry) for entry in entries]})

    async def clear(request: Request) -> Response:
        return JSONResponse({"deleted": journal.clear(request.query_params.get("test_id"))})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "healthy"})

    return Router(routes=[Route(JOURNAL_PATH, read, methods=["GET"]), Route(JOURNAL_PATH, clear, methods=["DELETE"]),
                          Route(HEALTH_PATH, health, methods=["GET"])])


# -- the verdict -----------------------------------------------------------------------------------


def judge(entry: JournalEntry) -> dict[str, Any]:
    """The faithful server's verdict on the request: `valid`, and the rules it breaks."""
    errors = [*_header_errors(entry)]
    operation = _JUDGED_BODIES.get(entry.path) if entry.method == "POST" else None
    if operation is None:
        return {"valid": not errors, "errors": errors, "judged": "headers"}
    api_version = entry.header("anthropic-version") or DEFAULT_API_VERSION
    beta = "beta=true" in entry.query.split("&") or bool((entry.header("anthropic-beta") or "").strip())  # as _http.beta_call
    try:
        if entry.body_truncated:
            raise ApiError(400, f"request body: over {MAX_BODY_BYTES} bytes, not judged")
        body = parse_json_body(entry.body)
        if operation == "batch":
            for _, params in parse_requests(body):
                _judge_params("create", params, api_version, beta)
        else:
            _judge_params(operation, body, api_version, beta)
    except ApiError as refused:
        errors.append(refused.message)
    return {"valid": not errors, "errors": errors, "judged": "body"}


def _judge_params(operation: str, body: object, api_version: str, beta: bool) -> None:
    _, body = select_scenario(None, body)  # a `scenario:` alias stands for a real model
    validate = validate_create_message if operation == "create" else validate_count_tokens
    validate(body, api_version=api_version, beta=beta)


def _header_errors(entry: JournalEntry) -> list[str]:
    errors = []
    version = entry.header("anthropic-version")
    if version not in API_VERSIONS:
        errors.append(f"anthropic-version: {version!r} is not a valid version (supported: {', '.join(API_VERSIONS)})")
    betas = [b.strip() for b in (entry.header("anthropic-beta") or "").split(",") if b.strip()]
    refused = beta_error(betas)
    return [*errors, refused] if refused else errors
