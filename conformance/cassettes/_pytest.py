"""The pytest side of recording (docs/cassettes.md), loaded by conformance.suite.plugin.

These hooks configure the recording and pytest-recording's HTTP cache, and report what the cache
could not answer. Writing each test's recording is the suite plugin's (it owns the session).
Inert unless the run records (--conformance-record, a --record-mode, or the real API).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.cassettes._record import Recording

RECORDING_KEY = pytest.StashKey["Recording"]()
ORDER_KEY = pytest.StashKey[int]()
"""A test's place in the collected suite (the same in every xdist worker): a replay's order."""
_UNRECORDED = "conformance_unrecorded"


def recording_of(config: pytest.Config) -> Recording | None:
    """This run's recording, or None."""
    return config.stash.get(RECORDING_KEY, None)


def pytest_configure(config: pytest.Config) -> None:
    from conformance.contract import ContractError
    from conformance.engine._options import recording_from_options

    try:
        recording = recording_from_options(config)
    except ContractError as exc:  # a bad profile or contract: one line, not an internal error
        raise pytest.UsageError(str(exc)) from None
    if recording is None:
        return
    recording.prepare(controller=not hasattr(config, "workerinput"))
    config.stash[RECORDING_KEY] = recording


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    recording = recording_of(config)
    if recording is not None:
        recording.configure_vcr(vcr)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    recording = recording_of(config)
    if recording is None:
        return
    kwargs = recording.vcr_kwargs() if recording.http_cache else None
    for order, item in enumerate(items):
        item.stash[ORDER_KEY] = order
        if kwargs is not None and "conformance_session" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.vcr(**kwargs))
            item.add_marker(pytest.mark.default_cassette(str(recording.cassette_path(module_of(item), item.name))))


def module_of(item: pytest.Item) -> str:
    """The folder a test's files go in: its module's short name."""
    return item.module.__name__.rsplit(".", 1)[-1] if isinstance(item, pytest.Function) else "suite"


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
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller reports for all
        workeroutput[_UNRECORDED] = list(recording.unrecorded)
    elif recording.unrecorded:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR  # no verdict: the HTTP cache does not fit


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: gather what the worker's HTTP cache found no recording for."""
    recording = recording_of(node.config)
    if recording is not None:
        recording.unrecorded.extend(getattr(node, "workeroutput", {}).get(_UNRECORDED, []))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    recording = recording_of(config)
    summary = recording.unrecorded_summary() if recording is not None else None
    if summary is not None:
        terminalreporter.write_line(f"error: {summary}", red=True)
