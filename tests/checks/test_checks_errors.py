"""Group `errors`: every check fails on a deliberately broken error response and passes good ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conformance.checks import registered_checks
from conformance.checks.errors import STATUS_ERROR_TYPE, envelope_problems
from tests.checks.conftest import Case, assert_caught

if TYPE_CHECKING:
    from tests.checks.conftest import Build, Checks




BROKEN = [
    Case(
        "OpenAI-style envelope",
        "errors.envelope",
        lambda b: b.json({"error": {"message": "bad", "type": "None", "code": 400}}, status=400),
    ),
    Case("FastAPI detail body", "errors.envelope", lambda b: b.json({"detail": "Not Found"}, status=404)),
    Case(
        "plain-text 404",
        "errors.envelope",
        lambda b: b.json(b"404 page not found", status=404, headers={"content-type": "text/plain"}),
    ),
    Case(
        "envelope without error.message",
        "errors.envelope",
        lambda b: b.json({"type": "error", "error": {"type": "api_error"}}, status=500),
    ),
    Case(
        "Cloudflare 413 page",
        "errors.envelope",
        lambda b: b.json(
            b"<html>413 Request Entity Too Large</html>", status=413, headers={"content-type": "text/html"}
        ),
        "warning",
    ),
    Case("class name as error.type", "errors.type_known", lambda b: b.error(404, "NotFoundError")),
    Case("'None' as error.type", "errors.type_known", lambda b: b.error(400, "None")),
    Case("unknown snake_case error.type", "errors.type_known", lambda b: b.error(400, "quota_error"), "warning"),
    Case("overload mapped to 500", "errors.status_type", lambda b: b.error(500, "overloaded_error")),
    Case("404 as invalid_request_error", "errors.status_type", lambda b: b.error(404, "invalid_request_error")),
    Case("413 with another type", "errors.status_type", lambda b: b.error(413, "invalid_request_error"), "warning"),
    Case(
        "error served as text/plain",
        "errors.content_type",
        lambda b: b.error(400, "invalid_request_error", headers={"content-type": "text/plain"}),
    ),
    Case(
        "413 served as text/html",
        "errors.content_type",
        lambda b: b.error(413, "request_too_large", headers={"content-type": "text/html"}),
        "warning",
    ),
    Case(
        "unknown route answered 200 with an error body",
        "errors.success_with_error_body",
        lambda b: b.json({"type": "error", "error": {"type": "not_found_error", "message": "no route"}}),
    ),
    Case("429 without retry-after", "errors.retry_after", lambda b: b.error(429, "rate_limit_error"), "warning"),
    Case("529 without retry-after", "errors.retry_after", lambda b: b.error(529, "overloaded_error"), "warning"),
]


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: f"{c.check_id}:{c.name}")
def test_broken_error_is_caught(case: Case, build: Build, checks: Checks) -> None:
    assert_caught(case, checks(case.make(build)))


@pytest.mark.parametrize("status", sorted(STATUS_ERROR_TYPE))
def test_documented_errors_pass(status: int, build: Build, checks: Checks) -> None:
    headers = {"content-type": "application/json; charset=utf-8", "retry-after": "3"}
    findings = checks(build.error(status, STATUS_ERROR_TYPE[status], headers=headers))
    assert findings == [], [(f.check_id, f.message) for f in findings]


@pytest.mark.parametrize("status", [408, 409, 422, 503])
def test_unlisted_statuses_accept_any_documented_type(status: int, build: Build, checks: Checks) -> None:
    findings = checks(build.error(status, "invalid_request_error"))
    assert [f for f in findings if f.severity == "error"] == []


def test_error_without_recorded_content_type_is_not_judged(build: Build, checks: Checks) -> None:
    findings = checks(build.error(400, "invalid_request_error", headers={}))
    assert "errors.content_type" not in {f.check_id for f in findings}


def test_retry_after_ms_is_enough(build: Build, checks: Checks) -> None:
    findings = checks(
        build.error(429, "rate_limit_error", headers={"content-type": "application/json", "retry-after-ms": "1500"})
    )
    assert findings == []


def test_envelope_problems_names_each_defect() -> None:
    assert envelope_problems({"type": "error", "error": {"type": "api_error", "message": "x"}}) == []
    assert envelope_problems([]) == ["the body is not a JSON object (list)"]
    assert any("OpenAI" in p for p in envelope_problems({"error": {"message": "x"}}))


def test_every_errors_check_has_a_broken_case() -> None:
    covered = {case.check_id for case in BROKEN}
    assert covered == {info.id for info in registered_checks() if info.group == "errors"}


@pytest.mark.parametrize(("header_value", "judged"), [("fine", True), ("bad\x00value", False), ("two\r\nlines", False)])
def test_requests_that_are_not_http_are_not_held_to_the_envelope(header_value: str, judged: bool) -> None:
    """A header with a control character is not HTTP: the parser or the edge answers it, in its
    own words (uvicorn: a text/plain 400). The same answer to a valid request is a departure."""
    from conformance._exchange import Exchange, Request, Response
    from conformance.checks import run_checks

    exchange = Exchange(
        Request("GET", "http://localhost/v1/models", {"x-api-key": "k", "x-probe": header_value}),
        Response(400, {"content-type": "text/plain; charset=utf-8"}, b"Invalid HTTP request received."),
    )
    ids = {f.check_id for f in run_checks(exchange) if f.severity == "error"}
    assert ("errors.envelope" in ids) is judged
    assert ("errors.content_type" in ids) is judged
