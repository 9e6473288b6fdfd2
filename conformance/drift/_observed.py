"""Reality drift: recorded traffic against a contract.

Each exchange is matched to its operation and its bodies are walked alongside the schemas that
describe them (request JSON, response JSON, each JSONL line, each SSE event's data), following
unions by their discriminator. What the traffic shows and the contract lacks is counted with a
first example: operations, statuses, media types, response headers, fields, enum values, union
variants (content block, delta, tool types...) and event types. What the contract describes on
the response side of the operations the traffic reached, and the traffic never shows, is listed
too. The JSON Schema checks judge whether a body is *valid*; this module reports what is *new*
or *unused*, including what the tolerant view lets through silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance._exchange import Exchange
from conformance.contract import Contract, Operation
from conformance.drift._rules import Severity, at_least
from conformance.drift._schema import (
    Schemas,
    View,
    enum_of,
    json_type,
    types_of,
    value_key,
)

Kind = Literal["operation", "status", "media-type", "header", "field", "enum-value", "variant", "event"]
Side = Literal["request", "response"]

# Transport-level headers every HTTP response may carry; the contract has no reason to list them.
_TRANSPORT_HEADERS = frozenset(
    {
        "date",
        "content-type",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "server",
        "vary",
        "content-encoding",
        "cache-control",
        "expires",
        "pragma",
        "age",
        "etag",
        "last-modified",
        "accept-ranges",
        "alt-svc",
        "set-cookie",
        "content-disposition",
    }
)
_ID_SEGMENT = re.compile(r"/[a-z]+_[A-Za-z0-9]{8,}(?=/|$)")
_STREAM = "text/event-stream"
_JSONL = ("application/x-jsonl", "application/jsonl", "application/x-ndjson")


@dataclass(frozen=True)
class Item:
    """One thing seen in traffic and absent from the contract, or described and never seen."""

    kind: Kind
    side: Side
    what: str
    count: int = 0
    example: str = ""
    """Where it was first seen (exchange label and location), for what traffic showed."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "side": self.side, "what": self.what, "count": self.count, "example": self.example}


@dataclass
class ObservedReport:
    spec: str
    exchanges: int
    matched: int
    unknown: list[Item] = field(default_factory=list)
    """Seen in traffic, absent from the contract (a warning each: the contract lags reality)."""
    unobserved: list[Item] = field(default_factory=list)
    """Described by the contract, never seen in the traffic (information)."""

    def failing(self, fail_on: Severity | None) -> list[Item]:
        if fail_on is None:
            return []
        levels = at_least(fail_on)
        return [*(self.unknown if "warning" in levels else []), *(self.unobserved if "info" in levels else [])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "exchanges": self.exchanges,
            "matched": self.matched,
            "unknown": [i.to_dict() for i in self.unknown],
            "unobserved": [i.to_dict() for i in self.unobserved],
        }


def observed_drift(contract: Contract, exchanges: Iterable[Exchange]) -> ObservedReport:
    """Compare recorded exchanges with a contract (see the module docstring)."""
    observer = _Observer(contract)
    for exchange in exchanges:
        observer.see(exchange)
    return observer.report()


def _media(name: str) -> str:
    return name.split(";", 1)[0].strip().lower()


class _Observer:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.schemas = Schemas(contract.document)
        self.exchanges = 0
        self.matched = 0
        self.operations: set[str] = set()
        self.unknown: dict[tuple[Kind, Side, str], list[Any]] = {}
        self.seen: set[tuple[Kind, str]] = set()  # response side: what the contract describes and traffic shows

    # -- recording ------------------------------------------------------------------------------
    def missing(self, kind: Kind, side: Side, what: str, example: str) -> None:
        entry = self.unknown.setdefault((kind, side, what), [0, example])
        entry[0] += 1

    def found(self, kind: Kind, side: Side, what: str) -> None:
        if side == "response":
            self.seen.add((kind, what))

    # -- one exchange ---------------------------------------------------------------------------
    def see(self, exchange: Exchange) -> None:
        self.exchanges += 1
        label = exchange.label or f"exchange #{self.exchanges}"
        request, response = exchange.request, exchange.response
        operation = self.contract.match(request.method, request.path, request.query)
        if operation is None:
            # Resource ids (`file_011Cc...`) would make one entry per object: group them.
            path = _ID_SEGMENT.sub("/{id}", request.path)
            self.missing("operation", "request", f"{request.method} {path}", label)
            return
        self.matched += 1
        self.operations.add(operation.operation_id)
        pointer = self.contract.request_schema_pointer(operation.operation_id)
        body = request.json() if pointer else None
        if pointer and body is not None:
            self.walk(
                self.schemas.resolve(pointer),
                body,
                f"{operation.label} request body",
                "",
                "request",
                f"{label} request",
            )
        found = self.contract.response(operation.operation_id, response.status)
        if found is None:
            self.missing("status", "response", f"{operation.label} {response.status}", label)
            return
        key, documented = found
        self.found("status", "response", f"{operation.label} {key}")
        declared = {str(name).lower() for name in (documented.get("headers") or {})}
        for name in response.headers:
            if name in _TRANSPORT_HEADERS:
                continue
            if name in declared:
                self.found("header", "response", f"{name} on {key}")
            else:
                self.missing("header", "response", f"{name} on {key}", label)
        self.body(operation, key, documented, exchange, label)

    def body(
        self, operation: Operation, key: str, documented: Mapping[str, Any], exchange: Exchange, label: str
    ) -> None:
        response = exchange.response
        content = {_media(k): v for k, v in (documented.get("content") or {}).items() if isinstance(v, Mapping)}
        media = response.content_type
        if not media:  # redacted or missing: judge by the body
            media = _STREAM if exchange.response.is_stream else "application/json"
        where = f"{operation.label} {key}"
        if media not in content:
            if response.body or response.content_type:
                self.missing("media-type", "response", f"{where} {media}", label)
            return
        schema = content[media].get("schema")
        if schema is None:
            return
        if media == _STREAM:
            events = self.contract.event_schema_pointer(operation.operation_id, response.status)
            if events is None:
                return
            node = self.schemas.resolve(events)
            for index, frame in enumerate(response.frames):
                data = frame.json_or_none()
                if isinstance(data, dict):
                    self.walk(node, data, f"{where} events", "", "response", f"{label} event #{index}", events=True)
        elif media in _JSONL:
            for index, line in enumerate(response.text.splitlines()):
                if line.strip():
                    try:
                        self.walk(
                            schema, json.loads(line), f"{where} {media}", "", "response", f"{label} line {index + 1}"
                        )
                    except ValueError:
                        continue
        else:
            value = response.json()
            if value is not None:
                self.walk(schema, value, f"{where} {media}", "", "response", label)

    # -- walking a value alongside its schema -------------------------------------------------------
    def walk(
        self, node: Any, value: Any, where: str, pointer: str, side: Side, example: str, *, events: bool = False
    ) -> None:
        view = self.schemas.view(node)
        name = view.name or where
        if value is None:
            return
        if view.variants is not None:
            self._variant(view, name, value, pointer, side, example, events)
            return
        body = view.node
        allowed = enum_of(body)
        if allowed is not None and not isinstance(value, (dict, list)):
            key = value_key(value)
            if key in allowed:
                self.found("enum-value", side, f"{name} = `{key}`")
            else:
                self.missing("enum-value", side, f"{name} = `{key}`", f"{example} {pointer or '/'}")
        if isinstance(value, dict):
            properties = body.get("properties") or {}
            extra = body.get("additionalProperties")
            if not properties and not isinstance(extra, Mapping):
                return  # a free-form object (tool input, metadata): nothing to drift from
            for prop, item in value.items():
                here = f"{pointer}/{prop}"
                if prop in properties:
                    self.found("field", side, f"{name}.{prop}")
                    self.walk(properties[prop], item, f"{name}.{prop}", here, side, example)
                elif isinstance(extra, Mapping):
                    self.walk(extra, item, f"{name}{{}}", here, side, example)
                elif extra is not True:  # `additionalProperties: true` says "any field" on purpose
                    self.missing("field", side, f"{name}.{prop}", f"{example} {here}")
        elif isinstance(value, list) and isinstance(body.get("items"), Mapping):
            for index, item in enumerate(value):
                self.walk(body["items"], item, f"{name}[]", f"{pointer}/{index}", side, example)

    def _variant(self, view: View, name: str, value: Any, pointer: str, side: Side, example: str, events: bool) -> None:
        assert view.variants is not None
        prop = self.schemas.discriminator([view])
        kind: Kind = "event" if events else "variant"
        if prop is not None and isinstance(value, dict) and prop in value and not isinstance(value[prop], (dict, list)):
            key = value_key(value[prop])
            what = f"{name}: {prop} `{key}`"
            for variant in view.variants:
                keys = self.schemas.variant_key(variant, prop, view.mapping)
                if keys and key in keys:
                    self.found(kind, side, what)
                    self.walk(variant, value, f"{name}|{key}", pointer, side, example)
                    return
            if any(self.schemas.variant_key(v, prop, view.mapping) is not None for v in view.variants):
                self.missing(kind, side, what, f"{example} {pointer or '/'}")
                return
        chosen = self._closest(view.variants, value)
        if chosen is not None:
            self.walk(chosen, value, name, pointer, side, example)

    def _closest(self, variants: list[Any], value: Any) -> Any:
        """The undiscriminated variant a value most likely is: its JSON type, then most fields known."""
        kind = json_type(value)
        best, score = None, -1
        for variant in variants:
            body = self.schemas.view(variant).node
            types = types_of(body)
            if types is not None and kind not in types and not (kind == "integer" and "number" in types):
                continue
            known = len(set(value) & set(body.get("properties") or {})) if isinstance(value, dict) else 0
            if known > score:
                best, score = variant, known
        return best

    # -- what the contract describes ----------------------------------------------------------------
    def described(self) -> Iterator[tuple[Kind, str]]:
        """Response-side parts of the operations the traffic reached."""
        visited: set[tuple[str, bool]] = set()
        for operation in self.contract.operations:
            if operation.operation_id not in self.operations:
                continue
            for status in operation.response_statuses:
                documented = self.schemas.deref((operation.definition.get("responses") or {})[status])
                key = str(status).upper()
                yield "status", f"{operation.label} {key}"
                for name in documented.get("headers") or {}:
                    yield "header", f"{str(name).lower()} on {key}"
                for media, entry in (documented.get("content") or {}).items():
                    media, where = _media(media), f"{operation.label} {key} {_media(media)}"
                    if not isinstance(entry, Mapping) or "schema" not in entry:
                        continue
                    if media == _STREAM:
                        pointer = self.contract.event_schema_pointer(
                            operation.operation_id, int(status) if status.isdigit() else 200
                        )
                        if pointer is not None:
                            yield from self._parts(
                                self.schemas.resolve(pointer), f"{operation.label} {key} events", visited, events=True
                            )
                    else:
                        yield from self._parts(entry["schema"], where, visited)

    def _parts(
        self, node: Any, where: str, visited: set[tuple[str, bool]], *, events: bool = False
    ) -> Iterator[tuple[Kind, str]]:
        view = self.schemas.view(node)
        if view.ref is not None:
            if (view.ref, events) in visited:
                return
            visited.add((view.ref, events))
        name = view.name or where
        if view.variants is not None:
            prop = self.schemas.discriminator([view])
            for variant in view.variants:
                keys = self.schemas.variant_key(variant, prop, view.mapping)
                for key in sorted(keys or ()):
                    yield ("event" if events else "variant"), f"{name}: {prop} `{key}`"
                    yield from self._parts(variant, f"{name}|{key}", visited)
                if not keys:
                    yield from self._parts(variant, name, visited)
            return
        body = view.node
        for key in enum_of(body) or {}:
            yield "enum-value", f"{name} = `{key}`"
        for prop, sub in (body.get("properties") or {}).items():
            yield "field", f"{name}.{prop}"
            yield from self._parts(sub, f"{name}.{prop}", visited)
        if isinstance(body.get("items"), Mapping):
            yield from self._parts(body["items"], f"{name}[]", visited)
        if isinstance(body.get("additionalProperties"), Mapping):
            yield from self._parts(body["additionalProperties"], f"{name}{{}}", visited)

    def report(self) -> ObservedReport:
        unknown = [
            Item(kind, side, what, count, example) for (kind, side, what), (count, example) in self.unknown.items()
        ]
        unknown.sort(key=lambda i: (_ORDER.index(i.kind), -i.count, i.what))
        described = dict.fromkeys(self.described())  # ordered, without repeats
        never = [Item(kind, "response", what) for kind, what in described if (kind, what) not in self.seen]
        never.extend(
            Item("operation", "request", op.label)
            for op in self.contract.operations
            if op.operation_id not in self.operations
        )
        never.sort(key=lambda i: (_ORDER.index(i.kind), i.what))
        return ObservedReport(str(self.contract.source or "contract"), self.exchanges, self.matched, unknown, never)


_ORDER: tuple[Kind, ...] = ("operation", "status", "media-type", "header", "event", "variant", "field", "enum-value")
