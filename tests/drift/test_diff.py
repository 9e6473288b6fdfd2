"""The structural diff beyond single rules: cycles, unions, events, ?beta=true, sides, attribution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.drift import DiffReport, diff_documents, diff_files, render
from tests.drift._build import api, frames, obj, ref, typed

_STRING = {"type": "string"}


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(c.id, c.location, c.message) for c in diff_documents(old, new).changes]


# -- $ref cycles --------------------------------------------------------------------------------


def _tree(leaf: dict[str, Any]) -> dict[str, Any]:
    # Node -> children[] -> Node, and Node -> link -> Other -> back -> Node: two cycles.
    schemas = {
        "Node": obj(
            ("name",), name=_STRING, children={"type": "array", "items": ref("Node")}, link=ref("Other"), leaf=leaf
        ),
        "Other": obj(back=ref("Node")),
    }
    return api(response=ref("Node"), request=ref("Node"), schemas=schemas)


def test_ref_cycles_terminate_and_report_once_per_side() -> None:
    changes = _changes(_tree(_STRING), _tree({"type": "integer"}))
    assert sorted(changes) == [
        ("request.type.changed", "Node.leaf", "type string → integer"),
        ("response.type.changed", "Node.leaf", "type string → integer"),
    ]


def test_identical_cyclic_documents_have_no_changes() -> None:
    assert _changes(_tree(_STRING), _tree(_STRING)) == []


# -- unions -------------------------------------------------------------------------------------

_BLOCKS = {"Text": typed("text", "text"), "Image": typed("source", "image"), "Thinking": typed("thinking", "thinking")}


def _blocks(*names: str, mapping: bool = False) -> dict[str, Any]:
    union: dict[str, Any] = {"oneOf": [ref(n) for n in names]}
    if mapping:
        union["discriminator"] = {
            "propertyName": "type",
            "mapping": {n.lower(): f"#/components/schemas/{n}" for n in names},
        }
    return api(response=obj(content={"type": "array", "items": ref("Block")}), schemas={**_BLOCKS, "Block": union})


def test_union_variants_matched_by_discriminator_value_not_position() -> None:
    changes = _changes(_blocks("Text", "Image"), _blocks("Thinking", "Text"))
    assert ("response.union.variant.added", "Block", "variant `thinking` added") in changes
    assert ("response.union.variant.removed", "Block", "variant `image` removed") in changes
    assert len(changes) == 2  # Text faced Text, wherever it sat


def test_union_variant_changes_are_reported_in_the_variant() -> None:
    old = _blocks("Text")
    new = _blocks("Text")
    new["components"]["schemas"]["Text"]["properties"]["citations"] = {"type": "array"}
    assert _changes(old, new) == [("response.property.added", "Text.citations", "new optional field `citations`")]


def test_discriminator_mapping_without_consts() -> None:
    # Variants that only the mapping tells apart (no const on `type`).
    variants = {"A": obj(x=_STRING), "B": obj(y=_STRING), "C": obj(z=_STRING)}

    def doc(*names: str) -> dict[str, Any]:
        mapping = {n.lower(): f"#/components/schemas/{n}" for n in names}
        union = {"oneOf": [ref(n) for n in names], "discriminator": {"propertyName": "type", "mapping": mapping}}
        return api(response=union, schemas=variants)

    assert _changes(doc("A", "B"), doc("A", "B", "C")) == [
        ("response.union.variant.added", "POST /v1/x response 200 application/json", "variant `c` added")
    ]


def test_one_variant_with_an_enum_faces_several() -> None:
    # `error: {type: enum [a, b]}` against a union of one object per error type: values, not variants.
    old = api(response=obj(error=obj(type={"type": "string", "enum": ["a", "b"]}, message=_STRING)))
    new = api(
        response=obj(error={"oneOf": [ref("A"), ref("C")]}),
        schemas={"A": obj(type={"const": "a"}, message=_STRING), "C": obj(type={"const": "c"}, message=_STRING)},
    )
    changes = _changes(old, new)
    assert (
        "response.union.variant.removed",
        "POST /v1/x response 200 application/json.error",
        "variant `b` removed",
    ) in changes
    assert (
        "response.union.variant.added",
        "POST /v1/x response 200 application/json.error",
        "variant `c` added",
    ) in changes
    assert not [c for c in changes if c[0].startswith("response.enum")]


def test_nested_unions_are_flattened() -> None:
    # anyOf: [oneOf: [A, B], string] offers what oneOf: [A, B, string] offers.
    schemas = {"A": typed("x", "a"), "B": typed("y", "b")}
    flat = api(request=obj(keep={"oneOf": [ref("A"), ref("B"), {"type": "string", "const": "all"}]}), schemas=schemas)
    nested = api(
        request=obj(
            keep={
                "anyOf": [
                    {"oneOf": [ref("A"), ref("B")], "discriminator": {"propertyName": "type"}},
                    {"type": "string", "const": "all"},
                ]
            }
        ),
        schemas=schemas,
    )
    assert _changes(flat, nested) == []


def test_undiscriminated_union_matched_by_type() -> None:
    old = api(request=obj(source={"oneOf": [ref("Url"), _STRING]}), schemas={"Url": obj(url=_STRING)})
    new = api(request=obj(source={"oneOf": [_STRING, ref("Link")]}), schemas={"Link": obj(url=_STRING, title=_STRING)})
    assert _changes(old, new) == [("request.property.added", "Url→Link.title", "new optional field `title`")]


def test_string_or_array_is_a_type_list() -> None:
    old = api(request=obj(system={"oneOf": [_STRING, {"type": "array", "items": _STRING}]}))
    new = api(request=obj(system={"oneOf": [{"type": "array", "items": {"type": "integer"}}, _STRING]}))
    assert _changes(old, new) == [
        ("request.type.changed", "POST /v1/x request body application/json.system[]", "type string → integer")
    ]


def test_distinct_type_alternatives_equal_a_type_list() -> None:
    old = api(request=obj(flag={"type": ["boolean", "array", "null"], "items": _STRING}))
    new = api(request=obj(flag={"anyOf": [{"type": "boolean"}, {"type": "array", "items": _STRING}, {"type": "null"}]}))
    assert _changes(old, new) == []


def test_same_component_classified_per_side() -> None:
    schemas = {"Role": {"type": "string", "enum": ["user", "assistant"]}}
    old = api(request=obj(role=ref("Role")), response=obj(role=ref("Role")), schemas=schemas)
    new = api(
        request=obj(role=ref("Role")),
        response=obj(role=ref("Role")),
        schemas={"Role": {"type": "string", "enum": ["user", "assistant", "system"]}},
    )
    report = diff_documents(old, new)
    by_id = {c.id: c for c in report.changes}
    assert set(by_id) == {"request.enum.value.added", "response.enum.value.added"}
    assert by_id["request.enum.value.added"].severity == "info"
    assert by_id["response.enum.value.added"].severity == "warning"


def test_component_changes_name_every_operation_that_reaches_them() -> None:
    message = obj(id=_STRING, stop_reason={"type": "string", "enum": ["end_turn"]})
    paths = {
        "/v1/a": {
            "post": {
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": ref("Message")}}}}
            }
        },
        "/v1/b": {
            "get": {
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": obj(m=ref("Message"))}}}
                }
            }
        },
    }
    old = api(paths=paths, schemas={"Message": message})
    new = api(
        paths=paths,
        schemas={
            "Message": {
                **message,
                "properties": {
                    **message["properties"],
                    "stop_reason": {"type": "string", "enum": ["end_turn", "refusal"]},
                },
            }
        },
    )
    (change,) = diff_documents(old, new).changes
    assert change.location == "Message.stop_reason"
    assert change.operations == ("GET /v1/b", "POST /v1/a")


# -- event streams --------------------------------------------------------------------------------


def _stream(*types: str, ping_field: str = "") -> dict[str, Any]:
    schemas: dict[str, Any] = {f"{t.title()}Event": typed("payload", t) for t in types}
    if ping_field and "ping" in types:
        schemas["PingEvent"]["properties"][ping_field] = _STRING
    schemas["MessageStreamEvent"] = {
        "oneOf": [ref(f"{t.title()}Event") for t in types],
        "discriminator": {"propertyName": "type"},
    }
    schemas["MessageStreamFrame"] = frames(ref("MessageStreamEvent"))
    content = {"application/json": {"schema": _STRING}, "text/event-stream": {"schema": ref("MessageStreamFrame")}}
    return api(content=content, schemas=schemas)


def test_event_types_added_and_removed() -> None:
    changes = _changes(
        _stream("message_start", "ping", "message_stop"), _stream("message_start", "message_stop", "error")
    )
    assert ("event.type.added", "MessageStreamEvent", "event type `error` added") in changes
    assert ("event.type.removed", "MessageStreamEvent", "event type `ping` removed") in changes
    assert not [c for c in changes if c[0].startswith("response.union")]


def test_event_payload_changes_use_response_rules() -> None:
    changes = _changes(_stream("message_start", "ping"), _stream("message_start", "ping", ping_field="sequence"))
    assert changes == [("response.property.added", "PingEvent.sequence", "new optional field `sequence`")]


def test_stream_removed_still_compares_events_through_the_component() -> None:
    # The upstream document keeps MessageStreamEvent as an unreferenced component.
    old = _stream("message_start", "ping")
    new = _stream("message_start")
    new["paths"]["/v1/x"]["post"]["responses"]["200"]["content"].pop("text/event-stream")
    report = diff_documents(old, new)
    ids = [(c.id, c.message) for c in report.changes]
    assert ("response.media-type.removed", "media type text/event-stream removed") in ids
    assert ("event.type.removed", "event type `ping` removed") in ids
    assert any("component MessageStreamEvent" in note for note in report.notes)


# -- ?beta=true ---------------------------------------------------------------------------------


def _op(request: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "requestBody": {"content": {"application/json": {"schema": request}}},
        "responses": {"200": {"description": ""}},
    }


_BETA_PARAM = {"name": "beta", "in": "query", "required": False, "schema": {"type": "string", "enum": ["true"]}}


def test_beta_true_paths_merge_into_one_operation() -> None:
    # One operation with a `beta` query parameter (the contract's convention) against a document
    # with both the plain path and `?beta=true` (the upstream's): the beta variant stands for both.
    contract = api(paths={"/v1/x": {"parameters": [_BETA_PARAM], "post": _op(obj(a=_STRING, b=_STRING), "x")}})
    upstream = api(
        paths={
            "/v1/x": {"post": _op(obj(a=_STRING), "x")},
            "/v1/x?beta=true": {"post": _op(obj(a=_STRING, b=_STRING), "x")},
        }
    )
    report = diff_documents(contract, upstream)
    assert report.changes == []
    assert report.notes == [
        "POST /v1/x: compared as one operation; NEW POST /v1/x?beta=true stands for its plain variant"
    ]


def test_beta_true_variants_on_both_sides_pair_up() -> None:
    def doc(beta_fields: dict[str, Any]) -> dict[str, Any]:
        return api(
            paths={
                "/v1/x": {"post": _op(obj(a=_STRING), "x")},
                "/v1/x?beta=true": {"post": _op(obj(a=_STRING, **beta_fields), "x_beta")},
            }
        )

    changes = _changes(doc({}), doc({"b": _STRING}))
    assert changes == [
        ("request.property.added", "POST /v1/x?beta=true request body application/json.b", "new optional field `b`")
    ]


def test_beta_only_operation_matches_a_plain_one() -> None:
    plain = api(paths={"/v1/files": {"get": {"operationId": "f", "responses": {"200": {"description": ""}}}}})
    beta = api(paths={"/v1/files?beta=true": {"get": {"operationId": "f", "responses": {"200": {"description": ""}}}}})
    # The literal `?beta=true` reads as an optional `beta` query parameter: added, nothing else.
    assert [c.id for c in diff_documents(plain, beta).changes] == ["request.parameter.added"]


# -- files, formats, reports ------------------------------------------------------------------------


def test_files_in_yaml_and_json_and_several_parts(tmp_path: Path) -> None:
    old = api(response=ref("Message"), schemas={"Message": obj(id=_STRING)})
    (tmp_path / "old.json").write_text(json.dumps(old))
    # The new one split in two files joined by a relative $ref.
    new_root = api(response={"$ref": "parts.yaml#/components/schemas/Message"})
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new_root))
    parts = {
        "openapi": "3.1.0",
        "info": {"title": "p", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Message": obj(id=_STRING, model=_STRING)}},
    }
    (tmp_path / "parts.yaml").write_text(yaml.safe_dump(parts))
    report = diff_files(tmp_path / "old.json", tmp_path / "new.yaml")
    assert [(c.id, c.location) for c in report.changes] == [("response.property.added", "Message.model")]
    assert report.seconds > 0


def _report() -> DiffReport:
    return diff_documents(
        api(response=obj(("id",), id=_STRING, note=_STRING)),
        api(response=obj(note={"type": "string", "enum": ["a"]}, extra=_STRING)),
    )


def test_report_orders_by_severity_and_filters() -> None:
    report = _report()
    assert [c.severity for c in report.changes] == sorted(
        (c.severity for c in report.changes), key=("error", "warning", "info").index
    )
    assert {c.id for c in report.failing("error")} == {"response.property.removed"}
    assert report.failing(None) == []
    assert len(report.failing("info")) == len(report.changes)
    assert "response.property.removed" not in {c.id for c in report.without(["response.property"]).changes}
    assert "response.property.added" not in {c.id for c in report.without(["response.property.added"]).changes}


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_renders(fmt: str) -> None:
    out = render(_report(), fmt)  # type: ignore[arg-type]
    assert out.endswith("\n")
    assert "response.property.removed" in out
    if fmt == "json":
        data = json.loads(out)
        assert data["summary"] == {"error": 1, "warning": 1, "info": 1}
        assert data["changes"][0] == {
            "id": "response.property.removed",
            "severity": "error",
            "side": "response",
            "breaks": ["clients"],
            "message": "required field `id` removed",
            "location": "POST /v1/x response 200 application/json.id",
            "operations": ["POST /v1/x"],
        }
    if fmt == "markdown":
        assert "| `response.property.removed` | error | 1 |" in out
