"""Nothing a run writes holds a secret: the recorded run's key is a canary, and every file written
(cassettes decompressed, run.json, reports) and everything printed is searched for it. Then the
scrubbing itself, one place a secret can hide at a time."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from vcr.request import Request as VcrRequest

from conformance.cassettes import Scrubber
from conformance.cassettes._record import REFERENCE_BASE, Recording
from tests.cassettes.conftest import CANARY, Run

# Built at run time so no key-shaped literal sits in the repository (a secret scanner would rightly flag it).
KEY = "sk-ant-" + "api03-AbCdEf_0123456789-zyx"


def _written(folder: Path) -> dict[Path, bytes]:
    """Every file under `folder`, gzip files decompressed."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files[path] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return files


@pytest.mark.parametrize("name", ["recorded", "replayed"])
def test_the_canary_key_is_nowhere_in_what_a_run_writes_or_prints(name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(name)
    files = _written(run.folder)
    names = {p.name for p in files}
    assert {"run.json", "junit.xml", "results.json", "summary.md", "report.html"} <= names
    for path, data in files.items():
        assert CANARY.encode() not in data and b"sk-ant-" not in data, path
    assert CANARY not in run.output and "sk-ant-" not in run.output
    assert "Reproduce with" in run.output or "curl -X POST" in run.output  # the failure was shown, scrubbed
    recording = files[run.cassettes / "reference" / "test_operations" / "test_operation[createMessage].json.gz"]
    assert b'"x-api-key":["***"]' in recording  # the key was sent, and recorded masked


def _filtered(recording: Recording, request: VcrRequest) -> VcrRequest:
    return recording.vcr_kwargs()["before_record_request"](request)


def test_request_secrets_are_scrubbed_from_the_uri_headers_and_body() -> None:
    recording = Recording("all", Path("unused"), REFERENCE_BASE, {}, scrubber=Scrubber(("gateway-key-4242",)))
    request = VcrRequest(
        "POST",
        f"http://127.0.0.1:50123/v1/messages?api_key={KEY}&beta=true",
        f'{{"model": "m", "metadata": {{"user_id": "{KEY}"}}, "note": "gateway-key-4242"}}'.encode(),
        {"x-api-key": KEY, "authorization": f"Bearer {KEY}", "cookie": "session=abc",
         "anthropic-organization-id": "org-1", "x-custom": f"token {KEY}", "user-agent": "python-httpx/0.28",
         "x-schemathesis-testcaseid": "AbC123", "anthropic-version": "2023-06-01"},
    )
    filtered = _filtered(recording, request)
    assert filtered.uri == "http://127.0.0.1:8765/v1/messages?api_key=***&beta=true"
    assert dict(filtered.headers) == {"x-api-key": "***", "authorization": "Bearer ***", "cookie": "***",
                                      "anthropic-organization-id": "***", "x-custom": "token ***",
                                      "anthropic-version": "2023-06-01"}
    assert filtered.body == b'{"model": "m", "metadata": {"user_id": "***"}, "note": "***"}'


def test_response_secrets_are_scrubbed_compressed_bodies_included() -> None:
    recording = Recording("all", Path("unused"), None, {})
    present = recording.vcr_kwargs()["before_record_response"]
    body = f'{{"type":"error","error":{{"type":"authentication_error","message":"invalid x-api-key {KEY}"}}}}'
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {"content-type": ["application/json"], "content-encoding": ["gzip"],
                    "set-cookie": ["__cf_bm=abc; path=/", "_cfuvid=def"], "anthropic-organization-id": ["org-uuid"],
                    "anthropic-workspace-id": ["wrkspc_01"], "request-id": ["req_011CAbc"]},
        "body": {"string": gzip.compress(body.encode())},
    }
    stored = present(response)
    assert stored["body"]["string"] == body.replace(KEY, "***").encode()
    assert stored["headers"]["set-cookie"] == ["***", "***"]
    assert stored["headers"]["anthropic-organization-id"] == ["***"]
    assert stored["headers"]["anthropic-workspace-id"] == ["***"]
    assert stored["headers"]["request-id"] == ["req_011CAbc"]
    assert "content-encoding" not in stored["headers"]  # stored decoded
    assert present(stored) == stored  # idempotent: what replays is what was stored


def test_binary_bodies_keep_their_bytes_around_a_scrubbed_key() -> None:
    body = b"\x89PNG\r\n\x1a\n\xff\xfe" + KEY.encode() + b"\x00\x80tail"
    assert Scrubber().body(body) == b"\x89PNG\r\n\x1a\n\xff\xfe***\x00\x80tail"
    untouched = b"\xff\xd8\xff\xe0 no key here"
    assert Scrubber().body(untouched) is untouched
