"""Group `transport`: each check fails on an exchange whose response did not arrive whole (or
redirected), passes a whole one, and a spoiled response is judged by this group alone. The hostile
servers that produce these failures on the wire are in tests/hostile/."""

from __future__ import annotations

import pytest

from conformance._exchange import Exchange, PaginationWalk, Request, Response, TransportFailure, TransportKind
from conformance.checks import run_checks

OK = Response(200, {"content-type": "application/json"}, b'{"data": [], "has_more": false}')


def _exchange(response: Response) -> Exchange:
    return Exchange(Request("GET", "http://target/v1/models"), response, operation_id="listModels",
                    expectation="valid")


@pytest.mark.parametrize(("kind", "check_id"), [
    ("connection_lost", "transport.connection_lost"),
    ("timeout", "transport.timeout"),
    ("too_large", "transport.too_large"),
    ("malformed", "transport.malformed"),
])
def test_a_failure_is_one_finding_of_its_kind(kind: TransportKind, check_id: str) -> None:
    spoiled = Response(0, {}, b"", failure=TransportFailure(kind, "what happened"))
    findings = run_checks(_exchange(spoiled))
    assert [(f.check_id, f.message) for f in findings] == [(check_id, "what happened")]


def test_a_partial_response_is_not_judged_beyond_its_failure() -> None:
    """A 200 cut short would fail schema.body and more: only the cause is reported."""
    cut = Response(200, {"content-type": "application/json"}, b'{"data": [', failure=TransportFailure("timeout", "slow"))
    assert {f.check_id for f in run_checks(_exchange(cut))} == {"transport.timeout"}


def test_a_redirect_loop_is_an_error_another_redirect_a_warning() -> None:
    loop = run_checks(_exchange(Response(307, {"location": "/v1/models"}, b"")))
    elsewhere = run_checks(_exchange(Response(307, {"location": "http://target/v1/models/"}, b"")))
    assert [f.severity for f in loop if f.check_id == "transport.redirect"] == ["error"]
    assert [f.severity for f in elsewhere if f.check_id == "transport.redirect"] == ["warning"]


def test_a_scenario_with_a_spoiled_exchange_is_not_judged_as_a_whole() -> None:
    spoiled = _exchange(Response(0, {}, b"", failure=TransportFailure("connection_lost", "reset")))
    walk = PaginationWalk("listModels", pages=[spoiled], limit=1, all_ids=["a", "b"], truncated=False)
    assert run_checks(walk) == []


def test_whole_responses_pass() -> None:
    assert not [f for f in run_checks(_exchange(OK)) if f.check_id.startswith("transport.")]
