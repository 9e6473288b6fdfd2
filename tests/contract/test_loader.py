"""The contract loader: bundling files joined by $ref, views, matching, one-line errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conformance.contract import (
    Contract,
    ContractError,
    load_contract,
    tolerant_document,
)
from tests._traffic import SHARED

UPSTREAM = SHARED / "upstream" / "anthropic-openapi-2026-05-06.json"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        "pets.yaml",
        """
        openapi: 3.1.0
        info: {title: pets, version: "1"}
        paths:
          /pets/{id}:
            get:
              operationId: getPet
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "200":
                  description: ok
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Pet"}
        components:
          schemas:
            Pet:
              type: object
              additionalProperties: false
              required: [kind, name]
              properties:
                kind: {type: string, enum: [cat, dog]}
                name: {type: string}
                owner: {$ref: "common.yaml#/components/schemas/Owner"}
                tail: {$ref: "#/components/schemas/Tail"}
            Tail:
              description: recursive on purpose
              type: object
              properties:
                next: {$ref: "#/components/schemas/Tail"}
        """,
    )
    _write(
        tmp_path,
        "common.yaml",
        """
        openapi: 3.1.0
        info: {title: common, version: "1"}
        paths: {}
        components:
          schemas:
            Owner: {type: object, required: [name], properties: {name: {type: string}}}
        """,
    )
    return _write(
        tmp_path,
        "root.yaml",
        """
        openapi: 3.1.0
        info: {title: root, version: "7"}
        paths:
          /pets/{id}:
            $ref: "pets.yaml#/paths/~1pets~1{id}"
        """,
    )


def test_files_joined_by_ref_bundle_into_one_document(two_files: Path) -> None:
    contract = load_contract(two_files)
    assert contract.version == "7"
    assert set(contract.schemas) == {"Pet", "Tail", "Owner"}
    assert contract.schemas["Pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    op = contract.match("GET", "/pets/42")
    assert op is not None and op.operation_id == "getPet"
    assert contract.validate("Pet", {"kind": "cat", "name": "Tom", "tail": {"next": {}}}) == []
    assert contract.validate("Pet", {"kind": "cat", "name": "Tom", "owner": {}})[0].path == "/owner"


def test_the_tolerant_view_opens_objects_and_enums_only_in_responses(two_files: Path) -> None:
    contract = load_contract(two_files)
    newer = {"kind": "parrot", "name": "Polly", "wings": 2}
    assert len(contract.validate("Pet", newer, view="strict")) == 2
    assert contract.validate("Pet", newer, view="tolerant") == []
    assert contract.validate("Pet", {"kind": "cat"}, view="tolerant")  # required stays required
    assert contract.document["components"]["schemas"]["Pet"]["additionalProperties"] is False  # not mutated


def test_a_discriminated_union_gains_an_unknown_variant() -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Block"}}}}}}}},
        "components": {"schemas": {
            "Block": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
            "A": {"type": "object", "required": ["type", "a"], "properties": {"type": {"const": "a"}, "a": {"type": "string"}}},
            "B": {"type": "object", "required": ["type"], "properties": {"type": {"const": "b"}}},
        }},
    }
    contract = Contract(document)
    assert contract.validate("Block", {"type": "c"}, view="strict")
    assert contract.validate("Block", {"type": "c"}, view="tolerant") == []
    assert contract.validate("Block", {"type": "a"}, view="tolerant"), "a known type missing a field must still fail"
    fallback = tolerant_document(document)["components"]["schemas"]["Block"]["oneOf"][-1]
    assert fallback["properties"]["type"]["not"] == {"enum": ["a", "b"]}


def test_query_suffixed_paths_and_beta_query_match_the_same_operation(two_files: Path) -> None:
    contract = load_contract(two_files)
    assert contract.match("GET", "/pets/1", "beta=true").operation_id == "getPet"  # type: ignore[union-attr]
    assert contract.match("POST", "/pets/1") is None
    assert contract.match("GET", "/pets/1/extra") is None


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "openapi: 3.1.0\ninfo: {title: x\n", "not valid YAML"),
        ("bad.json", "{\"openapi\": ", "not valid JSON"),
        ("list.yaml", "- 1\n- 2\n", "expected a mapping"),
        ("swagger.yaml", "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", "not an OpenAPI 3.x document"),
        ("dangling.yaml", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a: {$ref: 'nowhere.yaml#/paths/~1a'}\n",
         "no such file"),
        ("pointer.yaml", "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n",
         "unresolvable reference"),
    ],
)
def test_bad_documents_give_one_line_errors(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ContractError) as info:
        load_contract(path)
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_a_missing_file_or_folder_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="no such file"):
        load_contract(tmp_path / "missing.yaml")
    with pytest.raises(ContractError, match="is a folder"):
        load_contract(tmp_path)


def test_unknown_names_are_contract_errors() -> None:
    contract = load_contract()
    with pytest.raises(ContractError, match="no operation"):
        contract.operation("launchRocket")
    with pytest.raises(ContractError, match="no schema"):
        contract.schema("Rocket")
    with pytest.raises(ContractError, match="no schema"):
        contract.validate("Rocket", {})


@pytest.mark.shared
def test_the_upstream_description_loads() -> None:
    if not UPSTREAM.is_file():
        pytest.skip("../shared/upstream is not available")
    upstream = load_contract(UPSTREAM)
    assert len(upstream.operations) == 97
    assert upstream.match("POST", "/v1/messages", "beta=true").operation_id == "beta_messages_post"  # type: ignore[union-attr]
    assert upstream.match("POST", "/v1/messages").operation_id == "messages_post"  # type: ignore[union-attr]
    assert upstream.validate("Message", {"id": 1}, view="tolerant")
    assert "content_block_delta" in upstream.event_schemas
