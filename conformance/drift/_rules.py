"""The rule table of the structural diff: one stable id per kind of change.

Each rule says on which side of the API it applies, how bad it is by default, and whom it breaks:

* **clients**: code written against the OLD document, talking to a server that implements the
  NEW one (a removed response field, a new response enum value a client switches on, a request
  field the server now rejects);
* **servers**: a server that implements the OLD document, judged by the NEW one, which is what
  a compatible server run through this suite experiences (a new request field it does not
  accept, a new required request field it does not enforce, a response value it still sends).

Severity: `error` breaks someone outright; `warning` may break them, depending on how tolerant
they are (unknown enum values, unknown union variants) or what they rely on; `info` is an
addition the other side can ignore, or a documentation-level change. docs/drift.md renders this
table next to oasdiff's equivalent checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeVar

T = TypeVar("T")

Severity = Literal["error", "warning", "info"]
Side = Literal["operation", "request", "response", "event"]
Party = Literal["clients", "servers"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
"""Most severe first; `--fail-on warning` fails on errors and warnings."""


@dataclass(frozen=True)
class Rule:
    id: str
    side: Side
    severity: Severity
    breaks: frozenset[Party]
    summary: str
    oasdiff: str = ""
    """The closest oasdiff check id(s), for the comparison table; '' when it has none."""

    @property
    def breaks_label(self) -> str:
        return " and ".join(sorted(self.breaks)) or "neither"


def _rule(rule_id: str, severity: Severity, breaks: str, summary: str, oasdiff: str = "") -> Rule:
    side = rule_id.split(".", 1)[0]
    parties = frozenset(p for p in breaks.split("+") if p)  # "clients+servers", "clients", ""
    return Rule(rule_id, side, severity, parties, summary, oasdiff)  # type: ignore[arg-type]


_C, _S, _CS, _N = "clients", "servers", "clients+servers", ""

RULES: tuple[Rule, ...] = (
    # -- operations ------------------------------------------------------------------------
    _rule(
        "operation.removed",
        "error",
        _C,
        "an operation (method + path) is gone",
        "api-path-removed-without-deprecation, api-removed-without-deprecation",
    ),
    _rule("operation.added", "info", _S, "a new operation; servers of the old contract lack it", "endpoint-added"),
    _rule("operation.deprecated", "info", _N, "an operation became deprecated", "endpoint-deprecated"),
    _rule(
        "operation.id.changed",
        "info",
        _N,
        "the operationId changed (generated SDK method names follow it)",
        "api-operation-id-removed",
    ),
    # -- request: parameters and body -------------------------------------------------------
    _rule(
        "request.parameter.removed",
        "warning",
        _C,
        "a parameter is gone; clients that send it may be rejected",
        "request-parameter-removed",
    ),
    _rule("request.parameter.added", "info", _S, "a new optional parameter", "new-optional-request-parameter"),
    _rule(
        "request.parameter.required.added",
        "error",
        _CS,
        "a parameter is new and required, or became required",
        "new-required-request-parameter, request-parameter-became-required",
    ),
    _rule(
        "request.parameter.required.removed",
        "warning",
        _S,
        "a required parameter became optional; old servers still demand it",
        "request-parameter-became-optional",
    ),
    _rule(
        "request.body.required.added",
        "error",
        _C,
        "the request body became required (or a required body was added)",
        "request-body-became-required, request-body-added-required",
    ),
    _rule(
        "request.media-type.removed",
        "error",
        _C,
        "a request body media type is no longer accepted",
        "request-body-media-type-removed",
    ),
    _rule("request.media-type.added", "info", _S, "a new request body media type", "request-body-media-type-added"),
    # -- request: schemas (parameters and bodies) ---------------------------------------------
    _rule(
        "request.property.removed",
        "error",
        _C,
        "a request field is gone; the API rejects unknown fields",
        "request-property-removed",
    ),
    _rule(
        "request.property.added",
        "info",
        _S,
        "a new optional request field; old servers reject or ignore it",
        "new-optional-request-property",
    ),
    _rule(
        "request.property.required.added",
        "error",
        _CS,
        "a request field is new and required, or became required",
        "new-required-request-property, request-property-became-required",
    ),
    _rule(
        "request.property.required.removed",
        "warning",
        _S,
        "a required request field became optional; old servers still demand it",
        "request-property-became-optional",
    ),
    _rule(
        "request.enum.value.removed",
        "error",
        _CS,
        "a request enum lost a value (or a free value became an enum)",
        "request-property-enum-value-removed, request-parameter-enum-value-removed, request-property-became-enum",
    ),
    _rule(
        "request.enum.value.added",
        "info",
        _S,
        "a request enum gained a value (or stopped being an enum)",
        "request-property-enum-value-added, request-parameter-enum-value-added",
    ),
    _rule(
        "request.type.narrowed",
        "error",
        _CS,
        "a request value accepts fewer types (e.g. no longer null)",
        "request-property-type-changed, request-property-became-not-nullable",
    ),
    _rule(
        "request.type.widened",
        "info",
        _S,
        "a request value accepts more types (e.g. now nullable)",
        "request-property-type-generalized, request-property-became-nullable",
    ),
    _rule(
        "request.type.changed",
        "error",
        _CS,
        "a request value has an unrelated type",
        "request-property-type-changed, request-body-type-changed",
    ),
    _rule(
        "request.union.variant.removed",
        "error",
        _CS,
        "a request union (oneOf/anyOf, e.g. an input block type) lost a variant",
        "request-property-one-of-removed, request-property-any-of-removed",
    ),
    _rule(
        "request.union.variant.added",
        "info",
        _S,
        "a request union gained a variant (e.g. a new input block or tool type)",
        "request-property-one-of-added, request-property-any-of-added",
    ),
    _rule(
        "request.constraint.tightened",
        "error",
        _CS,
        "a request bound was set or tightened (min/max, lengths, items, pattern)",
        "request-property-max-length-decreased, request-property-min-increased, request-property-pattern-added, ...",
    ),
    _rule(
        "request.constraint.relaxed",
        "info",
        _S,
        "a request bound was loosened or removed",
        "request-property-max-length-increased, request-property-min-decreased, ...",
    ),
    _rule(
        "request.default.changed",
        "warning",
        _CS,
        "the default of a request value changed: omitting it now means something else",
        "request-property-default-value-changed, request-parameter-default-value-changed",
    ),
    # -- responses ------------------------------------------------------------------------------
    _rule(
        "response.status.success.removed",
        "error",
        _CS,
        "a success (2xx) response is gone",
        "response-success-status-removed",
    ),
    _rule(
        "response.status.removed",
        "warning",
        _S,
        "a non-success status is no longer documented (nor covered by a range); old servers still send it",
        "response-non-success-status-removed",
    ),
    _rule(
        "response.status.added",
        "info",
        _N,
        "a newly documented status",
        "response-success-status-added, response-non-success-status-added",
    ),
    _rule(
        "response.media-type.removed",
        "error",
        _C,
        "a response media type is gone (e.g. the event stream)",
        "response-media-type-removed",
    ),
    _rule(
        "response.media-type.added",
        "warning",
        _C,
        "a new response media type clients may not parse",
        "response-media-type-added",
    ),
    _rule(
        "response.header.removed",
        "warning",
        _C,
        "a documented response header is gone",
        "required-response-header-removed, optional-response-header-removed",
    ),
    _rule("response.header.added", "info", _N, "a newly documented response header", "response-header-added"),
    # -- response schemas -------------------------------------------------------------------------
    _rule(
        "response.property.removed",
        "error",
        _C,
        "a required response field is gone",
        "response-required-property-removed",
    ),
    _rule(
        "response.optional-property.removed",
        "warning",
        _C,
        "an optional response field is gone",
        "response-optional-property-removed",
    ),
    _rule(
        "response.property.added",
        "info",
        _N,
        "a new optional response field (the versioning policy allows it)",
        "response-optional-property-added",
    ),
    _rule(
        "response.property.required.added",
        "warning",
        _S,
        "a response field is new and required, or became required; old servers may omit it",
        "response-required-property-added, response-property-became-required",
    ),
    _rule(
        "response.property.required.removed",
        "warning",
        _C,
        "a required response field became optional; clients may find it absent",
        "response-property-became-optional",
    ),
    _rule(
        "response.enum.value.added",
        "warning",
        _C,
        "a response enum gained a value clients may switch on (allowed by the versioning policy)",
        "response-property-enum-value-added",
    ),
    _rule(
        "response.enum.value.removed",
        "warning",
        _S,
        "a response enum lost a value old servers may still send",
        "response-property-enum-value-removed",
    ),
    _rule(
        "response.type.widened",
        "error",
        _C,
        "a response value has more types (e.g. became nullable)",
        "response-property-became-nullable, response-property-type-changed",
    ),
    _rule(
        "response.type.narrowed",
        "warning",
        _S,
        "a response value has fewer types (e.g. no longer null); old servers may send the others",
        "response-property-became-not-nullable",
    ),
    _rule(
        "response.type.changed",
        "error",
        _CS,
        "a response value has an unrelated type",
        "response-property-type-changed, response-body-type-changed",
    ),
    _rule(
        "response.union.variant.added",
        "warning",
        _C,
        "a response union gained a variant (a new content block or delta type)",
        "response-property-one-of-added, response-property-any-of-added",
    ),
    _rule(
        "response.union.variant.removed",
        "warning",
        _S,
        "a response union lost a variant old servers may still send",
        "response-property-one-of-removed, response-property-any-of-removed",
    ),
    _rule(
        "response.constraint.relaxed",
        "warning",
        _C,
        "a response bound was loosened or removed: values old clients never saw",
        "response-property-max-length-increased, response-property-max-length-unset, ...",
    ),
    _rule(
        "response.constraint.tightened",
        "info",
        _S,
        "a response bound was set or tightened; old servers may exceed it",
        "",
    ),
    # -- server-sent events -----------------------------------------------------------------------
    _rule("event.type.added", "warning", _C, "a stream gained an event type (allowed by the versioning policy)", ""),
    _rule(
        "event.type.removed",
        "warning",
        _CS,
        "a stream lost an event type: old servers send it, old clients may wait for it",
        "",
    ),
    _rule(
        "event.schema.added",
        "info",
        _N,
        "a stream's events are now described (the old document had an opaque stream)",
        "",
    ),
    _rule("event.schema.removed", "info", _N, "a stream's events are no longer described", ""),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    return BY_ID[rule_id]


def failing(items: Iterable[T], fail_on: Severity | None) -> list[T]:
    """The items (anything with a `severity`) at `fail_on` or worse; none when it is None."""
    if fail_on is None:
        return []
    levels = at_least(fail_on)
    return [item for item in items if getattr(item, "severity", None) in levels]


def at_least(severity: Severity) -> frozenset[Severity]:
    """The severities as bad as `severity` or worse (`warning` → {error, warning})."""
    return frozenset(SEVERITIES[: SEVERITIES.index(severity) + 1])
