"""Scenario checks on what another group already reports: a stream no client can accumulate is
the `sse` checks' finding alone, and a server error is `acceptance.no_server_error`'s alone (one
cause, one finding; the check must never crash on it either)."""

from __future__ import annotations

from conformance._exchange import CountPair, ExpectedStop, StreamPair
from conformance.checks import run_checks
from tests.checks.conftest import Build

TEXT = [{"type": "text", "text": "Hello"}]


def _openai_style_stream(build: Build):  # type: ignore[no-untyped-def]
    """`data:` lines only, no message_start, ended by [DONE] (as some mock servers stream)."""
    return build.stream([(None, {"delta": {"text": "Hello"}}), (None, "[DONE]")])


def test_a_stream_no_client_can_accumulate_is_judged_by_the_sse_checks_alone(build: Build) -> None:
    streamed = _openai_style_stream(build)
    assert "sse.message_start" in {f.check_id for f in run_checks(streamed)}
    plain = build.json(build.message(TEXT))
    scenarios = [StreamPair("createMessage", plain=plain, streamed=streamed),
                 ExpectedStop("createMessage", exchange=streamed, stop_reason="max_tokens"),
                 CountPair("countMessageTokens", counted=build.json({"input_tokens": 10}), created=streamed)]
    for scenario in scenarios:
        assert run_checks(scenario) == [], type(scenario).__name__


def test_the_same_scenarios_judge_a_stream_that_accumulates(build: Build) -> None:
    streamed = build.stream(build.text_stream())
    stop = run_checks(ExpectedStop("createMessage", exchange=streamed, stop_reason="max_tokens"))
    assert [f.check_id for f in stop] == ["meaning.stop_reason_expected"]  # it stopped at end_turn


def test_a_server_error_on_a_probe_is_one_finding(build: Build) -> None:
    crashed = build.json({"detail": "boom"}, status=500)
    crashed.expectation, crashed.expected_status, crashed.label = "valid", 200, "tool_round_trip (json)"
    found = {f.check_id: f.message for f in run_checks(crashed) if f.check_id.startswith("acceptance.")}
    assert found == {"acceptance.no_server_error":
                     "status 500 for a valid request ('tool_round_trip (json)') (expected a 2xx or 4xx)"}
    rejected = build.json({"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}, status=400)
    rejected.expectation, rejected.expected_status, rejected.label = "valid", 200, "create"
    assert "acceptance.expected_status" in {f.check_id for f in run_checks(rejected)}
