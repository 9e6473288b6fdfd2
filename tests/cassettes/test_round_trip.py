"""Record once, replay for ever: a replay judges the recorded exchanges again with the current
checks, whatever library versions are installed; it is refused only when the recorded requests
would mean something else (another format, a contract whose requests changed, a profile that
generates other requests), in one line with exit code 2."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from conformance._cli import build_parser, main
from conformance._exit import EXIT_USAGE
from conformance.cassettes import is_paid_api, read_exchanges, read_test
from conformance.cassettes._record import FINGERPRINT_FILE, HTTP_FOLDER, verdicts
from conformance.contract import bundled_contract_path
from conformance.engine import RunConfig, mutation_expectation
from tests.cassettes.conftest import Run, network_off, run_in

STREAMING = "test_scenarios/test_semantics[max_tokens-streaming].json.gz"


def _replay(folder: Path, recorded: Run, **changes: object) -> Run:
    with network_off():
        return run_in(folder, replace(recorded.options, record=False, replay=True, **changes))  # type: ignore[arg-type]


def _said(run: Run) -> str:
    """What the run said: its one-line problem, and what it printed."""
    return f"{run.result.problem or ''}\n{run.output}"


def _header(folder: Path) -> dict[str, object]:
    return json.loads((folder / "cassettes" / "reference" / FINGERPRINT_FILE).read_text())  # type: ignore[no-any-return]


def _rewrite(path: Path, edit: object) -> None:
    document = json.loads(gzip.decompress(path.read_bytes()))
    edit(document)  # type: ignore[operator]
    path.write_bytes(gzip.compress(json.dumps(document).encode()))


def test_a_replay_with_the_network_off_reaches_the_recorded_verdicts(recorded: Run, replayed: Run) -> None:
    assert recorded.result.record is not None and replayed.result.record is not None, replayed.output[-3000:]
    assert recorded.result.record.exchanges > 100
    found = verdicts(replayed.result.record, replayed.result.exit_code)
    assert found == verdicts(recorded.result.record, recorded.result.exit_code)
    # run.json keeps the recorded verdicts, so that any later replay can be held to them.
    assert found == _header(recorded.folder)["verdicts"]
    assert "recorded: " in recorded.output and "replayed from " in replayed.output


def test_the_recording_is_one_file_per_test_that_vcrpy_readers_read_too(recorded: Run) -> None:
    folder = recorded.cassettes / "reference"
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {FINGERPRINT_FILE, "test_operations/test_operation[createMessage].json.gz", STREAMING} <= names
    assert not (folder / HTTP_FOLDER).exists()  # the embedded server is free: no HTTP cache
    test = read_test(folder / STREAMING)
    assert test.outcome == "passed" and len(test.steps) == 2  # the exchange, then its expected stop reason
    exchanges = read_exchanges(folder / STREAMING)  # `conformance validate` reads it as a vcrpy cassette
    assert [e.request.url for e in exchanges] == ["http://127.0.0.1:8765/v1/messages"]
    assert exchanges[0].response.is_stream and len(exchanges[0].response.frames) > 3


def test_the_recording_keeps_the_mutation_and_the_current_rule_judges_it(recorded: Run) -> None:
    test = read_test(recorded.cassettes / "reference" / "test_operations" / "test_operation[createMessage].json.gz")
    mutated = [step.exchange for step in test.steps if step.exchange is not None and step.exchange.mutation]
    assert mutated, "two examples per operation include negative cases"
    for exchange in mutated:
        assert exchange.mutation is not None
        assert exchange.expectation == mutation_expectation(exchange.mutation, exchange.operation_id)


def test_other_library_versions_replay_with_the_recorded_verdicts(recording_copy: Path, recorded: Run) -> None:
    path = recording_copy / "cassettes" / "reference" / FINGERPRINT_FILE
    header = json.loads(path.read_text())
    header["versions"] = {"conformance": "0.0.1", "hypothesis": "6.160.0", "schemathesis": "4.0.0"}
    path.write_text(json.dumps(header))
    run = _replay(recording_copy, recorded)
    assert run.result.record is not None, run.output[-2000:]
    assert verdicts(run.result.record, run.result.exit_code) == header["verdicts"]
    assert "hypothesis 6.160.0" in run.output  # shown, never a reason to refuse


def test_the_recorded_profile_judges_unless_another_is_chosen(recording_copy: Path, recorded: Run) -> None:
    """The recording was made under a profile file; a replay without --profile uses it as recorded."""
    run = _replay(recording_copy, recorded, profile=None)
    assert run.result.record is not None and recorded.result.record is not None, run.output[-2000:]
    assert verdicts(run.result.record, run.result.exit_code) == verdicts(recorded.result.record, recorded.result.exit_code)


def test_a_profile_that_generates_other_requests_is_refused(recording_copy: Path, recorded: Run) -> None:
    run = _replay(recording_copy, recorded, profile="anthropic")
    assert run.result.exit_code == EXIT_USAGE and run.result.record is None
    assert "would send other requests than the recorded profile" in _said(run) and "live" in _said(run)


def test_a_contract_whose_requests_changed_is_refused(recording_copy: Path, recorded: Run) -> None:
    specs = recording_copy / "specs"
    shutil.copytree(bundled_contract_path().parent, specs, ignore=shutil.ignore_patterns("sources"))
    messages = specs / "messages.yaml"
    text = messages.read_text()
    assert "max_tokens:" in text
    messages.write_text(text.replace("minimum: 1", "minimum: 2", 1))
    run = _replay(recording_copy, recorded, spec=str(specs / "anthropic.yaml"))
    assert run.result.exit_code == EXIT_USAGE, run.output[-2000:]
    assert "the contract's requests changed since" in _said(run) and "createMessage" in _said(run)


def test_a_contract_changed_on_the_response_side_only_still_replays(recording_copy: Path, recorded: Run) -> None:
    specs = recording_copy / "specs"
    shutil.copytree(bundled_contract_path().parent, specs, ignore=shutil.ignore_patterns("sources"))
    root = specs / "anthropic.yaml"
    root.write_text(root.read_text().replace("  title: ", "  title: (changed) ", 1))
    run = _replay(recording_copy, recorded, spec=str(root))
    assert run.result.record is not None, run.output[-2000:]
    assert verdicts(run.result.record, run.result.exit_code) == _header(recording_copy)["verdicts"]


def test_an_edited_response_is_judged_as_edited(recording_copy: Path, recorded: Run) -> None:
    """Replay judges what the recording holds: a stream whose message_stop was cut fails sse checks."""
    path = recording_copy / "cassettes" / "reference" / STREAMING

    def cut(document: dict[str, object]) -> None:
        body = document["interactions"][0]["response"]["body"]  # type: ignore[index]
        body["string"] = body["string"].split("event: message_stop")[0]

    _rewrite(path, cut)
    run = _replay(recording_copy, recorded)
    assert run.result.record is not None, run.output[-2000:]
    assert any(check.startswith("sse.") for check in run.result.error_check_ids), run.result.error_check_ids


def test_a_recording_of_the_old_format_is_refused_with_the_fix(recording_copy: Path, recorded: Run) -> None:
    path = recording_copy / "cassettes" / "reference" / FINGERPRINT_FILE
    path.write_text(json.dumps({"fingerprint": {"seed": 0}, "verdicts": None}))
    run = _replay(recording_copy, recorded)
    assert run.result.exit_code == EXIT_USAGE
    assert "recording of format 1" in _said(run) and "conformance run --record" in _said(run)


def test_a_replay_of_operations_the_recording_lacks_judges_nothing_and_says_so(recording_copy: Path,
                                                                               recorded: Run) -> None:
    run = _replay(recording_copy, recorded, include=["countMessageTokens"])
    assert run.result.exit_code == EXIT_USAGE and "no exchange for" in _said(run)


def test_a_missing_recording_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--replay", "--cassette-dir", str(tmp_path), "--report-dir", ""]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert f"no recording in {tmp_path / 'reference'} to replay" in err and "\n" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--record", "--replay"], "--record and --replay exclude each other"),
        (["--replay", "--record-mode", "all"], "--replay judges the recording (record mode none), not --record-mode all"),
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
    """`--record-mode` alone turns recording on: none replays, any other mode records in it; the
    modes are pytest-recording's."""
    from pytest_recording.plugin import RECORD_MODES as PYTEST_RECORDING_MODES

    from conformance.engine import RECORD_MODES

    def config(*argv: str) -> RunConfig:
        return RunConfig.from_arguments(build_parser().parse_args(["run", *argv]))

    assert config("--record-mode", "none").replay is True
    once = config("--record-mode", "once")
    assert once.record is True and once.record_mode == "once"
    assert once.pytest_values()["record_mode"] == "once" and once.pytest_values()["conformance_record"] is True
    assert set(RECORD_MODES) == set(PYTEST_RECORDING_MODES)


@pytest.mark.parametrize(
    ("base_url", "paid"),
    [("https://api.anthropic.com", True), ("https://api.anthropic.com:443/", True), (None, False),
     ("http://127.0.0.1:8000", False), ("https://gateway.example/anthropic.com", False),
     ("https://anthropic.com.evil.example", False)],
)
def test_only_the_real_api_records_unasked(base_url: str | None, paid: bool) -> None:
    assert is_paid_api(base_url) is paid


def test_a_local_server_run_writes_no_cassettes_unless_asked(tmp_path: Path) -> None:
    from conformance.server import serve_reference

    with serve_reference() as url:
        run = run_in(tmp_path, RunConfig(base_url=url, api_key="any-key", profile="reference",
                                          include=["listModels"], max_examples=1, report_dir="", quiet=True,
                                          pytest_args=["-k", "test_operation"]))
    assert run.result.record is not None, run.output[-2000:]
    assert not (tmp_path / "cassettes").exists() and "recorded:" not in run.output


def test_a_live_target_also_gets_an_http_cache_and_the_recording_replays(tmp_path: Path) -> None:
    """Against a live target the run also keeps request-level cassettes (for record modes once and
    new_episodes); the recording replays offline with the target gone."""
    from conformance.server import free_port, serve_reference

    port = free_port()
    options = RunConfig(base_url=f"http://127.0.0.1:{port}", api_key="any-key", profile="reference",
                         include=["listModels"], max_examples=2, cassette_dir="cassettes", report_dir="", quiet=True,
                         record=True, record_mode="new_episodes")
    with serve_reference(port=port):
        first = run_in(tmp_path, options)
    assert first.result.record is not None and first.result.exit_code in (0, 1), first.output[-2000:]
    folder = tmp_path / "cassettes" / f"127.0.0.1-{port}"
    assert (folder / FINGERPRINT_FILE).is_file() and list((folder / HTTP_FOLDER).rglob("*.yaml.gz"))
    with network_off():  # the server is gone, and the network is off
        replayed = run_in(tmp_path, replace(options, record=False, record_mode=None, replay=True))
    assert replayed.result.record is not None, replayed.output[-2000:]
    assert verdicts(replayed.result.record, replayed.result.exit_code) == verdicts(first.result.record,
                                                                                   first.result.exit_code)


@pytest.mark.parametrize("name", ["OpenAI-style error envelope", "events out of order", "pagination repeats items"])
def test_a_broken_servers_recording_replays_to_the_same_failing_checks(tmp_path: Path, name: str) -> None:
    from conformance.server import serve_app
    from tests.engine.broken import CASES

    case = CASES[name]
    with serve_app(case.factory(), name="broken-recorded") as url:
        options = replace(case.focus.options(url), record=True, cassette_dir="cassettes", report_dir="")
        recorded = run_in(tmp_path, options)
    assert recorded.result.exit_code == 1 and case.check_id in recorded.result.error_check_ids, recorded.output[-2000:]
    with network_off():
        replayed = run_in(tmp_path, replace(options, record=False, replay=True))
    assert replayed.result.record is not None and recorded.result.record is not None, replayed.output[-2000:]
    assert replayed.result.error_check_ids == recorded.result.error_check_ids
    assert verdicts(replayed.result.record, replayed.result.exit_code) == verdicts(recorded.result.record, 1)


def test_a_recording_keeps_what_went_wrong_on_the_wire(tmp_path: Path) -> None:
    """A spoiled response and a resent request replay to the same transport verdicts."""
    from conformance._exchange import Exchange, Request, Response, TransportFailure
    from conformance.cassettes import RecordedTest, Scrubber, write_test
    from conformance.checks import run_checks
    from conformance.engine import Judged

    lost = TransportFailure("connection_lost", "ReadError: [Errno 104] Connection reset by peer")
    sent = [Exchange(Request("POST", "http://127.0.0.1:1/v1/messages"), Response(0, failure=lost), "createMessage"),
            Exchange(Request("GET", "http://127.0.0.1:1/v1/models"),
                     Response(200, {"content-type": "application/json"}, b'{"data": []}', resent=lost), "listModels")]
    path = tmp_path / "test.json.gz"
    write_test(path, RecordedTest("t", 0, steps=[Judged(exchange=e) for e in sent]), scrubber=Scrubber(()))
    replayed = [step.exchange for step in read_test(path).steps]
    assert [(e.response.failure, e.response.resent) for e in replayed if e] == [(lost, None), (None, lost)]
    verdict = [[(f.check_id, f.severity) for f in run_checks(e) if f.check_id.startswith("transport.")]
               for e in replayed if e]
    assert verdict == [[("transport.connection_lost", "error")], [("transport.connection_lost", "warning")]]
