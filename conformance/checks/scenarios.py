"""Checks over scenarios: what only several exchanges together can show (catalogue F3, F4, G2, G3,
J1, and the file round trip). The engine's drivers build the scenarios; these judge them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from conformance._accumulate import AccumulationError, accumulate
from conformance._exchange import (
    BatchLifecycle,
    CompletionPair,
    CountPair,
    Exchange,
    ExpectedStop,
    FileRoundTrip,
    PaginationWalk,
    Severity,
    StreamPair,
)
from conformance.checks._registry import CheckContext, Failure, check
from conformance.contract import broken_rule

_USAGE_KEYS = ("input_tokens", "output_tokens")


def _json(exchange: Exchange) -> Any:
    return exchange.response.json()


def _message(exchange: Exchange) -> dict[str, Any] | None:
    """The Message a client ends up with: the stream accumulated, or the JSON body. None for a
    stream no client can accumulate: the `sse` checks report that on its exchange, and judging
    what it means would report the same cause again."""
    if exchange.response.is_stream:
        try:
            return accumulate(exchange.response.frames)
        except AccumulationError:
            return None
    body = _json(exchange)
    return body if isinstance(body, dict) else {}


def _stream_pair(scenario: StreamPair | CompletionPair) -> tuple[dict[str, Any], Exchange] | None:
    """The non-streaming body and the streamed exchange, when both answered 200 as they should."""
    plain, streamed = scenario.plain, scenario.streamed
    if plain.response.status != 200 or streamed.response.status != 200 or not streamed.response.is_stream:
        return None
    if isinstance(scenario, StreamPair) and broken_rule(plain.request.json()) is not None:
        return None  # the API would reject it: the answers mean nothing (contract.broken_rule)
    body = _json(plain)
    return (body, streamed) if isinstance(body, dict) else None


def _comparable(message: dict[str, Any]) -> dict[str, Any]:
    """The parts of a Message that must be equal between streaming and not (ids may differ)."""
    usage = message.get("usage") or {}
    return {
        "content": message.get("content"),
        "stop_reason": message.get("stop_reason"),
        "stop_sequence": message.get("stop_sequence"),
        "usage": {k: usage.get(k) for k in _USAGE_KEYS},
        "model": message.get("model"),
    }


@check("equivalence.stream_matches", group="equivalence", on=StreamPair)
def stream_matches(scenario: StreamPair, ctx: CheckContext) -> Iterator[Failure]:
    """Accumulating the stream gives the non-streaming Message for the same deterministic request:
    same blocks, tool inputs, stop_reason, stop_sequence and usage (catalogue J1, F4, D1)."""
    pair = _stream_pair(scenario)
    if pair is None:
        return
    body, streamed = pair
    accumulated = _message(streamed)
    if accumulated is None:
        return
    if not ctx.options.get("deterministic", True):
        # Live models differ run to run; the shape still must: stop reason and block types.
        kinds = [b.get("type") for b in body.get("content") or []], [b.get("type") for b in accumulated.get("content") or []]
        if body.get("stop_reason") == accumulated.get("stop_reason") and kinds[0] != kinds[1]:
            yield Failure(f"same stop_reason but different block types: {kinds[0]} vs streamed {kinds[1]}",
                          severity="warning")
        return
    left, right = _comparable(body), _comparable(accumulated)
    for key in left:
        if left[key] != right[key]:
            yield Failure(f"{key} differs: non-streaming {json.dumps(left[key])[:200]} vs streamed "
                          f"{json.dumps(right[key])[:200]}", location=key)


@check("equivalence.completion_stream_matches", group="equivalence", on=CompletionPair)
def completion_stream_matches(scenario: CompletionPair, ctx: CheckContext) -> Iterator[Failure]:
    """The legacy /v1/complete stream's incremental `completion` texts join to the non-streaming
    completion, with the same stop_reason (deterministic targets; stop_reason only otherwise)."""
    pair = _stream_pair(scenario)
    if pair is None:
        return
    body, streamed = pair
    events = [f.json_or_none() or {} for f in streamed.response.frames if f.event == "completion"]
    text = "".join(str(e.get("completion") or "") for e in events)
    stop = next((e.get("stop_reason") for e in reversed(events) if e.get("stop_reason") is not None), None)
    if stop != body.get("stop_reason"):
        yield Failure(f"stop_reason differs: non-streaming {body.get('stop_reason')!r} vs streamed {stop!r}",
                      location="stop_reason")
    if ctx.options.get("deterministic", True) and text != body.get("completion"):
        yield Failure(f"completion differs: non-streaming {str(body.get('completion'))[:120]!r} vs streamed {text[:120]!r}",
                      location="completion")


@check("tokens.count_matches_usage", group="tokens", on=CountPair)
def count_matches_usage(scenario: CountPair, ctx: CheckContext) -> Iterator[Failure]:
    """count_tokens(request).input_tokens ≈ messages(request).usage.input_tokens, within the
    profile's tolerance (catalogue F3)."""
    counted, created = scenario.counted, scenario.created
    if counted.response.status != 200 or created.response.status != 200:
        return
    count = (_json(counted) or {}).get("input_tokens")
    message = _message(created)
    if message is None:
        return
    used = (message.get("usage") or {}).get("input_tokens")
    if not isinstance(count, int) or not isinstance(used, int):
        return
    tolerance = float(ctx.options.get("count_tokens_tolerance", 0.0))
    if abs(count - used) > tolerance * max(used, 1):
        yield Failure(f"count_tokens says {count} input tokens, the message used {used} "
                      f"(tolerance {tolerance:.0%})")


@check("pagination.walk", group="pagination", on=PaginationWalk)
def pagination_walk(scenario: PaginationWalk, ctx: CheckContext) -> Iterator[Failure]:
    """Walking a list page by page: `limit` honoured, `has_more` and first/last ids consistent, the
    cursor visits every item exactly once and in the same order as one big page (catalogue G2)."""
    limit, full = scenario.limit, scenario.all_ids
    seen: list[str] = []
    pages = [e for e in scenario.pages if e.response.status == 200]
    for number, page in enumerate(pages):
        body = _json(page) or {}
        ids = [str(item.get("id")) for item in body.get("data") or [] if isinstance(item, dict)]
        where = f"page {number + 1}"
        if isinstance(limit, int) and len(ids) > limit:
            yield Failure(f"{len(ids)} items on a page with limit={limit}", location=where)
        if "first_id" in body and ids and (body.get("first_id"), body.get("last_id")) != (ids[0], ids[-1]):
            yield Failure(f"first_id/last_id {body.get('first_id')}/{body.get('last_id')} do not name the "
                          f"page's first and last items {ids[0]}/{ids[-1]}", location=where)
        is_last = number == len(pages) - 1
        if "has_more" in body and bool(body.get("has_more")) == is_last and not (is_last and scenario.truncated):
            yield Failure(f"has_more is {body.get('has_more')} on the {'last' if is_last else 'non-last'} page",
                          location=where)
        repeated = [i for i in ids if i in seen]
        if repeated:
            yield Failure(f"items repeated across pages: {repeated[:3]}", location=where)
        seen.extend(ids)
    if not scenario.truncated and seen != full:
        missing = [i for i in full if i not in seen]
        yield Failure(f"the walk saw {len(seen)} items, the full list has {len(full)}"
                      + (f"; missing {missing[:3]}" if missing else "; order differs"))


_STATUS_ORDER = {"in_progress": 0, "canceling": 1, "ended": 2}


@check("batches.lifecycle", group="batches", on=BatchLifecycle)
def batch_lifecycle(scenario: BatchLifecycle, ctx: CheckContext) -> Iterator[Failure]:
    """A batch's life: counts sum to the number of requests at every poll, status only moves
    forward, ended_at and results_url appear exactly when it has ended, results come only once it
    has ended with one line per custom_id, and delete works only once ended (catalogue G3)."""
    expected = scenario.custom_ids
    last_rank = -1
    for exchange in scenario.steps:
        step = exchange.label
        body = _json(exchange) if exchange.response.content_type == "application/json" else None
        if step.startswith("results"):
            yield from _batch_results(exchange, expected, step)
            continue
        if step.startswith("delete_before_end") and exchange.response.status < 400:
            yield Failure("a batch that had not ended was deleted", location=step)
            continue
        if not isinstance(body, dict) or body.get("type") != "message_batch":
            continue
        counts = body.get("request_counts") or {}
        total = sum(v for v in counts.values() if isinstance(v, int))
        if expected and total != len(expected):
            yield Failure(f"request_counts sum to {total}, the batch has {len(expected)} requests", location=step)
        status = body.get("processing_status")
        rank = _STATUS_ORDER.get(str(status), last_rank)
        if rank < last_rank:
            yield Failure(f"processing_status went back to {status}", location=step)
        last_rank = max(last_rank, rank)
        ended = status == "ended"
        if ended != (body.get("ended_at") is not None):
            yield Failure(f"ended_at is {body.get('ended_at')!r} while processing_status is {status}", location=step)
        if ended != (body.get("results_url") is not None):
            yield Failure(f"results_url is {body.get('results_url')!r} while processing_status is {status}", location=step)
        if status == "in_progress" and any(counts.get(k) for k in ("succeeded", "errored", "canceled", "expired")):
            yield Failure(f"counts other than processing are non-zero before the batch ended: {counts}", location=step)


def _batch_results(exchange: Exchange, expected: list[str], step: str) -> Iterator[Failure]:
    if step.startswith("results_before_end"):
        if exchange.response.status < 400:
            yield Failure("results were served before the batch ended", location=step)
        return
    if exchange.response.status != 200:
        yield Failure(f"results of an ended batch answered {exchange.response.status}", location=step)
        return
    lines = [line for line in exchange.response.text.splitlines() if line.strip()]
    try:
        ids = Counter(json.loads(line).get("custom_id") for line in lines)
    except (ValueError, AttributeError):
        yield Failure("the results are not JSON lines", location=step)
        return
    if expected and (set(ids) != set(expected) or any(n != 1 for n in ids.values())):
        yield Failure(f"results should hold one line per custom_id {sorted(expected)[:5]}..., got {dict(ids)}",
                      location=step)


@check("files.round_trip", group="files", on=FileRoundTrip)
def file_round_trip(scenario: FileRoundTrip, ctx: CheckContext) -> Iterator[Failure]:
    """Upload → metadata → content → delete → metadata: sizes and bytes match, and the deleted
    file is 404 not_found_error."""
    uploaded = scenario.content
    by_step = {e.label: e for e in scenario.steps}
    upload, meta = by_step.get("upload"), by_step.get("metadata")
    if upload is None or upload.response.status != 200:
        return
    for name, exchange in (("upload", upload), ("metadata", meta)):
        body = _json(exchange) if exchange else None
        if isinstance(body, dict) and body.get("size_bytes") != len(uploaded):
            yield Failure(f"size_bytes is {body.get('size_bytes')}, {len(uploaded)} bytes were uploaded", location=name)
    content = by_step.get("content")
    if content is not None and content.response.status == 200 and content.response.body != uploaded:
        yield Failure(f"the downloaded bytes differ from the uploaded ones ({len(content.response.body)} vs "
                      f"{len(uploaded)} bytes)", location="content")
    after = by_step.get("after_delete")
    if after is not None and after.response.status != 404:
        yield Failure(f"a deleted file answered {after.response.status}, expected 404", location="after_delete")


LEAD_IN = "alpha bravo"
"""What the stop-sequence request asks to be repeated before its stop sequence ("charlie")."""


def _repeats_the_lead_in(message: dict[str, Any]) -> bool:
    text = " ".join(str(b.get("text", "")) for b in message.get("content") or [] if isinstance(b, dict))
    return LEAD_IN in text.lower()


@check("meaning.stop_reason_expected", group="meaning", on=ExpectedStop)
def stop_reason_expected(scenario: ExpectedStop, ctx: CheckContext) -> Iterator[Failure]:
    """A request built to stop for a known reason stops for it: max_tokens=2 on a long answer →
    `max_tokens`; a stop sequence the reply must contain → `stop_sequence`, echoed (catalogue E1,
    E2). A live model may not comply: a warning on non-deterministic profiles."""
    exchange = scenario.exchange
    if exchange.response.status != 200:
        return
    message = _message(exchange)
    if message is None:
        return
    deterministic = ctx.options.get("deterministic", True)
    severity: Severity | None = None if deterministic else "warning"
    wanted = scenario.stop_reason
    if scenario.stop_sequence is not None and not deterministic and not _repeats_the_lead_in(message):
        return  # the reply never got near the stop sequence (a canned answer): nothing to stop on
    if message.get("stop_reason") != wanted:
        yield Failure(f"stop_reason is {message.get('stop_reason')!r}, expected {wanted!r}", severity=severity)
    elif scenario.stop_sequence is not None and message.get("stop_sequence") != scenario.stop_sequence:
        yield Failure(f"stop_sequence is {message.get('stop_sequence')!r}, expected {scenario.stop_sequence!r}",
                      severity=severity)
