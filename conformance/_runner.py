"""`conformance run`: a pytest run of conformance.suite (or the replay of a recording), a preflight,
the reports, and the exit code, decided once (`conformance.reports.exit_code`).

    from conformance import RunConfig, execute
    result = execute(RunConfig(base_url="http://127.0.0.1:8000", profile="compat-messages"))
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pytest

from conformance._exchange import Finding
from conformance._exit import EXIT_DEPARTURES, EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE
from conformance.contract import ContractError
from conformance.engine import RunConfig, RunRecord, Target


@dataclass
class RunResult:
    exit_code: int
    record: RunRecord | None
    """What the run found (findings, exchanges, tokens); None when it never started."""
    problem: str | None = None
    """Why the run did not give a verdict, in one line."""
    results: dict[str, Any] | None = None
    """The results.json document; None when the run never started."""

    @property
    def causes(self) -> list[Finding]:
        """The findings, one per cause (each with the others it caused), most serious first."""
        return self.record.causes if self.record else []

    @property
    def check_ids(self) -> set[str]:
        """The check of each cause's leading finding."""
        return {f.check_id for f in self.causes}

    @property
    def error_check_ids(self) -> set[str]:
        return {f.check_id for f in self.causes if f.severity == "error"}


UNUSED_PLUGINS = ("schemathesis", "hypothesispytest", "respx", "anyio")
"""pytest plugins other packages install that the suite does not use: not loaded, so that each
process (the controller and every xdist worker) starts without importing them (about a second)."""


def pytest_argv(config: RunConfig) -> list[str]:
    """What pytest is started with; the run's options reach the plugin as the config itself."""
    argv = ["--pyargs", "conformance.suite", "-p", "no:cacheprovider", "-o", "addopts=", "--assert=plain",
            "--no-header", "-rN", *(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}"))]
    argv += ["-n", str(config.processes)] if config.processes > 1 else []
    argv += ["-q"] if config.quiet else ["-v"] if config.verbose else []
    return argv + list(config.pytest_args)


class _Handover:
    """Hands the config to the suite plugin through pytest's option namespace (which pytest-xdist
    also ships to its workers), and keeps what the run produced when pytest is done."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.record: RunRecord | None = None
        self.recording: dict[str, Any] | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        vars(config.option).update(self.config.pytest_values())

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from conformance.suite import plugin_of

        plugin = plugin_of(session.config)
        if plugin is None:
            return
        self.record = plugin.run_record()
        if plugin.recording is not None:
            folder = plugin.recording.folder
            tests = len(list(folder.glob("*/*.json.gz")))
            self.recording = {"mode": "record", "folder": _shown(folder), "tests": tests}


def run_suite(config: RunConfig, plugins: Sequence[object] = ()) -> tuple[int, _Handover]:
    """pytest over conformance.suite with this config; its exit code, and what the run produced."""
    handover = _Handover(config)
    code = pytest.main(pytest_argv(config), plugins=[handover, *plugins])
    return int(code), handover


@contextmanager
def terminated_as_interrupted() -> Iterator[None]:
    """A SIGTERM (a CI job's timeout, `kill`) stops the run as Ctrl-C does: pytest ends the session,
    the runner still writes the reports of the tests that ran, marked as not complete."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _shown(folder: Path) -> str:
    here = Path.cwd()
    return str(folder.relative_to(here) if folder.is_relative_to(here) else folder)


def preflight(config: RunConfig) -> str | None:
    """Why the target cannot be tested at all (unreachable, credentials rejected), or None. Read
    within the run's bounds: a target that answers, however badly, is tested (its faults are findings)."""
    if config.base_url is None:
        return None
    target = Target.from_config(config, config.base_url)
    try:
        exchange = target.send("GET", "/v1/models", retry=False, operation_id="listModels")
    finally:
        target.close()
    response = exchange.response
    if response.status == 0 and response.failure is not None:
        return f"{config.base_url} is unreachable: {response.failure.detail}"
    if response.status in (401, 403):
        sent = "the key given" if config.key else "no API key (set ANTHROPIC_API_KEY or pass --api-key)"
        return f"{config.base_url} rejected the credentials ({response.status}); the run sent {sent}"
    return None


def execute(config: RunConfig, out: TextIO | None = None) -> RunResult:
    """Run the suite, or replay a recording, and return what it found (the programmatic form of
    `conformance run`). Writes the reports and prints the summary."""
    out = out or sys.stdout
    try:
        config.check()
        from conformance.reports import RunReporter

        reporter = RunReporter(config, out)
    except ContractError as exc:
        return RunResult(EXIT_USAGE, None, str(exc))
    if config.replay:
        return _replay(config, reporter)
    problem = preflight(config)
    if problem is not None:
        reporter.stop_progress()
        return RunResult(EXIT_UNREACHABLE, None, problem)
    with reporter.pytest_output(), terminated_as_interrupted():
        code, handover = run_suite(config, reporter.plugins)
    record = handover.record
    if code == pytest.ExitCode.INTERRUPTED and record is not None:
        record.aborted = record.aborted or "interrupted (Ctrl-C or SIGTERM): the results cover the tests that ran"
        record.abort_code = record.abort_code or EXIT_INTERRUPTED
    suite_broke = bool(reporter.log.crashes) or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    if record is None or code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        reporter.show_pytest_output()
        return RunResult(EXIT_USAGE, record, "the suite did not run (see pytest's output above)")
    if record.aborted is not None:  # the run said why in one line; the reports say it did not complete
        suite_broke = False
    elif suite_broke:
        reporter.show_pytest_output()
    from conformance.reports import exit_code

    results = reporter.results(record, recording=handover.recording)
    code = reporter.finish(results, record.abort_code or exit_code(results, suite_broke=suite_broke))
    result = RunResult(code, record, record.aborted, results)
    if suite_broke and not record.findings and code == EXIT_DEPARTURES:
        result.problem = "the suite failed without a finding (see pytest's output)"
    return result


def _replay(config: RunConfig, reporter: Any) -> RunResult:
    """`--replay`: judge the recording again with the current checks (conformance.cassettes)."""
    from conformance.cassettes import (
        check_contract,
        load_recorded,
        recorded_versions,
        replay_profile,
        replay_session,
        target_name,
    )
    from conformance.contract import load_contract
    from conformance.reports import exit_code

    reporter.stop_progress()
    folder = Path(config.cassette_dir) / target_name(config.base_url)
    try:
        recorded = load_recorded(folder)
        contract = load_contract(config.spec)
        check_contract(recorded, contract)
        profile = replay_profile(recorded, config.profile, config.max_examples)
    except ContractError as exc:  # a refused recording (ReplayRefused), an unreadable contract or profile
        return RunResult(EXIT_USAGE, None, str(exc))
    session, outcomes = replay_session(recorded, contract, profile, include=config.include, exclude=config.exclude)
    record = session.record
    if record.exchanges == 0 and any(test.steps for test in recorded.tests):
        selected = " ".join([*(f"--include {name}" for name in config.include),
                             *(f"--exclude {name}" for name in config.exclude)])
        return RunResult(EXIT_USAGE, None, f"{folder} has no exchange for the operations selected ({selected})")
    crashed = any(t.outcome in ("failed", "error") and not t.departures for t in outcomes)
    recording = {"mode": "replay", "folder": str(folder), "tests": len(recorded.tests),
                 "versions": recorded_versions(recorded.header)}
    results = reporter.results(record, outcomes, recording)
    return RunResult(reporter.finish(results, exit_code(results, suite_broke=crashed)), record, results=results)


def run(config: RunConfig, out: TextIO | None = None) -> int:
    """`conformance run`: execute, and say in one line why there is no verdict, if there is none."""
    result = execute(config, out)
    if result.problem is not None and result.exit_code in (EXIT_UNREACHABLE, EXIT_USAGE):
        print(f"error: {result.problem}", file=sys.stderr)
    return result.exit_code
