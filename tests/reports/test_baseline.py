"""Baselines: known departures pass the CI gate, new ones fail it, stale entries are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance._cli import main
from conformance.reports import load_baseline
from tests.reports.conftest import Run, broken_options, run_into


def test_baseline_create_writes_one_entry_per_departing_check_and_operation(broken_run: Run, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "baseline.toml"
    assert main(["baseline", "create", str(broken_run.folder / "results.json"), "-o", str(path)]) == 0
    assert "1 known departures" in capsys.readouterr().err
    baseline = load_baseline(path)
    assert [(e.check_id, e.operation_id) for e in baseline.entries] == [("sse.event_line", "createMessage")]
    assert "frames have no `event:` line" in baseline.entries[0].reason
    assert path.read_text().startswith("# Known departures")


def test_a_run_with_a_baseline_fails_only_on_new_departures_and_reports_stale_entries(
        broken_run: Run, broken_url: str, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.toml"
    baseline.write_text(
        'version = 1\n\n'
        '[[accept]]\ncheck = "sse.event_line"\noperation = "createMessage"\nreason = "data-only frames, issue #12"\n\n'
        '[[accept]]\ncheck = "errors.envelope"\noperation = "listModels"\nreason = "fixed since"\n\n'
        '[[accept]]\ncheck = "files.round_trip"\noperation = "uploadFile"\nreason = "not run here: not judged"\n'
    )
    run = run_into(tmp_path / "reports", **broken_options(broken_url, baseline=str(baseline)))
    assert broken_run.result.exit_code == 1  # the same run without the baseline
    assert run.result.exit_code == 0, run.out
    results = run.results
    assert results["run"]["exit_code"] == 0 and results["totals"]["new_errors"] == 0
    assert results["totals"]["baselined"] == results["totals"]["errors"] >= 1
    assert results["baseline"]["stale"] == [{"check_id": "errors.envelope", "operation_id": "listModels",
                                             "reason": "fixed since"}]
    create = next(row for row in results["operations"] if row["operation_id"] == "createMessage")
    assert create["status"] == "known" and create["groups"]["sse"] == "known"
    assert "stale baseline entry: errors.envelope on listModels" in run.out
    assert f"errors ({results['totals']['errors']} accepted by the baseline)" in run.out
    assert "### Stale baseline entries (1)" in run.text("summary.md")
    assert run.text("summary.md").startswith("## Anthropic API conformance: ✅ **conformant**")


def test_an_entry_for_another_check_does_not_hide_a_departure(broken_url: str, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.toml"
    baseline.write_text('version = 1\n[[accept]]\ncheck = "sse.event_line"\noperation = "listModels"\nreason = "x"\n')
    run = run_into(tmp_path / "reports", **broken_options(broken_url, baseline=str(baseline),
                                                          pytest_args=["-k", "test_semantics and max_tokens"]))
    assert run.result.exit_code == 1 and run.results["totals"]["new_errors"] >= 1


@pytest.mark.parametrize(("content", "message"), [
    ("not toml [", "baseline"),
    ('version = 1\n[[accept]]\noperation = "createMessage"\n', "entry 1 has no `check`"),
    ("version = 7\n", "version 7 is not 1"),
])
def test_a_bad_baseline_is_a_one_line_usage_error(content: str, message: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "baseline.toml"
    path.write_text(content)
    assert main(["run", "--baseline", str(path), "--include", "getModel"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_baseline_create_from_an_unreadable_results_file_is_a_usage_error(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "create", str(tmp_path / "missing.json"), "-o", str(tmp_path / "b.toml")]) == 2
    assert "cannot read results" in capsys.readouterr().err
