"""Scenario drivers: send a meaningful sequence of requests and hand back the exchanges as a Scenario.

Each driver is a plain function of the target; the checks in conformance.checks.scenarios judge
what they return. Every loop is bounded (pages, polls, seconds).
"""

from __future__ import annotations

import time
from typing import Any

from conformance._exchange import (
    BatchLifecycle,
    CompletionPair,
    CountPair,
    Exchange,
    FileRoundTrip,
    PaginationWalk,
    StreamPair,
)
from conformance.engine._target import Target

MAX_PAGES = 50
MAX_POLLS = 30
POLL_SECONDS = 0.2


def expect_ok(*exchanges: Exchange) -> None:
    """The engine built these requests valid, with a model the target lists: the API answers 200.
    A 404 then means the route is missing (catalogue G1), which `acceptance.expected_status` says."""
    for exchange in exchanges:
        exchange.expectation = "valid"
        exchange.expected_status = 200


def stream_pair(target: Target, request: dict[str, Any]) -> StreamPair:
    plain = target.send("POST", "/v1/messages", json={**request, "stream": False}, operation_id="createMessage",
                        label="non-streaming")
    streamed = target.send("POST", "/v1/messages", json={**request, "stream": True}, operation_id="createMessage",
                           label="streaming")
    expect_ok(plain, streamed)
    return StreamPair(operation_id="createMessage", plain=plain, streamed=streamed)


def completion_pair(target: Target, model: str, max_tokens: int) -> CompletionPair:
    """The legacy /v1/complete, streamed and not, with a prompt in the required Human/Assistant form."""
    body = {"model": model, "max_tokens_to_sample": max_tokens,
            "prompt": "\n\nHuman: Repeat after me, exactly: alpha bravo charlie\n\nAssistant:"}
    plain = target.send("POST", "/v1/complete", json=body, operation_id="createCompletion", label="non-streaming")
    streamed = target.send("POST", "/v1/complete", json={**body, "stream": True}, operation_id="createCompletion",
                           label="streaming")
    expect_ok(plain, streamed)
    return CompletionPair(operation_id="createCompletion", plain=plain, streamed=streamed)


_NOT_COUNTED = ("max_tokens", "stream", "stop_sequences", "temperature", "top_p", "top_k", "metadata", "service_tier")


def count_pair(target: Target, request: dict[str, Any]) -> CountPair:
    counted_body = {k: v for k, v in request.items() if k not in _NOT_COUNTED}
    counted = target.send("POST", "/v1/messages/count_tokens", json=counted_body, operation_id="countMessageTokens",
                          label="count_tokens")
    created = target.send("POST", "/v1/messages", json={**request, "stream": False}, operation_id="createMessage",
                          label="create")
    expect_ok(counted, created)
    return CountPair(operation_id="countMessageTokens", counted=counted, created=created)


def pagination(target: Target, path: str, operation_id: str, limit: int) -> PaginationWalk:
    """Walk an ID-cursor list forward with `after_id`, and fetch it whole for comparison."""
    everything = target.send("GET", path, params={"limit": 1000}, operation_id=operation_id, label="all")
    body = everything.response.json() if everything.response.status == 200 else None
    all_ids = [str(item.get("id")) for item in (body or {}).get("data") or [] if isinstance(item, dict)]
    pages: list[Exchange] = []
    params: dict[str, Any] = {"limit": limit}
    for number in range(MAX_PAGES):
        page = target.send("GET", path, params=params, operation_id=operation_id, label=f"page {number + 1}")
        pages.append(page)
        if number == 0:
            expect_ok(page)  # a valid first page: a missing list route shows here
        data = page.response.json() if page.response.status == 200 else None
        if not isinstance(data, dict) or not data.get("has_more") or not data.get("data"):
            break
        cursor = data.get("last_id") or (data["data"][-1] or {}).get("id")
        if not cursor:
            break
        params = {"limit": limit, "after_id": cursor}
    truncated = len(pages) == MAX_PAGES or bool(body and body.get("has_more"))
    return PaginationWalk(operation_id=operation_id, pages=pages, limit=limit, all_ids=all_ids, truncated=truncated)


def batch_lifecycle(target: Target, requests: list[dict[str, Any]], *, timeout: float = 30.0) -> BatchLifecycle:
    """Create → results/delete too early → poll until ended → results → delete."""
    items = [{"custom_id": f"req-{i}", "params": params} for i, params in enumerate(requests)]
    created = target.send("POST", "/v1/messages/batches", json={"requests": items}, operation_id="createMessageBatch",
                          label="create")
    exchanges = [created]
    expect_ok(created)
    custom_ids = [str(item["custom_id"]) for item in items]
    body = created.response.json() if created.response.status == 200 else None
    if not isinstance(body, dict) or not body.get("id"):
        return BatchLifecycle(operation_id="createMessageBatch", steps=exchanges, custom_ids=custom_ids)
    batch = f"/v1/messages/batches/{body['id']}"
    if body.get("processing_status") != "ended":
        exchanges.append(target.send("GET", f"{batch}/results", operation_id="getMessageBatchResults",
                                     label="results_before_end"))
        exchanges.append(target.send("DELETE", batch, operation_id="deleteMessageBatch", label="delete_before_end"))
    deadline = time.monotonic() + timeout
    for number in range(MAX_POLLS):
        poll = target.send("GET", batch, operation_id="getMessageBatch", label=f"poll {number + 1}")
        exchanges.append(poll)
        state = poll.response.json() if poll.response.status == 200 else None
        if not isinstance(state, dict) or state.get("processing_status") == "ended" or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    exchanges.append(target.send("GET", f"{batch}/results", operation_id="getMessageBatchResults", label="results"))
    exchanges.append(target.send("DELETE", batch, operation_id="deleteMessageBatch", label="delete"))
    return BatchLifecycle(operation_id="createMessageBatch", steps=exchanges, custom_ids=custom_ids)


def file_round_trip(target: Target, content: bytes, filename: str = "conformance.txt") -> FileRoundTrip:
    upload = target.send("POST", "/v1/files", files={"file": (filename, content, "text/plain")},
                         operation_id="uploadFile", label="upload")
    exchanges = [upload]
    expect_ok(upload)
    body = upload.response.json() if upload.response.status == 200 else None
    if isinstance(body, dict) and body.get("id"):
        path = f"/v1/files/{body['id']}"
        exchanges.append(target.send("GET", path, operation_id="getFileMetadata", label="metadata"))
        exchanges.append(target.send("GET", f"{path}/content", operation_id="downloadFile", label="content",
                                     headers={"accept": "application/binary"}))
        exchanges.append(target.send("DELETE", path, operation_id="deleteFile", label="delete"))
        exchanges.append(target.send("GET", path, operation_id="getFileMetadata", label="after_delete"))
    return FileRoundTrip(operation_id="uploadFile", steps=exchanges, content=content)


def probes(target: Target, model: str) -> list[Exchange]:
    """Requests whose answer the API fixes: auth, version, routing, malformed bodies (A2, A3, B1, B3)."""
    good = {"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
    sent = [
        (target.send("POST", "/v1/messages", json=good, auth=False, headers={"anthropic-version": target.anthropic_version},
                     operation_id="createMessage", label="no api key"), 401),
        (target.send("POST", "/v1/messages", json=good, headers={"anthropic-version": None},  # type: ignore[dict-item]
                     operation_id="createMessage", label="no anthropic-version"), 400),
        (target.send("POST", "/v1/messages", content=b'{"model": "x", "messages": [', operation_id="createMessage",
                     headers={"content-type": "application/json"}, label="malformed JSON"), 400),
        (target.send("POST", "/v1/messages", json={**good, "max_tokens": 0}, operation_id="createMessage",
                     label="max_tokens 0"), 400),
        (target.send("POST", "/v1/messages", json={k: v for k, v in good.items() if k != "max_tokens"},
                     operation_id="createMessage", label="max_tokens missing"), 400),
        (target.send("POST", "/v1/messages", json={**good, "stop_sequences": [""]}, operation_id="createMessage",
                     label="empty stop sequence"), 400),
        (target.send("POST", "/v1/messages", json={**good, "tool_choice": {"type": "any"}}, operation_id="createMessage",
                     label="tool_choice any without tools"), 400),
        (target.send("GET", "/v1/no-such-route", label="unknown route"), 404),
        (target.send("POST", "/v1/messages", json={**good, "model": "no-such-model-xyz"}, operation_id="createMessage",
                     label="unknown model"), 404),
    ]
    for exchange, status in sent:
        exchange.expectation = "invalid"
        exchange.expected_status = status
    return [exchange for exchange, _ in sent]
