"""The bundled contract: valid OpenAPI 3.1, complete against the 47-endpoint inventory, and true to
real traffic (tolerant view) while strict enough to reject broken copies of it (strict view)."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_openapi

from conformance.contract import Contract, bundled_contract_path, load_contract
from tests._traffic import recordings

SPECS = Path(__file__).resolve().parents[2] / "specs"
LAP = SPECS / "sources" / "000.api-spec.lap"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract()


def test_bundled_contract_is_valid_openapi_31(contract: Contract) -> None:
    assert contract.document["openapi"].startswith("3.1")
    validate_openapi(contract.document)


def test_multi_file_sources_are_valid_openapi_31() -> None:
    # The files as written (joined by relative $ref), not only the bundle, are valid.
    from conformance.contract import read_document

    root = bundled_contract_path()
    validate_openapi(read_document(root), base_uri=root.as_uri())


def _lap_endpoints() -> list[tuple[str, str]]:
    text = LAP.read_text()
    declared = int(re.search(r"^@endpoints (\d+)$", text, re.M).group(1))  # type: ignore[union-attr]
    endpoints = re.findall(r"^@endpoint ([A-Z]+) (\S+)$", text, re.M)
    assert len(endpoints) == declared, "the LAP parser missed endpoints"
    return endpoints


@pytest.mark.parametrize(("method", "target"), _lap_endpoints(), ids=lambda v: v)
def test_every_inventory_endpoint_is_an_operation(contract: Contract, method: str, target: str) -> None:
    path, _, query = target.partition("?")
    concrete = re.sub(r"\{[^}]+\}", "x1", path)
    operation = contract.match(method, concrete, query)
    assert operation is not None, f"{method} {target} has no operation in the contract"
    assert operation.path == path
    if query == "beta=true":
        names = {p.get("name") for p in _parameters(contract, operation.pointer)}
        assert "beta" in names, f"{operation.operation_id} does not model the ?beta=true variant"


def _parameters(contract: Contract, operation_pointer: str) -> list[dict[str, Any]]:
    path_pointer = operation_pointer.rsplit("/", 1)[0]
    found = []
    for owner in (contract.strict.resolve(path_pointer), contract.strict.resolve(operation_pointer)):
        for param in owner.get("parameters") or []:
            found.append(contract.strict.resolve(param["$ref"]) if "$ref" in param else param)
    return found


def test_every_operation_documents_errors_and_request_id(contract: Contract) -> None:
    for op in contract.operations:
        statuses = set(op.response_statuses)
        assert {"400", "401", "404", "429", "500", "529", "4XX", "5XX"} <= statuses, op.operation_id
        ok = contract.response(op.operation_id, 200)
        assert ok is not None, op.operation_id
        assert "request-id" in (ok[1].get("headers") or {}), op.operation_id
        for status in (400, 401, 404, 429, 500, 529):
            pointer = contract.response_schema_pointer(op.operation_id, status, "application/json")
            assert pointer is not None, (op.operation_id, status)


def test_streaming_is_part_of_the_contract(contract: Contract) -> None:
    streaming = {op.operation_id for op in contract.operations if op.streams}
    assert streaming == {"createMessage", "createCompletion"}
    events = contract.event_schemas
    for name in ("message_start", "content_block_start", "content_block_delta", "content_block_stop",
                 "message_delta", "message_stop", "ping", "error"):
        assert name in events, name


def _media_type(exchange: Any, operation_id: str) -> str:
    declared = exchange.response.content_type
    if declared:
        return declared
    # Some recorders dropped the response headers; the body tells what it was.
    return "application/x-jsonl" if operation_id == "getMessageBatchResults" else "application/json"


def _jsonl(text: str) -> list[Any]:
    import json

    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.shared
def test_genuine_traffic_validates_against_the_tolerant_view(contract: Contract) -> None:
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for rec in recordings():
        exchange = rec.exchange()
        request = exchange.request
        operation = contract.match(request.method, request.path, request.query)
        assert operation is not None, f"{rec.name}: {request.method} {request.path} matches no operation"
        response = exchange.response
        if response.is_stream:
            for index, frame in enumerate(response.frames):
                errors = contract.validate_event(operation.operation_id, frame.json())
                assert errors is not None, f"{rec.name}: {operation.operation_id} documents no stream"
                counts["events"] += 1
                failures += [f"{rec.name} event #{index} ({frame.event}): {e}" for e in errors]
            counts["streams"] += 1
            continue
        media_type = _media_type(exchange, operation.operation_id)
        if media_type == "application/octet-stream" or (operation.operation_id == "downloadFile" and response.status == 200):
            counts["binary bodies"] += 1
            continue
        instances = _jsonl(response.text) if media_type in ("application/x-jsonl", "application/jsonl") else [response.json()]
        for instance in instances:
            errors = contract.validate_response(operation.operation_id, response.status, media_type, instance)
            assert errors is not None, f"{rec.name}: {response.status} {media_type} not documented for {operation.operation_id}"
            counts["bodies"] += 1
            failures += [f"{rec.name} ({response.status}): {e}" for e in errors]
    print(f"\ngenuine traffic validated against the tolerant view: {dict(counts)}")
    assert counts["bodies"] > 400 and counts["events"] > 2000
    assert not failures, "\n".join(failures[:40])


@pytest.mark.shared
def test_genuine_traffic_against_the_strict_view_is_reported(contract: Contract) -> None:
    """Strict is allowed to reject genuine traffic (newer fields); this test only counts, so the
    closing notes can say how far the strict view lags behind the live API."""
    counts: Counter[str] = Counter()
    for rec in recordings():
        exchange = rec.exchange()
        operation = contract.match(exchange.request.method, exchange.request.path, exchange.request.query)
        assert operation is not None
        if exchange.response.is_stream:
            for frame in exchange.response.frames:
                errors = contract.validate_event(operation.operation_id, frame.json(), view="strict") or []
                counts["events rejected" if errors else "events accepted"] += 1
        elif exchange.response.content_type in ("application/json", ""):
            body = exchange.response.json()
            errors = contract.validate_response(
                operation.operation_id, exchange.response.status, "application/json", body, view="strict"
            )
            if errors is not None:
                counts["bodies rejected" if errors else "bodies accepted"] += 1
    print(f"\ngenuine traffic against the strict view: {dict(counts)}")
    assert counts["bodies accepted"] > counts["bodies rejected"]


GOOD_MESSAGE: dict[str, Any] = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Hello!"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 6},
}


def _mutated(path: list[Any], value: Any = ..., base: dict[str, Any] = GOOD_MESSAGE) -> dict[str, Any]:
    out = copy.deepcopy(base)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def test_a_good_message_passes_both_views(contract: Contract) -> None:
    assert contract.validate("Message", GOOD_MESSAGE, view="strict") == []
    assert contract.validate("Message", GOOD_MESSAGE, view="tolerant") == []


@pytest.mark.parametrize(
    ("mutation", "tolerant_accepts"),
    [
        (lambda: _mutated(["id"]), False),  # a missing required field
        (lambda: _mutated(["usage", "input_tokens"]), False),
        (lambda: _mutated(["usage", "output_tokens"], "six"), False),  # a wrong type
        (lambda: _mutated(["content"], "Hello!"), False),
        (lambda: _mutated(["content", 0, "text"], 42), False),
        (lambda: _mutated(["content", 0], {"type": "hologram", "payload": 1}), True),  # an unknown block type
        (lambda: _mutated(["surprise"], {"new": "field"}), True),  # a field added later
        (lambda: _mutated(["stop_reason"], "gave_up"), True),  # an enum value added later
    ],
    ids=["missing-id", "missing-usage-field", "wrong-type", "content-not-array", "text-not-string",
         "unknown-block", "unknown-field", "unknown-enum-value"],
)
def test_the_strict_view_rejects_broken_messages(contract: Contract, mutation: Any, tolerant_accepts: bool) -> None:
    broken = mutation()
    assert contract.validate("Message", broken, view="strict"), "strict view accepted a broken message"
    assert (contract.validate("Message", broken, view="tolerant") == []) is tolerant_accepts


@pytest.mark.parametrize(
    ("payload", "tolerant_accepts"),
    [
        ({"type": "content_block_delta", "index": 0}, False),  # delta missing
        ({"type": "content_block_delta", "index": "0", "delta": {"type": "text_delta", "text": "x"}}, False),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}}, False),
        ({"type": "content_block_delta", "index": 0, "delta": {"type": "telepathy_delta", "x": 1}}, True),
        ({"type": "brand_new_event", "x": 1}, True),
    ],
    ids=["missing-delta", "index-not-int", "text-delta-without-text", "unknown-delta", "unknown-event"],
)
def test_the_strict_view_rejects_broken_events(contract: Contract, payload: dict[str, Any], tolerant_accepts: bool) -> None:
    assert contract.validate_event("createMessage", payload, view="strict")
    assert (contract.validate_event("createMessage", payload, view="tolerant") == []) is tolerant_accepts


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 529])
def test_errors_are_the_envelope_with_the_status_error_type(contract: Contract, status: int) -> None:
    types = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
    good = {"type": "error", "error": {"type": types[status], "message": "m"}, "request_id": "req_1"}
    wrong_type = copy.deepcopy(good)
    wrong_type["error"]["type"] = "api_error" if status != 500 else "invalid_request_error"
    openai_style = {"error": {"message": "m", "type": "invalid_request_error", "code": None}}
    assert contract.validate_response("createMessage", status, "application/json", good, view="strict") == []
    assert contract.validate_response("createMessage", status, "application/json", wrong_type, view="strict")
    assert contract.validate_response("createMessage", status, "application/json", wrong_type, view="tolerant") == []
    assert contract.validate_response("createMessage", status, "application/json", openai_style, view="tolerant")
