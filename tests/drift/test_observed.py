"""Reality drift: exchanges against a contract, on hand-made traffic and on ../shared/traffic."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from conformance._exchange import Exchange, Request, Response
from conformance.contract import Contract, load_contract
from conformance.drift import ObservedReport, observed_drift, render
from tests._traffic import recordings
from tests.drift._build import api, frames, obj, ref, typed

_STRING = {"type": "string"}


def _contract() -> Contract:
    schemas = {
        "Message": obj(
            ("id", "content"),
            id=_STRING,
            stop_reason={"type": ["string", "null"], "enum": ["end_turn", "max_tokens", None]},
            content={"type": "array", "items": ref("Block")},
        ),
        "Block": {"oneOf": [ref("Text"), ref("Image")], "discriminator": {"propertyName": "type"}},
        "Text": typed("text", "text"),
        "Image": typed("source", "image"),
        "Start": obj(("type",), type={"const": "message_start"}, message=ref("Message")),
        "Delta": obj(
            ("type",), type={"const": "content_block_delta"}, delta={"oneOf": [ref("TextDelta"), ref("JsonDelta")]}
        ),
        "TextDelta": typed("text", "text_delta"),
        "JsonDelta": typed("partial_json", "input_json_delta"),
        "Stop": obj(("type",), type={"const": "message_stop"}),
        "Event": {"oneOf": [ref("Start"), ref("Delta"), ref("Stop")], "discriminator": {"propertyName": "type"}},
        "Params": obj(
            ("model",),
            model=_STRING,
            tool={"type": "object", "additionalProperties": True, "properties": {"type": _STRING}},
        ),
    }
    document = api(
        request=ref("Params"),
        content={"application/json": {"schema": ref("Message")}, "text/event-stream": {"schema": frames(ref("Event"))}},
        headers={"request-id": {"schema": _STRING}, "retry-after": {"schema": _STRING}},
        path="/v1/messages",
        schemas=schemas,
    )
    document["paths"]["/v1/messages"]["post"]["responses"]["400"] = {
        "description": "bad",
        "content": {"application/json": {"schema": obj(type=_STRING)}},
    }
    return Contract(document)


def _exchange(
    body: Any,
    *,
    status: int = 200,
    path: str = "/v1/messages",
    request: Any = None,
    headers: dict[str, str] | None = None,
    label: str = "",
) -> Exchange:
    if isinstance(body, list):  # SSE frames
        raw = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in body).encode()
        kind = "text/event-stream"
    else:
        raw, kind = json.dumps(body).encode(), "application/json"
    return Exchange(
        Request(
            "POST",
            f"https://api.anthropic.com{path}",
            {"content-type": "application/json"},
            json.dumps(request or {"model": "m"}).encode(),
        ),
        Response(status, {"content-type": kind, "request-id": "req_1", "date": "today", **(headers or {})}, raw),
        label=label,
    )


_MESSAGE = {"id": "msg_1", "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}


def _report(*exchanges: Exchange) -> ObservedReport:
    return observed_drift(_contract(), exchanges)


def _unknown(report: ObservedReport) -> dict[tuple[str, str], tuple[int, str]]:
    return {(i.kind, i.what): (i.count, i.example) for i in report.unknown}


def test_traffic_the_contract_describes_has_no_drift() -> None:
    report = _report(
        _exchange(_MESSAGE), _exchange([{"type": "message_start", "message": _MESSAGE}, {"type": "message_stop"}])
    )
    assert report.unknown == []
    assert (report.exchanges, report.matched) == (2, 2)


def test_fields_values_and_block_types_absent_from_the_contract() -> None:
    message = {
        "id": "msg_1",
        "stop_reason": "refusal",
        "container": {"id": "c"},
        "content": [{"type": "text", "text": "a", "citations": []}, {"type": "fallback", "to": "x"}],
    }
    report = _report(_exchange(message, label="one"), _exchange(message, label="two"))
    unknown = _unknown(report)
    assert unknown[("field", "Message.container")] == (2, "one /container")
    assert unknown[("field", "Text.citations")] == (2, "one /content/0/citations")
    assert unknown[("enum-value", "Message.stop_reason = `refusal`")] == (2, "one /stop_reason")
    assert unknown[("variant", "Block: type `fallback`")] == (2, "one /content/1")


def test_event_and_delta_types_absent_from_the_contract() -> None:
    stream = [
        {"type": "message_start", "message": {"id": "m", "content": []}},
        {"type": "content_block_delta", "delta": {"type": "thinking_delta", "thinking": "…"}},
        {"type": "ping"},
        {"type": "message_stop"},
    ]
    unknown = _unknown(_report(_exchange(stream, label="s")))
    assert unknown[("event", "Event: type `ping`")] == (1, "s event #2 /")
    assert unknown[("variant", "Delta.delta: type `thinking_delta`")] == (1, "s event #1 /delta")


def test_headers_statuses_operations_and_media_types() -> None:
    report = _report(
        _exchange(_MESSAGE, headers={"anthropic-organization-id": "o", "cf-ray": "r"}),
        _exchange({"type": "error"}, status=529),
        _exchange(_MESSAGE, path="/v1/files/file_011CcQH3nbP5brKi4DsVcj7j"),
        Exchange(Request("POST", "https://x/v1/messages"), Response(200, {"content-type": "text/plain"}, b"hi")),
    )
    unknown = _unknown(report)
    assert ("header", "anthropic-organization-id on 200") in unknown
    assert ("header", "cf-ray on 200") in unknown
    assert ("header", "date on 200") not in unknown  # transport headers are not the contract's business
    assert ("status", "POST /v1/messages 529") in unknown
    assert ("operation", "POST /v1/files/{id}") in unknown
    assert ("media-type", "POST /v1/messages 200 text/plain") in unknown


def test_request_fields_and_open_objects() -> None:
    request = {"model": "m", "speed": "fast", "tool": {"type": "object", "title": "free"}}
    unknown = _unknown(_report(_exchange(_MESSAGE, request=request)))
    assert ("field", "Params.speed") in unknown
    assert not [key for key in unknown if "tool" in key[1]]  # additionalProperties: true is open on purpose
    assert all(i.side == "request" for i in _report(_exchange(_MESSAGE, request=request)).unknown)


def test_parts_never_observed() -> None:
    never = {(i.kind, i.what) for i in _report(_exchange(_MESSAGE)).unobserved}
    assert ("variant", "Block: type `image`") in never
    assert ("variant", "Block: type `text`") not in never
    assert ("enum-value", "Message.stop_reason = `max_tokens`") in never
    assert ("event", "Event: type `message_start`") in never
    assert ("status", "POST /v1/messages 400") in never
    assert ("header", "retry-after on 200") in never
    assert ("header", "request-id on 200") not in never


def test_fail_on_and_renders() -> None:
    report = _report(_exchange({**_MESSAGE, "extra": 1}))
    assert report.failing(None) == []
    assert [i.what for i in report.failing("warning")] == ["Message.extra"]
    assert len(report.failing("info")) == 1 + len(report.unobserved)
    assert "Message.extra" in render(report, "text")
    assert "| field | Message.extra | 1 |" in render(report, "markdown")
    assert json.loads(render(report, "json"))["unknown"][0]["what"] == "Message.extra"


@pytest.mark.shared
def test_contract_against_recorded_traffic() -> None:
    exchanges = [r.exchange() for r in recordings()]
    report = observed_drift(load_contract(), exchanges)
    assert report.exchanges == len(exchanges) > 500
    assert report.matched == report.exchanges
    kinds = Counter(i.kind for i in report.unknown)
    # Every field, value, block, delta and event type of genuine traffic is in the contract;
    # what is left is response headers (see docs/drift.md for the ones the contract should add).
    assert set(kinds) <= {"header"}, [i.what for i in report.unknown if i.kind != "header"]
    seen_events = {i.what for i in report.unobserved if i.kind == "event"}
    assert "MessageStreamEvent: type `message_start`" not in seen_events


@pytest.mark.shared
def test_seed_001_against_recorded_traffic_shows_its_gaps() -> None:
    report = observed_drift(load_contract_seed(), [r.exchange() for r in recordings()])
    unknown = _unknown(report)
    assert ("field", "Usage.service_tier") in unknown
    assert ("enum-value", "InputMessage.role = `system`") in unknown
    assert ("operation", "POST /v1/complete") in unknown


def load_contract_seed() -> Contract:
    from conformance.contract import bundled_contract_path

    return load_contract(bundled_contract_path().parent / "sources" / "001.anthropic-claude-openapi.yml")
