"""Hostile targets cannot hang, crash or exhaust a run (issue 12, item 4): every kind of hostile
server in tests/hostile/servers.py becomes a `transport.*` finding on the exchange it spoiled, by
both ways a run sends (Target.send with httpx; schemathesis's traffic with requests, through
engine._adapter), and a whole run against it ends with exit 1 (not 3), no traceback, a report.
Every bound here is small (--timeout 0.5 s, --response-timeout 1 s, 1 MB): no test waits long, and
none asserts a time."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from conformance import RunConfig, execute
from conformance._exchange import Exchange, Request, Response
from conformance.checks import registered_checks, run_checks
from conformance.engine import ResponseLimits, Target
from conformance.engine._adapter import BoundedAdapter, resent_after, transport_failure
from conformance.server import ServerConfig, serve_reference
from tests.hostile.servers import KINDS, hostile_server

TIMEOUT = 0.5
LIMITS = ResponseLimits(seconds=1.0, max_bytes=1_000_000)
SLOW = {"silent", "drip", "drip_head", "endless_stream"}
"""The kinds that wait: met with small time bounds. The others get roomy ones, so that a loaded
machine's slowness is never mistaken for theirs."""
ROOMY_TIMEOUT = 10.0
ROOMY = ResponseLimits(seconds=30.0, max_bytes=LIMITS.max_bytes)


def _bounds(kind: str) -> tuple[float, ResponseLimits]:
    return (TIMEOUT, LIMITS) if kind in SLOW else (ROOMY_TIMEOUT, ROOMY)
EXPECTED = {
    "reset": "transport.connection_lost",
    "keepalive_reset": "acceptance.no_server_error",  # RESENT: its request's own answer is judged
    "silent": "transport.timeout",
    "drip": "transport.timeout",
    "drip_head": "transport.timeout",
    "endless_stream": "transport.timeout",
    "gzip_bomb": "transport.too_large",
    "oversized_body": "transport.too_large",
    "many_headers": "transport.malformed",
    "huge_header": "transport.malformed",
    "truncated_body": "transport.connection_lost",
    "truncated_chunked": "transport.connection_lost",
    "wrong_content_length": "transport.connection_lost",
    "garbage": "transport.malformed",
    "redirect_loop": "transport.redirect",
}
RESENT = "keepalive_reset"
"""Its second request meets a reset on the kept-alive connection: the request is sent again on a
new connection, as HTTP clients do, and its own answer (this server's 500) is what is judged."""
PER_REQUEST = sorted(set(EXPECTED) - {RESENT})
TRANSPORT_IDS = {info.id for info in registered_checks() if info.group == "transport"}
BODY = {"model": "hostile-1", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}


def _check_ids(exchange: Exchange) -> set[str]:
    return {finding.check_id for finding in run_checks(exchange)}


def test_every_kind_has_a_verdict() -> None:
    assert set(KINDS) - {"deep_json"} == set(EXPECTED)


@pytest.mark.parametrize("kind", PER_REQUEST)
def test_target_send_reports_the_kind(kind: str) -> None:
    timeout, limits = _bounds(kind)
    with hostile_server(kind) as url:
        target = Target(base_url=url, timeout=timeout, limits=limits)
        try:
            found = _check_ids(target.send("POST", "/v1/messages", json=BODY, operation_id="createMessage"))
        finally:
            target.close()
    assert EXPECTED[kind] in found, found
    # A spoiled response is judged by the transport checks alone: one cause, one finding.
    assert found <= TRANSPORT_IDS, found


@contextmanager
def bounded_session(limits: ResponseLimits = LIMITS) -> Iterator[requests.Session]:
    """A requests session as engine._adapter makes schemathesis's."""
    with requests.Session() as session:
        session.mount("http://", BoundedAdapter(limits))
        yield session


def _sent_with_requests(session: requests.Session, url: str, timeout: float = ROOMY_TIMEOUT) -> Exchange:
    response = session.post(f"{url}/v1/messages", json=BODY, timeout=timeout, allow_redirects=False)
    return Exchange(Request("POST", f"{url}/v1/messages"),
                    Response(response.status_code, dict(response.headers), response.content,
                             failure=transport_failure(response.request), resent=resent_after(response.request)),
                    operation_id="createMessage")


@pytest.mark.parametrize("kind", PER_REQUEST)
def test_requests_adapter_reports_the_kind(kind: str) -> None:
    """Schemathesis's side: the adapter never raises; what it noted is the same finding."""
    timeout, limits = _bounds(kind)
    with hostile_server(kind) as url, bounded_session(limits) as session:
        found = _check_ids(_sent_with_requests(session, url, timeout))
    assert EXPECTED[kind] in found, found


def test_a_kept_alive_connection_closed_under_a_request_is_sent_again() -> None:
    """Both ways a run sends: the second request meets the reset, goes again on a new connection
    and gets that connection's answer (a 500), which is judged; the lost connection is a warning."""
    with hostile_server(RESENT) as url:
        target = Target(base_url=url, timeout=ROOMY_TIMEOUT, limits=ROOMY)
        try:
            sent = [target.send("POST", "/v1/messages", json=BODY, operation_id="createMessage") for _ in range(2)]
        finally:
            target.close()
        with bounded_session(ROOMY) as session:
            sent += [_sent_with_requests(session, url) for _ in range(2)]
    assert [(e.response.status, e.response.failure) for e in sent] == [(500, None)] * 4
    assert [e.response.resent is not None for e in sent] == [False, True, False, True]
    for exchange in sent:
        transport = [f for f in run_checks(exchange) if f.check_id in TRANSPORT_IDS]
        lost = [(f.check_id, f.severity) for f in transport]
        assert lost == ([("transport.connection_lost", "warning")] if exchange.response.resent else []), lost


def test_reference_server_passes_the_transport_checks() -> None:
    with serve_reference(ServerConfig(seed=0)) as url:
        target = Target(base_url=url, api_key="test-key", timeout=ROOMY_TIMEOUT, limits=ROOMY)
        try:
            sent = [target.send("POST", "/v1/messages", json={**BODY, "model": "claude-sonnet-4-5", "stream": stream},
                                operation_id="createMessage") for stream in (False, True)]
            sent.append(target.send("GET", "/v1/models", operation_id="listModels"))
        finally:
            target.close()
        with bounded_session(ROOMY) as session:
            sent.append(_sent_with_requests(session, url))
    for exchange in sent:
        assert exchange.response.failure is None
        assert not {i for i in _check_ids(exchange) if i.startswith("transport.")}


def _run(kind: str, url: str, tmp_path: Path, *pytest_args: str) -> tuple[int, set[str], str, Path]:
    out = io.StringIO()
    timeout, limits = _bounds(kind)
    config = RunConfig(base_url=url, api_key="k", profile="compat-minimal", max_examples=1, timeout=timeout,
                       response_timeout=limits.seconds, max_response_bytes=limits.max_bytes,
                       report_dir=str(tmp_path), quiet=True, pytest_args=tuple(pytest_args))
    result = execute(config, out)
    return result.exit_code, result.error_check_ids, out.getvalue(), tmp_path / "results.json"


def _assert_a_finding(kind: str, code: int, errors: set[str], output: str, results: Path) -> None:
    assert "Traceback" not in output, output
    assert code == 1, output
    assert EXPECTED[kind] in errors, (errors, output)
    assert results.is_file()
    assert EXPECTED[kind] in {f["check_id"] for f in json.loads(results.read_text())["findings"]}


# The kinds that hung, crashed or ended a run with "target unreachable" before: a whole run each.
# A slow kind meets one request in `every`, so the run stays short.
QUICK_RUNS = {"garbage": 1, "many_headers": 1, "keepalive_reset": 1, "drip": 40}


@pytest.mark.parametrize("kind", sorted(QUICK_RUNS))
def test_a_run_goes_on_after_the_kind(kind: str, tmp_path: Path) -> None:
    with hostile_server(kind, every=QUICK_RUNS[kind]) as url:
        _assert_a_finding(kind, *_run(kind, url, tmp_path, "-k", "test_operation"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(set(EXPECTED) - set(QUICK_RUNS)))
def test_a_run_goes_on_after_every_kind(kind: str, tmp_path: Path) -> None:
    # A reset of one connection in ten is mostly met by sending again (a warning): every one, here.
    with hostile_server(kind, every=1 if kind == "reset" else 10) as url:
        _assert_a_finding(kind, *_run(kind, url, tmp_path))


def test_a_whole_run_with_scenarios_goes_on(tmp_path: Path) -> None:
    """Scenario tests too (Target.send): a reset midway is a finding, not a pytest failure."""
    with hostile_server("reset") as url:
        _assert_a_finding("reset", *_run("reset", url, tmp_path))


def test_json_deeper_than_the_stack_is_no_crash(tmp_path: Path) -> None:
    with hostile_server("deep_json") as url:
        code, errors, output, results = _run("deep_json", url, tmp_path, "-k", "test_operation")
    messages = [f["message"] for f in json.loads(results.read_text())["findings"]]
    assert "Traceback" not in output and code == 1, output
    assert not [m for m in messages if "crashed" in m or "RecursionError" in m], messages


def _stopped_while_waiting(tmp_path: Path, sig: signal.Signals) -> tuple[str, int]:
    """A run in its own process, sent `sig` while it waits on a silent target: what it printed,
    and its exit code."""
    arrived = threading.Event()
    with hostile_server("silent", arrived=arrived) as url:
        run = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--base-url", url, "--api-key", "k",
                                "--profile", "compat-minimal", "--timeout", "20", "--report-dir", str(tmp_path),
                                "-q"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert arrived.wait(60), "the run never reached the target"
            run.send_signal(sig)
            output, _ = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
    return output.decode(), run.returncode


def test_a_terminated_run_still_reports(tmp_path: Path) -> None:
    """SIGTERM (a CI job's timeout) while the run waits on a silent target: the run stops like
    Ctrl-C, and results.json covers the tests that ran and says the run did not complete."""
    text, code = _stopped_while_waiting(tmp_path, signal.SIGTERM)
    assert "Traceback" not in text and code == 130, text
    recorded = json.loads((tmp_path / "results.json").read_text())["run"]
    assert recorded["completed"] is False and "interrupted" in recorded["aborted"]


def test_a_killed_run_leaves_reports_that_say_it_did_not_finish(tmp_path: Path) -> None:
    """SIGKILL gives a run no chance to write anything: the reports it left (written as it went,
    each file whole) say that it did not finish, never what an earlier run found."""
    (tmp_path / "results.json").write_text('{"run": {"completed": true}}')  # an earlier run's
    _, code = _stopped_while_waiting(tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["run"]["completed"] is False and "not finished" in results["run"]["aborted"]
    assert results["run"]["exit_code"] == 130 and results["run"]["target"].startswith("http://127.0.0.1:")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]
