"""Helpers for the mock-mode, scenario and journal tests: in-process clients and the engine's own
checks as the judge of an answer (errors: fails the tolerant view; warnings: strict departures)."""

from __future__ import annotations

import json
import warnings
from typing import Any

from conformance._exchange import Exchange, Request, Response
from conformance.checks import CheckContext, CheckInfo, run_checks
from conformance.contract import load_contract
from conformance.server import API_HEADERS, ServerConfig, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def client_for(config: ServerConfig, headers: dict[str, str] | None = None) -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(create_app(config), headers={**API_HEADERS, **(headers or {})}, raise_server_exceptions=True)


def judge_answer(body: dict[str, Any], response: Any) -> tuple[list[str], list[str]]:
    """(errors, warnings) of the engine's `schema` and `sse` checks on one createMessage exchange."""
    exchange = Exchange(
        Request("POST", "http://testserver/v1/messages", {"content-type": "application/json"}, json.dumps(body).encode()),
        Response(response.status_code, dict(response.headers), response.content),
        operation_id="createMessage",
    )

    def select(info: CheckInfo) -> bool:
        return info.group in {"sse", "schema"} and info.id != "schema.request_id"

    errors: list[str] = []
    warned: list[str] = []
    for finding in run_checks(exchange, CheckContext(contract=load_contract()), select=select):
        (errors if finding.severity == "error" else warned).append(f"[{finding.check_id}] {finding.message}")
    return errors, warned
