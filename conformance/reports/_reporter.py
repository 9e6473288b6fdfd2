"""What `conformance run` shows and writes around the pytest run: live progress, pytest's own
output kept aside, the baseline applied to the exit code, the report files, the terminal summary.

conformance.engine._run.execute drives it: `plugins` go to pytest.main, `pytest_output()` wraps
the call, `finish()` follows it.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pytest

from conformance.reports._baseline import Baseline, load_baseline
from conformance.reports._html import to_html
from conformance.reports._json import RunInfo, build_results, now, write_results
from conformance.reports._junit import to_junit
from conformance.reports._markdown import to_markdown
from conformance.reports._pytest import SuiteLog
from conformance.reports._terminal import LiveProgress, Mode, print_summary

if TYPE_CHECKING:
    from conformance.engine._run import RunOptions, RunResult

REPORT_FILES = ("junit.xml", "results.json", "summary.md", "report.html")


def write_reports(results: Mapping[str, Any], directory: str | Path) -> list[Path]:
    """Write the four reports into `directory` (created if needed); return their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in REPORT_FILES]
    junit, results_json, summary, html = paths
    write_results(results, results_json)
    for path, text in ((junit, to_junit(results)), (summary, to_markdown(results)), (html, to_html(results))):
        path.write_text(text, encoding="utf-8", errors="replace")
    return paths


class RunReporter:
    def __init__(self, options: RunOptions, out: TextIO) -> None:
        self.options, self.out = options, out
        self.baseline: Baseline | None = load_baseline(options.baseline) if options.baseline else None
        self.mode: Mode = "quiet" if options.quiet else "verbose" if options.verbose else "normal"
        self.log = SuiteLog()
        self.live = LiveProgress.on_stderr() if self.mode == "normal" else None
        self.started = now()
        self.recording: Mapping[str, Any] | None = None
        """How the run used a recording (results.json `run.recording`), set by the run."""
        self._pytest_output = io.StringIO()

    @property
    def plugins(self) -> list[object]:
        return [self.log, *([self.live] if self.live is not None else [])]

    @contextlib.contextmanager
    def pytest_output(self) -> Iterator[None]:
        """pytest's own output is kept aside (shown when the suite itself broke), unless verbose:
        the summary says what the run found; pytest's dots and tracebacks would say it twice."""
        try:
            if self.mode == "verbose":
                yield
            else:
                with contextlib.redirect_stdout(self._pytest_output):
                    yield
        finally:
            if self.live is not None:
                self.live.stop()

    def finish(self, result: RunResult, pytest_code: int) -> None:
        """Apply the baseline to the exit code, write the reports, print the summary."""
        from conformance.engine._run import EXIT_DEPARTURES, EXIT_OK, EXIT_USAGE

        suite_broke = bool(self.log.crashes) or pytest_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        if self.mode != "verbose" and (suite_broke or result.problem or result.record is None):
            self.out.write(self._pytest_output.getvalue())
        record = result.record
        if record is None:
            return
        options = self.options
        info = RunInfo(started_at=self.started, finished_at=now(), exit_code=result.exit_code,
                       anthropic_version=options.anthropic_version, betas=options.betas, include=options.include,
                       exclude=options.exclude, workers=options.workers, max_examples=options.max_examples,
                       recording=self.recording,
                       secrets=(options.api_key, os.environ.get("ANTHROPIC_API_KEY")))
        results = build_results(record, info, self.log.tests, self.baseline)
        if (self.baseline is not None and result.exit_code == EXIT_DEPARTURES and not suite_broke
                and results["totals"]["new_errors"] == 0):
            result.exit_code = EXIT_OK  # every departure is a known one
        results["run"]["exit_code"] = result.exit_code
        result.results = results
        written: Sequence[Path] = ()
        if options.report_dir:
            try:
                written = write_reports(results, options.report_dir)
            except OSError as exc:
                result.exit_code, result.problem = EXIT_USAGE, f"cannot write the reports: {exc}"
        print_summary(results, self.out, self.mode, [str(path) for path in written])
