"""No report ever holds a secret: the run's key is a canary, and every written file is searched."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conformance._exchange import Exchange, Finding, Request, Response
from conformance.engine import RunRecord, finding_key, sample_exchanges
from conformance.reports import RunInfo, build_results, to_html, to_junit, to_markdown
from tests.reports.conftest import CANARY, Run


@pytest.mark.parametrize("name", ["clean_run", "broken_run"])
def test_no_report_file_holds_the_api_key(name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(name)
    files = sorted(p for p in run.folder.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"junit.xml", "results.json", "summary.md", "report.html"}
    for path in files:
        data = path.read_bytes()
        assert CANARY.encode() not in data and b"sk-ant-" not in data, path.name
    assert CANARY not in run.out


def test_a_key_that_does_not_look_like_one_is_scrubbed_where_a_server_echoes_it() -> None:
    """A compatible server's key can be anything; echoed in a body or an odd header, it is still masked."""
    secret = "local-gateway-key-4242"
    exchange = Exchange(
        Request("POST", "http://127.0.0.1:1/v1/messages", {"x-api-key": secret, "x-trace": f"user={secret}"},
                b'{"model": "m"}'),
        Response(401, {"content-type": "application/json", "x-echo": secret},
                 f'{{"type":"error","error":{{"type":"authentication_error","message":"bad key {secret}"}}}}'.encode()),
        operation_id="createMessage",
    )
    finding = Finding("errors.status_type", "error", f"the key {secret} was refused", "createMessage",
                      reproducer=f"curl -H 'x-api-key: {secret}'")
    sample_id, sample = sample_exchanges([exchange])
    record = RunRecord("http://user:hunter2-password@127.0.0.1:1", "reference", [finding], 1, 0,
                       operations=["createMessage"], checks_run={"createMessage": {"errors.status_type": 1}},
                       operation_exchanges={"createMessage": 1}, samples={sample_id: sample},
                       finding_samples={finding_key(finding): sample_id})
    now = datetime.now(timezone.utc)
    results = build_results(record, RunInfo(now, now, 1, secrets=(secret, None)))
    for text in (str(results), to_junit(results), to_markdown(results), to_html(results)):
        assert secret not in text and "hunter2" not in text
    assert results["run"]["target"] == "http://user:***@127.0.0.1:1"
    assert results["samples"][sample_id]["exchanges"][0]["request"]["headers"]["x-api-key"] == "***"
