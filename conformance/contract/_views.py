"""The two views of one contract.

The document as written is the STRICT view: closed response objects, closed enums, a known set
of block and event types. The API's versioning policy lets responses gain fields, enum values
and event types within a version, so response validation that must never raise a false alarm
uses the TOLERANT view, derived here from the strict one by three rewrites applied to every
schema reachable from a response (request schemas are left strict: they drive generation):

1. `additionalProperties: false` / `unevaluatedProperties: false` are dropped (new fields);
2. `enum` is dropped, leaving the base type (new enum values); `const` is kept, since a
   discriminator value names the variant;
3. a `oneOf` whose variants are told apart by a `const` property gains one more variant, for
   an object whose discriminator value is none of the known ones (new block and event types).
   A known type with a missing field still fails: the fallback excludes the known values.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

_REF_PREFIX = "#/components/schemas/"


def _walk_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            yield ref[len(_REF_PREFIX) :]
        for value in node.values():
            yield from _walk_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_refs(item)


def _response_roots(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every response object of every operation, inline or referenced."""
    responses = document.get("components", {}).get("responses", {})
    for path_item in (document.get("paths") or {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for response in (operation.get("responses") or {}).values():
                if isinstance(response, dict) and isinstance(response.get("$ref"), str):
                    response = responses.get(response["$ref"].rsplit("/", 1)[-1], {})
                if isinstance(response, dict):
                    yield response


def response_schema_names(document: dict[str, Any]) -> set[str]:
    """Names of the component schemas reachable from any response (transitively)."""
    schemas = document.get("components", {}).get("schemas", {})
    pending = [name for response in _response_roots(document) for name in _walk_refs(response)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_walk_refs(schemas[name]))
    return seen


def _discriminator(variants: list[Any], schemas: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """The property whose `const` tells the variants apart, and the known values; None if none."""
    consts: dict[str, list[Any]] = {}
    for variant in variants:
        if isinstance(variant, dict) and isinstance(variant.get("$ref"), str):
            variant = schemas.get(variant["$ref"][len(_REF_PREFIX) :], {})
        if not isinstance(variant, dict):
            return None
        found = False
        for prop, sub in (variant.get("properties") or {}).items():
            if isinstance(sub, dict) and "const" in sub:
                consts.setdefault(prop, []).append(sub["const"])
                found = True
        if not found:
            # A null branch (`{type: "null"}`) does not stop the union from being discriminated.
            if variant.get("type") != "null":
                return None
    for prop, values in consts.items():
        if len(values) == sum(1 for v in variants if not (isinstance(v, dict) and v.get("type") == "null")):
            return prop, values
    return None


def _tolerate(node: Any, schemas: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_tolerate(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("additionalProperties", "unevaluatedProperties") and value is False:
            continue
        if key == "enum":
            continue
        out[key] = _tolerate(value, schemas)
    for union in ("oneOf", "anyOf"):
        variants = node.get(union)
        if isinstance(variants, list):
            found = _discriminator(variants, schemas)
            if found is not None:
                prop, known = found
                out[union] = [
                    *out[union],
                    {
                        "type": "object",
                        "required": [prop],
                        "properties": {prop: {"type": "string", "not": {"enum": known}}},
                        "description": f"tolerant view: a {prop} this contract does not know yet",
                    },
                ]
    return out


def tolerant_document(strict: dict[str, Any]) -> dict[str, Any]:
    """Derive the tolerant view of a bundled contract (the argument is not modified)."""
    document = copy.deepcopy(strict)
    schemas = document.get("components", {}).get("schemas", {})
    names = response_schema_names(strict)
    original = strict.get("components", {}).get("schemas", {})
    for name in names:
        schemas[name] = _tolerate(schemas[name], original)
    seen: set[int] = set()
    for response in _response_roots(document):
        if id(response) in seen:  # a shared response component is rewritten once
            continue
        seen.add(id(response))
        for media in (response.get("content") or {}).values():
            if isinstance(media, dict) and "schema" in media:
                media["schema"] = _tolerate(media["schema"], original)
    return document
