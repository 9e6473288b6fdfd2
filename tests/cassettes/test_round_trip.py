"""Record once, replay deterministically: a recorded run replayed with the network off reaches
the same verdicts; what breaks a replay is refused with a clear message and exit code 2."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from conformance._cli import _cassette_options as options
from conformance._cli import build_parser, main
from conformance.cassettes._record import FINGERPRINT_FILE, verdicts
from conformance.contract import bundled_contract_path
from conformance.engine._run import EXIT_USAGE, RunOptions
from tests.cassettes.conftest import Run, network_off, run_in

MISMATCH = "cassette does not match this run"


def test_a_replay_with_the_network_off_reaches_the_recorded_verdicts(recorded: Run, replayed: Run) -> None:
    assert recorded.result.record is not None and replayed.result.record is not None, replayed.output[-3000:]
    assert recorded.result.record.exchanges > 100
    found = verdicts(replayed.result.record, replayed.result.exit_code)
    assert found == verdicts(recorded.result.record, recorded.result.exit_code)
    # run.json keeps the recorded verdicts, so that any later replay can be held to them.
    assert found == json.loads((recorded.cassettes / "reference" / FINGERPRINT_FILE).read_text())["verdicts"]
    assert MISMATCH not in replayed.output


def test_the_recording_is_one_gzipped_yaml_cassette_per_test_plus_the_runs_own(recorded: Run) -> None:
    folder = recorded.cassettes / "reference"
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {FINGERPRINT_FILE, "session.yaml.gz", "test_operations/test_operation[createMessage].yaml.gz",
            "test_scenarios/test_semantics[max_tokens-streaming].yaml.gz"} <= names
    document = yaml.safe_load(gzip.decompress((folder / "session.yaml.gz").read_bytes()))
    assert document["version"] == 1
    assert [i["request"]["uri"] for i in document["interactions"]] == ["http://127.0.0.1:8765/v1/models?limit=1"]


def _replay(folder: Path, recorded: Run, **changes: object) -> Run:
    return run_in(folder, replace(recorded.options, record=False, replay=True, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "difference"),
    [
        ({"seed": 1}, "seed is 1 here but 0 in the recording"),
        ({"max_examples": 3}, "profile.max_examples is 3 here but 2 in the recording"),
        ({"include": ["countMessageTokens"]}, 'include is ["countMessageTokens"] here but ["createMessage"]'),
    ],
)
def test_changed_options_are_refused_before_anything_runs(
    recording_copy: Path, recorded: Run, changes: dict[str, object], difference: str
) -> None:
    run = _replay(recording_copy, recorded, **changes)
    assert run.result.exit_code == EXIT_USAGE
    assert f"{MISMATCH}: " in run.output and difference in run.output, run.output[-2000:]
    assert run.result.record is None  # refused up front: no test ran


def test_a_changed_contract_is_refused_before_anything_runs(recording_copy: Path, recorded: Run) -> None:
    specs = recording_copy / "specs"
    shutil.copytree(bundled_contract_path().parent, specs, ignore=shutil.ignore_patterns("sources"))
    root = specs / "anthropic.yaml"
    root.write_text(root.read_text().replace("  title: ", "  title: (changed) ", 1))
    run = _replay(recording_copy, recorded, spec=str(specs / "anthropic.yaml"))
    assert run.result.exit_code == EXIT_USAGE
    assert f"{MISMATCH}: contract is " in run.output and "in the recording" in run.output


@pytest.mark.parametrize(
    ("cassette", "select"),
    [
        # httpx (Target.send): the error reaches the test, which fails with one line
        ("test_scenarios/test_semantics[stop_sequence-streaming].yaml.gz", "test_semantics and stop_sequence"),
        # requests, through schemathesis's engine, which swallows the error: counted all the same
        ("test_operations/test_operation[createMessage].yaml.gz", "test_operation"),
    ],
)
def test_a_request_without_a_recording_fails_the_replay_clearly(
    recording_copy: Path, recorded: Run, cassette: str, select: str
) -> None:
    path = recording_copy / "cassettes" / "reference" / cassette
    document = yaml.safe_load(gzip.decompress(path.read_bytes()))
    removed = document["interactions"][-3:]
    document["interactions"] = document["interactions"][:-3]
    path.write_bytes(gzip.compress(yaml.safe_dump(document).encode()))
    with network_off():
        run = _replay(recording_copy, recorded, pytest_args=["-k", select])
    assert run.result.exit_code == EXIT_USAGE, run.output[-3000:]
    assert f"{MISMATCH}: " in run.output and "requests unrecorded" in run.output
    assert f"{path.name} " in run.output  # which cassette
    method_and_path = f"{removed[0]['request']['method']} /v1/messages"
    assert method_and_path in run.output


def test_a_missing_recording_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--replay", "--cassette-dir", str(tmp_path), "--report-dir", ""]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert f"no recording in {tmp_path / 'reference'} to replay" in err and "\n" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--record", "--replay"], "--record and --replay exclude each other"),
        (["--replay", "--record-mode", "all"], "--replay replays (record mode none), not --record-mode all"),
        (["--record-mode", "sometimes"], "invalid choice: 'sometimes'"),
    ],
)
def test_cassette_options_misused_are_one_line_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", *argv]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_record_modes_pass_through_to_pytest_recording() -> None:
    """`--record-mode` alone turns cassettes on: none replays, any other mode records in it."""
    parse = build_parser().parse_args
    assert options(parse(["run", "--record-mode", "none"]))["replay"] is True
    once = options(parse(["run", "--record-mode", "once"]))
    assert once["record"] is True and once["record_mode"] == "once"
    argv = RunOptions(record=True, record_mode="new_episodes", cassette_dir="c").pytest_argv()
    assert argv[argv.index("--record-mode") + 1] == "new_episodes" and "--conformance-record" in argv


def test_live_profiles_record_if_missing_by_default(tmp_path: Path) -> None:
    """Against a live (paid) profile a run records what it has no recording for, unasked; a replay
    then needs no target at all."""
    from conformance.engine._target import embedded_server, free_port

    profile = tmp_path / "paid.toml"
    profile.write_text('extends = "reference"\nlive = true\n')
    port = free_port()
    options = RunOptions(base_url=f"http://127.0.0.1:{port}", api_key="any-key", profile=str(profile), include=["listModels"],
                         max_examples=2, cassette_dir="cassettes", report_dir="", quiet=True)
    with embedded_server(port=port):
        first = run_in(tmp_path, options)
    assert first.result.exit_code in (0, 1), first.output[-2000:]
    folder = tmp_path / "cassettes" / f"127.0.0.1-{port}"
    assert (folder / FINGERPRINT_FILE).is_file() and list(folder.rglob("test_operation[[]listModels].yaml.gz"))
    with network_off():  # the server is gone, and the network is off
        again = run_in(tmp_path, replace(options, replay=True))
    assert again.result.record is not None and first.result.record is not None, again.output[-2000:]
    assert verdicts(again.result.record, again.result.exit_code) == verdicts(first.result.record, first.result.exit_code)
