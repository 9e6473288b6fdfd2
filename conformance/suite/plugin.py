"""The conformance pytest plugin (registered as `pytest11`): the `--conformance-*` options, generated
from RunConfig, and one plugin object holding the run's state (modelled on pytest's stepwise).

Inert unless a test asks for its fixtures: `pytest --pyargs conformance.suite --conformance-...` or
`conformance run`. What it holds: the run's config, its session (the target, the profile, the
findings), how it is recorded, and the records pytest-xdist workers send home.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from conformance._exit import EXIT_DEPARTURES, EXIT_OK
from conformance.contract import ContractError
from conformance.engine import BudgetExhausted, RunConfig, RunRecord, Session, in_shard

if TYPE_CHECKING:
    from pluggy import Result

    from conformance.cassettes import RecordedTest, Recording

pytest_plugins = ["conformance.suite.fixtures"]  # client-library fixtures: conformance_mock (docs/clients.md)
PLUGIN_NAME = "conformance-run"
_WORKER_RECORD = "conformance_record"
_WORKER_UNRECORDED = "conformance_unrecorded"
_WORKER_CONFIG = "conformance_config"
_RECORDED: pytest.StashKey[RecordedTest] = pytest.StashKey()
_UNSUPPORTED_BEFORE = pytest.StashKey[set[str]]()
_ORDER = pytest.StashKey[int]()
"""A test's place in the collected suite (the same in every xdist worker): a replay's order."""


def pytest_addoption(parser: pytest.Parser) -> None:
    RunConfig.add_pytest_options(parser.getgroup("conformance", "Anthropic API conformance"))


@pytest.hookimpl(trylast=True)  # after `conformance run` has set the options (engine.RunConfig.pytest_values)
def pytest_configure(config: pytest.Config) -> None:
    try:
        plugin = ConformancePlugin(config)
    except ContractError as exc:  # a bad profile or contract: one line, not an internal error
        raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(plugin, PLUGIN_NAME)


def plugin_of(config: pytest.Config) -> ConformancePlugin | None:
    found = config.pluginmanager.get_plugin(PLUGIN_NAME)
    return found if isinstance(found, ConformancePlugin) else None


def _module(item: pytest.Item) -> str:
    """The folder a test's recording goes in: its module's short name."""
    return item.module.__name__.rsplit(".", 1)[-1] if isinstance(item, pytest.Function) else "suite"


class ConformancePlugin:
    def __init__(self, pytest_config: pytest.Config) -> None:
        self.pytest_config = pytest_config
        self.worker = hasattr(pytest_config, "workerinput")
        if self.worker:  # what the controller was handed (pytest_configure_node)
            vars(pytest_config.option).update(pytest_config.workerinput.get(_WORKER_CONFIG, {}))  # type: ignore[attr-defined]
        self.config = RunConfig.from_pytest(pytest_config.option)
        self.session: Session | None = None
        self.merged: RunRecord | None = None
        """The records pytest-xdist workers sent home (the controller's)."""
        self.exiting = False
        self.recording = self._recording()

    def _recording(self) -> Recording | None:
        if self.config.replay or self.config.record_mode == "none":
            raise pytest.UsageError("a replay judges the recording without running the suite: "
                                    "use `conformance run --replay` (docs/cassettes.md)")
        if not (self.config.record or self.config.record_mode or self.config.base_url):
            return None  # the embedded server, not recorded: vcrpy need not even be imported
        from conformance.cassettes import CassetteError, recording_for

        recording = recording_for(self.config, self.pytest_config.invocation_params.dir,
                                  disabled=bool(self.pytest_config.getoption("--disable-recording", False)))
        if recording is not None:
            try:
                recording.prepare(controller=not self.worker)
            except CassetteError as exc:
                raise pytest.UsageError(str(exc)) from None
        return recording

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist controller: workers get the command line, not the options `conformance run`
        set; hand them the config."""
        node.workerinput[_WORKER_CONFIG] = dict(self.config.pytest_values())

    # -- fixtures -----------------------------------------------------------------------------

    @pytest.fixture(scope="session")
    def conformance_session(self) -> Iterator[Session]:
        from conformance.engine import generation_scope, open_session

        # The same seed, contract and options must give the same requests, whatever modules happen
        # to be loaded, and in less time: see engine._patches.
        with generation_scope(), open_session(self.config) as session:
            self.session = session
            if self.recording is not None:
                with self.recording.use_cassette():
                    session.model  # noqa: B018 - run-level traffic goes to the run's cassette, not a test's
            yield session

    @pytest.fixture(scope="session")
    def conformance_schema(self, conformance_session: Session) -> Any:
        from conformance.engine import schemathesis_schema

        return schemathesis_schema(conformance_session)

    @pytest.fixture(autouse=True)
    def _conformance_test_scope(self, request: pytest.FixtureRequest) -> Iterator[None]:
        """Findings are judged per test: start each conformance test with an empty list (and, when
        the run is recorded, an empty journal). Once the run must stop (the token budget is
        spent), end it cleanly after the test."""
        session: Session | None = None
        if "conformance_session" in request.fixturenames:
            session = request.getfixturevalue("conformance_session")
            session.begin_test(keep_journal=self.recording is not None)
            request.node.stash[_UNSUPPORTED_BEFORE] = set(session.record.unsupported)
        yield
        if session is not None and session.stopped and not self.exiting:
            # Once: a second Exit raised while pytest tears the session down would cut its
            # sessionfinish hooks short (and with them the summary and the reports).
            self.exiting = True
            pytest.exit(f"conformance: {session.record.stop_reason}; stopping cleanly",
                        returncode=EXIT_DEPARTURES if session.errors else EXIT_OK)

    # -- collection ---------------------------------------------------------------------------

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        shard = self.config.shard
        if shard is not None:  # a stable split by test id; a stateful chain is one test, so one shard
            kept = [item for item in items if in_shard(item.nodeid, shard.index, shard.total)]
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept
        recording = self.recording
        if recording is None:
            return
        kwargs = recording.vcr_kwargs() if recording.http_cache else None
        for order, item in enumerate(items):
            item.stash[_ORDER] = order
            if kwargs is not None and "conformance_session" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.vcr(**kwargs))
                item.add_marker(pytest.mark.default_cassette(str(recording.cassette_path(_module(item), item.name))))

    @pytest.hookimpl(optionalhook=True)
    def pytest_recording_configure(self, config: pytest.Config, vcr: Any) -> None:
        if self.recording is not None:
            self.recording.configure_vcr(vcr)

    # -- each test ----------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Result[pytest.TestReport], None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        error = call.excinfo.value if call.excinfo is not None else None
        if isinstance(error, BudgetExhausted) and self.session is not None:
            # Cut short by the budget: it did not finish, it did not fail. The run ends after it.
            self.session.stop(str(error))
            report.outcome, report.longrepr = "skipped", (str(item.path), 0, f"Skipped: {error}")
        elif error is not None and self.recording is not None:
            reason = self.recording.unrecorded_reason(error)
            if reason is not None:
                report.longrepr = reason  # vcrpy's message lists near misses at length
        self._journal(item, report)

    def _journal(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """When the run is recorded, each test's journal is written as the test ends (docs/cassettes.md)."""
        session, recording = self.session, self.recording
        if session is None or session.journal is None or recording is None or _UNSUPPORTED_BEFORE not in item.stash:
            return
        from conformance.cassettes import RecordedTest

        test = item.stash.setdefault(_RECORDED, RecordedTest(item.nodeid, item.stash.get(_ORDER, 0)))
        test.duration += report.duration
        if report.failed and test.outcome != "failed":
            test.outcome = "failed" if report.when == "call" else "error"
            test.message = report.longreprtext[:4000]
        elif report.skipped and test.outcome == "passed":
            test.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            test.message = str(reason).removeprefix("Skipped: ")
        if report.when == "teardown":
            before = item.stash[_UNSUPPORTED_BEFORE]
            test.unsupported = {op: why for op, why in session.record.unsupported.items() if op not in before}
            test.steps = list(session.journal)
            recording.write_test(_module(item), test)

    # -- the end ------------------------------------------------------------------------------

    def run_record(self) -> RunRecord | None:
        """This process's record, plus those of every pytest-xdist worker that reported back."""
        record = RunRecord.from_dict(self.session.record.to_dict()) if self.session is not None else None
        if self.merged is None:
            return record
        if record is None:
            return RunRecord.from_dict(self.merged.to_dict())
        record.merge(self.merged)
        return record

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        record = self.run_record()
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: ship the record home
            if record is not None:
                workeroutput[_WORKER_RECORD] = json.dumps(record.to_dict())
            if self.recording is not None:
                workeroutput[_WORKER_UNRECORDED] = list(self.recording.unrecorded)
            return
        recording = self.recording
        if recording is None:
            return
        if recording.unrecorded:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR  # no verdict: the HTTP cache does not fit
        if record is not None:
            from conformance.cassettes import verdicts

            ran = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
            recording.write_header(verdicts(record, int(exitstatus)) if ran else None)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: merge a finished worker's record."""
        output = getattr(node, "workeroutput", {})
        raw = output.get(_WORKER_RECORD)
        if raw is not None:
            incoming = RunRecord.from_dict(json.loads(raw))
            if self.merged is None:
                self.merged = incoming
            else:
                self.merged.merge(incoming)
        if self.recording is not None:
            self.recording.unrecorded.extend(output.get(_WORKER_UNRECORDED, []))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summary = self.recording.unrecorded_summary() if self.recording is not None else None
        if summary is not None:
            terminalreporter.write_line(f"error: {summary}", red=True)
