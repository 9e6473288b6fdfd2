"""What `conformance run` shows and writes around the pytest run: live progress, pytest's own
output kept aside, results.json with the baseline applied, the verdict's exit code, the report
files, the terminal summary.

The runner (conformance._runner) drives it: `plugins` go to pytest.main, `pytest_output()` wraps
the call, then `results()`, `exit_code()` (the one place a verdict becomes an exit code) and
`finish()`.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from conformance._exit import EXIT_DEPARTURES, EXIT_OK, EXIT_USAGE
from conformance.engine import Outcome, RunConfig, RunRecord
from conformance.reports._baseline import Baseline, load_baseline
from conformance.reports._checkpoint import Checkpoint
from conformance.reports._html import to_html
from conformance.reports._json import RunInfo, build_results, now, write_results
from conformance.reports._junit import to_junit
from conformance.reports._markdown import to_markdown
from conformance.reports._pytest import SuiteLog
from conformance.reports._terminal import LiveProgress, Mode, print_summary

REPORT_FILES = ("junit.xml", "results.json", "summary.md", "report.html")


def write_reports(results: Mapping[str, Any], directory: str | Path) -> list[Path]:
    """Write the four reports into `directory` (created if needed); return their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in REPORT_FILES]
    junit, results_json, summary, html = paths
    _whole(results_json, partial(write_results, results))
    for path, text in ((junit, to_junit(results)), (summary, to_markdown(results)), (html, to_html(results))):
        _whole(path, partial(_write_text, text))
    return paths


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8", errors="replace")


def _whole(path: Path, write: Callable[[Path], object]) -> None:
    """Write `path` whole or not at all: beside it, then renamed (a run killed while writing
    leaves the previous version)."""
    staged = path.with_name(f".{path.name}.part")
    write(staged)
    os.replace(staged, path)


def exit_code(results: Mapping[str, Any], *, suite_broke: bool = False) -> int:
    """The verdict as an exit code (README "Exit codes"): departures outside the baseline, or a
    suite that broke (a test failed for another reason than departures), or a run that could not
    proceed, give 1."""
    run = results["run"]
    if suite_broke or results["totals"]["new_errors"] or run.get("completed") is False:
        return EXIT_DEPARTURES
    return EXIT_OK


class RunReporter:
    def __init__(self, config: RunConfig, out: TextIO) -> None:
        self.config, self.out = config, out
        self.baseline: Baseline | None = load_baseline(config.baseline) if config.baseline else None
        self.mode: Mode = "quiet" if config.quiet else "verbose" if config.verbose else "normal"
        self.log = SuiteLog()
        self.live = LiveProgress.on_stderr() if self.mode == "normal" else None
        self.started = now()
        self._pytest_output = io.StringIO()

    @property
    def plugins(self) -> list[object]:
        checkpoint = [Checkpoint(self.write_checkpoint)] if self.config.report_dir else []
        return [self.log, *([self.live] if self.live is not None else []), *checkpoint]

    def write_checkpoint(self, record: RunRecord) -> None:
        """The reports of the run so far, marked as not completed (reports._checkpoint)."""
        if not record.base_url:  # before the session began: what the run was asked to test
            record.base_url = self.config.base_url or "the embedded reference server"
            record.profile, record.seed = self.config.load_profile().name, self.config.seed
        results = self.results(record)
        results["run"]["exit_code"] = record.abort_code
        write_reports(results, self.config.report_dir or ".")

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
            self.stop_progress()

    def stop_progress(self) -> None:
        if self.live is not None:
            self.live.stop()

    def show_pytest_output(self) -> None:
        """What pytest printed, when the suite (not the target) broke."""
        if self.mode != "verbose":
            self.out.write(self._pytest_output.getvalue())

    def results(self, record: RunRecord, tests: Sequence[Outcome] | None = None,
                recording: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """results.json of the run, the baseline applied; its exit code is set by `finish`."""
        config = self.config
        info = RunInfo(started_at=self.started, finished_at=now(), exit_code=EXIT_OK,
                       anthropic_version=config.anthropic_version, betas=config.betas, include=config.include,
                       exclude=config.exclude, workers=config.processes, max_examples=config.max_examples,
                       recording=recording, shard=str(config.shard) if config.shard else None,
                       secrets=(config.api_key, os.environ.get("ANTHROPIC_API_KEY")))
        return build_results(record, info, self.log.tests if tests is None else tests, self.baseline)

    def finish(self, results: dict[str, Any], code: int) -> int:
        """Write the reports and print the summary; the exit code (EXIT_USAGE if a report cannot be written)."""
        results["run"]["exit_code"] = code
        written: Sequence[Path] = ()
        if self.config.report_dir:
            try:
                written = write_reports(results, self.config.report_dir)
            except OSError as exc:
                self.out.write(f"error: cannot write the reports: {exc}\n")
                code = EXIT_USAGE
        print_summary(results, self.out, self.mode, [str(path) for path in written])
        return code
