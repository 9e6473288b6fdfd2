"""Cassettes: reading recorded traffic (vcrpy, pytest-recording, Ruby VCR, HAR) into exchanges and
judging it offline (`conformance validate`); recording a conformance run and replaying it with
the current checks (docs/cassettes.md).

The recording side (`Recording`, `recording_for`...) uses vcrpy, imported on first use: reading,
validating and replaying never load it.
"""

from typing import TYPE_CHECKING

from conformance._lazy import lazy_names
from conformance.cassettes._journal import (
    FINGERPRINT_FILE,
    RecordedTest,
    Scrubber,
    read_test,
    recorded_tests,
    target_name,
    write_test,
)
from conformance.cassettes._read import CassetteError, cassette_files, read_exchanges
from conformance.cassettes._replay import (
    Recorded,
    ReplayRefused,
    check_contract,
    load_recorded,
    recorded_versions,
    replay_profile,
    replay_session,
)
from conformance.cassettes._validate import validate_files

if TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from conformance.cassettes._record import (
        HTTP_FOLDER,
        REFERENCE_BASE,
        Recording,
        is_paid_api,
        recording_for,
        verdicts,
    )

__getattr__ = lazy_names(__name__, {"_record": ("HTTP_FOLDER", "REFERENCE_BASE", "Recording", "is_paid_api",
                                                 "recording_for", "verdicts")})

__all__ = [
    "FINGERPRINT_FILE",
    "HTTP_FOLDER",
    "REFERENCE_BASE",
    "CassetteError",
    "RecordedTest",
    "cassette_files",
    "Recorded",
    "Recording",
    "ReplayRefused",
    "Scrubber",
    "check_contract",
    "is_paid_api",
    "load_recorded",
    "read_exchanges",
    "read_test",
    "recorded_tests",
    "recorded_versions",
    "recording_for",
    "replay_profile",
    "replay_session",
    "target_name",
    "validate_files",
    "verdicts",
    "write_test",
]
