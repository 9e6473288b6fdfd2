"""`conformance run` end to end against the embedded reference server: exit codes, the token
budget, profiles for servers that implement a subset, filters, workers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance._cli import main
from conformance._exit import EXIT_OK, EXIT_UNREACHABLE
from conformance._runner import execute
from conformance.engine import RunConfig

MODELS = ["listModels", "getModel"]


def test_the_reference_server_is_conformant_on_a_focused_run() -> None:
    result = execute(RunConfig(include=MODELS, quiet=True))
    assert result.exit_code == EXIT_OK, result.problem
    assert result.record is not None and result.record.exchanges > 10
    assert not result.record.errors


def test_the_token_budget_stops_the_run_cleanly_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    result = execute(RunConfig(budget_tokens=200, quiet=True))
    assert result.record is not None
    assert result.record.stop_reason is not None and "token budget of 200" in result.record.stop_reason
    assert result.exit_code == EXIT_OK  # nothing departed in what ran: stopping is not failing
    assert result.record.tokens >= 200
    assert "stopped early: token budget of 200 reached" in capsys.readouterr().out


def test_operations_a_profile_does_not_offer_are_reported_once_as_unsupported(tmp_path: Path) -> None:
    profile = tmp_path / "models-only.toml"
    profile.write_text('extends = "reference"\noperations = ["listModels", "getModel"]\n')
    result = execute(RunConfig(profile=str(profile), quiet=True))
    assert result.exit_code == EXIT_OK, result.problem
    record = result.record
    assert record is not None and not record.errors
    assert "createMessage" in record.unsupported and "uploadFile" in record.unsupported
    assert "listModels" not in record.unsupported
    assert len(record.unsupported) == 22  # each once, not once per example


def test_include_keeps_only_the_named_operations() -> None:
    result = execute(RunConfig(include=["getModel"], quiet=True, pytest_args=["-k", "test_operation"]))
    assert result.record is not None
    assert {f.operation_id for f in result.record.findings} <= {"getModel", None}


def test_workers_merge_their_findings() -> None:
    result = execute(RunConfig(include=MODELS, workers=2, quiet=True))
    assert result.exit_code == EXIT_OK
    assert result.record is not None and result.record.exchanges > 10


def test_an_unreachable_target_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--base-url", "http://127.0.0.1:9"]) == EXIT_UNREACHABLE
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "unreachable" in err and "\n" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--profile", "no-such-profile"], "unknown profile"),
        (["run", "--spec", "/nonexistent.yaml"], "no such file"),
        (["run", "--max-examples", "0"], "not a positive whole number"),
        (["run", "--anthropic-version", "2024-01-01"], "describes API versions 2023-06-01, 2026-10-21"),
        (["run", "--workers", "x"], "invalid positive whole number value"),
        (["serve", "--port", "70000"], "not a port number"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_a_bad_profile_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text('negative = "sometimes"\n')
    assert main(["run", "--profile", str(profile)]) == 2
    assert "negative must be strict, lenient or off" in capsys.readouterr().err


FILES = ["listFiles", "uploadFile", "getFileMetadata", "deleteFile"]


def _sent(folder: Path) -> dict[str, list[tuple[str, str, bytes | None]]]:
    """Each recorded test's requests, in order, keyed by the test's name."""
    from conformance.cassettes import recorded_tests

    sent: dict[str, list[tuple[str, str, bytes | None]]] = {}
    for test in recorded_tests(folder):
        exchanges = [e for step in test.steps for e in ([step.exchange] if step.exchange else step.scenario.exchanges)]  # type: ignore[union-attr]
        sent[test.nodeid] = [(e.request.method, e.request.path, _boundary_blind(e.request.body)) for e in exchanges]
    return sent


def _boundary_blind(body: bytes | None) -> bytes | None:
    """requests draws each multipart boundary from os.urandom: the one part of a request no seed fixes."""
    return re.sub(rb"[0-9a-f]{32}", b"BOUNDARY", body) if body else body


def test_a_test_sends_the_same_requests_in_any_process_after_any_tests(tmp_path: Path) -> None:
    """The embedded server starts each test with an empty store: the same seed sends the same
    requests whichever process runs a test and whichever tests ran before it (which is what lets a
    default run use every core)."""
    def recorded(name: str, workers: int, *pytest_args: str) -> dict[str, list[tuple[str, str, bytes | None]]]:
        result = execute(RunConfig(include=FILES, workers=workers, quiet=True, record=True, report_dir="",
                                   cassette_dir=str(tmp_path / name), pytest_args=pytest_args))
        assert result.exit_code == EXIT_OK, result.problem
        return _sent(tmp_path / name / "reference")

    one = recorded("one", 1, "-k", "test_operation or test_stateful_links or test_file_round_trip")
    two = recorded("two", 2, "-k", "test_operation or test_stateful_links or test_file_round_trip")
    alone = recorded("alone", 1, "-k", "test_operation and listFiles")
    assert one == two
    listing = [nodeid for nodeid in one if "listFiles" in nodeid]
    assert listing and {nodeid: one[nodeid] for nodeid in listing} == alone
    assert sum(len(requests) for requests in one.values()) > 50
