"""examples/github-actions.yml: a valid workflow that runs the suite, keeps the reports and the
exit code. (Its shell steps were run by hand against `conformance serve`; running them here would
cost a full run.)"""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "github-actions.yml"


def test_the_workflow_runs_the_suite_uploads_the_reports_comments_and_keeps_the_exit_code() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = {step.get("name") or step["uses"]: step for step in workflow["jobs"]["conformance"]["steps"]}
    assert workflow["permissions"]["pull-requests"] == "write"
    assert "conformance serve" in steps["Start the server under test"]["run"]
    run = steps["Run the conformance suite"]
    assert "conformance run --base-url" in run["run"] and "--report-dir reports" in run["run"]
    assert '--baseline "$BASELINE"' in run["run"] and 'echo "exit_code=$?" >> "$GITHUB_OUTPUT"' in run["run"]
    upload = steps["Upload the reports"]
    assert upload["uses"].startswith("actions/upload-artifact@") and "reports/" in upload["with"]["path"]
    assert upload["if"] == "always()"
    comment = steps["Comment on the pull request"]
    assert comment["with"]["path"] == "reports/summary.md" and "pull_request" in comment["if"]
    assert list(steps)[-1] == "Conformance verdict"
    assert steps["Conformance verdict"]["run"] == 'exit "${{ steps.run.outputs.exit_code }}"'
