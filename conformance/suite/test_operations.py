"""Generated traffic: every operation of the contract through schemathesis's phases (examples,
coverage, fuzzing; valid and invalid data), then the stateful phase over the contract's links,
all judged by every selected check."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.engine import Session, TargetUnreachable, run_operations
from conformance.suite._control import fail_on_errors, require, unreachable

STATEFUL = "stateful"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "operation_id" in metafunc.fixturenames:
        from conformance.contract import load_contract

        contract = load_contract(metafunc.config.getoption("conformance_spec", None))
        metafunc.parametrize("operation_id", [op.operation_id for op in contract.operations])


def _run(session: Session, schema: Any, operation_ids: list[str], phases: list[str]) -> None:
    try:
        run_operations(session, schema, operation_ids, phases)
    except TargetUnreachable as exc:
        unreachable(session, str(exc))
    # A stop (the token budget is spent) ends the run after this test: see the plugin's test scope.


def test_operation(operation_id: str, conformance_session: Session, conformance_schema: Any) -> None:
    session = conformance_session
    require(session, operation_id)
    phases = [phase for phase in session.profile.phases if phase != STATEFUL]
    if not phases:
        pytest.skip("no generation phase selected by the profile")
    _run(session, conformance_schema, [operation_id], phases)
    fail_on_errors(session, operation_id)


def test_stateful_links(conformance_session: Session, conformance_schema: Any) -> None:
    """Multi-step flows through the contract's OpenAPI links: batch create → retrieve / cancel /
    results / delete; file upload → get / content / delete; skill create → versions → delete."""
    session = conformance_session
    if STATEFUL not in session.profile.phases:
        pytest.skip("the profile does not select the stateful phase")
    offered = [op.operation_id for op in session.contract.operations
               if session.profile.offers(op.operation_id) and session.selection.wants_operation(op.operation_id)]
    _run(session, conformance_schema, offered, [STATEFUL])
    fail_on_errors(session, "stateful links")
