"""A corrupt, truncated or wrong-format recording (or run.json) stops `conformance run --replay`
before anything is judged: one line naming the file and the problem, exit code 2."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._cli import main
from conformance._exit import EXIT_USAGE
from conformance.cassettes._record import FINGERPRINT_FILE

CASSETTE = "test_scenarios/test_semantics[max_tokens-streaming].json.gz"


def _truncate_gzip(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:60])


def _truncate_json(path: Path) -> None:
    text = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(text[: len(text) // 2]))


def _format(path: Path) -> None:
    text = gzip.decompress(path.read_bytes()).replace(b'"format":2', b'"format":7')
    path.write_bytes(gzip.compress(text))


def _shape(path: Path) -> None:
    path.write_bytes(gzip.compress(b'{"version": 1, "interactions": [{"request": {"method": "GET"}, "response": 2}],'
                                   b' "conformance": {"format": 2, "test": "t", "order": 0, "outcome": "passed",'
                                   b' "steps": [{"exchange": 0}]}}'))


def _deep(path: Path) -> None:
    path.write_bytes(gzip.compress(b'{"a":' * 100_000 + b"1" + b"}" * 100_000))


def _vcrpy(path: Path) -> None:
    path.write_bytes(gzip.compress(b'{"version": 1, "interactions": []}'))


def _not_text(path: Path) -> None:
    path.write_bytes(gzip.compress(b"\xff\xfe\x00garbage"))


def _run_json(path: Path) -> None:
    (path.parents[1] / FINGERPRINT_FILE).write_text('{"format": ')


def _no_run_json(path: Path) -> None:
    (path.parents[1] / FINGERPRINT_FILE).unlink()


@pytest.mark.parametrize(
    ("damage", "problem", "where"),
    [
        (_truncate_gzip, "corrupt gzip", CASSETTE),
        (_truncate_json, "not a recording (JSON)", CASSETTE),
        (_format, "recording format 7, this version reads 2", CASSETTE),
        (_shape, "malformed recording", CASSETTE),
        (_vcrpy, "not a conformance recording (no `conformance` section)", CASSETTE),
        (_not_text, "not a recording (JSON)", CASSETTE),
        (_deep, "not a recording (JSON): RecursionError", CASSETTE),
        (_run_json, "not a recording's run.json", FINGERPRINT_FILE),
        (_no_run_json, "no such file; ", FINGERPRINT_FILE),
    ],
    ids=["truncated-gzip", "truncated-json", "wrong-format", "malformed", "plain-vcrpy", "binary", "nested-100k",
         "bad-run-json", "no-run-json"],
)
def test_a_damaged_recording_is_one_line_and_exit_2(
    recording_copy: Path, capsys: pytest.CaptureFixture[str], damage: Callable[[Path], None], problem: str, where: str
) -> None:
    folder = recording_copy / "cassettes" / "reference"
    damage(folder / CASSETTE)
    code = main(["run", "--replay", "--include", "createMessage",
                 "--cassette-dir", str(recording_copy / "cassettes"), "--report-dir", ""])
    assert code == EXIT_USAGE
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in out + err, err
    assert str(folder / where) in lines[0] and problem in lines[0], lines[0]
