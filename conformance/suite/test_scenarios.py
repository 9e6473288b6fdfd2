"""Meaningful traffic: domain-built requests and multi-step scenarios, judged by every check.

Each test needs the operations it uses; one the target does not offer is skipped as unsupported
(reported once in the summary), not failed.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance import engine
from conformance.engine import Session
from conformance.suite._control import fail_on_errors, require, require_model


def _settings(session: Session) -> settings:
    return settings(
        max_examples=max(1, session.profile.max_examples // 2),
        derandomize=True,  # the same seed and options give the same requests
        database=None,
        deadline=None,
        # Never shrink against a live (paid) target: every shrinking step is another request.
        phases=(Phase.explicit, Phase.generate) if session.profile.live else tuple(Phase),
        suppress_health_check=list(HealthCheck),
    )


def _requests_strategy(session: Session, *, thinking: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    return engine.message_requests(require_model(session), session.profile.max_tokens_cap, thinking=thinking)


def test_generated_messages_stream_like_non_stream(conformance_session: Session) -> None:
    session = conformance_session
    require(session, "createMessage")

    @_settings(session)
    @given(_requests_strategy(session))
    def check(request: dict[str, Any]) -> None:
        session.judge_scenario(engine.stream_pair(session.target, request))

    check()
    fail_on_errors(session, "createMessage")


def test_count_tokens_matches_usage(conformance_session: Session) -> None:
    session = conformance_session
    require(session, "countMessageTokens", "createMessage")

    @_settings(session)
    @given(_requests_strategy(session, thinking=False))
    def check(request: dict[str, Any]) -> None:
        session.judge_scenario(engine.count_pair(session.target, request))

    check()
    fail_on_errors(session, "countMessageTokens")


@pytest.mark.parametrize("stream", [False, True], ids=["non-streaming", "streaming"])
@pytest.mark.parametrize(
    "variant",
    ["max_tokens", "stop_sequence", "tool_choice_any", "tool_choice_tool", "tool_choice_none", "thinking", "tool_round_trip"],
)
def test_semantics(conformance_session: Session, variant: str, stream: bool) -> None:
    """One request per rule the API promises, streamed and not (catalogue D2, D3, D4, E1, E2, H1)."""
    session = conformance_session
    require(session, "createMessage")
    model, cap = require_model(session), session.profile.max_tokens_cap
    ask = {"role": "user", "content": "Repeat after me, exactly: alpha bravo charlie delta"}
    tools = list(engine.TOOLS)
    request: dict[str, Any] = {
        "max_tokens": {"model": model, "max_tokens": 2, "messages": [ask]},
        "stop_sequence": {"model": model, "max_tokens": min(cap, 64), "messages": [ask], "stop_sequences": ["charlie"]},
        "tool_choice_any": {"model": model, "max_tokens": min(cap, 128), "messages": [ask], "tools": tools,
                            "tool_choice": {"type": "any"}},
        "tool_choice_tool": {"model": model, "max_tokens": min(cap, 128), "messages": [ask], "tools": tools,
                             "tool_choice": {"type": "tool", "name": "add_numbers"}},
        "tool_choice_none": {"model": model, "max_tokens": min(cap, 64), "messages": [ask], "tools": tools,
                             "tool_choice": {"type": "none"}},
        "thinking": {"model": model, "max_tokens": max(cap, 1100), "messages": [ask],
                     "thinking": {"type": "enabled", "budget_tokens": 1024}},
        "tool_round_trip": engine.tool_round_trip(model, min(cap, 64)),
    }[variant]
    if variant == "thinking" and session.profile.live and session.profile.max_tokens_cap < 1100:
        pytest.skip("thinking needs max_tokens above 1024, over this live profile's max_tokens_cap")
    exchange = session.target.send("POST", "/v1/messages", json={**request, "stream": stream},
                                   operation_id="createMessage", label=f"{variant} ({'stream' if stream else 'json'})")
    engine.expect_ok(exchange)
    session.judge(exchange)
    if variant in ("max_tokens", "stop_sequence") and exchange.response.status == 200:
        session.expect_stop_reason(exchange, variant)
    fail_on_errors(session, exchange.label)


def test_completion_streams_like_non_stream(conformance_session: Session) -> None:
    """The legacy /v1/complete, both ways (its stream is `completion` events, not Messages events)."""
    session = conformance_session
    require(session, "createCompletion")
    session.judge_scenario(engine.completion_pair(session.target, require_model(session), min(session.profile.max_tokens_cap, 32)))
    fail_on_errors(session, "createCompletion")


def test_error_probes(conformance_session: Session) -> None:
    """Auth, version, routing and malformed requests get the API's status, in the envelope."""
    session = conformance_session
    require(session, "createMessage")
    for exchange in engine.probes(session.target, require_model(session)):
        session.judge(exchange)
    fail_on_errors(session, "probe")


@pytest.mark.parametrize(("path", "operation_id"), [("/v1/models", "listModels")])
def test_models_pagination(conformance_session: Session, path: str, operation_id: str) -> None:
    session = conformance_session
    require(session, operation_id)
    scenario = engine.pagination(session.target, path, operation_id, limit=2)
    for exchange in scenario.exchanges:
        session.judge(exchange)
    session.judge_scenario(scenario)
    fail_on_errors(session, operation_id)


def test_batch_lifecycle_and_pagination(conformance_session: Session) -> None:
    session = conformance_session
    require(session, "createMessageBatch", "getMessageBatch", "getMessageBatchResults", "deleteMessageBatch",
                    "listMessageBatches")
    model = require_model(session)
    good = {"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "Repeat after me: alpha"}]}
    bad = {"model": model, "max_tokens": 0, "messages": [{"role": "user", "content": "Hi"}]}
    scenario = engine.batch_lifecycle(session.target, [good, good, bad])
    for exchange in scenario.exchanges:
        session.judge(exchange)
    session.judge_scenario(scenario)
    for _ in range(3):  # enough batches for a paged walk
        engine.batch_lifecycle(session.target, [good])
    walk = engine.pagination(session.target, "/v1/messages/batches", "listMessageBatches", limit=2)
    session.judge_scenario(walk)
    fail_on_errors(session, "createMessageBatch")


def test_file_round_trip(conformance_session: Session) -> None:
    session = conformance_session
    require(session, "uploadFile", "getFileMetadata", "downloadFile", "deleteFile")
    scenario = engine.file_round_trip(session.target, "conformance bytes ✓\n".encode() * 3)
    for exchange in scenario.exchanges:
        session.judge(exchange)
    session.judge_scenario(scenario)
    fail_on_errors(session, "uploadFile")
