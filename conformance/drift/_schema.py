"""A normalised reading of one schema node, shared by the structural diff and reality drift.

Two documents can say the same thing in different words: `type: [string, "null"]` (3.1),
`nullable: true` (3.0) and `anyOf: [{type: string}, {type: "null"}]`; a bare `$ref` and
`allOf: [{$ref}]` with a description; `anyOf: [{type: string}, {const: a}, ...]` (an open
string with known values) and `type: string`. `Schemas.view` reduces each node to one shape
(body, nullability, union variants, the component it came from), so that only differences in
meaning are reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

SCHEMA_PREFIX = "#/components/schemas/"

# Keywords that describe a schema without constraining it: a `$ref` or one-member `allOf` whose
# siblings are only these is the referenced schema itself.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "examples",
        "example",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "nullable",
        "externalDocs",
        "$comment",
        "discriminator",
    }
)

JSON_TYPES = ("null", "boolean", "object", "array", "number", "integer", "string")


@dataclass
class View:
    """One schema node, normalised."""

    node: Mapping[str, Any]
    """The body: references followed, allOf merged, null alternatives removed."""
    ref: str | None = None
    """The component reference the body came from (`#/components/schemas/X`), if any."""
    nullable: bool = False
    variants: list[Any] | None = None
    """The non-null members of a oneOf/anyOf, as written (references kept), or None."""
    discriminator: str | None = None
    """`discriminator.propertyName` of the union, when declared."""
    mapping: dict[str, list[str]] = field(default_factory=dict)
    """Reference → discriminator values, from `discriminator.mapping`."""

    @property
    def name(self) -> str | None:
        return ref_name(self.ref) if self.ref else None


def ref_name(ref: str) -> str:
    return unquote(ref.rsplit("/", 1)[-1]).replace("~1", "/").replace("~0", "~")


def value_key(value: Any) -> str:
    """A hashable, printable key for an enum value (enum values may be objects)."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


class Schemas:
    """Resolves and normalises the schema nodes of one bundled document (internal refs only)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._views: dict[int, tuple[Any, View]] = {}

    @property
    def components(self) -> Mapping[str, Any]:
        return (self.document.get("components") or {}).get("schemas") or {}

    def resolve(self, ref: str) -> Any:
        """The node a local reference points to; {} when it points nowhere (the diff goes on)."""
        node: Any = self.document
        for raw in ref.lstrip("#").strip("/").split("/") if ref.strip("#/") else []:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                return {}
        return node

    def deref(self, node: Any) -> Any:
        """Follow `$ref` chains of a non-schema object (parameter, response, header, body)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            seen.add(node["$ref"])
            node = self.resolve(node["$ref"])
        return node if isinstance(node, Mapping) else {}

    def view(self, node: Any) -> View:
        if isinstance(node, View):
            return node
        cached = self._views.get(id(node))
        if cached is not None and cached[0] is node:
            return cached[1]
        result = self._view(node)
        self._views[id(node)] = (node, result)  # the node is kept alive with its view: ids stay unique
        return result

    def _view(self, node: Any) -> View:
        ref: str | None = None
        nullable = False
        seen: set[int] = set()
        while True:
            if not isinstance(node, Mapping) or id(node) in seen:
                return View({}, ref, nullable)  # `true`, a cycle of pure aliases: anything
            seen.add(id(node))
            nullable = nullable or node.get("nullable") is True
            target = node.get("$ref")
            if isinstance(target, str):
                ref = ref or target
                node = self.resolve(target)
                continue
            all_of = node.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1 and set(node) - {"allOf"} <= _ANNOTATIONS:
                node = all_of[0]
                continue
            break
        if isinstance(node.get("allOf"), list):
            node = self._merge_all_of(node)
        types = node.get("type")
        if isinstance(types, list) and "null" in types:
            nullable = True
            rest = [t for t in types if t != "null"]
            node = {**node, "type": rest[0] if len(rest) == 1 else rest}
        elif types == "null":
            return View({"type": "null"}, ref, True)
        union_key = (
            "oneOf" if isinstance(node.get("oneOf"), list) else "anyOf" if isinstance(node.get("anyOf"), list) else None
        )
        if union_key is None:
            return View(node, ref, nullable)
        discriminator = node.get("discriminator") if isinstance(node.get("discriminator"), Mapping) else {}
        mapping: dict[str, list[str]] = {}
        for value, target in (discriminator.get("mapping") or {}).items():
            mapping.setdefault(str(target), []).append(value)
        prop = discriminator.get("propertyName")
        members: list[Any] = []
        for member in node[union_key]:
            inner = self.view(member)
            if (
                inner.node.get("type") == "null"
                or inner.node.get("const", 0) is None
                or inner.node.get("enum") == [None]
            ):
                nullable = True
            elif inner.variants is not None and inner.ref is None:
                # anyOf: [oneOf: [A, B], C] offers the same alternatives as anyOf: [A, B, C].
                nullable = nullable or inner.nullable
                members.extend(inner.variants)
                for target, values in inner.mapping.items():
                    mapping.setdefault(target, []).extend(values)
                prop = prop or inner.discriminator
            elif inner.nullable:
                nullable = True  # oneOf: [{type: [string, "null"]}, ...]: the null belongs to the union
                members.append(replace(inner, nullable=False))
            else:
                members.append(member)
        siblings = {k: v for k, v in node.items() if k not in (union_key, "discriminator")}
        collapsed = self._collapse(members, siblings)
        if collapsed is not None:
            return View(collapsed, ref, nullable)
        if len(members) == 1:
            inner = self.view(members[0])
            return View(
                inner.node,
                inner.ref or ref,
                nullable or inner.nullable,
                inner.variants,
                inner.discriminator,
                inner.mapping,
            )
        return View(siblings, ref, nullable, members, prop if isinstance(prop, str) else None, mapping)

    def _collapse(self, members: list[Any], siblings: Mapping[str, Any]) -> dict[str, Any] | None:
        """A union of scalars that is really an enum, or an open string listing known values."""
        bodies = [self.view(m).node for m in members]
        if not bodies:
            return {**siblings}
        if all("const" in b or "enum" in b for b in bodies) and all(
            not _structural(b, {"const", "enum", "type"}) for b in bodies
        ):
            values = [v for b in bodies for v in ([b["const"]] if "const" in b else b.get("enum") or [])]
            kinds = {json_type(v) for v in values}
            return {**siblings, "enum": values, **({"type": kinds.pop()} if len(kinds) == 1 else {})}
        open_string = [b for b in bodies if b.get("type") == "string" and not _structural(b, {"type"})]
        if open_string and all(b in open_string or "const" in b or "enum" in b for b in bodies):
            return {**siblings, "type": "string"}
        # Plain alternatives of distinct types (`anyOf: [{type: boolean}, {type: array, items}]`)
        # say what `type: [boolean, array], items` says: keywords only apply to their own type.
        views = [self.view(m) for m in members]
        member_types = [b.get("type") for b in bodies]
        if (
            all(isinstance(k, str) for k in member_types)
            and len(set(member_types)) == len(member_types)
            and all(
                v.ref is None and v.variants is None and "enum" not in v.node and "const" not in v.node for v in views
            )
        ):
            merged: dict[str, Any] = {**siblings}
            for body in bodies:
                merged.update({k: v for k, v in body.items() if k != "type"})
            merged["type"] = member_types
            return merged
        return None

    def _merge_all_of(self, node: Mapping[str, Any]) -> dict[str, Any]:
        """allOf as one schema: properties and required united, other keywords first-wins."""
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for member in node["allOf"]:
            body = self.view(member).node
            for key, value in body.items():
                if key == "properties":
                    for name, sub in value.items():
                        properties.setdefault(name, sub)
                elif key == "required":
                    required.extend(r for r in value if r not in required)
                else:
                    merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged

    # -- unions ------------------------------------------------------------------------------
    def discriminator(self, views: Iterable[View]) -> str | None:
        """The property that tells the variants of these unions apart: the declared one, else
        a property every object variant pins to constant values (`type` preferred). Variants
        that are not objects (a string shorthand next to the objects) do not take part."""
        views = list(views)
        for view in views:
            if view.discriminator:
                return view.discriminator
        common: set[str] | None = None
        for variant in (v for view in views for v in (view.variants or [view])):
            properties = self.view(variant).node.get("properties")
            if not isinstance(properties, Mapping):
                continue
            pinned = {name for name, sub in properties.items() if self._pinned(sub)}
            common = pinned if common is None else common & pinned
        if not common:
            return None
        return "type" if "type" in common else min(common)

    def _pinned(self, sub: Any) -> bool:
        body = self.view(sub).node
        return "const" in body or (isinstance(body.get("enum"), list) and 0 < len(body["enum"]) <= 3)

    def variant_key(self, variant: Any, prop: str | None, mapping: Mapping[str, list[str]]) -> frozenset[str] | None:
        """The discriminator values that select this variant, or None when it has none."""
        if isinstance(variant, Mapping) and isinstance(variant.get("$ref"), str) and variant["$ref"] in mapping:
            return frozenset(mapping[variant["$ref"]])
        if isinstance(variant, View) and variant.ref in mapping:
            return frozenset(mapping[variant.ref])  # type: ignore[index]
        if prop is None:
            return None
        sub = (self.view(variant).node.get("properties") or {}).get(prop)
        if sub is None:
            return None
        body = self.view(sub).node
        if "const" in body:
            return frozenset({value_key(body["const"])})
        if isinstance(body.get("enum"), list) and body["enum"]:
            return frozenset(value_key(v) for v in body["enum"] if v is not None) or None
        return None


def _structural(body: Mapping[str, Any], allowed: set[str]) -> bool:
    return any(k not in allowed and k not in _ANNOTATIONS and not k.startswith("x-") for k in body)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def types_of(node: Mapping[str, Any]) -> frozenset[str] | None:
    """The JSON types a body allows, null excluded; inferred when `type` is absent; None if any."""
    declared = node.get("type")
    if isinstance(declared, str):
        return frozenset({declared}) - {"null"}
    if isinstance(declared, list):
        return frozenset(t for t in declared if isinstance(t, str)) - {"null"}
    if any(k in node for k in ("properties", "additionalProperties", "required")):
        return frozenset({"object"})
    if "items" in node or "prefixItems" in node:
        return frozenset({"array"})
    values = [node["const"]] if "const" in node else node.get("enum") if isinstance(node.get("enum"), list) else None
    if values:
        return frozenset(json_type(v) for v in values) - {"null"} or None
    return None


def enum_of(node: Mapping[str, Any]) -> dict[str, Any] | None:
    """The allowed values (key → value) of an enum or const, or None for an open value."""
    if "const" in node:
        return {value_key(node["const"]): node["const"]}
    if isinstance(node.get("enum"), list):
        return {value_key(v): v for v in node["enum"] if v is not None}
    return None


def covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    """Whether every type of `narrow` is allowed by `wide` (an integer is a number)."""
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
