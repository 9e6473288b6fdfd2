"""The loaded contract: operations, schemas by name, event and error schemas, strict and tolerant views."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from conformance.contract._bundle import bundle
from conformance.contract._errors import ContractError
from conformance.contract._versions import api_versions, gated_messages, version_document
from conformance.contract._views import tolerant_document

View = Literal["strict", "tolerant"]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
STREAM_MEDIA_TYPE = "text/event-stream"


PACKAGE = Path(__file__).resolve().parents[1]
"""The `conformance` package's folder: an installed wheel keeps the contract in `_specs/`."""


def bundled_contract_path() -> Path:
    """The contract shipped with the package (an installed wheel) or the checkout's specs/."""
    package = PACKAGE
    for candidate in (package / "_specs" / "anthropic.yaml", package.parent / "specs" / "anthropic.yaml"):
        if candidate.is_file():
            return candidate
    raise ContractError("the bundled contract (specs/anthropic.yaml) is missing from this installation")


@dataclass(frozen=True)
class SchemaError:
    """One validation error: where in the instance, and what is wrong."""

    path: str
    """JSON-pointer-like location in the validated instance, e.g. `/content/0/type`."""
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    """The path template, without any literal query suffix (`/v1/messages`)."""
    query: str
    """A literal query suffix some documents put in path keys (`beta=true`), else ''."""
    definition: Mapping[str, Any] = field(repr=False)
    pointer: str = field(repr=False)
    """JSON pointer to the operation object in the document."""

    @property
    def summary(self) -> str:
        return str(self.definition.get("summary") or "")

    @property
    def tags(self) -> list[str]:
        return list(self.definition.get("tags") or [])

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}{'?' + self.query if self.query else ''}"

    @property
    def response_statuses(self) -> list[str]:
        return list((self.definition.get("responses") or {}).keys())

    @property
    def streams(self) -> bool:
        """Whether a 200 of this operation may be an event stream."""
        ok = (self.definition.get("responses") or {}).get("200") or {}
        return STREAM_MEDIA_TYPE in (ok.get("content") or {})

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and _template_regex(self.path).fullmatch(path) is not None


_TEMPLATE_CACHE: dict[str, re.Pattern[str]] = {}


def _template_regex(template: str) -> re.Pattern[str]:
    if template not in _TEMPLATE_CACHE:
        parts = re.split(r"(\{[^}/]+\})", template)
        pattern = "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
        _TEMPLATE_CACHE[template] = re.compile(pattern)
    return _TEMPLATE_CACHE[template]


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class ContractView:
    """One view of the contract (strict or tolerant) with cached validators.

    Validation answers "valid" with jsonschema_rs (Rust, about 500 times faster; it comes with
    schemathesis) and explains a failure with jsonschema (Python), whose errors carry the paths
    and messages the checks report. Most responses are valid, so most cost only the fast path.
    """

    def __init__(self, name: View, document: dict[str, Any]) -> None:
        self.name = name
        self.document = document
        self._uri = f"urn:anthropic-conformance:{name}"
        resource = referencing.jsonschema.DRAFT202012.create_resource(document)
        self._registry: referencing.Registry = referencing.Registry().with_resource(self._uri, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, Any] = {}
        self._fast_registry: Any = None

    def pointer(self, target: str) -> str:
        """A schema name (`Message`) or a JSON pointer (`#/paths/...`) as a pointer."""
        return target if target.startswith("#") else f"#/components/schemas/{_escape_pointer(target)}"

    def resolve(self, target: str) -> Any:
        return self._registry.resolver(self._uri).lookup(self._uri + self.pointer(target)).contents

    def validator(self, target: str) -> Draft202012Validator:
        pointer = self.pointer(target)
        if pointer not in self._validators:
            try:
                self.resolve(pointer)
            except referencing.exceptions.Unresolvable:
                raise ContractError(f"the contract has no schema at {pointer}") from None
            schema = {"$ref": self._uri + pointer}
            self._validators[pointer] = Draft202012Validator(schema, registry=self._registry)
        return self._validators[pointer]

    def _fast_validator(self, pointer: str) -> Any:
        """A jsonschema_rs validator for the pointer, or None where it cannot be built."""
        if pointer not in self._fast:
            try:
                import jsonschema_rs

                if self._fast_registry is None:
                    self._fast_registry = jsonschema_rs.Registry([(self._uri, self.document)])
                self._fast[pointer] = jsonschema_rs.Draft202012Validator(
                    {"$ref": self._uri + pointer}, registry=self._fast_registry
                )
            except Exception:  # noqa: BLE001 - any failure falls back to the Python validator
                self._fast[pointer] = None
        return self._fast[pointer]

    def validate(self, target: str, instance: Any) -> list[SchemaError]:
        python = self.validator(target)  # resolves the target first: unknown names are ContractErrors
        fast = self._fast_validator(self.pointer(target))
        try:
            if fast is not None and fast.is_valid(instance):
                return []
        except ValueError:  # e.g. a lone surrogate the Rust side refuses: let Python judge
            pass
        return [_schema_error(e) for e in _leaf_errors(python.iter_errors(instance))]

    def is_valid(self, target: str, instance: Any) -> bool:
        return not self.validate(target, instance)


def _leaf_errors(errors: Iterator[ValidationError]) -> list[ValidationError]:
    """Replace a failed union by the errors of the branch the instance meant to be.

    A branch "meant" is one whose discriminator (a `const` property) the instance satisfies, so
    a text block without `text` reports the missing `text`, not "'thinking' was expected".
    """
    out: list[ValidationError] = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branch = _meant_branch(error.context)
            out.extend(_leaf_errors(iter(branch)) if branch else [error])
        else:
            out.append(error)
    return out


def _meant_branch(context: list[ValidationError]) -> list[ValidationError] | None:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    def discriminator_mismatch(errs: list[ValidationError]) -> bool:
        return any(e.validator in ("const", "enum", "not") and len(e.relative_path) == 1 for e in errs)
    candidates = [errs for errs in branches.values() if not discriminator_mismatch(errs)]
    if len(candidates) != 1:
        return None  # no branch, or several, claim the instance: the union error says it best
    return candidates[0]


def _schema_error(error: ValidationError) -> SchemaError:
    path = "".join(f"/{p}" for p in error.absolute_path)
    message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
    return SchemaError(path, message)


class Contract:
    """An OpenAPI 3.x contract, bundled into one document, with strict and tolerant views.

    >>> contract = load_contract()
    >>> contract.operation("createMessage").label
    'POST /v1/messages'
    """

    def __init__(self, document: dict[str, Any], *, source: Path | None = None) -> None:
        if not isinstance(document.get("openapi"), str) or not document["openapi"].startswith("3."):
            where = source or "document"
            raise ContractError(f"{where}: not an OpenAPI 3.x document (no 'openapi: 3.x' field)")
        self.document = document
        self.source = source
        self.operations = list(self._read_operations())
        self._by_id = {op.operation_id: op for op in self.operations}
        self._versions: dict[str, Contract] = {}

    # -- what the document says -------------------------------------------------------------
    @property
    def title(self) -> str:
        return str((self.document.get("info") or {}).get("title") or "")

    @property
    def version(self) -> str:
        return str((self.document.get("info") or {}).get("version") or "")

    @property
    def schemas(self) -> dict[str, Any]:
        return (self.document.get("components") or {}).get("schemas") or {}

    # -- API versions -------------------------------------------------------------------------
    @property
    def api_versions(self) -> tuple[str, ...]:
        """The `anthropic-version` values the contract describes (its header enum)."""
        return api_versions(self.document)

    def for_version(self, version: str) -> Contract:
        """The contract as one API version offers it without a beta (docs/contract.md, "Versions"):
        the version header pinned, variants general only from a later version left out. Raises
        ContractError for a version the contract does not describe."""
        if version not in self._versions:
            self._versions[version] = Contract(version_document(self.document, version), source=self.source)
        return self._versions[version]

    def gated_messages(self, body: Any, version: str, *, beta: bool = False) -> list[str]:
        """Why a Messages body is not for `version` without a beta (e.g. system-role messages
        before 2026-10-21); empty when it is."""
        return gated_messages(self.document, body, version, beta=beta)

    def _read_operations(self) -> Iterator[Operation]:
        for key, path_item in (self.document.get("paths") or {}).items():
            if not isinstance(path_item, dict):
                continue
            path, _, query = key.partition("?")
            for method in HTTP_METHODS:
                definition = path_item.get(method)
                if not isinstance(definition, dict):
                    continue
                operation_id = definition.get("operationId") or f"{method.upper()} {key}"
                pointer = f"#/paths/{_escape_pointer(key)}/{method}"
                yield Operation(operation_id, method.upper(), path, query, definition, pointer)

    def operation(self, operation_id: str) -> Operation:
        try:
            return self._by_id[operation_id]
        except KeyError:
            raise ContractError(f"the contract has no operation {operation_id!r}") from None

    def request_fingerprint(self, operation_id: str) -> str:
        """A hash of everything that decides whether a request to the operation is valid: its
        parameters (path-item level too), its request body, and every schema they reach. Two
        contracts with the same fingerprint judge the same requests alike, whatever their
        responses say (a recording stays replayable across response-side changes)."""
        operation = self.operation(operation_id)
        path_item = (self.document.get("paths") or {}).get(f"{operation.path}{'?' + operation.query if operation.query else ''}") or {}
        request_side = {"parameters": [path_item.get("parameters"), operation.definition.get("parameters")],
                        "requestBody": operation.definition.get("requestBody"),
                        "security": operation.definition.get("security", self.document.get("security"))}
        reached: dict[str, Any] = {}
        pending = [request_side]
        while pending:
            for ref in _refs(pending.pop()):
                if ref not in reached and ref.startswith("#/"):
                    reached[ref] = self.view("strict").resolve(ref)
                    pending.append(reached[ref])
        text = json.dumps([request_side, sorted(reached.items())], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def match(self, method: str, path: str, query: str = "") -> Operation | None:
        """The operation a request goes to. Query strings never change the operation, except in
        documents that key paths with a literal query (`/v1/messages?beta=true`), where the
        matching literal is preferred."""
        path = path.split("?", 1)[0]
        candidates = [op for op in self.operations if op.matches(method, path)]
        if not candidates:
            return None
        params = set(query.split("&")) if query else set()
        with_query = [op for op in candidates if op.query and set(op.query.split("&")) <= params]
        # Prefer a literal path over a templated one (/v1/models/{id} vs a fixed sibling).
        pool = with_query or [op for op in candidates if not op.query] or candidates
        return min(pool, key=lambda op: op.path.count("{"))

    def response(self, operation_id: str, status: int) -> tuple[str, Mapping[str, Any]] | None:
        """The response object documented for a status: exact code, then `4XX`, then `default`."""
        op = self.operation(operation_id)
        responses = op.definition.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                response = responses[key]
                ref = response.get("$ref") if isinstance(response, dict) else None
                if isinstance(ref, str):
                    response = self.strict.resolve(ref)
                return key, response
        return None

    def response_schema_pointer(self, operation_id: str, status: int, media_type: str) -> str | None:
        """Pointer to the schema documented for (status, media type), or None if undocumented."""
        found = self.response(operation_id, status)
        if found is None:
            return None
        key, response = found
        content = response.get("content") or {}
        if media_type not in content or "schema" not in content[media_type]:
            return None
        op = self.operation(operation_id)
        raw = (op.definition.get("responses") or {})[key]
        if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
            base = raw["$ref"]
        else:
            base = f"{op.pointer}/responses/{_escape_pointer(key)}"
        return f"{base}/content/{_escape_pointer(media_type)}/schema"

    def event_schema_pointer(self, operation_id: str, status: int = 200) -> str | None:
        """Pointer to the schema of one event's `data` JSON for a streaming response.

        The contract describes a stream frame as `{event, data}` with `data` a JSON string whose
        schema is `contentSchema` (the OpenAPI 3.1 reading schemathesis uses); a document that
        puts the payload schema directly under `text/event-stream` is read as the payload.
        """
        pointer = self.response_schema_pointer(operation_id, status, STREAM_MEDIA_TYPE)
        if pointer is None:
            return None
        frame = self.strict.resolve(pointer)
        while isinstance(frame, dict) and isinstance(frame.get("$ref"), str) and len(frame) == 1:
            pointer = frame["$ref"]
            frame = self.strict.resolve(pointer)
        data = ((frame or {}).get("properties") or {}).get("data") or {}
        if isinstance(data, dict) and "contentSchema" in data:
            return f"{pointer}/properties/data/contentSchema"
        return pointer

    def validate_response(
        self, operation_id: str, status: int, media_type: str, instance: Any, *, view: View = "tolerant"
    ) -> list[SchemaError] | None:
        """Validate a decoded response body (one JSONL line, for line-delimited media types).

        None means the contract documents no schema for that status and media type, which is a
        finding of its own (status or content type not in the contract), not a schema error.
        """
        pointer = self.response_schema_pointer(operation_id, status, media_type)
        return None if pointer is None else self.validate(pointer, instance, view=view)

    def validate_event(
        self, operation_id: str, payload: Any, *, status: int = 200, view: View = "tolerant"
    ) -> list[SchemaError] | None:
        """Validate one SSE event's data JSON; None when the operation documents no stream."""
        pointer = self.event_schema_pointer(operation_id, status)
        return None if pointer is None else self.validate(pointer, payload, view=view)

    def request_schema_pointer(self, operation_id: str, media_type: str = "application/json") -> str | None:
        op = self.operation(operation_id)
        content = ((op.definition.get("requestBody") or {}).get("content")) or {}
        if media_type not in content or "schema" not in content[media_type]:
            return None
        return f"{op.pointer}/requestBody/content/{_escape_pointer(media_type)}/schema"

    # -- the two views ----------------------------------------------------------------------
    @cached_property
    def strict(self) -> ContractView:
        return ContractView("strict", self.document)

    @cached_property
    def tolerant(self) -> ContractView:
        return ContractView("tolerant", tolerant_document(self.document))

    def view(self, name: View) -> ContractView:
        if name not in ("strict", "tolerant"):
            raise ContractError(f"unknown view {name!r} (strict or tolerant)")
        return self.strict if name == "strict" else self.tolerant

    def schema(self, name: str, *, view: View = "strict") -> dict[str, Any]:
        """A component schema by name, in the chosen view (references left as they are)."""
        schemas = (self.view(view).document.get("components") or {}).get("schemas") or {}
        if name not in schemas:
            raise ContractError(f"the contract has no schema named {name!r}")
        schema: dict[str, Any] = schemas[name]
        return schema

    def validate(self, target: str, instance: Any, *, view: View = "strict") -> list[SchemaError]:
        """Validate against a schema name or a JSON pointer; an empty list means valid."""
        return self.view(view).validate(target, instance)

    # -- the Anthropic-specific parts ---------------------------------------------------------
    @cached_property
    def event_schemas(self) -> dict[str, str]:
        """SSE event type → schema name, read from the `MessageStreamEvent` union."""
        return self._union_members("MessageStreamEvent")

    @property
    def error_schema(self) -> str:
        return "ErrorResponse"

    def _union_members(self, union: str) -> dict[str, str]:
        out: dict[str, str] = {}
        schema = self.schemas.get(union) or {}
        for variant in schema.get("oneOf") or schema.get("anyOf") or []:
            ref = variant.get("$ref", "") if isinstance(variant, dict) else ""
            name = ref.rsplit("/", 1)[-1]
            const = ((self.schemas.get(name) or {}).get("properties") or {}).get("type", {}).get("const")
            if isinstance(const, str):
                out[const] = name
        return out


_CACHE: dict[tuple[Path, float], Contract] = {}


def _refs(node: Any) -> Iterator[str]:
    """Every `$ref` under a node."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def load_contract(path: str | Path | None = None) -> Contract:
    """Load and bundle a contract: the one shipped with the package by default, or a file.

    Accepts YAML or JSON, OpenAPI 3.0 or 3.1, a single document or several joined by relative
    `$ref`. Raises ContractError with a one-line message when it cannot.
    """
    source = Path(path).expanduser().resolve() if path is not None else bundled_contract_path()
    if not source.exists():
        raise ContractError(f"{source}: no such file")
    if source.is_dir():
        raise ContractError(f"{source}: is a folder, not an OpenAPI document")
    key = (source, _mtime_of_tree(source))
    if key not in _CACHE:
        _CACHE[key] = Contract(bundle(source), source=source)
    return _CACHE[key]


def _mtime_of_tree(source: Path) -> float:
    """Newest modification time of the document and its sibling parts (cache invalidation)."""
    siblings = source.parent.glob("*.y*ml") if source.suffix in (".yaml", ".yml") else [source]
    try:
        return max([source.stat().st_mtime, *(p.stat().st_mtime for p in siblings)])
    except OSError:
        return time.time()
