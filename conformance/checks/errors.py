"""Group `errors`: how failures are signalled (api-facts §5; compat-bugs B1, B2).

The SDK branches on `body.type == "error"` and picks its exception class by status, so a non-2xx
answer must carry the Anthropic envelope with the status's documented error type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from conformance._exchange import Exchange, Severity
from conformance.checks._registry import CheckContext, Failure, check

GROUP = "errors"

KNOWN_ERROR_TYPES = frozenset(
    {
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "timeout_error",
        "api_error",
        "overloaded_error",
        # SDK 2.12 additions
        "memory_precondition_failed_error",
        "memory_path_conflict_error",
        "conflict_error",
    }
)

# api-facts §5. Statuses not listed may use any type (docs: 400's type may serve other 4xx codes).
STATUS_ERROR_TYPE: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# 413 is answered by Cloudflare before the API sees the request: its body may not be the envelope.
EDGE_STATUSES = frozenset({413})

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def envelope_problems(body: Any) -> list[str]:
    """Why `body` is not `{"type":"error","error":{"type":str,"message":str}}` (empty when it is).

    Shared with the stream checks: an SSE `error` event carries the same envelope.
    """
    if not isinstance(body, dict):
        return [f"the body is not a JSON object ({type(body).__name__})"]
    if "detail" in body and "error" not in body:
        return ['a FastAPI-style {"detail": …} body, not the Anthropic error envelope']
    problems = []
    if body.get("type") != "error":
        hint = " (an OpenAI-style envelope)" if "type" not in body and isinstance(body.get("error"), dict) else ""
        problems.append(f"top-level type is {body.get('type')!r}, not 'error'{hint}")
    error = body.get("error")
    if not isinstance(error, dict):
        problems.append("no `error` object")
        return problems
    for key in ("type", "message"):
        if not isinstance(error.get(key), str):
            problems.append(f"error.{key} is missing or not a string")
    return problems


def _edge_severity(status: int) -> Severity | None:
    """Downgrade to a warning what the edge, not the API, may answer; else the check's default."""
    return "warning" if status in EDGE_STATUSES else None


def _error_response(exchange: Exchange) -> bool:
    """An error answer the API's envelope rules apply to (not the HTTP layer's answer to a request
    that is not valid HTTP)."""
    return exchange.response.status >= 400 and exchange.request.is_valid_http


def _error_type(exchange: Exchange) -> str | None:
    body = exchange.response.json()
    error = body.get("error") if isinstance(body, dict) else None
    value = error.get("type") if isinstance(error, dict) else None
    return value if isinstance(value, str) else None


@check("errors.envelope", group=GROUP, description="A 4xx/5xx body is the Anthropic error envelope (B1).")
def envelope(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    if not _error_response(exchange):
        return
    resp = exchange.response
    body = resp.json()
    severity = _edge_severity(resp.status)
    if body is None:
        yield Failure(f"the {resp.status} body is not JSON: {resp.text[:80]!r}", "body", severity=severity)
        return
    for problem in envelope_problems(body):
        yield Failure(problem, "body", severity=severity)


@check("errors.type_known", group=GROUP, description="error.type is a documented value, never a class name (B2).")
def type_known(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    if not _error_response(exchange):
        return
    value = _error_type(exchange)
    if value is None or value in KNOWN_ERROR_TYPES:
        return
    if _SNAKE.match(value):
        # The docs say the list grows over time: a new snake_case type is plausible.
        yield Failure(f"undocumented error.type {value!r}", "/error/type", severity="warning")
    else:
        yield Failure(
            f"error.type {value!r} looks like a class name or placeholder, not an API error type", "/error/type"
        )


@check("errors.status_type", group=GROUP, description="The HTTP status and error.type agree (§5 table, B1).")
def status_type(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    status = exchange.response.status
    expected = STATUS_ERROR_TYPE.get(status)
    value = _error_type(exchange)
    if expected is None or value is None or value == expected:
        return
    severity = _edge_severity(status)
    # The SDK picks its exception class by status: a mismatch makes clients retry (or not) wrongly.
    yield Failure(
        f"status {status} carries error.type {value!r}; expected {expected!r}", "/error/type", severity=severity
    )


@check("errors.content_type", group=GROUP, description="Error responses are application/json.")
def content_type(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    resp = exchange.response
    declared = resp.headers.get("content-type")
    # An absent header is not judged: several recorders stripped response headers.
    if not _error_response(exchange) or declared is None or resp.content_type == "application/json":
        return
    severity = _edge_severity(resp.status)
    yield Failure(
        f"a {resp.status} error is served as {declared!r}, not application/json", "content-type", severity=severity
    )


@check(
    "errors.success_with_error_body", group=GROUP, description="An error envelope never comes with a 2xx status (A2)."
)
def success_with_error_body(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    resp = exchange.response
    if not 200 <= resp.status < 300 or resp.is_stream:
        return
    body = resp.json()
    if isinstance(body, dict) and body.get("type") == "error":
        yield Failure(f"status {resp.status} with an error body: clients take it for success", "body")


@check(
    "errors.retry_after", group=GROUP, severity="warning", description="429 and 529 say when to retry (retry-after)."
)
def retry_after(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    resp = exchange.response
    if resp.status in (429, 529) and not ({"retry-after", "retry-after-ms"} & resp.headers.keys()):
        yield Failure(f"{resp.status} without retry-after: the SDK falls back to its own backoff", "retry-after")
