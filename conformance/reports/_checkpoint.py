"""The reports of a run in progress, kept on disk: a run stopped outright (SIGKILL, a lost CI
machine, a closed laptop) leaves reports that say it did not finish, with what it had found,
never the reports of the run before it.

A pytest plugin of the controller process (`RunReporter.plugins`): it writes the four reports
when the session starts and then, at most every CHECKPOINT_SECONDS, after a test, each time
marked as not completed. The runner's final reports replace them. Under pytest-xdist the
controller holds the workers' findings only once they finish: until then the checkpoints count
the tests done, not their findings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from conformance._exit import EXIT_INTERRUPTED
from conformance.engine import RunRecord

CHECKPOINT_SECONDS = 10.0
NOT_FINISHED = "the run has not finished, or was stopped before it could write its reports: these cover the tests done so far"


class Checkpoint:
    def __init__(self, write: Callable[[RunRecord], Any]) -> None:
        self._write = write
        self._config: pytest.Config | None = None
        self._last = 0.0

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._config = session.config
        self.write()

    def pytest_runtest_logfinish(self) -> None:
        if time.monotonic() - self._last >= CHECKPOINT_SECONDS:
            self.write()

    def write(self) -> None:
        from conformance.suite import plugin_of

        self._last = time.monotonic()
        plugin = plugin_of(self._config) if self._config is not None else None
        record = (plugin.run_record() if plugin is not None else None) or RunRecord()
        record.aborted, record.abort_code = NOT_FINISHED, EXIT_INTERRUPTED
        try:
            self._write(record)
        except OSError:
            pass  # the final reports say so, if the folder is still unwritable then
