"""Structural diff of two OpenAPI documents, each change classified by the rule table.

Both documents are bundled by the contract loader (internal references only) and walked side by
side:

* operations are matched by method and path template (parameter names ignored); a literal
  `?beta=true` in a path key is the same operation as the plain path. When one document has
  both variants and the other one, the `?beta=true` variant stands for the pair (in
  Stainless-generated documents it is the superset), and the report says so in a note;
* a schema is on the request side when reached from parameters or a request body, on the
  response side when reached from responses, headers or events. A component reached from both
  is compared once per side, with that side's rules;
* referenced schemas are compared once per (old component, new component, side): the visited
  set that makes `$ref` cycles terminate also keeps the 1.6 MB upstream document under a second.
  Each change names the component location once and lists the operations that reach it;
* oneOf/anyOf variants are matched by discriminator values (`discriminator.mapping`, or a
  `const` every variant pins), else by component name, then by type;
* a `text/event-stream` response's event union (`data.contentSchema` of the frame, or the
  frame itself) is compared with the event rules: event types added or removed.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from conformance.contract import Contract, load_contract
from conformance.drift._rules import SEVERITIES, Rule, Severity, failing, rule
from conformance.drift._schema import (
    SCHEMA_PREFIX,
    Schemas,
    View,
    covers,
    enum_of,
    ref_name,
    types_of,
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
STREAM = "text/event-stream"
BETA_QUERY = "beta=true"
_ARRAY, _STRING = frozenset({"array"}), frozenset({"string"})
# Headers OpenAPI says to ignore as parameters (they are set by the media type and security).
_IGNORED_PARAMETERS = frozenset({("header", "accept"), ("header", "content-type"), ("header", "authorization")})


@dataclass(frozen=True)
class Change:
    """One difference between the documents, as one rule classifies it."""

    rule: Rule
    message: str
    location: str
    """Where: a component path (`Message.stop_reason`) or an operation part (`POST /v1/x response 200`)."""
    operations: tuple[str, ...] = ()
    """The operations that reach the location (`POST /v1/messages`)."""

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.rule.id,
            "severity": self.rule.severity,
            "side": self.rule.side,
            "breaks": sorted(self.rule.breaks),
            "message": self.message,
            "location": self.location,
            "operations": list(self.operations),
        }


@dataclass
class DiffReport:
    old: str
    new: str
    changes: list[Change]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, severity: Severity) -> int:
        return sum(1 for c in self.changes if c.severity == severity)

    def failing(self, fail_on: Severity | None) -> list[Change]:
        """The changes at or above `fail_on` (none when it is None)."""
        return failing(self.changes, fail_on)

    def without(self, ignore: Iterable[str]) -> DiffReport:
        """The report minus changes whose rule id equals or starts with an ignored id."""
        prefixes = tuple(i.rstrip(".") for i in ignore)
        kept = [c for c in self.changes if not any(c.id == p or c.id.startswith(p + ".") for p in prefixes)]
        return replace(self, changes=kept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "seconds": round(self.seconds, 3),
            "summary": {s: self.count(s) for s in SEVERITIES},
            "notes": list(self.notes),
            "changes": [c.to_dict() for c in self.changes],
        }


def diff_files(old: str | Path, new: str | Path) -> DiffReport:
    """Load two OpenAPI documents (YAML or JSON, 3.0 or 3.1, one file or several) and diff them."""
    started = time.perf_counter()
    report = diff_contracts(load_contract(old), load_contract(new))
    report.seconds = time.perf_counter() - started
    return report


def diff_contracts(old: Contract, new: Contract) -> DiffReport:
    started = time.perf_counter()
    differ = _Differ(old.document, new.document)
    changes = differ.run()
    return DiffReport(
        old=str(old.source or "old"),
        new=str(new.source or "new"),
        changes=changes,
        notes=differ.notes,
        seconds=time.perf_counter() - started,
    )


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> DiffReport:
    """Diff two already bundled documents (internal references only)."""
    started = time.perf_counter()
    differ = _Differ(old, new)
    changes = differ.run()
    return DiffReport("old", "new", changes, differ.notes, time.perf_counter() - started)


# -- operations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    query: str
    definition: Mapping[str, Any]
    path_item: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _operations(schemas: Schemas) -> dict[tuple[str, str], dict[str, _Operation]]:
    """Operations grouped by (method, path template with parameter names blanked), then by literal query."""
    groups: dict[tuple[str, str], dict[str, _Operation]] = {}
    for key, raw_item in (schemas.document.get("paths") or {}).items():
        item = schemas.deref(raw_item)
        path, _, query = str(key).partition("?")
        for method in HTTP_METHODS:
            definition = item.get(method)
            if isinstance(definition, Mapping):
                operation = _Operation(method.upper(), path, query, definition, item)
                template = re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")
                groups.setdefault((method.upper(), template), {})[query] = operation
    return groups


def _representative(variants: Mapping[str, _Operation]) -> _Operation:
    for query in (BETA_QUERY, ""):
        if query in variants:
            return variants[query]
    return variants[min(variants)]


# -- the walk -----------------------------------------------------------------------------------

_NodeKey = tuple[str, str, str, bool, "str | None"]
_Emitted = tuple[str, str, str]


@dataclass
class _Sink:
    """What one operation, or one pair of components on one side, contributes."""

    changes: list[_Emitted] = field(default_factory=list)
    children: set[_NodeKey] = field(default_factory=set)


def _media(name: str) -> str:
    return name.split(";", 1)[0].strip().lower()


def _values(values: Iterable[Any]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _types(types: Iterable[str]) -> str:
    return "|".join(sorted(types)) or "nothing"


class _Differ:
    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old = Schemas(old)
        self.new = Schemas(new)
        self.nodes: dict[_NodeKey, _Sink] = {}
        self.operations: dict[str, _Sink] = {}
        self.sink = _Sink()
        self.notes: list[str] = []

    def emit(self, rule_id: str, message: str, location: str) -> None:
        rule(rule_id)  # an unknown id is a bug here, not a finding
        self.sink.changes.append((rule_id, message, location))

    # -- operations -----------------------------------------------------------------------------
    def run(self) -> list[Change]:
        old_groups, new_groups = _operations(self.old), _operations(self.new)
        for key in sorted(set(old_groups) | set(new_groups)):
            olds, news = old_groups.get(key), new_groups.get(key)
            if not olds or not news:
                present = _representative(olds or news or {})
                self.sink = self.operations.setdefault(present.label, _Sink())
                self.emit(
                    "operation.removed" if olds else "operation.added",
                    f"{present.label} {'removed' if olds else 'added'}",
                    present.label,
                )
                continue
            if len(olds) > 1 and set(olds) == set(news):
                for query in sorted(olds):
                    label = f"{news[query].label}{'?' + query if query else ''}"
                    self.operation(olds[query], news[query], label)
                continue
            old, new = _representative(olds), _representative(news)
            if len(olds) > 1 or len(news) > 1:
                merged = [
                    f"{side} {op.label}?{op.query}"
                    for side, group, op in (("OLD", olds, old), ("NEW", news, new))
                    if len(group) > 1
                ]
                self.notes.append(
                    f"{new.label}: compared as one operation; {' and '.join(merged)} stands for its plain variant"
                )
            self.operation(old, new, new.label)
        return self._collect()

    def operation(self, old: _Operation, new: _Operation, label: str) -> None:
        self.sink = self.operations.setdefault(label, _Sink())
        old_id, new_id = old.definition.get("operationId"), new.definition.get("operationId")
        if old_id and new_id and old_id != new_id:
            self.emit("operation.id.changed", f"operationId `{old_id}` → `{new_id}`", label)
        if new.definition.get("deprecated") is True and old.definition.get("deprecated") is not True:
            self.emit("operation.deprecated", "operation deprecated", label)
        self.parameters(old, new, label)
        self.request_body(old, new, label)
        self.responses(old, new, label)

    def _parameters(self, schemas: Schemas, op: _Operation) -> dict[tuple[str, str], Mapping[str, Any]]:
        found: dict[tuple[str, str], Mapping[str, Any]] = {}
        placeholders = re.findall(r"\{([^}]*)\}", op.path)
        for raw in [*(op.path_item.get("parameters") or []), *(op.definition.get("parameters") or [])]:
            param = schemas.deref(raw)
            where, name = str(param.get("in", "")), str(param.get("name", ""))
            if where == "path" and name in placeholders:
                key = (where, f"{{{placeholders.index(name)}}}")  # path parameters match by position
            else:
                key = (where, name.lower() if where == "header" else name)
            if key not in _IGNORED_PARAMETERS:
                found[key] = param  # operation-level parameters override path-level ones
        for pair in filter(None, op.query.split("&")):
            # A literal query in the path key (`?beta=true`) is an optional query parameter.
            name, _, value = pair.partition("=")
            found.setdefault(
                ("query", name), {"name": name, "in": "query", "schema": {"type": "string", "enum": [value]}}
            )
        return found

    def parameters(self, old: _Operation, new: _Operation, label: str) -> None:
        olds, news = self._parameters(self.old, old), self._parameters(self.new, new)
        for key in [*olds, *(k for k in news if k not in olds)]:
            o, n = olds.get(key), news.get(key)
            name = str((n or o or {}).get("name", key[1]))
            where = f"{label} parameter {key[0]}.{name}"
            if n is None:
                self.emit("request.parameter.removed", f"{key[0]} parameter `{name}` removed", where)
            elif o is None:
                required = n.get("required") is True
                rule_id = "request.parameter.required.added" if required else "request.parameter.added"
                self.emit(rule_id, f"new {'required' if required else 'optional'} {key[0]} parameter `{name}`", where)
            else:
                if n.get("required") is True and o.get("required") is not True:
                    self.emit("request.parameter.required.added", f"{key[0]} parameter `{name}` became required", where)
                elif o.get("required") is True and n.get("required") is not True:
                    self.emit(
                        "request.parameter.required.removed", f"{key[0]} parameter `{name}` became optional", where
                    )
                self.parameter_schema(
                    _parameter_schema(o), _parameter_schema(n), "request", where, header=key[0] == "header"
                )

    def parameter_schema(self, old: Any, new: Any, side: str, where: str, *, header: bool) -> None:
        if header and {types_of(self.old.view(old).node), types_of(self.new.view(new).node)} == {_ARRAY, _STRING}:
            return  # a header is text: a list is its comma-separated string, either way on the wire
        self.schema(old, new, side, where)

    def request_body(self, old: _Operation, new: _Operation, label: str) -> None:
        o = self.old.deref(old.definition["requestBody"]) if "requestBody" in old.definition else None
        n = self.new.deref(new.definition["requestBody"]) if "requestBody" in new.definition else None
        if o is None and n is None:
            return
        where = f"{label} request body"
        if n is not None and n.get("required") is True and (o is None or o.get("required") is not True):
            self.emit(
                "request.body.required.added",
                "request body required" if o is None else "request body became required",
                where,
            )
        self.content((o or {}).get("content"), (n or {}).get("content"), "request", where)

    def responses(self, old: _Operation, new: _Operation, label: str) -> None:
        olds = {str(k).upper(): self.old.deref(v) for k, v in (old.definition.get("responses") or {}).items()}
        news = {str(k).upper(): self.new.deref(v) for k, v in (new.definition.get("responses") or {}).items()}
        for code, response in olds.items():
            where = f"{label} response {code}"
            if code in news:
                self.response(response, news[code], where)
            elif (cover := _cover(code, news)) is not None:
                if cover not in olds:  # else the old range was compared with the new one already
                    self.response(response, news[cover], f"{where} (as {cover})")
            elif code.startswith("2"):
                self.emit("response.status.success.removed", f"success status {code} removed", where)
            else:
                self.emit("response.status.removed", f"status {code} no longer documented", where)
        for code, response in news.items():
            if code in olds:
                continue
            if (cover := _cover(code, olds)) is not None:
                if cover not in news:
                    self.response(olds[cover], response, f"{label} response {code} (was {cover})")
            else:
                self.emit("response.status.added", f"status {code} added", f"{label} response {code}")

    def response(self, old: Mapping[str, Any], new: Mapping[str, Any], where: str) -> None:
        olds = {str(k).lower(): self.old.deref(v) for k, v in (old.get("headers") or {}).items()}
        news = {str(k).lower(): self.new.deref(v) for k, v in (new.get("headers") or {}).items()}
        for name in [*olds, *(k for k in news if k not in olds)]:
            if name == "content-type":
                continue
            if name not in news:
                self.emit("response.header.removed", f"header `{name}` removed", f"{where} header {name}")
            elif name not in olds:
                self.emit("response.header.added", f"header `{name}` added", f"{where} header {name}")
            else:
                self.parameter_schema(
                    _parameter_schema(olds[name]),
                    _parameter_schema(news[name]),
                    "response",
                    f"{where} header {name}",
                    header=True,
                )
        self.content(old.get("content"), new.get("content"), "response", where)

    def content(self, old: Any, new: Any, side: str, where: str) -> None:
        olds = {_media(k): v for k, v in (old or {}).items() if isinstance(v, Mapping)}
        news = {_media(k): v for k, v in (new or {}).items() if isinstance(v, Mapping)}
        for media in [*olds, *(k for k in news if k not in olds)]:
            if media not in news:
                self.emit(f"{side}.media-type.removed", f"media type {media} removed", where)
                if media == STREAM and side == "response":
                    self._events_by_component(olds[media], self.old, self.new, where, removed=True)
            elif media not in olds:
                self.emit(f"{side}.media-type.added", f"media type {media} added", where)
                if media == STREAM and side == "response":
                    self._events_by_component(news[media], self.new, self.old, where, removed=False)
            elif media == STREAM and side == "response":
                self.stream(olds[media].get("schema"), news[media].get("schema"), f"{where} {media}")
            elif "schema" in olds[media] and "schema" in news[media]:
                self.schema(olds[media]["schema"], news[media]["schema"], side, f"{where} {media}")

    # -- event streams --------------------------------------------------------------------------
    def stream(self, old: Any, new: Any, where: str) -> None:
        old_events, new_events = _event_union(self.old, old), _event_union(self.new, new)
        if old_events is not None and new_events is not None:
            self.schema(old_events, new_events, "response", f"{where} events", events=True)
        elif new_events is not None:
            self.emit("event.schema.added", "the stream's events are now described", where)
        elif old_events is not None:
            self.emit("event.schema.removed", "the stream's events are no longer described", where)
        elif old is not None and new is not None:
            self.schema(old, new, "response", where)

    def _events_by_component(
        self, media: Mapping[str, Any], has: Schemas, other: Schemas, where: str, *, removed: bool
    ) -> None:
        """One side streams, the other declares no stream for the operation but defines the same
        event union component (the upstream document keeps its event schemas as unreferenced
        components): compare the two event unions by that component."""
        events = _event_union(has, media.get("schema"))
        ref = events.get("$ref") if isinstance(events, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith(SCHEMA_PREFIX) or ref_name(ref) not in other.components:
            return
        self.notes.append(
            f"{where}: events compared through component {ref_name(ref)} (the other document has no {STREAM} here)"
        )
        old, new = (events, {"$ref": ref}) if removed else ({"$ref": ref}, events)
        self.schema(old, new, "response", f"{where} {STREAM} events (component {ref_name(ref)})", events=True)

    # -- schemas --------------------------------------------------------------------------------
    def schema(
        self, old: Any, new: Any, side: str, location: str, *, events: bool = False, mask: str | None = None
    ) -> None:
        """Compare two schema nodes; `mask` names a discriminator property whose values the
        enclosing union already compared."""
        ov, nv = self.old.view(old), self.new.view(new)
        if ov.nullable != nv.nullable:
            self._retype(
                side, location, frozenset({"null"} if ov.nullable else ()), frozenset({"null"} if nv.nullable else ())
            )
        if ov.ref and nv.ref:
            key = (ov.ref, nv.ref, side, events, mask)
            self.sink.children.add(key)
            if key not in self.nodes:  # also the visited set: a $ref cycle ends here
                outer, self.sink = self.sink, self.nodes.setdefault(key, _Sink())
                try:
                    self.body(ov, nv, side, _pair_name(ov, nv), events, mask)
                finally:
                    self.sink = outer
            return
        self.body(ov, nv, side, location, events, mask)

    def body(self, ov: View, nv: View, side: str, location: str, events: bool, mask: str | None = None) -> None:
        if events or ov.variants is not None or nv.variants is not None:
            self.union(ov, nv, side, location, events)
            return
        o, n = ov.node, nv.node
        old_types, new_types = types_of(o), types_of(n)
        related = (
            old_types is None
            or new_types is None
            or old_types == new_types
            or self._retype(side, location, old_types, new_types)
        )
        if not related:
            return  # unrelated types: nothing below compares meaningfully
        self._enum(side, location, o, n)
        self._constraints(side, location, o, n)
        if side == "request" and "default" in o and "default" in n and o["default"] != n["default"]:
            self.emit("request.default.changed", f"default {o['default']!r} → {n['default']!r}", location)
        self._properties(side, location, o, n, mask)
        if isinstance(o.get("items"), Mapping) and isinstance(n.get("items"), Mapping):
            self.schema(o["items"], n["items"], side, f"{location}[]")
        if isinstance(o.get("additionalProperties"), Mapping) and isinstance(n.get("additionalProperties"), Mapping):
            self.schema(o["additionalProperties"], n["additionalProperties"], side, f"{location}{{}}")

    def _retype(self, side: str, location: str, old: frozenset[str], new: frozenset[str]) -> bool:
        """Report a type change; True when the types are related (one covers the other)."""
        if old | {"null"} == new | {"null"} and old != new:
            message = "became nullable" if "null" in new else "no longer nullable"
        else:
            message = f"type {_types(old)} → {_types(new)}"
        if covers(new, old):
            self.emit(f"{side}.type.widened", message, location)
        elif covers(old, new):
            self.emit(f"{side}.type.narrowed", message, location)
        else:
            self.emit(f"{side}.type.changed", message, location)
            return False
        return True

    def _enum(self, side: str, location: str, o: Mapping[str, Any], n: Mapping[str, Any]) -> None:
        old, new = enum_of(o), enum_of(n)
        if old is None and new is None:
            return
        if old is not None and new is not None:
            added = [new[k] for k in new if k not in old]
            removed = [old[k] for k in old if k not in new]
            if added:
                self.emit(
                    f"{side}.enum.value.added",
                    f"enum value{'s' if len(added) > 1 else ''} added: {_values(added)}",
                    location,
                )
            if removed:
                self.emit(
                    f"{side}.enum.value.removed",
                    f"enum value{'s' if len(removed) > 1 else ''} removed: {_values(removed)}",
                    location,
                )
        elif old is not None:
            self.emit(f"{side}.enum.value.added", f"no longer restricted to {_values(old.values())}", location)
        elif new is not None:
            self.emit(f"{side}.enum.value.removed", f"now restricted to {_values(new.values())}", location)

    def _constraints(self, side: str, location: str, o: Mapping[str, Any], n: Mapping[str, Any]) -> None:
        for name, old, new, tighter in _bounds(o, n):
            if old == new:
                continue
            if new is not None and (old is None or tighter(new, old)):
                verb = "tightened"
            else:
                verb = "relaxed"
            self.emit(f"{side}.constraint.{verb}", f"{name} {_show(old)} → {_show(new)}", location)

    def _properties(
        self, side: str, location: str, o: Mapping[str, Any], n: Mapping[str, Any], mask: str | None
    ) -> None:
        olds, news = o.get("properties") or {}, n.get("properties") or {}
        if not isinstance(olds, Mapping) or not isinstance(news, Mapping):
            return
        old_required, new_required = set(o.get("required") or ()), set(n.get("required") or ())
        # A free-form object on the new side still admits every field: not a removal.
        free_form = not news and n.get("additionalProperties", True) is not False
        for name in [*olds, *(k for k in news if k not in olds)]:
            here = f"{location}.{name}"
            if name not in news:
                if free_form:
                    continue
                if side == "request":
                    self.emit("request.property.removed", f"field `{name}` removed", here)
                elif name in old_required:
                    self.emit("response.property.removed", f"required field `{name}` removed", here)
                else:
                    self.emit("response.optional-property.removed", f"optional field `{name}` removed", here)
            elif name not in olds:
                if name in new_required:
                    self.emit(f"{side}.property.required.added", f"new required field `{name}`", here)
                else:
                    self.emit(f"{side}.property.added", f"new optional field `{name}`", here)
            else:
                if name in new_required and name not in old_required:
                    self.emit(f"{side}.property.required.added", f"field `{name}` became required", here)
                elif name in old_required and name not in new_required:
                    self.emit(f"{side}.property.required.removed", f"field `{name}` became optional", here)
                if name == mask:
                    continue
                self.schema(olds[name], news[name], side, here)

    def union(self, ov: View, nv: View, side: str, location: str, events: bool) -> None:
        # A plain schema facing a union is a union of one (nullability was compared already).
        olds = ov.variants if ov.variants is not None else [replace(ov, nullable=False)]
        news = nv.variants if nv.variants is not None else [replace(nv, nullable=False)]
        old_prop = ov.discriminator or self.old.discriminator([ov])
        new_prop = nv.discriminator or self.new.discriminator([nv])
        # One side's discriminator serves both unless they name different properties.
        prop = old_prop or new_prop if not (old_prop and new_prop and old_prop != new_prop) else None
        old_keys = [self.old.variant_key(v, prop, ov.mapping) for v in olds]
        new_keys = [self.new.variant_key(v, prop, nv.mapping) for v in news]
        noun, rule_prefix = ("event type", "event.type") if events else ("variant", f"{side}.union.variant")
        # Discriminated variants are matched by value, many to many (one old variant with
        # `type: enum [a, b]` may face two new ones), and their values are what is reported.
        pairs = [(i, j) for i, a in enumerate(old_keys) if a for j, b in enumerate(new_keys) if b and a & b]
        # The rest by component name (a plain `Tool` facing a union that has a `Tool`), then,
        # undiscriminated variants only, by same types and by overlapping types.
        old_rest = [i for i in range(len(olds)) if i not in {p[0] for p in pairs}]
        new_rest = [j for j in range(len(news)) if j not in {p[1] for p in pairs}]
        old_sigs = {i: self._signature(self.old, olds[i]) for i in old_rest}
        new_sigs = {j: self._signature(self.new, news[j]) for j in new_rest}
        for same, keyed in (
            (lambda a, b: a[0] is not None and a[0] == b[0], True),
            (lambda a, b: a[1] == b[1], False),
            (lambda a, b: bool(a[1] & b[1]), False),
        ):
            old_pool = [i for i in old_rest if keyed or not old_keys[i]]
            new_pool = [j for j in new_rest if keyed or not new_keys[j]]
            for i, j in _match([old_sigs[i] for i in old_pool], [new_sigs[j] for j in new_pool], same):
                pairs.append((old_pool[i], new_pool[j]))
            old_rest = [i for i in old_rest if i not in {p[0] for p in pairs}]
            new_rest = [j for j in new_rest if j not in {p[1] for p in pairs}]
        # Values of a discriminated variant paired by name with an undiscriminated one (a plain
        # `Tool` facing the `custom` tool) are not new or gone: the pair is compared instead.
        old_values = {v for i, k in enumerate(old_keys) if k for v in k}
        new_values = {v for j, k in enumerate(new_keys) if k for v in k}
        old_paired = {v for i, j in pairs if old_keys[i] and not new_keys[j] for v in old_keys[i]}  # type: ignore[union-attr]
        new_paired = {v for i, j in pairs if new_keys[j] and not old_keys[i] for v in new_keys[j]}  # type: ignore[union-attr]
        for value in sorted(old_values - new_values - old_paired):
            self.emit(f"{rule_prefix}.removed", f"{noun} `{value}` removed", location)
        for value in sorted(new_values - old_values - new_paired):
            self.emit(f"{rule_prefix}.added", f"{noun} `{value}` added", location)
        for i in old_rest:
            if not old_keys[i]:  # discriminated ones were reported by value
                self.emit(f"{rule_prefix}.removed", f"{noun} `{_label(old_sigs[i])}` removed", location)
        for j in new_rest:
            if not new_keys[j]:
                self.emit(f"{rule_prefix}.added", f"{noun} `{_label(new_sigs[j])}` added", location)
        for i, j in sorted(pairs):
            a, b = old_keys[i], new_keys[j]
            label = "/".join(sorted(a & b)) if a and b and a & b else "/".join(sorted(b)) if b else _label(new_sigs[j])
            where = f"{location} event {label}" if events else f"{location}|{label}"
            # Differing discriminator values were reported above, as variants.
            self.schema(olds[i], news[j], side, where, mask=prop if a != b else None)

    @staticmethod
    def _signature(schemas: Schemas, variant: Any) -> tuple[str | None, frozenset[str]]:
        """(component name, types) of an undiscriminated variant, for matching."""
        view = schemas.view(variant)
        return view.name, (
            frozenset({"union"}) if view.variants is not None else types_of(view.node) or frozenset({"any"})
        )

    # -- results --------------------------------------------------------------------------------
    def _collect(self) -> list[Change]:
        reach: dict[_NodeKey, set[str]] = {}
        for label, sink in self.operations.items():
            stack, seen = list(sink.children), set()
            while stack:
                key = stack.pop()
                if key in seen:
                    continue
                seen.add(key)
                reach.setdefault(key, set()).add(label)
                stack.extend(self.nodes[key].children)
        merged: dict[_Emitted, set[str]] = {}
        for label, sink in self.operations.items():
            for emitted in sink.changes:
                merged.setdefault(emitted, set()).add(label)
        for key, sink in self.nodes.items():
            for emitted in sink.changes:
                merged.setdefault(emitted, set()).update(reach.get(key, ()))
        changes = [
            Change(rule(r), message, location, tuple(sorted(ops))) for (r, message, location), ops in merged.items()
        ]
        return sorted(changes, key=lambda c: (SEVERITIES.index(c.severity), c.id, c.location, c.message))


def _match(old: list[Any], new: list[Any], same: Any) -> list[tuple[int, int]]:
    """Greedy in-order matching of old to new items under `same`."""
    pairs: list[tuple[int, int]] = []
    free = list(range(len(new)))
    for i, item in enumerate(old):
        for j in free:
            if same(item, new[j]):
                pairs.append((i, j))
                free.remove(j)
                break
    return pairs


def _label(signature: tuple[str | None, frozenset[str]]) -> str:
    return signature[0] or _types(signature[1])


def _pair_name(ov: View, nv: View) -> str:
    return str(nv.name) if ov.name == nv.name else f"{ov.name}→{nv.name}"


def _cover(code: str, responses: Mapping[str, Any]) -> str | None:
    """The range (`4XX`) or `DEFAULT` entry that documents a status absent as such."""
    if re.fullmatch(r"\d{3}", code) and f"{code[0]}XX" in responses:
        return f"{code[0]}XX"
    return "DEFAULT" if "DEFAULT" in responses else None


def _parameter_schema(param: Mapping[str, Any]) -> Any:
    if "schema" in param:
        return param["schema"]
    for media in (param.get("content") or {}).values():
        if isinstance(media, Mapping) and "schema" in media:
            return media["schema"]
    return {}


def _event_union(schemas: Schemas, frame: Any) -> Any:
    """The schema of one event's data: `data.contentSchema` of a frame, or the frame itself when
    it is already a union of events (documents that put the payload under text/event-stream)."""
    if frame is None:
        return None
    view = schemas.view(frame)
    if view.variants is not None:
        return frame
    data = (view.node.get("properties") or {}).get("data")
    if data is not None:
        content = schemas.view(data).node.get("contentSchema")
        if content is not None:
            return content
    return None


# -- bounds -------------------------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _lower(node: Mapping[str, Any]) -> tuple[float, bool] | None:
    """The lower numeric bound as (value, exclusive), reading 3.0 and 3.1 exclusives alike."""
    found = []
    if _number(node.get("minimum")):
        found.append((node["minimum"], node.get("exclusiveMinimum") is True))
    if _number(node.get("exclusiveMinimum")):
        found.append((node["exclusiveMinimum"], True))
    return max(found) if found else None


def _upper(node: Mapping[str, Any]) -> tuple[float, bool] | None:
    found = []
    if _number(node.get("maximum")):
        found.append((node["maximum"], node.get("exclusiveMaximum") is True))
    if _number(node.get("exclusiveMaximum")):
        found.append((node["exclusiveMaximum"], True))
    return min(found, key=lambda b: (b[0], not b[1])) if found else None


def _bounds(o: Mapping[str, Any], n: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any, Any]]:
    """(keyword, old, new, is `new` tighter than `old`) for every bound either side sets."""
    for name in ("minLength", "minItems", "minProperties"):
        yield name, _int(o.get(name)) or None, _int(n.get(name)) or None, operator.gt  # 0 is no bound
    for name in ("maxLength", "maxItems", "maxProperties"):
        yield name, _int(o.get(name)), _int(n.get(name)), operator.lt
    yield "minimum", _lower(o), _lower(n), operator.gt  # (value, exclusive): exclusive is tighter
    yield "maximum", _upper(o), _upper(n), lambda new, old: (new[0], not new[1]) < (old[0], not old[1])
    # A changed pattern cannot be proven looser, so it counts as tightened.
    yield "pattern", o.get("pattern"), n.get("pattern"), _always
    yield "uniqueItems", o.get("uniqueItems") or None, n.get("uniqueItems") or None, _always


def _always(new: Any, old: Any) -> bool:
    return True


def _int(value: Any) -> int | None:
    return value if _number(value) else None


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return f"{value[0]}{' (exclusive)' if value[1] else ''}"
    return repr(value) if isinstance(value, str) else str(value)
