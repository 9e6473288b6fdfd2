"""Message Batches (api-facts §8): create, list, retrieve, cancel, delete, results.

Lifecycle. A batch is created `in_progress`; every request in it is answered at creation time (by the
deterministic model, so it costs little) and the answers are kept until the batch ends, because the
API shows nothing but `processing` counts before that. When it ends:

* `--batch-delay 0` (the default): at the first poll (a retrieve or a list) after creation. So the
  create answer is `in_progress`, as the real API's is, and a client that polls sees `ended` at once.
* `--batch-delay N`: N seconds after `created_at`, by the store's clock (tests inject one).
* Canceling: `cancel` answers `canceling`; the next poll finds the batch `ended`, every request
  `canceled` (no request counts as processed before the batch ends).
* Expiry: a batch still unfinished 24 h after creation (`expires_at`) ends with every request `expired`.

`request_counts` always sums to the number of requests. Results (JSONL, one line per `custom_id`)
exist only once the batch has ended: before that the API answers 404 "has no available results"
(recorded real traffic), and a results request does not count as a poll. Delete is allowed only once
the batch has ended.

Validation. The envelope (`requests`: 1..100 000 items of `{custom_id, params}`, custom_id matching
`^[a-zA-Z0-9_-]{1,64}$` and unique in the batch, `params` an object) is checked at creation: 400
naming the field. Each `params` is then checked as a Messages request; an invalid one does not fail
the batch but becomes that request's `errored` result carrying the error envelope, as the API does.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conformance.server import _model, _synthesize
from conformance.server._errors import ApiError, invalid_request, not_found
from conformance.server._http import api_version, beta_call, read_json
from conformance.server._mock import request_params
from conformance.server._paging import (
    id_cursor_page,
    query_cursors,
    query_limit,
    server_state,
)
from conformance.server._state import ServerState
from conformance.server._store import JsonDict, StoredObject, from_epoch, rfc3339

log = logging.getLogger(__name__)

KIND = "batch"
ID_PREFIX = "msgbatch_"
MAX_REQUESTS = 100_000
CUSTOM_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
EXPIRY = timedelta(hours=24)
JSONL_MEDIA_TYPE = "application/x-jsonl"

IN_PROGRESS, CANCELING, ENDED = "in_progress", "canceling", "ended"
# How an ended batch ended: its requests were processed, or all canceled, or all expired.
PROCESSED, CANCELED, EXPIRED = "processed", "canceled", "expired"


# -- records ---------------------------------------------------------------------------------------


def new_record(batch_id: str, created: float, count: int, succeeded: int) -> JsonDict:
    """The stored form of a batch (times as epoch seconds; rendered to RFC 3339 on the way out)."""
    return {
        "id": batch_id,
        "created": created,
        "count": count,
        "succeeded": succeeded,
        "errored": count - succeeded,
        "status": IN_PROGRESS,
        "outcome": None,
        "ended": None,
        "cancel_initiated": None,
    }


def render(record: JsonDict, request: Request) -> JsonDict:
    ended = record["status"] == ENDED
    return {
        "id": record["id"],
        "type": "message_batch",
        "processing_status": record["status"],
        "request_counts": _request_counts(record),
        "ended_at": _timestamp(record["ended"]),
        "created_at": _timestamp(record["created"]),
        "expires_at": rfc3339(from_epoch(record["created"]) + EXPIRY),
        "archived_at": None,
        "cancel_initiated_at": _timestamp(record["cancel_initiated"]),
        "results_url": results_url(request, record["id"]) if ended else None,
    }


def _timestamp(epoch: float | None) -> str | None:
    return None if epoch is None else rfc3339(from_epoch(epoch))


def _request_counts(record: JsonDict) -> dict[str, int]:
    counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    if record["status"] != ENDED:
        counts["processing"] = record["count"]
    elif record["outcome"] == PROCESSED:
        counts["succeeded"] = record["succeeded"]
        counts["errored"] = record["errored"]
    else:
        counts[record["outcome"]] = record["count"]
    return counts


def results_url(request: Request, batch_id: str) -> str:
    """Absolute, like the real API's; the SDK accepts absolute or relative."""
    return f"{str(request.base_url).rstrip('/')}/v1/messages/batches/{batch_id}/results"


def settle(state: ServerState, obj: StoredObject, *, polled: bool, synthetic: bool = False) -> JsonDict:
    """Bring a batch's status up to date with the clock (and, with no delay, with this poll)."""
    record = obj.data
    if record["status"] == ENDED:
        return record
    now = state.store.now().timestamp()
    expires = record["created"] + EXPIRY.total_seconds()
    delay = state.config.batch_delay
    if now >= expires:
        _end(record, EXPIRED, at=expires)
    elif record["status"] == CANCELING:
        if polled:
            _end(record, CANCELED, at=now)
    elif delay > 0:
        if now >= record["created"] + delay:
            _end(record, PROCESSED, at=record["created"] + delay)
    elif polled:
        _end(record, PROCESSED, at=now)
    if record["status"] == ENDED and not synthetic:
        state.store.update(KIND, obj.key, record)
    return record


def _end(record: JsonDict, outcome: str, *, at: float) -> None:
    record["status"] = ENDED
    record["outcome"] = outcome
    record["ended"] = at


def _load(request: Request, *, polled: bool) -> tuple[StoredObject, JsonDict, bool]:
    state = server_state(request)
    batch_id = request.path_params["message_batch_id"]
    obj, synthetic = _synthesize.resolve(
        state,
        KIND,
        batch_id,
        missing=f"Message Batch {batch_id} not found.",
        synthesize=lambda: _synthesized(batch_id),
    )
    return obj, settle(state, obj, polled=polled, synthetic=synthetic), synthetic


def _synthesized(batch_id: str) -> StoredObject:
    """An ended batch of one succeeded request (its results are `_synthesized_results`)."""
    created = _synthesize.synthetic_time(batch_id).timestamp()
    record = new_record(batch_id, created, count=1, succeeded=1)
    _end(record, PROCESSED, at=created + 60)
    return _synthesize.synthetic_object(KIND, batch_id, record)


def _synthesized_results(state: ServerState, batch_id: str) -> bytes:
    message = _model.generate_message(dict(_synthesize.SYNTHETIC_MESSAGE_PARAMS), seed=state.config.seed)
    return _jsonl([{"custom_id": _synthesize.SYNTHETIC_CUSTOM_ID, "result": {"type": "succeeded", "message": message}}])


def _jsonl(lines: list[JsonDict]) -> bytes:
    return b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines)


# -- creation --------------------------------------------------------------------------------------


def parse_requests(body: object) -> list[tuple[str, JsonDict]]:
    """The `(custom_id, params)` pairs of a create body, or 400 naming the first bad field."""
    if not isinstance(body, dict):
        raise invalid_request("request body: Input should be a valid dictionary")
    extra = sorted(set(body) - {"requests", "user_profile_id"})
    if extra:
        raise invalid_request(f"{extra[0]}: Extra inputs are not permitted")
    # user-profiles beta: whom the batch is run for; accepted and not otherwise used.
    if body.get("user_profile_id") is not None and not isinstance(body["user_profile_id"], str):
        raise invalid_request("user_profile_id: Input should be a valid string")
    if "requests" not in body:
        raise invalid_request("requests: Field required")
    items = body["requests"]
    if not isinstance(items, list):
        raise invalid_request("requests: Input should be a valid list")
    if not items:
        raise invalid_request("requests: List should have at least 1 item after validation, not 0")
    if len(items) > MAX_REQUESTS:
        raise invalid_request(f"requests: List should have at most {MAX_REQUESTS} items after validation, not {len(items)}")
    seen: set[str] = set()
    pairs: list[tuple[str, JsonDict]] = []
    for index, item in enumerate(items):
        where = f"requests.{index}"
        if not isinstance(item, dict):
            raise invalid_request(f"{where}: Input should be a valid dictionary")
        extra = sorted(set(item) - {"custom_id", "params"})
        if extra:
            raise invalid_request(f"{where}.{extra[0]}: Extra inputs are not permitted")
        for field in ("custom_id", "params"):
            if field not in item:
                raise invalid_request(f"{where}.{field}: Field required")
        custom_id = item["custom_id"]
        if not isinstance(custom_id, str):
            raise invalid_request(f"{where}.custom_id: Input should be a valid string")
        if not CUSTOM_ID_PATTERN.match(custom_id):
            raise invalid_request(f"{where}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN.pattern}'")
        if custom_id in seen:
            raise invalid_request(f"{where}.custom_id: Duplicate custom_id {custom_id!r}; custom_id values must be unique within a batch")
        seen.add(custom_id)
        if not isinstance(item["params"], dict):
            raise invalid_request(f"{where}.params: Input should be a valid dictionary")
        pairs.append((custom_id, item["params"]))
    return pairs


def answer(state: ServerState, params: JsonDict, *, version: str, beta: bool = False) -> JsonDict:
    """One request's result: `succeeded` with the message, or `errored` with the error envelope."""
    store = state.store
    try:
        if params.get("stream") is True:
            # The batch runs the requests itself; there is no connection to stream to.
            raise invalid_request("stream: Streaming is not supported for requests in a Message Batch")
        # The same pipeline as POST /v1/messages, so a result equals the direct answer (compat-bugs J2).
        valid = request_params(state, "create", params, api_version=version, beta=beta)
        message = _model.generate_message(valid, seed=state.config.seed)
    except ApiError as exc:
        return _errored(exc.error_type, exc.message, store.new_id("req_"))
    except Exception:  # an item's failure must not fail the batch (nor answer 500)
        log.exception("batch request failed")
        return _errored("api_error", "Internal server error", store.new_id("req_"))
    usage = message.get("usage")
    if isinstance(usage, dict) and "service_tier" in usage:
        usage["service_tier"] = "batch"
    return {"type": "succeeded", "message": message}


def _errored(error_type: str, message: str, request_id: str) -> JsonDict:
    return {"type": "errored", "error": {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}}


async def create_batch(request: Request) -> Response:
    state = server_state(request)
    pairs = parse_requests(await read_json(request))
    version = api_version(request)
    beta = beta_call(request)
    results = [(custom_id, answer(state, params, version=version, beta=beta)) for custom_id, params in pairs]
    lines = [{"custom_id": custom_id, "result": result} for custom_id, result in results]
    succeeded = sum(1 for _, result in results if result["type"] == "succeeded")
    batch_id = state.store.new_id(ID_PREFIX)
    record = new_record(batch_id, state.store.now().timestamp(), len(lines), succeeded)
    state.store.insert(KIND, batch_id, record, blob=_jsonl(lines))
    return JSONResponse(render(record, request))


# -- the other endpoints ---------------------------------------------------------------------------


async def list_batches(request: Request) -> Response:
    state = server_state(request)
    limit = query_limit(request)
    before_id, after_id = query_cursors(request)
    objects = state.store.list(KIND)
    records = {obj.key: settle(state, obj, polled=True) for obj in objects}
    page = id_cursor_page(
        objects, lambda obj: render(records[obj.key], request), limit=limit, before_id=before_id, after_id=after_id,
        lenient=state.config.mock,
    )
    return JSONResponse(page)


async def retrieve_batch(request: Request) -> Response:
    _, record, _ = _load(request, polled=True)
    return JSONResponse(render(record, request))


async def cancel_batch(request: Request) -> Response:
    state = server_state(request)
    obj, record, synthetic = _load(request, polled=False)
    if record["status"] == ENDED and not synthetic:
        raise invalid_request(f"Message Batch {obj.key} has already ended and can no longer be canceled.")
    if record["status"] != CANCELING:
        record["status"] = CANCELING
        record["outcome"] = None
        record["ended"] = None
        record["cancel_initiated"] = state.store.now().timestamp()
        if not synthetic:
            state.store.update(KIND, obj.key, record)
    return JSONResponse(render(record, request))


async def delete_batch(request: Request) -> Response:
    state = server_state(request)
    obj, record, synthetic = _load(request, polled=False)
    if record["status"] != ENDED:
        raise invalid_request(
            f"Message Batch {obj.key} cannot be deleted while it is {record['status']}; "
            "only batches that have ended can be deleted (cancel it first)."
        )
    if not synthetic:
        state.store.delete(KIND, obj.key)
    return JSONResponse({"id": obj.key, "type": "message_batch_deleted"})


async def batch_results(request: Request) -> Response:
    state = server_state(request)
    obj, record, synthetic = _load(request, polled=False)
    if record["status"] != ENDED:
        raise not_found(f"Message Batch {obj.key} has no available results.")
    if synthetic:
        body = _synthesized_results(state, obj.key)
    else:
        body = _results_body(record, state.store.blob(KIND, obj.key) or b"")
    return Response(body, media_type=JSONL_MEDIA_TYPE)


def _results_body(record: JsonDict, processed: bytes) -> bytes:
    """The stored answers, or (for a canceled or expired batch) that outcome for every custom_id."""
    if record["outcome"] == PROCESSED:
        return processed
    custom_ids = [json.loads(line)["custom_id"] for line in processed.splitlines() if line.strip()]
    return _jsonl([{"custom_id": custom_id, "result": {"type": record["outcome"]}} for custom_id in custom_ids])


routes: list[BaseRoute] = [
    Route("/v1/messages/batches", create_batch, methods=["POST"]),
    Route("/v1/messages/batches", list_batches, methods=["GET"]),
    Route("/v1/messages/batches/{message_batch_id}", retrieve_batch, methods=["GET"]),
    Route("/v1/messages/batches/{message_batch_id}", delete_batch, methods=["DELETE"]),
    Route("/v1/messages/batches/{message_batch_id}/cancel", cancel_batch, methods=["POST"]),
    Route("/v1/messages/batches/{message_batch_id}/results", batch_results, methods=["GET"]),
]
