"""Generated traffic: schemathesis builds the requests from the contract, the engine sends and judges them.

Schemathesis supplies generation (examples, coverage and fuzzing phases; valid and invalid data).
Sending goes through `Target` (httpx, timeouts, chunk boundaries kept) and judging through the
project's checks, which know what schemathesis cannot: stream order, meaning, cost.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode

from conformance._exchange import Exchange, Request, Response
from conformance.engine._session import BudgetExhausted, Session, shorten
from conformance.engine._target import TargetUnreachable

MAX_STREAM_EVENTS = 100_000  # schemathesis stops reading a stream after 20 events by default
_CLAMPED = ("max_tokens", "max_tokens_to_sample")
# Where an invalid value makes the API answer 4xx. Query parameters are not there: servers may
# ignore unknown or odd ones (a classic source of false alarms in negative testing), nor are extra
# headers or a bad `Authorization` sent next to a valid `x-api-key` (either scheme suffices).
_REJECTED_LOCATIONS = {"body", "path"}
_REJECTED_HEADERS = {"anthropic-version", "anthropic-beta", "x-api-key"}
# Operations that validate their items later: a batch with invalid `params` is created and the
# item ends `errored` in the results (the batch lifecycle scenario checks that).
_ITEM_LEVEL_VALIDATION = {"createMessageBatch"}
_VIOLATION = re.compile(r"^(?:(?P<location>\w+): )?violates `(?P<keyword>\w+)`(?: at /properties/(?P<at>[^/\s]+))?"
                        r"(?: \(was (?P<was>[^)]+)\))?")


def schemathesis_schema(session: Session) -> Any:
    """The contract as a schemathesis schema, configured by the session's profile and options."""
    profile = session.profile
    schema = schemathesis.openapi.from_dict(copy.deepcopy(session.contract.document))
    config = schema.config
    config.update(base_url=session.target.base_url, request_timeout=session.target.timeout)
    config.max_stream_events = MAX_STREAM_EVENTS
    modes = [GenerationMode.POSITIVE] if profile.negative == "off" else [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    # Live targets are never shrunk: every shrinking step is another paid request.
    config.generation.update(
        modes=modes, max_examples=profile.max_examples, no_shrink=profile.live, deterministic=True, database="none"
    )
    config.phases.update(phases=list(profile.phases))
    config.seed = session.seed
    wanted = [op.operation_id for op in session.contract.operations if session.wants_operation(op.operation_id)]
    for op in session.contract.operations:
        if not session.profile.offers(op.operation_id):
            session.mark_unsupported(op.operation_id, f"not offered by the {session.profile.name} profile")
    offered = [op_id for op_id in wanted if session.profile.offers(op_id)]
    return schema.include(operation_id=offered) if offered else schema.include(operation_id=["-none-"])


def _operation_id(case: schemathesis.Case) -> str:
    return str(case.operation.definition.raw.get("operationId") or case.operation.label)


def _clamp(case: schemathesis.Case, cap: int) -> None:
    """Cost guard: no generated request asks for more than the profile's max_tokens_cap."""
    if isinstance(case.body, dict):
        for key in _CLAMPED:
            value = case.body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > cap:
                case.body[key] = cap


def judge_case(session: Session, case: schemathesis.Case) -> None:
    """Send one generated case to the target, run the checks, fail the test on an error finding."""
    operation_id = _operation_id(case)
    _clamp(case, session.profile.max_tokens_cap)
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    try:
        session.budget.ensure()
        exchange = _send(session, case, operation_id, negative)
        exchange.expectation = _expectation(case, operation_id) if negative else "valid"
    except BudgetExhausted as exc:
        pytest.exit(f"conformance: {exc}; stopping cleanly", returncode=1 if session.errors else 0)
    except TargetUnreachable as exc:
        pytest.exit(f"conformance: target unreachable: {exc}", returncode=3)
    findings = session.judge(exchange)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        details = "\n".join(f"[{f.check_id}] {f.message}" + (f" at {f.location}" if f.location else "") for f in errors)
        reproducer = shorten(errors[0].reproducer or "")
        pytest.fail(f"{operation_id}: {len(errors)} departure(s)\n{details}\n\nReproduce with:\n  {reproducer}", pytrace=False)


def _expectation(case: schemathesis.Case, operation_id: str) -> str:
    """`invalid` when the mutation is one the API rejects, else `tolerated` (never a 5xx either way)."""
    data = case.meta.phase.data
    default_location = str(getattr(data.parameter_location, "value", data.parameter_location or ""))
    for line in (getattr(data, "description", None) or "").splitlines():
        match = _VIOLATION.match(line.strip().removeprefix("- "))
        if match is None:
            continue
        location = match["location"] or default_location
        name = (match["at"] or match["was"] or data.parameter or "").lower()
        if location == "body" and operation_id in _ITEM_LEVEL_VALIDATION:
            continue
        if location in _REJECTED_LOCATIONS or (location == "header" and name in _REJECTED_HEADERS):
            return "invalid"
    return "tolerated"


def _send(session: Session, case: schemathesis.Case, operation_id: str, negative: bool) -> Exchange:
    target = session.target
    headers = dict(target.default_headers())
    if negative:
        # Keep whatever invalid header values the generator chose; only authenticate.
        headers = {k: v for k, v in headers.items() if k == "x-api-key"}
    import requests

    try:
        response = case.call(base_url=target.base_url, headers=headers, timeout=target.timeout)
    except requests.exceptions.ConnectionError as exc:
        raise TargetUnreachable(f"{target.base_url}: {exc}") from None
    prepared = response.request
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode() or None
    exchange = Exchange(
        Request(prepared.method or case.method, prepared.url or "", dict(prepared.headers), body),
        Response(response.status_code, {k: ", ".join(v) for k, v in response.headers.items()}, response.content),
        operation_id=operation_id,
        label=f"{operation_id} ({'invalid' if negative else 'valid'} case)",
    )
    return exchange
