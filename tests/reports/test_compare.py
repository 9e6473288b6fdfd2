"""`conformance compare OLD NEW`: regressions, improvements and coverage between two runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance._cli import main
from conformance.reports import compare_results, render_comparison
from tests.reports.conftest import Run


def _fixed(results: dict[str, Any]) -> dict[str, Any]:
    """The same run as if the server had been fixed: no findings, every check passing."""
    fixed = copy.deepcopy(results)
    fixed["findings"] = []
    fixed["totals"] |= {"errors": 0, "warnings": 0, "new_errors": 0}
    for row in fixed["operations"]:
        for cell in row["checks"].values():
            cell |= {"errors": 0, "warnings": 0, "status": "pass"}
    return fixed


def test_a_fixed_server_compares_as_improved_and_a_broken_one_as_regressed(broken_run: Run) -> None:
    broken = broken_run.results
    fixed = _fixed(broken)
    better = compare_results(broken, fixed)
    assert [(c.operation_id, c.check_id, c.old, c.new, c.kind) for c in better.improvements] == [
        ("createMessage", "sse.event_line", "fail", "pass", "improved")]
    assert better.regressions == [] and not better.failing()
    worse = compare_results(fixed, broken)
    assert [(c.check_id, c.kind, c.severity) for c in worse.regressions] == [("sse.event_line", "regressed", "error")]
    assert worse.failing() and worse.totals()["errors"] == (0, broken["totals"]["errors"])
    text = render_comparison(worse)
    assert "REGRESSIONS (1)\n  sse.event_line on createMessage: pass → fail (regressed)" in text
    assert json.loads(render_comparison(worse, "json"))["regressions"][0]["new"] == "fail"
    assert "- `sse.event_line` on `createMessage`: pass → **fail** (regressed)" in render_comparison(worse, "markdown")


def test_warnings_lost_support_and_coverage(broken_run: Run) -> None:
    old = _fixed(broken_run.results)
    new = copy.deepcopy(old)
    rows = {row["operation_id"]: row for row in new["operations"]}
    rows["listModels"]["checks"]["schema.body_strict"] |= {"warnings": 1, "status": "warn"}
    rows["getModel"] |= {"status": "unsupported", "reason": "not offered", "checks": {}}
    rows["countMessageTokens"] |= {"status": "pass", "checks": {"schema.body": {"runs": 2, "errors": 0, "warnings": 0,
                                                                               "status": "pass"}}}
    comparison = compare_results(old, new)
    kinds = {(c.operation_id, c.check_id): c.kind for c in comparison.regressions}
    assert kinds == {("listModels", "schema.body_strict"): "regressed", ("getModel", "*"): "lost support"}
    assert [(c.operation_id, c.kind) for c in comparison.coverage] == [("countMessageTokens", "newly run")]
    assert comparison.failing("error")  # lost support fails the comparison by default
    del rows["getModel"]["status"]
    rows["getModel"] |= {"status": "skipped", "reason": "excluded"}
    only_warning = compare_results(old, new)
    assert [c.kind for c in only_warning.regressions] == ["regressed"]
    assert not only_warning.failing("error") and only_warning.failing("warning")


def test_the_command_exits_1_on_regressions_and_0_otherwise(broken_run: Run, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    broken = broken_run.folder / "results.json"
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(_fixed(broken_run.results)))
    assert main(["compare", str(fixed), str(broken)]) == 1
    assert "sse.event_line on createMessage: pass → fail (regressed)" in capsys.readouterr().out
    assert main(["compare", str(broken), str(fixed)]) == 0
    assert main(["compare", str(broken), str(broken), "--format", "markdown"]) == 0
    assert "### Regressions (0)" in capsys.readouterr().out
    assert main(["compare", str(broken), str(tmp_path / "missing.json")]) == 2
