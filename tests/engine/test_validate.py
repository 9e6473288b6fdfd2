"""`conformance validate` over recorded traffic: genuine exchanges written out as cassettes in
every form (vcrpy YAML, gzipped YAML with gzip-encoded bodies, HAR) give no error; broken ones do."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance._cli import main
from conformance.cassettes import CassetteError, read_exchanges
from tests._traffic import Recording, recordings


def _vcr_interaction(rec: Recording, *, gzip_body: bool) -> dict[str, Any]:
    exchange = rec.exchange()
    request, response = exchange.request, exchange.response
    headers = {k: [v] for k, v in response.headers.items()}
    body: dict[str, Any] = {"string": response.text}
    if gzip_body:
        headers["content-encoding"] = ["gzip"]
        body = {"string": gzip.compress(response.body)}  # written as !!binary, as vcrpy does
    return {
        "request": {"method": request.method, "uri": request.url,
                    "headers": {k: [v] for k, v in request.headers.items()},
                    "body": request.body.decode() if request.body else None},
        "response": {"status": {"code": response.status, "message": ""}, "headers": headers, "body": body},
    }


def _har_entry(rec: Recording) -> dict[str, Any]:
    exchange = rec.exchange()
    request, response = exchange.request, exchange.response
    entry: dict[str, Any] = {
        "request": {"method": request.method, "url": request.url,
                    "headers": [{"name": k, "value": v} for k, v in request.headers.items()]},
        "response": {"status": response.status, "headers": [{"name": k, "value": v} for k, v in response.headers.items()],
                     "content": {"mimeType": response.content_type, "text": base64.b64encode(response.body).decode(),
                                 "encoding": "base64"}},
    }
    if request.body:
        entry["request"]["postData"] = {"mimeType": "application/json", "text": request.body.decode()}
    return entry


@pytest.fixture(scope="module")
def traffic_cassettes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("cassettes")
    genuine = list(recordings())
    plain = [r for i, r in enumerate(genuine) if i % 3 == 0]
    zipped = [r for i, r in enumerate(genuine) if i % 3 == 1]
    har = [r for i, r in enumerate(genuine) if i % 3 == 2]
    a = folder / "plain.yaml"
    a.write_text(yaml.safe_dump({"interactions": [_vcr_interaction(r, gzip_body=False) for r in plain], "version": 1}))
    b = folder / "zipped.yaml.gz"
    b.write_bytes(gzip.compress(yaml.safe_dump(
        {"interactions": [_vcr_interaction(r, gzip_body=True) for r in zipped], "version": 1}).encode()))
    c = folder / "traffic.har"
    c.write_text(json.dumps({"log": {"version": "1.2", "entries": [_har_entry(r) for r in har]}}))
    return [a, b, c]


@pytest.mark.shared
def test_genuine_traffic_as_cassettes_has_no_departure(traffic_cassettes: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    total = sum(len(read_exchanges(p)) for p in traffic_cassettes)
    code = main(["validate", *map(str, traffic_cassettes)])
    out = capsys.readouterr().out
    print(out[-2000:])
    assert code == 0, out[-4000:]
    assert f"validated {total} exchanges from 3 file(s): 0 errors" in out
    assert total > 590


def test_a_broken_exchange_fails_validation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = tmp_path / "broken.yaml"
    openai_error = json.dumps({"error": {"message": "bad", "type": "invalid_request_error", "code": None}})
    cassette.write_text(yaml.safe_dump({"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "http://localhost/v1/messages", "headers": {}, "body": "{}"},
        "response": {"status": {"code": 400, "message": "Bad Request"},
                     "headers": {"content-type": ["application/json"]}, "body": {"string": openai_error}},
    }]}))
    assert main(["validate", str(cassette)]) == 1
    assert "[errors." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.yaml", None, "no such file"),
        ("empty.yaml", b"", "empty file"),
        ("truncated.yaml", b"interactions:\n- request: {method: GET, uri: 'http://x\n", "not valid YAML"),
        ("truncated.yaml.gz", gzip.compress(b"interactions: []\n")[:12], "corrupt gzip"),
        ("version.yaml", b"version: 7\ninteractions: []\n", "unsupported cassette version 7"),
        ("other.yaml", b"hello: world\n", "not a cassette"),
        ("shape.yaml", b"version: 1\ninteractions:\n- {request: 1, response: 2}\n", "malformed cassette"),
        ("binary.yaml", b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_bad_cassettes_are_one_line_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CassetteError, match=message):
        read_exchanges(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and str(path) in err and "\n" not in err


def test_a_folder_stands_for_the_cassettes_under_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A recording folder (the shipped one) validates as a whole; run.json and other files are not cassettes."""
    shipped = Path(__file__).resolve().parents[2] / "cassettes" / "reference"
    assert main(["validate", str(shipped)]) == 0
    out = capsys.readouterr().out
    files = len(list(shipped.glob("*/*.json.gz")))
    assert f"from {files} file(s): 0 errors" in out and files > 40
