"""What route handlers read from a request, beyond its path: the JSON body (checked the way the API
checks it), and what the middleware already worked out (request id, API version, betas, faults).

The middleware (`_app.ApiMiddleware`) stores those in `scope["state"]`, which is `request.state`.
Routes of every resource use these helpers, so a malformed body is refused the same way everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from conformance.server._errors import ApiError
from conformance.server._faults import NO_FAULTS, RETRY_COUNT_HEADER, Faults
from conformance.server._state import ServerState

DEFAULT_API_VERSION = "2023-06-01"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(raw: bytes) -> Any:
    """The body as JSON, or 400 invalid_request_error saying what is wrong with it."""
    if not raw.strip():
        raise ApiError(400, "request body: a JSON body is required")
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "request body: not valid UTF-8") from None
    except RecursionError:
        raise ApiError(400, "request body: JSON nested too deeply") from None
    except ValueError as exc:
        raise ApiError(400, f"request body: invalid JSON ({exc})") from None
    if _SURROGATE_ESCAPE.search(raw):
        # "\ud800" is valid JSON syntax but no character: a lone surrogate cannot be encoded
        # back to UTF-8. Pairs (emoji) are fine; only bodies that escape surrogates pay for this.
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, "request body: invalid Unicode (a lone surrogate escape)") from None
    return value


def is_json_content_type(value: str | None) -> bool:
    media = (value or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json(request: Request) -> Any:
    """The JSON body of a request whose content-type must be JSON (the SDK always sends it)."""
    if not is_json_content_type(request.headers.get("content-type")):
        raise ApiError(400, "content-type: must be application/json, got " + repr(request.headers.get("content-type", "")))
    return parse_json_body(await request.body())


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def api_version(request: Request) -> str:
    return str(request.scope.get("state", {}).get("api_version", DEFAULT_API_VERSION))


def betas(request: Request) -> tuple[str, ...]:
    return tuple(request.scope.get("state", {}).get("betas", ()))


def retry_count(request: Request) -> int:
    """The SDK's `x-stainless-retry-count` (0 when absent), which `until_retry` faults read."""
    raw = (request.headers.get(RETRY_COUNT_HEADER) or "").strip()
    return int(raw) if raw.isdigit() else 0


def beta_call(request: Request) -> bool:
    """A call through the SDK's beta client: `?beta=true`, or any `anthropic-beta` value."""
    return request.query_params.get("beta") == "true" or bool(betas(request))


def faults(request: Request) -> Faults:
    value = request.scope.get("state", {}).get("faults", NO_FAULTS)
    return value if isinstance(value, Faults) else NO_FAULTS


def file_exists_for(state: ServerState) -> Callable[[str], bool]:
    """The file lookup validation uses: a stored file, or any id at all under `--any-id`."""

    def exists(file_id: str) -> bool:
        return state.config.any_id or state.store.get("file", file_id) is not None

    return exists
