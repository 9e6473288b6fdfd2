"""Generated traffic: schemathesis's engine builds and sends the requests, our checks judge them.

Schemathesis supplies generation (examples, coverage, fuzzing and stateful phases; valid and
invalid data) through the same engine `st run` uses: measured at twice the throughput of its
pytest integration on this contract (benchmarks/bench_engine.py). Each response reaches the
project's checks through one schemathesis check, `conformance`, which turns the case and the
response into an Exchange. Schemathesis's own checks are off: ours cover them, with the
tolerant view and the SSE state machine they lack. Every response is read within the run's
bounds (`engine._adapter`); one that failed on the wire reaches the checks as an exchange with a
`TransportFailure`, and the run goes on.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import schemathesis
from schemathesis import GenerationMode
from schemathesis.engine import events, from_schema

from conformance._exchange import Exchange, Request, Response
from conformance.engine._adapter import bounded_sessions, resent_after, transport_failure
from conformance.engine._negative import mutation_expectation
from conformance.engine._session import Session
from conformance.engine._target import TargetUnreachable
from conformance.engine._valid import keep_valid

MAX_STREAM_EVENTS = 100_000  # schemathesis stops reading a stream after 20 events by default
_CLAMPED = ("max_tokens", "max_tokens_to_sample")
# The session each schema's run reports to, by the schema's id. Schemathesis calls checks with a
# context of its own; the case knows its schema, so the check finds its session through it. An
# entry lives as long as its run (run_operations removes it).
_SESSIONS: dict[int, Session] = {}


def schemathesis_schema(session: Session) -> Any:
    """The contract as a schemathesis schema, configured by the session's profile and options."""
    profile = session.profile
    schema = schemathesis.openapi.from_dict(copy.deepcopy(session.contract.document))
    config = schema.config
    headers = {"x-api-key": session.target.api_key} if session.target.api_key else {}
    # No redirect is followed: the API never redirects (transport.redirect), and a loop must not spin.
    config.update(base_url=session.target.base_url, request_timeout=session.target.timeout, headers=headers,
                  max_redirects=0)
    config.max_stream_events = MAX_STREAM_EVENTS
    config.checks.update(included_check_names=["conformance"])
    modes = [GenerationMode.POSITIVE] if profile.negative == "off" else [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    # Live targets are never shrunk: every shrinking step is another paid request. Determinism
    # comes from the explicit seed; hypothesis's `derandomize` would cost a third more time.
    config.generation.update(modes=modes, max_examples=profile.max_examples, no_shrink=profile.live, database="none")
    config.phases.update(phases=list(profile.phases))
    config.seed = session.record.seed
    return schema


def run_operations(session: Session, schema: Any, operation_ids: list[str], phases: list[str]) -> None:
    """Run some phases over some operations; findings land in the session."""
    schema.config.phases.update(phases=phases)
    selected = schema.include(operation_id=operation_ids)
    _SESSIONS[id(selected)] = session
    try:
        with bounded_sessions(session.target.limits):
            for event in from_schema(selected).execute():
                if isinstance(event, events.FatalError):
                    raise event.exception
                if isinstance(event, events.Interrupted):  # schemathesis caught Ctrl-C: the run stops too
                    raise KeyboardInterrupt
                if isinstance(event, events.NonFatalError) and _is_connection_error(event.value):
                    raise TargetUnreachable(f"{session.target.base_url}: {event.value}")
                if session.stopped:
                    break
    finally:
        _SESSIONS.pop(id(selected), None)


def _is_connection_error(error: BaseException) -> bool:
    import requests

    return isinstance(error, (requests.exceptions.ConnectionError, ConnectionError))


@schemathesis.check
def conformance(ctx: Any, response: Any, case: schemathesis.Case[Any]) -> bool | None:
    """The bridge from schemathesis to the project's checks (see the module docstring)."""
    session = _SESSIONS.get(id(case.operation.schema))
    if session is None:
        return None
    operation_id = str(case.operation.definition.raw.get("operationId") or case.operation.label)
    exchange = _exchange(case, response, operation_id)
    session.judge(exchange)  # stops the session once the token budget is spent
    return None


def clamp(case: schemathesis.Case[Any], cap: int, models: Sequence[str] = ()) -> None:
    """Cost guard: no generated request asks for more than the profile's max_tokens_cap. A valid
    case stays valid (engine._valid): thinking's budget follows max_tokens down, and a model name
    the target does not serve is the run's model (--model, the profile's, or the first listed)."""
    if isinstance(case.body, dict):
        for key in _CLAMPED:
            value = case.body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > cap:
                case.body[key] = cap
        if case.meta is None or case.meta.generation.mode != GenerationMode.NEGATIVE:
            keep_valid(case.body, models)


@schemathesis.hook("before_call")
def _before_call(context: Any, case: schemathesis.Case[Any], kwargs: dict[str, Any]) -> None:
    session = _SESSIONS.get(id(case.operation.schema))
    if session is not None:
        clamp(case, session.profile.max_tokens_cap, session.models[:1])


def _exchange(case: schemathesis.Case[Any], response: Any, operation_id: str) -> Exchange:
    prepared = response.request
    body = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode() or None
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    mutation = _mutation(case) if negative else None
    return Exchange(
        Request(prepared.method or case.method, prepared.url or "", dict(prepared.headers), body),
        Response(response.status_code, {k: ", ".join(v) for k, v in response.headers.items()}, response.content,
                 failure=transport_failure(prepared), resent=resent_after(prepared)),
        operation_id=operation_id,
        label=f"{operation_id} ({'invalid' if negative else 'valid'} case)",
        expectation=mutation_expectation(mutation, operation_id) if mutation is not None else "valid",
        mutation=mutation,
    )


def _mutation(case: schemathesis.Case[Any]) -> dict[str, str]:
    """What schemathesis changed to make the case invalid, as `mutation_expectation` reads it."""
    data = case.meta.phase.data if case.meta is not None else None
    location = getattr(getattr(data, "parameter_location", None), "value", None)
    return {"description": str(getattr(data, "description", None) or ""), "location": str(location or ""),
            "parameter": str(getattr(data, "parameter", None) or ""), "media_type": str(getattr(case, "media_type", None) or "")}
