"""SSE bodies survive a recording byte for byte, and the checks see the same events: in the
recording a replay judges, and in the HTTP cache through both clients the suite sends with (httpx
for `Target.send`, `requests` for schemathesis). Chunk boundaries are not kept (vcrpy stores a
body as one string, and so does the recording): no check may depend on them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from vcr.request import Request as VcrRequest
from vcr.serializers import yamlserializer

import conformance.checks
from conformance._exchange import Exchange, Request, Response
from conformance.cassettes import RecordedTest, Scrubber, read_test
from conformance.cassettes._journal import write_test
from conformance.cassettes._record import REFERENCE_BASE, GzipPersister, Recording
from conformance.checks import CheckContext, run_checks
from conformance.contract import load_contract
from conformance.engine import Judged, Target
from conformance.server import serve_reference
from tests.cassettes.conftest import network_off

HEADERS = {"x-api-key": "test-key", "anthropic-version": "2023-06-01"}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_reference() as url:
        yield url


def _stream_request(target: Target) -> dict[str, Any]:
    model = target.send("GET", "/v1/models", params={"limit": 1}).response.json()["data"][0]["id"]
    return {"model": model, "max_tokens": 96, "stream": True,
            "messages": [{"role": "user", "content": "Repeat after me: alpha bravo charlie delta echo"}]}


def _read_like_schemathesis(base_url: str, body: dict[str, Any]) -> bytes:
    """schemathesis reads event streams with urllib3's `read1(..., decode_content=True)`."""
    with requests.post(f"{base_url}/v1/messages", json=body, headers=HEADERS, stream=True, timeout=10) as response:
        chunks = []
        while chunk := response.raw.read1(65536, decode_content=True):
            chunks.append(chunk)
    return b"".join(chunks)


def _exchanges(base_url: str) -> tuple[Exchange, bytes]:
    target = Target(base_url=base_url, api_key="test-key")
    try:
        exchange = target.send("POST", "/v1/messages", json=_stream_request(target), operation_id="createMessage")
    finally:
        target.close()
    return exchange, _read_like_schemathesis(base_url, _stream_request_body(exchange))


def _stream_request_body(exchange: Exchange) -> dict[str, Any]:
    body = exchange.request.json()
    assert isinstance(body, dict)
    return body


def _findings(exchange: Exchange) -> list[tuple[str, str]]:
    context = CheckContext(contract=load_contract(), options={"deterministic": True, "negative": "strict"})
    return sorted((f.check_id, f.message) for f in run_checks(exchange, context))


def test_sse_bodies_replay_byte_for_byte_and_the_checks_see_the_same_events(tmp_path: Path, server: str) -> None:
    recording = Recording("all", tmp_path, REFERENCE_BASE, {})
    with recording.use_cassette("sse"):
        live, live_raw = _exchanges(server)
    with network_off(), replace(recording, mode="none").use_cassette("sse") as cassette:
        replayed, replayed_raw = _exchanges(REFERENCE_BASE)
    assert cassette.all_played
    assert live.response.is_stream and len(live.response.frames) > 5
    assert replayed.response.body == live.response.body  # httpx (Target.send)
    assert replayed_raw == live_raw == live.response.body  # requests, read as schemathesis reads
    assert [(f.event, f.data) for f in replayed.response.frames] == [(f.event, f.data) for f in live.response.frames]
    assert _findings(replayed) == _findings(live)


def test_chunk_boundaries_are_lost_and_no_check_depends_on_them(tmp_path: Path, server: str) -> None:
    recording = Recording("all", tmp_path, REFERENCE_BASE, {})
    live, _ = _exchanges(server)  # no cassette: the server flushes event by event
    with recording.use_cassette("chunks"):
        recorded, _ = _exchanges(server)
    with network_off(), replace(recording, mode="none").use_cassette("chunks"):
        replayed, _ = _exchanges(REFERENCE_BASE)
    assert live.response.chunks is not None and len(live.response.chunks) > 1
    # vcrpy reads the whole stream before handing it over, recording or replaying: one piece.
    assert recorded.response.chunks == [live.response.body] == replayed.response.chunks
    # Any split gives the same verdicts: checks judge the body, never how it arrived.
    body = live.response.body
    for size in (1, 7, 64):
        split = Response(live.response.status, live.response.headers, body, chunks=[
            body[i:i + size] for i in range(0, len(body), size)])
        assert _findings(replace(live, response=split)) == _findings(live) == _findings(replayed)


def test_no_registered_check_reads_chunk_boundaries() -> None:
    """A check that judged `Response.chunks` would judge a replay differently from the recorded run:
    it would need the chunks stored in the cassette first (docs/cassettes.md, "Streams")."""
    package = Path(conformance.checks.__file__).parent
    readers = [p.name for p in package.glob("*.py") if re.search(r"\.chunks\b", p.read_text())]
    assert readers == []


@pytest.mark.parametrize(
    "body",
    [
        b'event: completion\r\ndata: {"type": "completion", "completion": " Hi"}\r\n\r\n',  # legacy CRLF
        b'event: message_stop\ndata: {"type":"message_stop"         }\n\n',  # the API's padding
        "event: content_block_delta\ndata: {\"text\": \"caf\u00e9 \u2713 \U0001f600\"}\n\n".encode(),
        b"\x1f\x8b\x08\x00 not text \xff\xfe\x00",  # binary (a downloaded file)
    ],
    ids=["crlf", "padding", "unicode", "binary"],
)
def test_the_cassette_file_keeps_a_body_byte_for_byte(tmp_path: Path, body: bytes) -> None:
    response = {"status": {"code": 200, "message": "OK"}, "headers": {"content-type": ["text/event-stream"]},
                "body": {"string": body}}
    request = VcrRequest("POST", "http://127.0.0.1:8765/v1/messages", b"{}", {})
    path = tmp_path / "bodies.yaml.gz"
    GzipPersister.save_cassette(path, {"requests": [request], "responses": [response]}, yamlserializer)
    _, responses = GzipPersister.load_cassette(path, yamlserializer)
    assert responses[0]["body"]["string"] == body



@pytest.mark.parametrize(
    "body",
    [
        b'event: completion\r\ndata: {"type": "completion", "completion": " Hi"}\r\n\r\n',
        "event: content_block_delta\ndata: {\"text\": \"caf\u00e9 \u2713 \U0001f600\"}\n\n".encode(),
        b"\x1f\x8b\x08\x00 not text \xff\xfe\x00",
    ],
    ids=["crlf", "unicode", "binary"],
)
def test_the_recording_keeps_a_body_byte_for_byte(tmp_path: Path, body: bytes) -> None:
    """What a replay judges is what the recorded run judged: bodies of any bytes survive the file."""
    exchange = Exchange(Request("POST", "http://127.0.0.1:8765/v1/messages", {"content-type": "application/json"},
                                b'{"stream": true}'),
                        Response(200, {"content-type": "text/event-stream"}, body), operation_id="createMessage")
    path = tmp_path / "test.json.gz"
    write_test(path, RecordedTest("suite::test", 3, steps=[Judged(exchange=exchange)]), scrubber=Scrubber())
    back = read_test(path)
    replayed = back.steps[0].exchange
    assert back.order == 3 and replayed is not None
    assert replayed.response.body == body and replayed.request.body == b'{"stream": true}'
    assert _findings(replayed) == _findings(exchange)
