"""A run judges by its API version: it sends that version and generates what that version accepts."""

from __future__ import annotations

from typing import Any

import pytest

from conformance._runner import execute
from conformance.engine import RunConfig
from conformance.server import create_app, serve_app
from tests.engine.broken import Broken, Call, Reply


def generated_requests(version: str) -> list[Call]:
    calls: list[Call] = []

    def journal(call: Call, reply: Reply) -> Reply:
        calls.append(call)
        return reply

    with serve_app(Broken(create_app(), response=journal), name="versions-target") as url:
        result = execute(RunConfig(base_url=url, api_key="test-key", anthropic_version=version,
                                    include=["countMessageTokens"], max_examples=2, quiet=True,
                                    pytest_args=["-k", "test_operation"]))
    assert result.exit_code == 0, result.problem
    return calls


def system_messages(call: Call) -> bool:
    body: Any = call.json()
    messages = body.get("messages") if isinstance(body, dict) else None
    return isinstance(messages, list) and any(isinstance(m, dict) and m.get("role") == "system" for m in messages)


@pytest.mark.parametrize("version", ["2023-06-01", "2026-10-21"])
def test_a_run_sends_its_version_and_what_it_accepts(version: str) -> None:
    calls = generated_requests(version)
    # Every request carries the run's version (negative cases may mutate the header into a non-version).
    assert {call.header("anthropic-version") for call in calls} & {"2023-06-01", "2026-10-21"} == {version}
    with_system = [c for c in calls if system_messages(c) and c.header("anthropic-version") == version]
    if version == "2023-06-01":  # a 2023-06-01 run never sends what only 2026-10-21 has without a beta
        assert not [c for c in with_system if not c.query.get("beta") and not c.header("anthropic-beta")]
    else:
        assert with_system  # ... and a 2026-10-21 run does
