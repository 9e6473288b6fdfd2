"""What the resource handlers (batches, files, skills) read from a request: the server state, list
query parameters, and the two pagination styles of the resource APIs (api-facts §6).

* ID cursor (batches, classic files): `limit`, `before_id` | `after_id` → `{data, has_more, first_id, last_id}`.
* Page token (skills, skill versions, GA files): `limit`, `page` → `{data, has_more, next_page}`.

Both walk a newest-first view of the store. Page tokens encode the insertion sequence of the last
object served, so a token stays valid when objects are created or deleted between pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from starlette.requests import Request

from conformance.server._errors import ApiError, invalid_request
from conformance.server._state import ServerState
from conformance.server._store import JsonDict, StoredObject

T = TypeVar("T")

Render = Callable[[StoredObject], JsonDict]

PAGE_TOKEN_PREFIX = "page_"


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def query_str(request: Request, name: str) -> str | None:
    """A query parameter; an empty value counts as absent (clients often send `before_id=`)."""
    value = request.query_params.get(name)
    return value if value else None


def query_limit(request: Request, *, default: int = 20, maximum: int = 1000) -> int:
    """`limit`; mock mode clamps an out-of-range number (generated tests send `limit=0`) instead
    of refusing it. Not a number is refused in both modes."""
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise invalid_request(f"limit: Input should be a valid integer, unable to parse string as an integer (got {raw!r})") from None
    if server_state(request).config.mock:
        return min(max(limit, 1), maximum)
    if limit < 1:
        raise invalid_request("limit: Input should be greater than or equal to 1")
    if limit > maximum:
        raise invalid_request(f"limit: Input should be less than or equal to {maximum}")
    return limit


def query_cursors(request: Request) -> tuple[str | None, str | None]:
    """`(before_id, after_id)`; both together are a 400 in `id_cursor_window`, except in mock mode,
    where `after_id` wins (generated tests send both)."""
    before_id, after_id = query_str(request, "before_id"), query_str(request, "after_id")
    if before_id is not None and after_id is not None and server_state(request).config.mock:
        return None, after_id
    return before_id, after_id


def query_page(request: Request) -> str | None:
    """The `page` token; in mock mode a token this server never issued reads as the first page."""
    page = query_str(request, "page")
    if page is not None and server_state(request).config.mock:
        try:
            decode_page_token(page)
        except ApiError:
            return None
    return page


def newest_first(objects: Sequence[StoredObject]) -> list[StoredObject]:
    return sorted(objects, key=lambda obj: obj.seq, reverse=True)


def id_cursor_window(
    items: Sequence[T], id_of: Callable[[T], str], *, limit: int, before_id: str | None, after_id: str | None,
    lenient: bool = False,
) -> tuple[list[T], bool]:
    """The page of `items` (already newest first) that an ID cursor selects, and `has_more`:
    `after_id` gives the items after that id, `before_id` the `limit` items just before it.
    An unknown cursor is a 400, or with `lenient` (mock mode) an empty page."""
    if before_id is not None and after_id is not None:
        raise invalid_request("before_id, after_id: at most one of `before_id` and `after_id` may be given")
    ids = [id_of(item) for item in items]
    cursor = after_id if after_id is not None else before_id
    if lenient and cursor is not None and cursor not in ids:
        return [], False
    if after_id is not None:
        start = _cursor_index(ids, after_id, "after_id") + 1
        return list(items[start : start + limit]), start + limit < len(items)
    if before_id is not None:
        end = _cursor_index(ids, before_id, "before_id")
        start = max(0, end - limit)
        return list(items[start:end]), start > 0
    return list(items[:limit]), limit < len(items)


def id_cursor_body(page: Sequence[JsonDict], has_more: bool) -> JsonDict:
    return {
        "data": list(page),
        "has_more": has_more,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }


def id_cursor_page(
    objects: Sequence[StoredObject],
    render: Render,
    *,
    limit: int,
    before_id: str | None,
    after_id: str | None,
    object_id: Callable[[StoredObject], str] = lambda obj: obj.key,
    lenient: bool = False,
) -> JsonDict:
    """One page of stored `objects` (newest first), rendered."""
    page, has_more = id_cursor_window(newest_first(objects), object_id, limit=limit, before_id=before_id, after_id=after_id,
                                      lenient=lenient)
    body = id_cursor_body([render(obj) for obj in page], has_more)
    if page:  # the cursor ids are the stored keys, whatever the rendering calls them
        body["first_id"], body["last_id"] = object_id(page[0]), object_id(page[-1])
    return body


def _cursor_index(ids: list[str], cursor: str, name: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise invalid_request(f"{name}: no object with id {cursor!r} to page from") from None


def page_token_page(objects: Sequence[StoredObject], render: Render, *, limit: int, page: str | None) -> JsonDict:
    """One page of `objects` (newest first) after the position that `page` encodes."""
    ordered = newest_first(objects)
    if page is not None:
        below = decode_page_token(page)
        ordered = [obj for obj in ordered if obj.seq < below]
    chunk = ordered[:limit]
    has_more = len(ordered) > limit
    return {
        "data": [render(obj) for obj in chunk],
        "has_more": has_more,
        "next_page": encode_page_token(chunk[-1].seq) if has_more and chunk else None,
    }


def encode_page_token(seq: int) -> str:
    return PAGE_TOKEN_PREFIX + base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    error = invalid_request(f"page: invalid page token {token!r}; pass the `next_page` value of a previous response")
    if not token.startswith(PAGE_TOKEN_PREFIX):
        raise error
    payload = token[len(PAGE_TOKEN_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise error from None
    kind, _, number = text.partition(":")
    if kind != "seq" or not number.isdigit():
        raise error
    return int(number)
