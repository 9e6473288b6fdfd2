"""Every rule of the table: a pair of tiny documents that triggers it, and a near miss that does not.

The near misses are the equivalences and neighbouring rules a diff must not confuse with the
rule: 3.0 `nullable` vs 3.1 `[T, "null"]`, `anyOf` with a null branch, `allOf: [$ref]`, an open
string listing known values, a range status covering a code, case in header names, and so on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.drift import RULES, diff_documents
from tests.drift._build import api, frames, obj, ref, typed

Pair = tuple[dict[str, Any], dict[str, Any]]

_STRING = {"type": "string"}
_ENUM_AB = {"type": "string", "enum": ["a", "b"]}
_ENUM_A = {"type": "string", "enum": ["a"]}
_UNION_AB = {"oneOf": [ref("A"), ref("B")], "discriminator": {"propertyName": "type"}}
_UNION_A = {"oneOf": [ref("A")], "discriminator": {"propertyName": "type"}}
_VARIANTS = {"A": typed("a_field", "a"), "B": typed("b_field", "b")}


def _two_operations(*, deprecated: bool = False, second: bool = True, operation_id: str = "x") -> dict[str, Any]:
    op = {
        "operationId": operation_id,
        "responses": {"200": {"description": "ok"}},
        **({"deprecated": True} if deprecated else {}),
    }
    paths: dict[str, Any] = {"/v1/x": {"get": op}}
    if second:
        paths["/v1/y"] = {"get": {"operationId": "y", "responses": {"200": {"description": "ok"}}}}
    return api(paths=paths)


def _param(name: str, where: str = "query", *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema or {"type": "string"}}


def _body(required: bool, *media: str) -> dict[str, Any]:
    return {"required": required, "content": {m: {"schema": obj(a=_STRING)} for m in media}}


def _events(*types: str) -> dict[str, Any]:
    schemas = {f"E{t}": typed("payload", t) for t in types}
    schemas["Events"] = {"oneOf": [ref(f"E{t}") for t in types], "discriminator": {"propertyName": "type"}}
    return api(content={"text/event-stream": {"schema": frames(ref("Events"))}}, schemas=schemas)


def _statuses(*codes: str) -> dict[str, Any]:
    return api(responses={code: {"description": code} for code in codes})


def _headers(*names: str) -> dict[str, Any]:
    return api(response=_STRING, headers={n: {"schema": {"type": "string"}} for n in names})


TRIGGERS: dict[str, Pair] = {
    "operation.removed": (_two_operations(), _two_operations(second=False)),
    "operation.added": (_two_operations(second=False), _two_operations()),
    "operation.deprecated": (_two_operations(), _two_operations(deprecated=True)),
    "operation.id.changed": (_two_operations(), _two_operations(operation_id="renamed")),
    "request.parameter.removed": (api(parameters=[_param("q")]), api(parameters=[])),
    "request.parameter.added": (api(parameters=[]), api(parameters=[_param("q")])),
    "request.parameter.required.added": (api(parameters=[_param("q")]), api(parameters=[_param("q", required=True)])),
    "request.parameter.required.removed": (api(parameters=[_param("q", required=True)]), api(parameters=[_param("q")])),
    "request.body.required.added": (
        api(body=_body(False, "application/json")),
        api(body=_body(True, "application/json")),
    ),
    "request.media-type.removed": (
        api(body=_body(True, "application/json", "multipart/form-data")),
        api(body=_body(True, "application/json")),
    ),
    "request.media-type.added": (
        api(body=_body(True, "application/json")),
        api(body=_body(True, "application/json", "multipart/form-data")),
    ),
    "request.property.removed": (api(request=obj(a=_STRING, b=_STRING)), api(request=obj(a=_STRING))),
    "request.property.added": (api(request=obj(a=_STRING)), api(request=obj(a=_STRING, b=_STRING))),
    "request.property.required.added": (api(request=obj(a=_STRING)), api(request=obj(("a",), a=_STRING))),
    "request.property.required.removed": (api(request=obj(("a",), a=_STRING)), api(request=obj(a=_STRING))),
    "request.enum.value.removed": (api(request=obj(e=_ENUM_AB)), api(request=obj(e=_ENUM_A))),
    "request.enum.value.added": (api(request=obj(e=_ENUM_A)), api(request=obj(e=_ENUM_AB))),
    "request.type.narrowed": (api(request=obj(a={"type": ["string", "null"]})), api(request=obj(a=_STRING))),
    "request.type.widened": (api(request=obj(a={"type": "integer"})), api(request=obj(a={"type": "number"}))),
    "request.type.changed": (api(request=obj(a=_STRING)), api(request=obj(a={"type": "integer"}))),
    "request.union.variant.removed": (
        api(request=obj(u=_UNION_AB), schemas=_VARIANTS),
        api(request=obj(u=_UNION_A), schemas=_VARIANTS),
    ),
    "request.union.variant.added": (
        api(request=obj(u=_UNION_A), schemas=_VARIANTS),
        api(request=obj(u=_UNION_AB), schemas=_VARIANTS),
    ),
    "request.constraint.tightened": (
        api(request=obj(a={"type": "string", "maxLength": 10})),
        api(request=obj(a={"type": "string", "maxLength": 5})),
    ),
    "request.constraint.relaxed": (
        api(request=obj(a={"type": "string", "maxLength": 5})),
        api(request=obj(a={"type": "string", "maxLength": 10})),
    ),
    "request.default.changed": (
        api(request=obj(n={"type": "integer", "default": 1})),
        api(request=obj(n={"type": "integer", "default": 2})),
    ),
    "response.status.success.removed": (_statuses("200", "400"), _statuses("201", "400")),
    "response.status.removed": (_statuses("200", "404"), _statuses("200")),
    "response.status.added": (_statuses("200"), _statuses("200", "404")),
    "response.media-type.removed": (
        api(content={"application/json": {"schema": _STRING}, "text/plain": {"schema": _STRING}}),
        api(content={"application/json": {"schema": _STRING}}),
    ),
    "response.media-type.added": (
        api(content={"application/json": {"schema": _STRING}}),
        api(content={"application/json": {"schema": _STRING}, "text/plain": {"schema": _STRING}}),
    ),
    "response.header.removed": (_headers("request-id"), _headers()),
    "response.header.added": (_headers(), _headers("request-id")),
    "response.property.removed": (api(response=obj(("id",), id=_STRING)), api(response=obj(other=_STRING))),
    "response.optional-property.removed": (api(response=obj(id=_STRING, note=_STRING)), api(response=obj(id=_STRING))),
    "response.property.added": (api(response=obj(id=_STRING)), api(response=obj(id=_STRING, note=_STRING))),
    "response.property.required.added": (api(response=obj(id=_STRING)), api(response=obj(("id",), id=_STRING))),
    "response.property.required.removed": (api(response=obj(("id",), id=_STRING)), api(response=obj(id=_STRING))),
    "response.enum.value.added": (api(response=obj(e=_ENUM_A)), api(response=obj(e=_ENUM_AB))),
    "response.enum.value.removed": (api(response=obj(e=_ENUM_AB)), api(response=obj(e=_ENUM_A))),
    "response.type.widened": (api(response=obj(a=_STRING)), api(response=obj(a={"type": ["string", "null"]}))),
    "response.type.narrowed": (api(response=obj(a={"type": ["string", "null"]})), api(response=obj(a=_STRING))),
    "response.type.changed": (api(response=obj(a=_STRING)), api(response=obj(a=obj(b=_STRING)))),
    "response.union.variant.added": (
        api(response=obj(u=_UNION_A), schemas=_VARIANTS),
        api(response=obj(u=_UNION_AB), schemas=_VARIANTS),
    ),
    "response.union.variant.removed": (
        api(response=obj(u=_UNION_AB), schemas=_VARIANTS),
        api(response=obj(u=_UNION_A), schemas=_VARIANTS),
    ),
    "response.constraint.relaxed": (
        api(response=obj(a={"type": "string", "maxLength": 5})),
        api(response=obj(a=_STRING)),
    ),
    "response.constraint.tightened": (
        api(response=obj(a=_STRING)),
        api(response=obj(a={"type": "string", "maxLength": 5})),
    ),
    "event.type.added": (_events("start", "stop"), _events("start", "stop", "ping")),
    "event.type.removed": (_events("start", "stop", "ping"), _events("start", "stop")),
    "event.schema.added": (
        api(content={"text/event-stream": {"schema": _STRING}}),
        _events("start", "stop"),
    ),
    "event.schema.removed": (
        _events("start", "stop"),
        api(content={"text/event-stream": {"schema": _STRING}}),
    ),
}

_NULLABLE_30 = {"type": "string", "nullable": True}

QUIET: dict[str, Pair] = {
    # Same operations; a path parameter renamed is the same path template.
    "operation.removed": (
        api(path="/v1/x/{id}", response=_STRING),
        api(path="/v1/x/{x_id}", response=_STRING),
    ),
    "operation.added": (_two_operations(), _two_operations()),
    "operation.deprecated": (_two_operations(deprecated=True), _two_operations(deprecated=True)),
    "operation.id.changed": (_two_operations(), _two_operations()),
    # Header names are case-insensitive.
    "request.parameter.removed": (
        api(parameters=[_param("X-Trace", "header")]),
        api(parameters=[_param("x-trace", "header")]),
    ),
    # A new *required* parameter is the other rule.
    "request.parameter.added": (api(parameters=[]), api(parameters=[_param("q", required=True)])),
    "request.parameter.required.added": (api(parameters=[]), api(parameters=[_param("q")])),
    "request.parameter.required.removed": (api(parameters=[_param("q")]), api(parameters=[_param("q")])),
    "request.body.required.added": (
        api(body=_body(True, "application/json")),
        api(body=_body(True, "application/json")),
    ),
    # Media type parameters do not make another media type.
    "request.media-type.removed": (
        api(body=_body(True, "application/json; charset=utf-8")),
        api(body=_body(True, "application/json")),
    ),
    "request.media-type.added": (api(body=_body(True, "application/json")), api(body=_body(True, "application/json"))),
    # A removal on the response side is not a request rule.
    "request.property.removed": (api(response=obj(a=_STRING, b=_STRING)), api(response=obj(a=_STRING))),
    "request.property.added": (api(request=obj(a=_STRING)), api(request=obj(("b",), a=_STRING, b=_STRING))),
    "request.property.required.added": (api(request=obj(("a",), a=_STRING)), api(request=obj(a=_STRING))),
    "request.property.required.removed": (api(request=obj(a=_STRING)), api(request=obj(("a",), a=_STRING))),
    # Reordering an enum changes nothing.
    "request.enum.value.removed": (
        api(request=obj(e=_ENUM_AB)),
        api(request=obj(e={"type": "string", "enum": ["b", "a"]})),
    ),
    # `const` is a one-value enum.
    "request.enum.value.added": (api(request=obj(e=_ENUM_A)), api(request=obj(e={"type": "string", "const": "a"}))),
    # OpenAPI 3.0 `nullable: true` says what 3.1 `type: [string, "null"]` says.
    "request.type.narrowed": (
        api(request=obj(a=_NULLABLE_30), openapi="3.0.3"),
        api(request=obj(a={"type": ["string", "null"]})),
    ),
    # ... and so does an anyOf with a null branch.
    "request.type.widened": (
        api(request=obj(a={"anyOf": [_STRING, {"type": "null"}]})),
        api(request=obj(a={"type": ["string", "null"]})),
    ),
    "request.type.changed": (api(request=obj(a={"type": "integer"})), api(request=obj(a={"type": "number"}))),
    "request.union.variant.removed": (
        api(request=obj(u=_UNION_AB), schemas=_VARIANTS),
        api(request=obj(u={"oneOf": [ref("B"), ref("A")]}), schemas=_VARIANTS),
    ),
    # Variants renamed but told apart by the same discriminator values: nothing added.
    "request.union.variant.added": (
        api(request=obj(u=_UNION_AB), schemas=_VARIANTS),
        api(
            request=obj(u={"oneOf": [ref("A2"), ref("B2")]}),
            schemas={"A2": typed("a_field", "a"), "B2": typed("b_field", "b")},
        ),
    ),
    # minItems 0 is no bound at all.
    "request.constraint.tightened": (
        api(request=obj(a={"type": "array", "items": _STRING})),
        api(request=obj(a={"type": "array", "items": _STRING, "minItems": 0})),
    ),
    # 3.0 `exclusiveMinimum: true` next to `minimum` is 3.1 `exclusiveMinimum: <number>`.
    "request.constraint.relaxed": (
        api(request=obj(n={"type": "number", "minimum": 0, "exclusiveMinimum": True}), openapi="3.0.3"),
        api(request=obj(n={"type": "number", "exclusiveMinimum": 0})),
    ),
    "request.default.changed": (
        api(response=obj(n={"type": "integer", "default": 1})),
        api(response=obj(n={"type": "integer", "default": 2})),
    ),
    # A range documents the success code.
    "response.status.success.removed": (_statuses("200"), _statuses("2XX")),
    "response.status.removed": (_statuses("200", "404"), _statuses("200", "4XX")),
    "response.status.added": (_statuses("200", "4XX"), _statuses("200", "4XX", "404")),
    "response.media-type.removed": (
        api(content={"application/json": {"schema": _STRING}}),
        api(content={"application/json; charset=utf-8": {"schema": _STRING}}),
    ),
    "response.media-type.added": (
        api(content={"application/json": {"schema": _STRING}}),
        api(content={"application/json": {"schema": _STRING}}),
    ),
    "response.header.removed": (_headers("request-id"), _headers("Request-Id")),
    # content-type is never a documented header (OpenAPI says to ignore it).
    "response.header.added": (_headers(), _headers("Content-Type")),
    # An optional property removed is the other rule.
    "response.property.removed": (api(response=obj(id=_STRING, note=_STRING)), api(response=obj(id=_STRING))),
    "response.optional-property.removed": (api(response=obj(("id",), id=_STRING)), api(response=obj(other=_STRING))),
    # Added on the request side is a request rule.
    "response.property.added": (api(request=obj(id=_STRING)), api(request=obj(id=_STRING, note=_STRING))),
    "response.property.required.added": (
        api(response=obj(("id",), id=_STRING)),
        api(response=obj(("id",), id=_STRING)),
    ),
    "response.property.required.removed": (api(response=obj(id=_STRING)), api(response=obj(("id",), id=_STRING))),
    # An open string that lists known values (Stainless' `anyOf: [string, const...]`) is a string.
    "response.enum.value.added": (
        api(response=obj(model={"anyOf": [_STRING, {"const": "m1"}]})),
        api(response=obj(model={"anyOf": [_STRING, {"const": "m1"}, {"const": "m2"}]})),
    ),
    "response.enum.value.removed": (
        api(response=obj(e=_ENUM_AB)),
        api(response=obj(e={"type": "string", "enum": ["b", "a"]})),
    ),
    # oneOf [X, null] and anyOf [X, {type: null}] are the same nullable X.
    "response.type.widened": (
        api(response=obj(a={"oneOf": [ref("X"), {"type": "null"}]}), schemas={"X": obj(b=_STRING)}),
        api(response=obj(a={"anyOf": [ref("X"), {"type": "null"}]}), schemas={"X": obj(b=_STRING)}),
    ),
    "response.type.narrowed": (
        api(response=obj(a=_NULLABLE_30), openapi="3.0.3"),
        api(response=obj(a={"type": ["string", "null"]})),
    ),
    # `allOf: [$ref]` with a description is the referenced schema.
    "response.type.changed": (
        api(response=obj(a=ref("X")), schemas={"X": obj(b=_STRING)}),
        api(response=obj(a={"allOf": [ref("X")], "description": "d"}), schemas={"X": obj(b=_STRING)}),
    ),
    "response.union.variant.added": (
        api(response=obj(u=_UNION_AB), schemas=_VARIANTS),
        api(
            response=obj(u={"oneOf": [ref("A2"), ref("B2")]}),
            schemas={"A2": typed("a_field", "a"), "B2": typed("b_field", "b")},
        ),
    ),
    # A discriminator mapping and `const` values tell the same variants apart.
    "response.union.variant.removed": (
        api(response=obj(u=_UNION_AB), schemas=_VARIANTS),
        api(
            response=obj(
                u={
                    "oneOf": [ref("A"), ref("B")],
                    "discriminator": {
                        "propertyName": "type",
                        "mapping": {"a": "#/components/schemas/A", "b": "#/components/schemas/B"},
                    },
                }
            ),
            schemas=_VARIANTS,
        ),
    ),
    "response.constraint.relaxed": (
        api(response=obj(a={"type": "string", "minLength": 0})),
        api(response=obj(a=_STRING)),
    ),
    "response.constraint.tightened": (
        api(response=obj(a={"type": "string", "pattern": "^a"})),
        api(response=obj(a={"type": "string", "pattern": "^a"})),
    ),
    # A stream whose schema is the event union itself is read like a frame with contentSchema.
    "event.type.added": (
        _events("start", "stop"),
        api(
            content={"text/event-stream": {"schema": ref("Events")}},
            schemas=_events("start", "stop")["components"]["schemas"],
        ),
    ),
    "event.type.removed": (_events("start", "stop"), _events("stop", "start")),
    "event.schema.added": (
        api(content={"text/event-stream": {"schema": _STRING}}),
        api(content={"text/event-stream": {"schema": _STRING}}),
    ),
    "event.schema.removed": (_events("start"), _events("start")),
}


def _ids(pair: Pair) -> set[str]:
    return {change.id for change in diff_documents(*pair).changes}


def test_every_rule_has_a_trigger_and_a_near_miss() -> None:
    ids = {rule.id for rule in RULES}
    assert set(TRIGGERS) == ids
    assert set(QUIET) == ids


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_triggers(rule_id: str) -> None:
    assert rule_id in _ids(TRIGGERS[rule_id])


@pytest.mark.parametrize("rule_id", sorted(QUIET))
def test_rule_near_miss_does_not_trigger(rule_id: str) -> None:
    assert rule_id not in _ids(QUIET[rule_id])


def test_rule_table_is_well_formed() -> None:
    for rule in RULES:
        assert rule.id.split(".", 1)[0] == rule.side
        assert rule.severity in ("error", "warning", "info")
        assert rule.breaks <= {"clients", "servers"}
        assert rule.summary
    # Errors always break someone; nothing breaks nobody at error level.
    assert all(rule.breaks for rule in RULES if rule.severity == "error")


def test_docs_table_matches_the_rules() -> None:
    # docs/drift.md renders the table for readers; it must say what the code does.
    docs = (Path(__file__).resolve().parents[2] / "docs" / "drift.md").read_text()
    rows: dict[str, str] = {}
    for line in docs.splitlines():
        if line.startswith("| `"):
            rows.setdefault(line.split("|")[1].strip(" `"), line)  # the rules table comes first
    for rule in RULES:
        assert rule.id in rows, f"{rule.id} is missing from docs/drift.md"
        cells = [cell.strip() for cell in rows[rule.id].split("|")]
        assert cells[2:4] == [rule.severity, rule.breaks_label], rule.id
