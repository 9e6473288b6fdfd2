"""The reference server's ASGI application: `create_app(config)`.

One pure-ASGI middleware does what applies to every request, in this order, before any route runs:
request id; header size (431 past 64 KB); authentication (`x-api-key`, or `Authorization: Bearer`;
else 401); `anthropic-version` (required; 2023-06-01 or 2026-10-21; else 400); `anthropic-beta`
(a comma list, the header may repeat; an empty or malformed value is a 400 as upstream answers,
while any well-formed dated name passes: new betas appear every month); the fault
header (`_faults`); the declared body size (413 past the limit, without reading the body). It adds
`request-id`, `anthropic-organization-id` and the `anthropic-ratelimit-*` headers to every response,
and turns any exception a route lets escape into a 500 envelope (the traceback goes to the log,
never into a response). Unknown routes and wrong methods answer 404/405 in the envelope.
`?beta=true` needs nothing: routing ignores the query string.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.server import _batches, _complete, _files, _messages, _models, _skills
from conformance.server._config import ServerConfig
from conformance.server._errors import ApiError, error_response
from conformance.server._faults import FAULT_HEADER, RETRY_COUNT_HEADER, parse_faults
from conformance.server._http import request_id
from conformance.server._rng import Rng
from conformance.server._state import ServerState
from conformance.server._store import Store
from conformance.server._validation import API_VERSIONS, use_contract

# A beta name as the contract defines it (common.yaml AnthropicBetaValue): `name-YYYY-MM-DD`.
BETA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*-[0-9]{4}-[0-9]{2}-[0-9]{2}$")

log = logging.getLogger("conformance.server")

MAX_HEADER_BYTES = 64 * 1024
ORGANIZATION_ID = "00000000-0000-4000-8000-000000000000"
RATE_LIMITS = {"requests": 4_000, "tokens": 2_000_000, "input-tokens": 2_000_000, "output-tokens": 400_000}
_BATCH_BODY_FACTOR = 8
"""Batches may be 8 times the Messages body limit (the API's 256 MB against 32 MB)."""


class _RequestIds:
    """`req_011C…` ids: a per-process random prefix and a counter (unique, and cheap to make)."""

    def __init__(self) -> None:
        self._prefix = "req_011C" + Rng(int.from_bytes(os.urandom(8), "big")).ident(10)
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):014d}"


class _RateLimitHeaders:
    """The static `anthropic-ratelimit-*` headers; only the reset timestamps move, once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._headers: list[tuple[bytes, bytes]] = []

    def get(self) -> list[tuple[bytes, bytes]]:
        now = int(time.time())
        if now != self._second:
            reset = datetime.fromtimestamp(now + 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
            headers = [(b"anthropic-organization-id", ORGANIZATION_ID.encode())]
            for kind, limit in RATE_LIMITS.items():
                prefix = f"anthropic-ratelimit-{kind}-".encode()
                headers += [(prefix + b"limit", str(limit).encode()), (prefix + b"remaining", str(limit - 1).encode()), (prefix + b"reset", reset)]
            self._second, self._headers = now, headers
        return self._headers


def _header_map(scope: Scope) -> dict[bytes, list[bytes]]:
    headers: dict[bytes, list[bytes]] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.lower(), []).append(value)
    return headers


def _text(values: list[bytes] | None) -> str | None:
    return values[-1].decode("latin-1").strip() if values else None


class ApiMiddleware:
    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        self.request_ids = _RequestIds()
        self.rate_limits = _RateLimitHeaders()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = self.request_ids()
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["request_id"] = rid
        started = False
        common = [(b"request-id", rid.encode()), *self.rate_limits.get()]

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in common if h[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        try:
            limit = self._preflight(scope, state)
            await self.app(scope, _limited(receive, limit), send_with_headers)
        except ApiError as exc:
            if not started:
                await error_response(exc, rid)(scope, receive, send_with_headers)
        except RecursionError:
            # Deeply nested JSON: json.loads or a recursive check ran out of stack.
            if not started:
                await error_response(ApiError(400, "request body: JSON nested too deeply"), rid)(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error in %s %s (request %s)", scope.get("method"), scope.get("path"), rid)
            if not started:
                await error_response(ApiError(500, "Internal server error"), rid)(scope, receive, send_with_headers)

    def _preflight(self, scope: Scope, state: MutableMapping[str, Any]) -> int:
        """The per-request checks; returns the body size limit for this path."""
        size = sum(len(name) + len(value) for name, value in scope["headers"])
        if size > MAX_HEADER_BYTES:
            raise ApiError(431, f"request headers too large: {size} bytes > {MAX_HEADER_BYTES}", error_type="invalid_request_error")
        headers = _header_map(scope)
        api_key = _text(headers.get(b"x-api-key"))
        authorization = _text(headers.get(b"authorization")) or ""
        bearer = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        if not api_key and not bearer:
            raise ApiError(401, "x-api-key header is required")
        version = _text(headers.get(b"anthropic-version"))
        if not version:
            raise ApiError(400, "anthropic-version: header is required")
        if version not in API_VERSIONS:
            raise ApiError(400, f"anthropic-version: {version!r} is not a valid version (supported: {', '.join(API_VERSIONS)})")
        state["api_version"] = version
        betas: list[str] = []
        for raw in headers.get(b"anthropic-beta", []):
            parts = [p.strip() for p in raw.decode("latin-1").split(",")]
            if not any(parts):
                raise ApiError(400, "anthropic-beta: header value must not be empty")
            betas += [p for p in parts if p]
        malformed = [beta for beta in betas if not BETA_NAME.match(beta)]
        if malformed:
            raise ApiError(400, f"anthropic-beta: unexpected value(s) {', '.join(map(repr, malformed[:3]))}")
        state["betas"] = tuple(betas)
        fault = parse_faults(_text(headers.get(FAULT_HEADER.encode())))
        state["faults"] = fault
        retries = _text(headers.get(RETRY_COUNT_HEADER.encode()))
        error = fault.status_error(int(retries) if retries and retries.isdigit() else 0)
        if error is not None:
            raise error
        limit = self._body_limit(scope["path"])
        declared = _text(headers.get(b"content-length"))
        if declared and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        return limit

    def _body_limit(self, path: str) -> int:
        if path.startswith(("/v1/files", "/v1/skills")):
            return self.config.max_file_bytes + 64 * 1024  # multipart framing around the file
        if path.startswith("/v1/messages/batches"):
            return self.config.max_request_bytes * _BATCH_BODY_FACTOR
        return self.config.max_request_bytes


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"Request exceeds the maximum allowed number of bytes ({limit}).")


def _limited(receive: Receive, limit: int) -> Receive:
    """Count body bytes as they arrive: a chunked body has no Content-Length to check up front."""
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(limit)
        return message

    return wrapped


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, request_id(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no route, wrong method), in the API's envelope."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = ApiError(404, f"Not found: {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = ApiError(405, f"Method {request.method} not allowed for {request.url.path}", error_type="invalid_request_error",
                         headers=dict(exc.headers or {}))
    else:
        error = ApiError(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    return error_response(error, request_id(request))


def all_routes() -> list[BaseRoute]:
    return [*_messages.routes, *_complete.routes, *_models.routes, *_batches.routes, *_files.routes, *_skills.routes]


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The Starlette app; it also works in-process through httpx's ASGI transport."""
    config = config or ServerConfig()
    use_contract()
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {ApiError: _api_error, HTTPException: _http_error}
    app = Starlette(routes=all_routes(), middleware=[Middleware(ApiMiddleware, config=config)], exception_handlers=handlers)
    app.state.server = ServerState(config, Store.open(config))
    return app
