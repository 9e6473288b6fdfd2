"""API versions in the checks: what 2023-06-01 has only as a beta, judged by the request's version."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance._exchange import Exchange, Request, Response
from conformance.checks import CheckContext, run_checks
from conformance.contract import load_contract

SYSTEM_TURN = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
OK = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [{"type": "text", "text": "Hi"}],
      "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1}}
BAD = {"type": "error", "error": {"type": "invalid_request_error", "message": "messages.0.role: Input should be 'user' or 'assistant'"}}


def exchange(version: str, status: int, *, beta: bool = False, messages: Any = SYSTEM_TURN,
             expectation: str | None = None) -> Exchange:
    headers = {"anthropic-version": version, "content-type": "application/json", "x-api-key": "k"}
    if beta:
        headers["anthropic-beta"] = "mid-conversation-tool-changes-2026-07-01"
    body = {"model": "m", "max_tokens": 10, "messages": messages}
    request = Request("POST", "https://api.anthropic.com/v1/messages", headers, json.dumps(body).encode())
    response = Response(status, {"content-type": "application/json"}, json.dumps(OK if status == 200 else BAD).encode())
    return Exchange(request, response, "createMessage", expectation=expectation)


def findings(ex: Exchange) -> list[tuple[str, str]]:
    found = run_checks(ex, CheckContext(contract=load_contract()), select=lambda info: info.group == "acceptance")
    return [(f.check_id, f.severity) for f in found]


def test_system_messages_accepted_without_a_beta_under_2023_06_01_is_lenient() -> None:
    assert findings(exchange("2023-06-01", 200)) == [("acceptance.api_version", "warning")]


@pytest.mark.parametrize(
    "ex",
    [
        exchange("2026-10-21", 200),                      # general from 2026-10-21
        exchange("2023-06-01", 200, beta=True),           # a beta call (recorded traffic)
        exchange("2023-06-01", 200, messages=[{"role": "user", "content": "Hi"}]),
        exchange("2099-01-01", 200),                      # a version the contract does not describe
    ],
    ids=["2026-10-21", "beta call", "no system message", "unknown version"],
)
def test_what_the_version_has_is_not_flagged(ex: Exchange) -> None:
    assert findings(ex) == []


def test_rejecting_what_the_version_lacks_is_right() -> None:
    assert findings(exchange("2023-06-01", 400, expectation="valid")) == []
    assert findings(exchange("2026-10-21", 400, expectation="valid")) == [("acceptance.valid_accepted", "warning")]


def test_the_version_view_of_the_contract() -> None:
    contract = load_contract()
    assert contract.api_versions == ("2023-06-01", "2026-10-21")
    old, new = contract.for_version("2023-06-01"), contract.for_version("2026-10-21")
    roles = {name: [v["$ref"].rsplit("/", 1)[-1] for v in c.schemas["MessageParam"]["oneOf"]]
             for name, c in (("old", old), ("new", new))}
    assert roles == {"old": ["TurnMessageParam"], "new": ["TurnMessageParam", "SystemMessageParam"]}
    header = old.document["components"]["parameters"]["AnthropicVersion"]["schema"]
    assert header["enum"] == ["2023-06-01"]
    body = {"model": "m", "max_tokens": 1, "messages": SYSTEM_TURN}
    assert old.validate("CreateMessageParams", body) and not new.validate("CreateMessageParams", body)
    assert not contract.validate("CreateMessageParams", body)  # the whole contract: any version, beta included
    assert contract.for_version("2023-06-01") is old  # built once


def test_an_unknown_version_is_a_contract_error() -> None:
    from conformance.contract import ContractError

    with pytest.raises(ContractError, match="2023-06-01, 2026-10-21"):
        load_contract().for_version("2024-01-01")
