"""The shipped recording (cassettes/reference/: the default run against the reference server)
replays offline on a fresh clone, whatever library versions pip installed, with the verdicts it
was recorded with; and a full default run round-trips (slow)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.cassettes._record import FINGERPRINT_FILE, verdicts
from conformance.engine import RunConfig
from tests.cassettes.conftest import network_off, run_in

SHIPPED = Path(__file__).resolve().parents[2] / "cassettes"
RERECORD = "the shipped cassettes are stale: re-record them as cassettes/README.md says"
MAX_BYTES = 400_000


def test_the_shipped_recording_replays_offline_with_its_recorded_verdicts(tmp_path: Path) -> None:
    with network_off():
        run = run_in(tmp_path, RunConfig(replay=True, cassette_dir=str(SHIPPED), report_dir="", quiet=True))
    assert run.result.problem is None, f"{RERECORD}\n{run.result.problem}"
    assert run.result.record is not None, f"{RERECORD}\n{run.output[-2000:]}"
    recorded = json.loads((SHIPPED / "reference" / FINGERPRINT_FILE).read_text())["verdicts"]
    assert verdicts(run.result.record, run.result.exit_code) == recorded, f"{RERECORD}\n{run.output[-2000:]}"
    assert recorded["exchanges"] > 500  # the whole default run, not a part


def test_the_shipped_recording_stays_small() -> None:
    files = [p for p in (SHIPPED / "reference").rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size < MAX_BYTES, f"cassettes/reference is {size} bytes; keep it under {MAX_BYTES}"
    assert all(p.suffixes[-2:] == [".json", ".gz"] for p in files if p.name != FINGERPRINT_FILE)


@pytest.mark.slow
def test_a_full_default_run_round_trips(tmp_path: Path) -> None:
    options = RunConfig(cassette_dir=str(tmp_path / "cassettes"), report_dir="", quiet=True)
    recorded = run_in(tmp_path / "record", replace(options, record=True))
    with network_off():
        replayed = run_in(tmp_path / "replay", replace(options, replay=True))
    assert recorded.result.record is not None and replayed.result.record is not None, replayed.output[-2000:]
    assert recorded.result.record.exchanges > 500
    found = verdicts(replayed.result.record, replayed.result.exit_code)
    assert found == verdicts(recorded.result.record, recorded.result.exit_code)
