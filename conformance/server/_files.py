"""Files (api-facts §10): upload, list, metadata, download, delete.

* Upload: `multipart/form-data` with a `file` part (it must carry a filename). The MIME type is the
  part's own content type, or else guessed from the filename, or else `application/octet-stream`.
  Over `config.max_file_bytes` → 413 `request_too_large` (checked on Content-Length before reading
  anything, and again on the part's real size). GA's optional `expires_in_seconds` sets `expires_at`.
* Metadata: `{type:"file", id, filename, mime_type, size_bytes, created_at, downloadable}`.
  `downloadable` is `false` for uploaded files, as the real API reports (recorded traffic), and
  their content endpoint refuses as the API does: 400 `invalid_request_error` with
  `error.details.error_code: "file_not_downloadable"` (api-facts §14b; SDK 2.x raises
  `FileNotDownloadableError`). Only files a tool created are downloadable: here, the files `--any-id`
  synthesizes (`downloadable: true`), whose content is a short text.
* Mock mode (`config.mock`) also takes a file part sent without a filename (its name is then
  `upload`): generated SDK tests send bare bytes, and the real API's answer to that is not known.
* List: one handler for both pagination styles. Every page carries `data, has_more, first_id,
  last_id` (classic beta, `SyncPage`) and `next_page` (GA, `SyncPageCursor`), so either SDK line
  walks it. `page` selects the token style; `before_id`/`after_id` the cursor style; GA's `ids[]`
  returns just those files (unknown or deleted ids are left out).
* After delete, every endpoint answers 404 `not_found_error` for the id.
"""

from __future__ import annotations

import io
import mimetypes

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conformance.server import _synthesize
from conformance.server._errors import ApiError, invalid_request, not_found
from conformance.server._paging import (
    encode_page_token,
    id_cursor_page,
    newest_first,
    page_token_page,
    query_cursors,
    query_limit,
    query_page,
    query_str,
    server_state,
)
from conformance.server._store import JsonDict, StoredObject, from_epoch, rfc3339

KIND = "file"
ID_PREFIX = "file_"
DEFAULT_MIME_TYPE = "application/octet-stream"
MAX_FILENAME = 500
MAX_MIME_TYPE = 255
MAX_IDS = 100
FILE_NOT_DOWNLOADABLE = "file_not_downloadable"
MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart framing and small fields around the file when checking Content-Length."""


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"Request exceeds the maximum allowed number of bytes ({limit}).")


# -- multipart (shared with skills) ----------------------------------------------------------------


async def read_multipart(request: Request, *, max_bytes: int) -> FormData:
    """The parsed form, or 400 (not multipart, malformed) / 413 (declared length over `max_bytes`).

    The app's middleware already refuses such a Content-Length; checking here too keeps the handlers
    right on their own, before a byte of the body is read. The caller closes the form
    (`await form.close()`) to release spooled temporary files.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise invalid_request(f"Expected a multipart/form-data request body, got content-type {content_type or 'none'!r}.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)
    try:
        return await request.form(max_files=10_000, max_fields=1_000)
    except (MultiPartException, HTTPException) as exc:
        detail = getattr(exc, "message", None) or getattr(exc, "detail", None) or "malformed body"
        raise invalid_request(f"Invalid multipart/form-data body: {detail}") from None


UNNAMED_UPLOAD = "upload"
"""Mock mode's name for a file part sent without a filename (httpx's own default name)."""


def file_parts(form: FormData, *names: str, lenient: bool = False) -> list[UploadFile]:
    """The file parts under any of `names`; a plain text field there is a 400 naming it, unless
    `lenient` (mock mode), which takes it as the content of a file named `upload`."""
    parts: list[UploadFile] = []
    for name in names:
        for value in form.getlist(name):
            if isinstance(value, str) and lenient:
                value = UploadFile(io.BytesIO(value.encode("utf-8", "surrogateescape")), filename=UNNAMED_UPLOAD)
            if not isinstance(value, UploadFile):
                raise invalid_request(f"{name}: Expected a file upload (a part with a filename), got a text field")
            parts.append(value)
    return parts


def mime_type_of(part: UploadFile) -> str:
    declared = (part.content_type or "").split(";", 1)[0].strip()
    if declared and declared.lower() != DEFAULT_MIME_TYPE:
        return declared
    guessed, _ = mimetypes.guess_type(part.filename or "")
    return guessed or declared or DEFAULT_MIME_TYPE


# -- records ---------------------------------------------------------------------------------------


def new_record(file_id: str, *, filename: str, mime_type: str, size: int, created: float, expires: float | None,
               downloadable: bool = False) -> JsonDict:
    return {
        "id": file_id,
        "filename": filename,
        "mime_type": mime_type,
        "size_bytes": size,
        "created": created,
        "expires": expires,
        "downloadable": downloadable,
    }


def render(record: JsonDict) -> JsonDict:
    body: JsonDict = {
        "type": "file",
        "id": record["id"],
        "filename": record["filename"],
        "mime_type": record["mime_type"],
        "size_bytes": record["size_bytes"],
        "created_at": rfc3339(from_epoch(record["created"])),
        "downloadable": bool(record.get("downloadable", False)),
    }
    if record["expires"] is not None:
        body["expires_at"] = rfc3339(from_epoch(record["expires"]))
    return body


def _render_object(obj: StoredObject) -> JsonDict:
    return render(obj.data)


def _synthesized(file_id: str) -> StoredObject:
    content = _synthesize.synthetic_file_content(file_id)
    record = new_record(
        file_id,
        filename=_synthesize.SYNTHETIC_FILENAME,
        mime_type=_synthesize.SYNTHETIC_MIME_TYPE,
        size=len(content),
        created=_synthesize.synthetic_time(file_id).timestamp(),
        expires=None,
        downloadable=True,  # as if a tool had made it: the only files the API lets one download
    )
    return _synthesize.synthetic_object(KIND, file_id, record)


def _load(request: Request) -> tuple[StoredObject, bool]:
    file_id = request.path_params["file_id"]
    return _synthesize.resolve(
        server_state(request), KIND, file_id, missing=f"File not found: {file_id}", synthesize=lambda: _synthesized(file_id)
    )


# -- handlers --------------------------------------------------------------------------------------


async def upload_file(request: Request) -> Response:
    state = server_state(request)
    limit = state.config.max_file_bytes
    form = await read_multipart(request, max_bytes=limit)
    try:
        parts = file_parts(form, "file", lenient=state.config.mock)
        if not parts:
            raise invalid_request("file: Field required")
        part = parts[0]
        if part.size is not None and part.size > limit:
            raise too_large(limit)
        content = await part.read()
        if len(content) > limit:
            raise too_large(limit)
        filename = part.filename or (UNNAMED_UPLOAD if state.config.mock else "")
        if not 1 <= len(filename) <= MAX_FILENAME:
            raise invalid_request(f"file: The filename must be between 1 and {MAX_FILENAME} characters long")
        mime_type = mime_type_of(part)[:MAX_MIME_TYPE]
        expires_in = _expires_in_seconds(form)
    finally:
        await form.close()
    now = state.store.now().timestamp()
    file_id = state.store.new_id(ID_PREFIX)
    record = new_record(
        file_id,
        filename=filename,
        mime_type=mime_type,
        size=len(content),
        created=now,
        expires=None if expires_in is None else now + expires_in,
    )
    state.store.insert(KIND, file_id, record, blob=content)
    return JSONResponse(render(record))


def _expires_in_seconds(form: FormData) -> int | None:
    raw = form.get("expires_in_seconds")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.strip().isdigit() or int(raw) < 1:
        raise invalid_request("expires_in_seconds: Input should be a positive integer number of seconds")
    return int(raw)


async def list_files(request: Request) -> Response:
    state = server_state(request)
    objects = state.store.list(KIND)
    scope_id = query_str(request, "scope_id")
    if scope_id is not None:
        objects = []  # uploaded files belong to no scope, so a scope filter matches none of them
    ids = [*request.query_params.getlist("ids[]"), *request.query_params.getlist("ids")]
    if ids:
        return JSONResponse(_by_ids(request, objects, ids))
    page = query_page(request)
    limit = query_limit(request)
    if page is not None:
        body = page_token_page(objects, _render_object, limit=limit, page=page)
        data = body["data"]
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
        return JSONResponse(body)
    before_id, after_id = query_cursors(request)
    body = id_cursor_page(objects, _render_object, limit=limit, before_id=before_id, after_id=after_id,
                          lenient=state.config.mock)
    # GA clients continue with `page`: point it just past this page's last (oldest) file.
    body["next_page"] = None
    if body["has_more"] and before_id is None:
        last = next(obj for obj in objects if obj.key == body["last_id"])
        body["next_page"] = encode_page_token(last.seq)
    return JSONResponse(body)


def _by_ids(request: Request, objects: list[StoredObject], ids: list[str]) -> JsonDict:
    combined = query_str(request, "page") is not None or query_str(request, "limit") is not None
    if combined and not server_state(request).config.mock:  # mock: the paging parameters are ignored
        raise invalid_request("ids: `ids` cannot be combined with `page` or `limit`")
    wanted = set(ids)
    if len(wanted) > MAX_IDS:
        raise invalid_request(f"ids: At most {MAX_IDS} ids may be given, got {len(wanted)}")
    data = [_render_object(obj) for obj in newest_first(objects) if obj.key in wanted]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "next_page": None,
    }


async def retrieve_file(request: Request) -> Response:
    obj, _ = _load(request)
    return JSONResponse(render(obj.data))


async def download_file(request: Request) -> Response:
    state = server_state(request)
    obj, synthetic = _load(request)
    if synthetic:
        return Response(_synthesize.synthetic_file_content(obj.key), media_type=DEFAULT_MIME_TYPE)
    expires = obj.data["expires"]
    if expires is not None and state.store.now().timestamp() >= expires:
        raise not_found(f"File {obj.key} has expired and can no longer be downloaded.")
    if not obj.data.get("downloadable", False):
        raise ApiError(400, f"File {obj.key} is not downloadable: only files created by tools can be downloaded.",
                       details={"error_code": FILE_NOT_DOWNLOADABLE})
    return Response(state.store.blob(KIND, obj.key) or b"", media_type=DEFAULT_MIME_TYPE)


async def delete_file(request: Request) -> Response:
    obj, synthetic = _load(request)
    if not synthetic:
        server_state(request).store.delete(KIND, obj.key)
    return JSONResponse({"id": obj.key, "type": "file_deleted"})


routes: list[BaseRoute] = [
    Route("/v1/files", upload_file, methods=["POST"]),
    Route("/v1/files", list_files, methods=["GET"]),
    Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
    Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
    Route("/v1/files/{file_id}/content", download_file, methods=["GET"]),
]
