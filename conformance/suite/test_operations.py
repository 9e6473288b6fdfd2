"""Generated traffic: every operation of the contract, through schemathesis (examples, coverage,
fuzzing; valid and invalid data), judged by every selected check."""

from __future__ import annotations

import schemathesis

from conformance.engine._generation import judge_case
from conformance.engine._session import Session

schema = schemathesis.pytest.from_fixture("conformance_schema")


@schema.parametrize()
def test_operation(case: schemathesis.Case, conformance_session: Session) -> None:
    judge_case(conformance_session, case)
