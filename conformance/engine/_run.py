"""`conformance run`: a pytest run of conformance.suite, a preflight, a summary, our exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx
import pytest

from conformance._exit import EXIT_DEPARTURES, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE  # noqa: F401 (re-exported)
from conformance.engine._session import RunRecord
from conformance.engine._target import DEFAULT_VERSION


@dataclass
class RunOptions:
    base_url: str | None = None
    api_key: str | None = None
    anthropic_version: str = DEFAULT_VERSION
    betas: list[str] = field(default_factory=list)
    spec: str | None = None
    profile: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_examples: int | None = None
    seed: int = 0
    workers: int = 1
    budget_tokens: int | None = None
    timeout: float = 60.0
    quiet: bool = False
    pytest_args: list[str] = field(default_factory=list)
    record: bool = False
    """Record the run into cassettes (docs/cassettes.md)."""
    replay: bool = False
    """Judge a recording again with the current checks: nothing generated, nothing sent."""
    record_mode: str | None = None
    """pytest-recording's record mode for the HTTP cache (once, new_episodes, all, rewrite)."""
    cassette_dir: str | None = None
    report_dir: str | None = None
    """Write junit.xml, results.json, summary.md and report.html here (docs/reports.md); None: no files."""
    baseline: str | None = None
    """A baseline of known departures: only findings it does not accept fail the run."""
    verbose: bool = False
    """pytest's own output, and every finding in the summary."""

    def pytest_argv(self) -> list[str]:
        argv = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-o", "addopts=",
                "--conformance-version", self.anthropic_version, "--conformance-seed", str(self.seed),
                "--conformance-timeout", str(self.timeout)]
        pairs = [("--conformance-base-url", self.base_url), ("--conformance-api-key", self.api_key),
                 ("--conformance-spec", self.spec), ("--conformance-profile", self.profile),
                 ("--conformance-max-examples", self.max_examples), ("--conformance-budget-tokens", self.budget_tokens)]
        argv += [arg for name, value in pairs if value is not None for arg in (name, str(value))]
        argv += [arg for beta in self.betas for arg in ("--conformance-beta", beta)]
        argv += [arg for name in self.include for arg in ("--conformance-include", name)]
        argv += [arg for name in self.exclude for arg in ("--conformance-exclude", name)]
        argv += ["--conformance-record"] if self.record else []
        argv += ["--record-mode", self.record_mode] if self.record_mode else []
        argv += ["--conformance-cassette-dir", self.cassette_dir] if self.cassette_dir else []
        if self.workers > 1:
            argv += ["-n", str(self.workers)]
        argv += ["-q", "--no-header", "-rN"] if self.quiet else ["--no-header", "-rN"]
        argv += ["-v"] if self.verbose else []
        return argv + list(self.pytest_args)


def preflight(options: RunOptions) -> str | None:
    """Why the target cannot be tested at all (unreachable, credentials rejected), or None."""
    if options.base_url is None or options.replay:  # a replay never reaches the target
        return None
    headers = {"anthropic-version": options.anthropic_version}
    if options.api_key:
        headers["x-api-key"] = options.api_key
    try:
        response = httpx.get(options.base_url.rstrip("/") + "/v1/models", headers=headers,
                             timeout=min(options.timeout, 15.0))
    except httpx.HTTPError as exc:
        return f"{options.base_url} is unreachable: {type(exc).__name__}: {exc}"
    if response.status_code in (401, 403):
        return f"{options.base_url} rejected the credentials ({response.status_code})"
    return None


class _Summary:
    """Captures the run's record at the end of the pytest run (conformance.reports shows it)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.record: RunRecord | None = None

        self.recording: dict[str, Any] | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from conformance.cassettes._pytest import recording_of
        from conformance.suite.plugin import run_record

        self.record = run_record(session.config)
        recording = recording_of(session.config)
        if recording is not None:
            tests = len(list(recording.folder.glob("*/*.json.gz")))
            folder = recording.folder
            shown = folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder
            self.recording = {"mode": "record", "folder": str(shown), "tests": tests}


@dataclass
class RunResult:
    exit_code: int
    record: RunRecord | None
    """What the run found (findings, exchanges, tokens); None when it never started."""
    problem: str | None = None
    results: dict[str, Any] | None = None
    """The results.json document (conformance.reports); None when the run never started."""

    @property
    def check_ids(self) -> set[str]:
        return {f.check_id for f in self.record.findings} if self.record else set()

    @property
    def error_check_ids(self) -> set[str]:
        return {f.check_id for f in self.record.errors} if self.record else set()


_EXIT_CODES = {
    pytest.ExitCode.OK: EXIT_OK,
    pytest.ExitCode.TESTS_FAILED: EXIT_DEPARTURES,
    pytest.ExitCode.USAGE_ERROR: EXIT_USAGE,
    pytest.ExitCode.NO_TESTS_COLLECTED: EXIT_USAGE,
    pytest.ExitCode.INTERRUPTED: EXIT_DEPARTURES,
}


def execute(options: RunOptions, out: TextIO | None = None) -> RunResult:
    """Run the suite and return what it found (the programmatic form of `conformance run`)."""
    if options.replay:
        from conformance.cassettes import replay_run

        return replay_run(options, out)  # type: ignore[no-any-return]
    problem = preflight(options)
    if problem is not None:
        return RunResult(EXIT_UNREACHABLE, None, problem)
    from conformance.reports import BaselineError, RunReporter

    summary = _Summary(out or sys.stdout)
    try:
        reporter = RunReporter(options, out or sys.stdout)  # progress, reports, baseline, terminal summary
    except BaselineError as exc:
        return RunResult(EXIT_USAGE, None, str(exc))
    with reporter.pytest_output():
        code = pytest.main(options.pytest_argv(), plugins=[summary, *reporter.plugins])
    result = RunResult(_EXIT_CODES.get(code, int(code)), summary.record)
    reporter.recording = summary.recording
    if summary.record is not None and not summary.record.findings and result.exit_code == EXIT_DEPARTURES:
        result.problem = "the suite failed without a finding (see pytest's output)"
    reporter.finish(result, int(code))
    return result


def run(options: RunOptions, out: TextIO | None = None) -> int:
    result = execute(options, out)
    if result.problem is not None and result.exit_code in (EXIT_UNREACHABLE, EXIT_USAGE):
        print(f"error: {result.problem}", file=sys.stderr)
    return result.exit_code
