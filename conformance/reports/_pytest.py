"""A pytest plugin object that notes how each test of the suite ended, for results.json.

It works the same in-process and under pytest-xdist: the controller receives every test report.
"""

from __future__ import annotations

import re

import pytest

from conformance._reproduce import scrub_text
from conformance.engine import Outcome

_OPERATION = re.compile(r"::test_operation\[(?P<operation>[^\]]+)\]$")
# The failure message of Session.fail_on_errors: a test failed because the target departed from
# the contract, not because the suite itself broke (the baseline may accept the former only).
_DEPARTURES = re.compile(r": \d+ departure\(s\)\n")
MESSAGE_CHARS = 4_000


class SuiteLog:
    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}

    @property
    def tests(self) -> list[Outcome]:
        return list(self.outcomes.values())

    @property
    def crashes(self) -> list[Outcome]:
        """Tests that failed for another reason than departures: the suite, not the target, broke."""
        return [t for t in self.outcomes.values() if t.outcome in ("failed", "error") and not t.departures]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        match = _OPERATION.search(report.nodeid)
        outcome = self.outcomes.setdefault(
            report.nodeid, Outcome(report.nodeid, "passed", operation_id=match["operation"] if match else None))
        outcome.duration += report.duration
        if report.failed:
            text = report.longreprtext
            outcome.outcome = "failed" if report.when == "call" else "error"
            outcome.departures = report.when == "call" and bool(_DEPARTURES.search(text))
            outcome.message = scrub_text(text[:MESSAGE_CHARS])
        elif report.skipped and outcome.outcome == "passed":
            outcome.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome.message = reason.removeprefix("Skipped: ")
