"""One cause, one finding (issue 12): a server with a single injected fault gets one finding with
the fault's check id, and at most one other finding, in the results every report reads."""

from __future__ import annotations

import io

import pytest

from conformance._runner import execute
from conformance.server import serve_app
from tests.engine.broken import CASES

SINGLE_FAULTS = ["max_tokens ignored", "OpenAI-style error envelope", "no message_stop", "500 on malformed JSON",
                 "models in the wrong shape"]


@pytest.mark.parametrize("name", SINGLE_FAULTS)
def test_a_single_fault_is_one_finding(name: str) -> None:
    case = CASES[name]
    out = io.StringIO()
    with serve_app(case.factory(), name="one-cause-target") as url:
        result = execute(case.focus.options(url), out)
    assert result.results is not None, result.problem
    findings = result.results["findings"]
    summary = [(f["severity"], f["check_id"], f["message"], [r["check_id"] for r in f["related"]]) for f in findings]
    assert findings and findings[0]["check_id"] == case.check_id, f"{name}: {summary}\n{out.getvalue()}"
    assert len(findings) <= 2, f"{name}: {len(findings)} findings for one fault: {summary}"
    # Nothing is lost: the related findings still count in the matrix, per check and operation.
    every = sum(1 + len(f["related"]) for f in findings)
    cells = sum(cell["errors"] + cell["warnings"] for row in result.results["operations"] for cell in row["checks"].values())
    assert every == cells
