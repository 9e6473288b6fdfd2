"""The pytest side of cassettes (docs/cassettes.md), loaded by conformance.suite.plugin.

pytest-recording records and replays each suite test; these hooks only configure it, check the
cassettes before the run, and report what a replay did not find. Inert unless the run uses
cassettes (--conformance-record, --conformance-replay, or a live profile).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.cassettes._record import Recording

RECORDING_KEY = pytest.StashKey["Recording"]()
_UNRECORDED = "conformance_unrecorded"


def recording_of(config: pytest.Config) -> Recording | None:
    """This run's use of cassettes, or None."""
    return config.stash.get(RECORDING_KEY, None)


def pytest_configure(config: pytest.Config) -> None:
    from conformance.contract import ContractError
    from conformance.engine._generation import without_local_constants
    from conformance.engine._options import recording_from_options

    try:
        recording = recording_from_options(config)
    except ContractError as exc:  # a bad profile or contract: one line, not an internal error
        raise pytest.UsageError(str(exc)) from None
    if recording is None:
        return
    recording.prepare(controller=not hasattr(config, "workerinput"))
    config.stash[RECORDING_KEY] = recording
    stack = ExitStack()
    stack.enter_context(without_local_constants())  # a replay must draw the recording's requests
    config.add_cleanup(stack.close)
    if recording.replay:
        config.option.block_network = True  # pytest-recording's guard: a replay never reaches the network


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    recording = recording_of(config)
    if recording is not None:
        recording.configure_vcr(vcr)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    recording = recording_of(config)
    if recording is None:
        return
    kwargs = recording.vcr_kwargs()
    for item in items:
        if "conformance_session" in getattr(item, "fixturenames", ()):
            module = item.module.__name__.rsplit(".", 1)[-1] if isinstance(item, pytest.Function) else "suite"
            item.add_marker(pytest.mark.vcr(**kwargs))
            item.add_marker(pytest.mark.default_cassette(str(recording.cassette_path(module, item.name))))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    recording = recording_of(item.config)
    if recording is not None and call.excinfo is not None:
        reason = recording.unrecorded_reason(call.excinfo.value)
        if reason is not None:
            outcome.get_result().longrepr = reason  # vcrpy's message lists near misses at length


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recording = recording_of(session.config)
    if recording is None:
        return
    ran = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    if ran and recording.records and not hasattr(session.config, "workerinput"):
        from conformance.cassettes._record import verdicts
        from conformance.suite.plugin import run_record

        record = run_record(session.config)
        recording.write_fingerprint(verdicts(record, int(exitstatus)) if record is not None else None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller reports for all
        workeroutput[_UNRECORDED] = list(recording.unrecorded)
    elif recording.unrecorded:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR  # no verdict: the recording does not fit


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: gather what the worker's replay found no recording for."""
    recording = recording_of(node.config)
    if recording is not None:
        recording.unrecorded.extend(getattr(node, "workeroutput", {}).get(_UNRECORDED, []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recording = recording_of(config)
    summary = recording.unrecorded_summary() if recording is not None else None
    if summary is not None:
        terminalreporter.write_line(f"error: {summary}", red=True)
