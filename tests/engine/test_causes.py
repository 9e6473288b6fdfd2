"""engine.group_causes: findings grouped by cause, led by the finding that explains the others,
ranked by what the cause breaks."""

from __future__ import annotations

from conformance._exchange import Finding
from conformance.engine import finding_key, group_causes


def f(check_id: str, message: str, operation_id: str | None = "createMessage", severity: str = "error",
      location: str | None = None, reproducer: str | None = None) -> Finding:
    return Finding(check_id, severity, message, operation_id, location, reproducer)  # type: ignore[arg-type]


def test_the_findings_of_one_exchange_are_one_cause_led_by_the_server_error() -> None:
    five_hundred = [f("errors.envelope", "the 500 body is not JSON"), f("schema.content_type", "text/plain"),
                    f("acceptance.no_server_error", "status 500 for a valid request", location="status")]
    samples = dict.fromkeys((finding_key(x) for x in five_hundred), "sample-1")
    [cause] = group_causes(five_hundred, samples)
    assert cause.check_id == "acceptance.no_server_error"
    assert {r.check_id for r in cause.related} == {"errors.envelope", "schema.content_type"}


def test_one_parameter_ignored_at_several_values_is_one_cause() -> None:
    found = [f("meaning.max_tokens", f"output_tokens 12 exceeds max_tokens {n}", location="/usage/output_tokens")
             for n in (1, 2, 8)]
    [cause] = group_causes(found)
    assert len(cause.related) == 2


def test_the_same_departure_on_every_operation_is_one_cause() -> None:
    found = [f("errors.envelope", "an OpenAI-style {\"error\": …} body", op) for op in ("createMessage", "listModels")]
    assert len(group_causes(found)) == 1


def test_a_header_check_does_not_tie_unrelated_causes_together() -> None:
    """Every response lacks request-id: that must not join a stream break with a meaning break."""
    stream = [f("sse.terminal", "the stream just ends"), f("schema.request_id", "no request-id", severity="warning")]
    meaning = [f("meaning.tool_choice", "tool_choice any, but no tool was called"),
               f("schema.request_id", "no request-id", severity="warning")]
    samples = {finding_key(stream[0]): "a", finding_key(meaning[0]): "b", finding_key(stream[1]): "a"}
    causes = group_causes([*stream, meaning[0]], samples)
    assert [c.check_id for c in causes] == ["sse.terminal", "meaning.tool_choice", "schema.request_id"]


def test_causes_rank_errors_first_then_by_what_they_break() -> None:
    found = [f("schema.request_id", "no request-id", severity="warning"), f("errors.envelope", "FastAPI detail"),
             f("meaning.max_tokens", "over"), f("sse.event_line", "no event line")]
    assert [c.check_id for c in group_causes(found)] == ["sse.event_line", "meaning.max_tokens", "errors.envelope",
                                                          "schema.request_id"]


def test_a_cause_is_shown_by_its_cleanest_request() -> None:
    fuzzed = f("meaning.max_tokens", "exceeds 1", location="/usage", reproducer="curl -d '{\"x\": 1}'")
    built = f("meaning.max_tokens", "exceeds 2", location="/usage", reproducer="curl -d '{\"a much longer body\": 2}'")
    [cause] = group_causes([fuzzed, built], generated={finding_key(fuzzed)})
    assert cause.message == "exceeds 2"


def test_one_transport_failure_worded_by_several_libraries_is_one_cause() -> None:
    """A server that answers garbage fails each request with another exception's words."""
    found = [f("transport.malformed", "RemoteProtocolError: illegal status line: bytearray(b'garbage')"),
             f("transport.malformed", "ConnectionError: ('Connection aborted.', BadStatusLine('garbage'))", "listModels"),
             f("transport.malformed", "8 response headers, then bytes that are not HTTP", "countMessageTokens")]
    [cause] = group_causes(found)
    assert len(cause.related) == 2
    other = [f("transport.timeout", "ReadTimeout: timed out"), f("transport.malformed", "150 response headers")]
    assert len(group_causes(other)) == 2  # different failures stay apart


def test_a_server_error_on_every_operation_is_one_cause() -> None:
    """The message names the request that met it; the cause is the same on any of them."""
    found = [f("acceptance.no_server_error", f"status 500 for a valid request ({label!r}) (expected a 2xx or 4xx)",
               op, location="status") for op, label in (("createMessage", "malformed JSON"),
                                                         ("listModels", "listModels (valid case)"))]
    assert len(group_causes(found)) == 1
