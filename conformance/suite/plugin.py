"""The conformance pytest plugin: options and fixtures, nothing more (registered as `pytest11`).

Inert unless a test asks for its fixtures: `pytest --pyargs conformance.suite --conformance-...`
or `conformance run`. Imports are lazy so that loading it costs nothing in other pytest runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.cassettes._journal import RecordedTest
    from conformance.engine._session import RunRecord, Session

SESSION_KEY = pytest.StashKey["Session"]()
# Cassettes: record and replay through pytest-recording (docs/cassettes.md).
pytest_plugins = ["conformance.cassettes._pytest"]
RECORD_KEY = pytest.StashKey["RunRecord"]()
_UNSUPPORTED_BEFORE = pytest.StashKey[set[str]]()
_RECORDED = pytest.StashKey["RecordedTest"]()
_WORKER_OUTPUT = "conformance_record"


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.engine._options import add_options

    add_options(parser)


@pytest.fixture(scope="session")
def conformance_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    from conformance.cassettes._pytest import recording_of
    from conformance.engine._generation import without_local_constants
    from conformance.engine._options import session_from_options

    # The same seed, contract and options must give the same requests, whatever modules happen
    # to be loaded: see without_local_constants.
    with without_local_constants(), session_from_options(request.config) as session:
        request.config.stash[SESSION_KEY] = session
        recording = recording_of(request.config)
        if recording is not None:
            with recording.use_cassette():
                session.model  # noqa: B018 - run-level traffic goes to the run's cassette, not a test's
        yield session


@pytest.fixture(autouse=True)
def _conformance_test_scope(request: pytest.FixtureRequest) -> Iterator[None]:
    """Findings are judged per test: start each conformance test with an empty list (and, when the
    run is recorded, an empty journal). Once the run must stop (the token budget is spent), end it
    cleanly after the test."""
    from conformance.cassettes._pytest import recording_of

    session: Session | None = None
    if "conformance_session" in request.fixturenames:
        session = request.getfixturevalue("conformance_session")
        session.begin_test(keep_journal=recording_of(request.config) is not None)
        request.node.stash[_UNSUPPORTED_BEFORE] = set(session.unsupported)
    yield
    if session is not None and session.stopped and not session.exiting:
        # Once: a second Exit raised while pytest tears the session down would cut its
        # sessionfinish hooks short (and with them the summary and the reports).
        session.exiting = True
        from conformance._exit import EXIT_DEPARTURES, EXIT_OK

        pytest.exit(f"conformance: {session.stop_reason}; stopping cleanly",
                    returncode=EXIT_DEPARTURES if session.errors else EXIT_OK)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When the run is recorded, each test's journal is written as the test ends (docs/cassettes.md)."""
    outcome = yield
    session = item.config.stash.get(SESSION_KEY, None)
    if session is None or session.journal is None or _UNSUPPORTED_BEFORE not in item.stash:
        return
    from conformance.cassettes._journal import RecordedTest
    from conformance.cassettes._pytest import ORDER_KEY, module_of, recording_of

    report = outcome.get_result()
    test = item.stash.setdefault(_RECORDED, RecordedTest(item.nodeid, item.stash.get(ORDER_KEY, 0)))
    test.duration += report.duration
    if report.failed and test.outcome != "failed":
        test.outcome = "failed" if report.when == "call" else "error"
        test.message = report.longreprtext[:4000]
    elif report.skipped and test.outcome == "passed":
        test.outcome = "skipped"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        test.message = str(reason).removeprefix("Skipped: ")
    recording = recording_of(item.config)
    if report.when == "teardown" and recording is not None:
        before = item.stash[_UNSUPPORTED_BEFORE]
        test.unsupported = {op: reason for op, reason in session.unsupported.items() if op not in before}
        test.steps = list(session.journal)
        recording.write_test(module_of(item), test)


@pytest.fixture(scope="session")
def conformance_schema(conformance_session: Session) -> Any:
    from conformance.engine._generation import schemathesis_schema

    return schemathesis_schema(conformance_session)


def run_record(config: pytest.Config) -> RunRecord | None:
    """This process's findings, plus those of every pytest-xdist worker that reported back."""
    from conformance.engine._session import RunRecord

    record: RunRecord | None = None
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        record = session.to_record()
    merged = config.stash.get(RECORD_KEY, None)
    if merged is not None:
        record = record or RunRecord()
        record.merge(merged)
    return record


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    record = run_record(session.config)
    if workeroutput is not None and record is not None:  # an xdist worker: ship the record home
        import json

        workeroutput[_WORKER_OUTPUT] = json.dumps(record.to_dict())
    from conformance.cassettes._pytest import recording_of

    recording = recording_of(session.config)
    if recording is not None and workeroutput is None and record is not None:
        from conformance.cassettes._record import verdicts

        code = exitstatus if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) else None
        recording.write_header(verdicts(record, int(code)) if code is not None else None)


def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: merge a finished worker's record."""
    import json

    from conformance.engine._session import RunRecord

    raw = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if raw is None:
        return
    incoming = RunRecord.from_dict(json.loads(raw))
    merged = node.config.stash.get(RECORD_KEY, None)
    if merged is None:
        node.config.stash[RECORD_KEY] = incoming
    else:
        merged.merge(incoming)
