"""`conformance drift`: exit codes, --fail-on, --ignore, formats, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance._cli import main
from tests.drift._build import api, obj

_STRING = {"type": "string"}


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document) if path.suffix == ".yaml" else json.dumps(document))
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    """OLD → NEW with one error (required response field removed), one warning, one info."""
    old = api(response=obj(("id",), id=_STRING, note=_STRING, e={"type": "string", "enum": ["a"]}))
    new = api(response=obj(note=_STRING, e={"type": "string", "enum": ["a", "b"]}, extra=_STRING))
    return str(_write(tmp_path / "old.yaml", old)), str(_write(tmp_path / "new.json", new))


def test_diff_exits_0_without_fail_on(pair: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", *pair]) == 0
    out = capsys.readouterr().out
    assert "response.property.removed" in out
    assert "3 changes (1 error, 1 warning, 1 info)" in out


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (["--fail-on", "error"], 1),
        (["--fail-on", "warning"], 1),
        (["--fail-on", "error", "--ignore", "response.property.removed"], 0),
        (["--fail-on", "warning", "--ignore", "response.property", "--ignore", "response.enum"], 0),
        (["--fail-on", "info", "--ignore", "response.property.removed", "--ignore", "response.enum"], 1),
    ],
)
def test_fail_on(pair: tuple[str, str], options: list[str], code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", *pair, *options]) == code


def test_no_changes_passes_even_fail_on_info(pair: tuple[str, str]) -> None:
    assert main(["drift", pair[0], pair[0], "--fail-on", "info"]) == 0


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_formats(pair: tuple[str, str], fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", *pair, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["summary"] == {"error": 1, "warning": 1, "info": 1}
    else:
        assert out.startswith("## Drift:")


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_missing_file(pair: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", pair[0], str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in _one_line_error(capsys)


def test_unreadable_documents(tmp_path: Path, pair: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\npaths: [unclosed\n")
    assert main(["drift", pair[0], str(broken)]) == 2
    assert "not valid YAML" in _one_line_error(capsys)
    not_openapi = _write(tmp_path / "other.json", {"swagger": "2.0"})
    assert main(["drift", str(not_openapi), pair[0]]) == 2
    assert "not an OpenAPI 3.x document" in _one_line_error(capsys)
    assert main(["drift", pair[0], str(tmp_path)]) == 2
    assert "folder" in _one_line_error(capsys)


@pytest.mark.parametrize(
    "argv",
    [
        ["drift"],
        ["drift", "one.yaml"],
        ["drift", "a.yaml", "b.yaml", "c.yaml"],
        ["drift", "a.yaml", "b.yaml", "--observed", "x.har"],
        ["drift", "--fail-on", "fatal", "a.yaml", "b.yaml"],
    ],
)
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    _one_line_error(capsys)


def _har(path: Path, body: dict[str, Any]) -> Path:
    entry = {
        "request": {"method": "POST", "url": "https://api.anthropic.com/v1/x", "headers": []},
        "response": {
            "status": 200,
            "headers": [{"name": "content-type", "value": "application/json"}],
            "content": {"mimeType": "application/json", "text": json.dumps(body)},
        },
    }
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    return path


def test_observed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _write(tmp_path / "spec.yaml", api(response=obj(id=_STRING)))
    traffic = tmp_path / "traffic"
    traffic.mkdir()
    _har(traffic / "a.har", {"id": "1", "surprise": True})
    assert main(["drift", "--spec", str(spec), "--observed", str(traffic / "a.har")]) == 0
    assert "surprise" in capsys.readouterr().out
    # A folder stands for the files in it; an unknown field is a warning.
    assert main(["drift", "--spec", str(spec), "--observed", str(traffic), "--fail-on", "warning"]) == 1
    assert main(["drift", "--spec", str(spec), "--observed", str(traffic), "--fail-on", "error"]) == 0


def test_observed_unreadable_cassette(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: [\n")
    assert main(["drift", "--observed", str(bad)]) == 2
    assert str(bad) in _one_line_error(capsys)
    assert main(["drift", "--observed", str(tmp_path / "missing.har")]) == 2
    _one_line_error(capsys)
