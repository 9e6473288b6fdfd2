"""Cassettes: reading recorded traffic (vcrpy, pytest-recording, Ruby VCR, HAR) into exchanges;
recording a conformance run and replaying it (docs/cassettes.md)."""

from conformance.cassettes._journal import RecordedTest, Scrubber, read_test, recorded_tests
from conformance.cassettes._read import CassetteError, read_exchanges
from conformance.cassettes._replay import Recorded, ReplayRefused, load_recorded, replay_run, replay_session

__all__ = [
    "CassetteError",
    "RecordedTest",
    "Recorded",
    "ReplayRefused",
    "Scrubber",
    "load_recorded",
    "read_exchanges",
    "read_test",
    "recorded_tests",
    "replay_run",
    "replay_session",
]
