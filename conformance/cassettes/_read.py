"""Read recorded traffic into Exchange objects: vcrpy / pytest-recording YAML (gzipped too),
Ruby VCR YAML, HAR, and this project's own cassettes (vcrpy YAML with stream chunks kept).

Errors are one line naming the file and the problem (`CassetteError`), never a traceback.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from conformance._exchange import Exchange, Request, Response, header_dict
from conformance.contract import ContractError


class CassetteError(ContractError):
    """A cassette cannot be read; one line naming the file and the problem."""


class _Loader(yaml.SafeLoader):
    """SafeLoader plus the tags old recorders wrote (`!!python/unicode`, `!ruby/...`): kept as plain values."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _plain)
_Loader.add_multi_constructor("!", _plain)


def read_exchanges(path: str | Path) -> list[Exchange]:
    """Every request/response pair recorded in a cassette or HAR file."""
    path = Path(path)
    raw = _read_bytes(path)
    document = _parse(path, raw)
    try:
        if isinstance(document, dict) and isinstance(document.get("log"), dict):
            return list(_from_har(document, path))
        if isinstance(document, dict) and "http_interactions" in document:
            return list(_from_ruby_vcr(document, path))
        if isinstance(document, dict) and "interactions" in document:
            _check_version(document, path)
            return list(_from_vcrpy(document, path))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CassetteError(f"{path}: malformed cassette: {type(exc).__name__}: {exc}") from None
    raise CassetteError(f"{path}: not a cassette (expected vcrpy `interactions`, Ruby VCR `http_interactions` or a HAR `log`)")


CASSETTE_SUFFIXES = (".yaml", ".yml", ".json", ".har")
"""What a cassette file is named (gzipped or not); in a folder, other files are not cassettes."""


def cassette_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, a folder standing for every cassette under it (a recording's run.json and
    anything not named like a cassette left out); a file named directly is always read."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)
            continue
        found += sorted(f for f in path.rglob("*") if f.is_file() and f.name != "run.json"
                        and f.name.removesuffix(".gz").endswith(CASSETTE_SUFFIXES))
    return found


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CassetteError(f"{path}: no such file") from None
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise CassetteError(f"{path}: corrupt gzip: {exc}") from None
    return data


def _parse(path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: not UTF-8 text") from None
    if not text.strip():
        raise CassetteError(f"{path}: empty file")
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise CassetteError(f"{path}: nested too deeply to read") from None
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CassetteError(f"{path}: not valid YAML or JSON{where}: {problem}") from None


def _check_version(document: Mapping[str, Any], path: Path) -> None:
    version = document.get("version", 1)
    if version != 1:
        raise CassetteError(f"{path}: unsupported cassette version {version!r} (vcrpy writes version 1)")
    if not isinstance(document.get("interactions"), list):
        raise CassetteError(f"{path}: `interactions` is not a list")


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """vcrpy stores {name: [values]}; some recorders {name: value}; HAR [{name, value}]."""
    if isinstance(headers, list):
        return [(str(h["name"]), str(h["value"])) for h in headers]
    pairs: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name), str(item)))
    return pairs


def _body_bytes(body: Any) -> bytes | None:
    """A vcrpy body: a string, bytes (`!!binary`), or {string: ...} / {base64_string: ...}."""
    if isinstance(body, dict):
        if "base64_string" in body:
            return base64.b64decode(body["base64_string"])
        body = body.get("string")
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, (dict, list)):  # some recorders store the parsed JSON
        return json.dumps(body).encode()
    return str(body).encode("utf-8")


def _status(value: Any) -> int:
    return int(value["code"]) if isinstance(value, dict) else int(value)


def _from_vcrpy(document: Mapping[str, Any], path: Path) -> Iterable[Exchange]:
    for index, interaction in enumerate(document["interactions"]):
        req, resp = interaction["request"], interaction["response"]
        response = Response.from_wire(_status(resp["status"]), _header_pairs(resp.get("headers")),
                                      _body_bytes(resp.get("body")) or b"")
        chunks = resp.get("x-conformance-chunks")
        if isinstance(chunks, list):  # this project's cassettes keep stream chunk boundaries
            response.chunks = [base64.b64decode(c) for c in chunks]
        yield Exchange(
            Request(str(req["method"]), str(req["uri"]), header_dict(_header_pairs(req.get("headers"))),
                    _body_bytes(req.get("body"))),
            response,
            label=f"{path.name}#{index}",
        )


def _from_ruby_vcr(document: Mapping[str, Any], path: Path) -> Iterable[Exchange]:
    for index, interaction in enumerate(document["http_interactions"]):
        req, resp = interaction["request"], interaction["response"]
        req_body = (req.get("body") or {}).get("string")
        resp_body = resp.get("body") or {}
        raw = resp_body.get("string") or ""
        body = base64.b64decode(raw) if resp_body.get("encoding") == "ASCII-8BIT" and _looks_base64(raw) else str(raw).encode()
        yield Exchange(
            Request(str(req["method"]).upper(), str(req["uri"]), header_dict(_header_pairs(req.get("headers"))),
                    str(req_body).encode() if req_body else None),
            Response.from_wire(_status(resp["status"]), _header_pairs(resp.get("headers")), body),
            label=f"{path.name}#{index}",
        )


def _looks_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
        return not text.lstrip().startswith(("{", "event:", "data:"))
    except ValueError:
        return False


def _from_har(document: Mapping[str, Any], path: Path) -> Iterable[Exchange]:
    for index, entry in enumerate(document["log"].get("entries") or []):
        req, resp = entry["request"], entry["response"]
        post = req.get("postData") or {}
        content = resp.get("content") or {}
        text = content.get("text") or ""
        body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        # HAR content is already decoded by the browser or tool that wrote it.
        headers = [(k, v) for k, v in _header_pairs(resp.get("headers") or []) if k.lower() != "content-encoding"]
        yield Exchange(
            Request(str(req["method"]), str(req["url"]), header_dict(_header_pairs(req.get("headers") or [])),
                    post["text"].encode() if post.get("text") else None),
            Response.from_wire(int(resp["status"]), headers, body),
            label=f"{path.name}#{index}",
        )
