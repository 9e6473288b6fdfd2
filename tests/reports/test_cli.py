"""`conformance run` writes its reports (by default into ./reports), with workers too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance._cli import main
from tests.reports.conftest import MODELS, Run


def test_run_writes_the_reports_into_reports_by_default_and_workers_merge_the_matrix(
        clean_run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--workers", "2", "--quiet", *(arg for op in MODELS for arg in ("--include", op))]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("conformance: ") and "reports: reports/junit.xml, reports/results.json" in out
    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert results["run"]["workers"] == 2
    in_process = {row["operation_id"]: row for row in clean_run.results["operations"]}
    for row in results["operations"]:  # the same matrix as the in-process run: the workers' counts came home
        assert row["groups"] == in_process[row["operation_id"]]["groups"], row["operation_id"]
        assert row["checks"].keys() == in_process[row["operation_id"]]["checks"].keys()
    assert len([t for t in results["tests"] if t["outcome"] == "passed"]) >= 3


def test_an_empty_report_dir_writes_no_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--include", "getModel", "--report-dir", "", "-q", "--", "-k", "test_operation"]) == 0
    left = [path.name for path in tmp_path.iterdir() if path.name != ".hypothesis"]  # Hypothesis's own cache
    assert left == [] and "reports:" not in capsys.readouterr().out


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quiet", "--verbose"]) == 2
    assert "--quiet and --verbose exclude each other" in capsys.readouterr().err
