"""Record a conformance run as VCR cassettes and replay it offline: pytest-recording and vcrpy,
configured for this suite.

pytest-recording does the work: each suite test gets a `vcr` marker (this module's vcrpy
settings) and a `default_cassette` marker (its file under `cassettes/<target>/`); its `vcr`
fixture opens the cassette, `--record-mode` (none, once, new_episodes, all, rewrite) is its
option, and `--block-network` its network guard. vcrpy patches httpx (`Target.send`) and
`requests` (schemathesis `case.call`) at class level, so the session-scoped target is covered.
Secrets are scrubbed with vcrpy's `before_record_request` / `before_record_response` hooks and
`conformance._reproduce`'s definition of a secret; compressed bodies are stored decoded
(`decode_compressed_response`) so that a key in them can be scrubbed.

Hand-written, because neither library offers it:
- a run fingerprint (`run.json`: contract hash, options that change generation, seed, tool
  versions), compared before the run, so a cassette from another run is refused up front with
  the difference named, instead of failing request by request;
- one `conformance` matcher comparing a key computed once per request (method, path, query,
  headers without the per-send ones, body with multipart boundaries fixed). vcrpy evaluates
  every matcher against every recorded interaction for every request, with no short cut, so
  five stock matchers over a 500-interaction cassette made replay slower than recording;
- a gzip persister (`.yaml.gz`): vcrpy writes plain text, and the shipped cassettes must be small;
- up-front validation of every cassette (one line naming the file and the problem), since vcrpy
  would fail inside a test with a traceback, or treat an unreadable cassette as empty;
- the count of requests a replay did not find, reported once at the end with exit code 2;
- a `read1` accepting urllib3's `decode_content` on vcrpy's response stub (kevin1024/vcrpy#902,
  open): schemathesis reads event streams with it. Installed with vcrpy's own `custom_patches`,
  so only while a cassette is in use.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from vcr import stubs as vcr_stubs
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.filters import decode_response
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer
from vcr.stubs import VCRHTTPResponse

from conformance.__about__ import __version__
from conformance._reproduce import REDACTED, scrub_headers, scrub_text
from conformance.cassettes._read import CassetteError, _check_version, _read_bytes

__all__ = [
    "FINGERPRINT_FILE",
    "REFERENCE_BASE",
    "Recording",
    "load_cassette_document",
    "scrub_bytes",
    "target_name",
]

REFERENCE_BASE = "http://127.0.0.1:8765"
"""Where recorded requests to the embedded server say they went (its port changes every run):
`conformance serve`'s address, so a reproducer printed during a replay runs against it."""
SERIALIZER = "yaml.gz"
SUFFIX = f".{SERIALIZER}"
FINGERPRINT_FILE = "run.json"
SESSION_CASSETTE = "session"
"""Traffic of the run as a whole (model discovery), kept apart from any one test's cassette so
that replaying a subset of the tests still finds it."""
MATCHER = "conformance"

# Request headers that describe one send, not the request: neither recorded nor matched.
VOLATILE_HEADERS = frozenset(
    {"user-agent", "x-schemathesis-testcaseid", "host", "content-length", "accept-encoding", "connection"}
)
# Identity headers the API returns; _reproduce.SECRET_HEADERS does not list it (yet).
_IDENTITY_HEADERS = frozenset({"anthropic-workspace-id"})
_BOUNDARY = re.compile(r"boundary=\"?([^\";,\s]+)")
_FIXED_BOUNDARY = "conformance-boundary"


def scrub_bytes(body: bytes) -> bytes:
    """`scrub_text` for a body of any bytes (non-UTF-8 bytes are kept as they are)."""
    if b"sk-ant-" not in body:  # the common case: keep the bytes untouched, skip the decode
        return body
    return scrub_text(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


def _scrub_header_values(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    scrubbed = scrub_headers(headers)
    return {name: REDACTED if name.lower() in _IDENTITY_HEADERS else value for name, value in scrubbed.items()}


def target_name(base_url: str | None) -> str:
    """The cassette folder of a target: `reference` for the embedded server, else host[-port]."""
    if base_url is None:
        return "reference"
    netloc = urlsplit(base_url).netloc or base_url
    return re.sub(r"[^A-Za-z0-9._-]+", "-", netloc.rsplit("@", 1)[-1]).strip("-") or "target"


# --- what is recorded, and how a request finds its recording ---------------------------------


def _rebase(uri: str, base: str) -> str:
    parts, fixed = urlsplit(uri), urlsplit(base)
    return urlunsplit((fixed.scheme, fixed.netloc, parts.path, parts.query, parts.fragment))


def _fix_boundary(request: VcrRequest) -> None:
    """Multipart boundaries are random per send (httpx and requests alike): use a fixed one."""
    match = _BOUNDARY.search(request.headers.get("content-type", ""))
    if match is None or match[1] == _FIXED_BOUNDARY:
        return
    request.headers["content-type"] = request.headers["content-type"].replace(match[1], _FIXED_BOUNDARY)
    if isinstance(request.body, bytes):
        request.body = request.body.replace(match[1].encode(), _FIXED_BOUNDARY.encode())


def request_key(request: VcrRequest) -> tuple[Any, ...]:
    parts = urlsplit(request.uri)
    headers = tuple(sorted((name.lower(), str(value)) for name, value in request.headers.items()))
    body = request.body if isinstance(request.body, (bytes, type(None))) else repr(request.body)
    return request.method.upper(), parts.path or "/", request.query, headers, body


def _match(r1: VcrRequest, r2: VcrRequest) -> bool:
    """The `conformance` matcher: equal keys (computed once, by `before_record_request`)."""
    return _key(r1) == _key(r2)


def _key(request: VcrRequest) -> tuple[Any, ...]:
    key = request.__dict__.get("conformance_key")
    return key if key is not None else request_key(request)


def _request_filter(canonical_base: str | None):  # type: ignore[no-untyped-def]
    def before_record_request(request: VcrRequest) -> VcrRequest:
        # vcrpy hands a copy, and calls this both when recording and before matching, so the
        # recording and the request looking for it are normalised alike.
        uri = _rebase(request.uri, canonical_base) if canonical_base else request.uri
        request.uri = scrub_text(uri)
        kept = [(k, v) for k, v in request.headers.items() if k.lower() not in VOLATILE_HEADERS]
        request.headers = _scrub_header_values(kept)
        _fix_boundary(request)
        if isinstance(request.body, bytes):
            request.body = scrub_bytes(request.body)
        request.__dict__["conformance_key"] = request_key(request)
        return request

    return before_record_request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Mask identity headers, scrub keys from header values and the body (a copy)."""
    headers: dict[str, list[str]] = {}
    for name, values in (response.get("headers") or {}).items():
        masked = _scrub_header_values([(name, "")])[name] == REDACTED
        headers[name] = [REDACTED if masked else scrub_text(str(value)) for value in values]
    body = dict(response.get("body") or {})
    if isinstance(body.get("string"), bytes):
        body["string"] = scrub_bytes(body["string"])
    elif isinstance(body.get("string"), str):
        body["string"] = scrub_text(body["string"])
    return {**response, "headers": headers, "body": body}


def present(response: dict[str, Any]) -> dict[str, Any]:
    """A response as the cassette stores it: decoded (vcrpy's `decode_response`, so a key in a
    compressed body can be scrubbed too), then scrubbed. Idempotent."""
    return _scrub_response(decode_response(response))


class _ResponseStub(VCRHTTPResponse):
    """vcrpy's urllib3 response stub (what `requests`, hence schemathesis, reads), with two fixes.

    - The response is `present`ed when recording too: schemathesis learns from responses
      (captured values, error feedback) to steer generation, so a recording that saw the raw
      response and a replay that sees the stored one would draw different requests.
    - `read1` accepts urllib3's `decode_content`, which schemathesis passes when reading event
      streams (kevin1024/vcrpy#902, open).
    """

    def __init__(self, recorded_response: dict[str, Any], request_url: str | None = None) -> None:
        super().__init__(present(recorded_response), request_url)

    def read1(self, *args: Any, decode_content: bool | None = None, **kwargs: Any) -> bytes:
        return self._content.read1(*args, **kwargs)  # type: ignore[no-any-return]


_FILTER_REQUEST = Cassette.filter_request


# --- the cassette files ------------------------------------------------------------------------


def load_cassette_document(path: Path) -> dict[str, Any]:
    """A cassette file parsed and checked (vcrpy format, version 1); CassetteError otherwise."""
    raw = _read_bytes(path)
    try:
        document = yamlserializer.deserialize(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise CassetteError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(document, dict) or "interactions" not in document:
        raise CassetteError(f"{path}: not a vcrpy cassette (no `interactions`)")
    _check_version(document, path)
    for index, interaction in enumerate(document["interactions"]):
        try:
            request, response = interaction["request"], interaction["response"]
            str(request["method"]), str(request["uri"]), int(response["status"]["code"])
            response["body"]["string"]  # noqa: B018 - present, even if empty
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{path}: malformed interaction {index}: {type(exc).__name__}: {exc}") from None
    return document


class GzipPersister:
    """vcrpy persister: YAML, gzip-compressed; unreadable files fail with one line naming them."""

    _parsed: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}
    """Documents already parsed by the up-front check, used once by the test that loads them."""

    @classmethod
    def load_cassette(cls, cassette_path: str | os.PathLike[str], serializer: Any) -> tuple[Any, ...]:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        cached = cls._parsed.pop(str(path), None)
        document = cached[1] if cached is not None and cached[0] == _stamp(path) else load_cassette_document(path)
        return deserialize("", _Parsed(document))

    @classmethod
    def remember(cls, path: Path, document: dict[str, Any]) -> None:
        cls._parsed[str(path)] = (_stamp(path), document)

    @staticmethod
    def save_cassette(cassette_path: str | os.PathLike[str], cassette_dict: dict[str, Any], serializer: Any) -> None:
        path = Path(cassette_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(serialize(cassette_dict, serializer).encode("utf-8"), compresslevel=9, mtime=0)
        temporary = path.with_name(path.name + ".part")
        temporary.write_bytes(data)
        temporary.replace(path)  # never leave a truncated cassette behind


@dataclass(frozen=True)
class _Parsed:
    """A serializer whose `deserialize` returns a document already parsed."""

    document: dict[str, Any]

    def deserialize(self, _text: str) -> dict[str, Any]:
        return self.document


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


# --- a recording run ---------------------------------------------------------------------------


@dataclass
class Recording:
    """How this run uses cassettes: where, in which record mode, against which fingerprint."""

    mode: str
    """A pytest-recording record mode."""
    folder: Path
    """cassettes/<target>/"""
    canonical_base: str | None
    """The base URL recorded requests are rewritten to (the embedded server's), or None."""
    fingerprint: dict[str, Any]
    unrecorded: list[str] = field(default_factory=list)
    """Requests a replay had no recording for: `METHOD path (cassette)`."""

    @property
    def replay(self) -> bool:
        """Nothing can be recorded: the network stays off and the fingerprint must match."""
        return self.mode == "none"

    @property
    def records(self) -> bool:
        return self.mode != "none"

    def cassettes(self) -> list[Path]:
        return sorted(self.folder.rglob(f"*{SUFFIX}")) if self.folder.is_dir() else []

    def vcr_kwargs(self) -> dict[str, Any]:
        """Options of vcrpy's `use_cassette` (given to pytest-recording as `vcr` marker kwargs)."""
        return {
            "record_mode": self.mode,
            "serializer": SERIALIZER,
            "persister": GzipPersister,
            "match_on": [MATCHER],
            "before_record_request": _request_filter(self.canonical_base),
            "before_record_response": present,
            "custom_patches": ((vcr_stubs, "VCRHTTPResponse", _ResponseStub),
                               (Cassette, "filter_request", self._noting_filter())),
        }

    def _noting_filter(self):  # type: ignore[no-untyped-def]
        """`Cassette.filter_request`, counting what a replay has no recording for. vcrpy's stubs call
        it only to decide to raise "no recording"; schemathesis's engine would swallow that error."""
        unrecorded = self.unrecorded

        def filter_request(cassette: Cassette, request: VcrRequest) -> VcrRequest | None:
            filtered = _FILTER_REQUEST(cassette, request)
            if filtered is not None and cassette.write_protected:
                unrecorded.append(f"{filtered.method} {urlsplit(filtered.uri).path} ({Path(cassette._path).name})")
            return filtered

        return filter_request

    @staticmethod
    def configure_vcr(vcr: Any) -> None:
        """Register what `vcr_kwargs` names (pytest-recording's `pytest_recording_configure` hook)."""
        vcr.register_serializer(SERIALIZER, yamlserializer)
        vcr.register_matcher(MATCHER, _match)

    def cassette_path(self, module: str, test_name: str) -> Path:
        from pytest_recording.plugin import get_default_cassette_name

        return self.folder / module / get_default_cassette_name(None, test_name)

    @contextmanager
    def session_cassette(self) -> Iterator[None]:
        """The run-level cassette (model discovery), opened with vcrpy directly."""
        import vcr

        recorder = vcr.VCR(path_transformer=vcr.VCR.ensure_suffix(SUFFIX))
        self.configure_vcr(recorder)
        kwargs = self.vcr_kwargs()
        if kwargs["record_mode"] == "rewrite":  # pytest-recording's mode; the folder was cleared
            kwargs["record_mode"] = "new_episodes"
        with recorder.use_cassette(str(self.folder / SESSION_CASSETTE), **kwargs):
            yield

    # -- before the run -----------------------------------------------------------------------

    def prepare(self, *, controller: bool = True) -> None:
        """Check (or clear) the cassettes before anything runs; raise pytest.UsageError if unfit."""
        if self.mode == "rewrite":
            if controller:
                self.clear()
            return
        existing = self.cassettes()
        if self.replay and not existing:
            raise pytest.UsageError(f"no recording in {self.folder} to replay: record one with `conformance run --record`")
        for path in existing:
            GzipPersister.remember(path, _checked(path))
        if self.replay or (self.mode == "once" and existing):
            self._check_fingerprint()

    def clear(self) -> None:
        for path in self.cassettes():
            path.unlink()
        (self.folder / FINGERPRINT_FILE).unlink(missing_ok=True)
        for folder in sorted((p for p in self.folder.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()

    def _check_fingerprint(self) -> None:
        path = self.folder / FINGERPRINT_FILE
        try:
            recorded = json.loads(path.read_text(encoding="utf-8"))["fingerprint"]
        except FileNotFoundError:
            raise pytest.UsageError(f"{path}: no such file; the cassettes cannot be matched to this run "
                                    "(re-record with `conformance run --record`)") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise pytest.UsageError(f"{path}: not a run fingerprint: {exc}") from None
        differences = list(_differences(recorded, self.fingerprint))
        if differences:
            raise pytest.UsageError(
                f"cassette does not match this run: {'; '.join(differences)} ({path}; re-record with "
                "`conformance run --record`, or run with the recorded options)"
            )

    # -- after the run ------------------------------------------------------------------------

    def write_fingerprint(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        document = {"fingerprint": self.fingerprint,
                    "cassettes": [str(p.relative_to(self.folder)) for p in self.cassettes()]}
        (self.folder / FINGERPRINT_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")

    def unrecorded_reason(self, error: BaseException) -> str | None:
        """One line for a test that failed because a request had no recording, else None."""
        found = next(_unrecorded_errors(error), None)
        if found is None:
            return None
        request = found.failed_request
        return (f"no recording for {request.method} {urlsplit(scrub_text(request.uri)).path} in "
                f"{Path(found.cassette._path).name} (record mode {self.mode}): this run does not match the recording")

    def unrecorded_summary(self) -> str | None:
        if not self.unrecorded:
            return None
        return (f"cassette does not match this run: {len(self.unrecorded)} requests unrecorded "
                f"(first: {self.unrecorded[0]}); re-record with `conformance run --record`")


def _checked(path: Path) -> dict[str, Any]:
    try:
        return load_cassette_document(path)
    except CassetteError as exc:
        raise pytest.UsageError(str(exc)) from None


def _unrecorded_errors(error: BaseException | None) -> Iterator[CannotOverwriteExistingCassetteException]:
    """vcrpy's error, wherever hypothesis or schemathesis wrapped it."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, CannotOverwriteExistingCassetteException) and current.failed_request is not None:
            yield current
        stack += [current.__cause__, current.__context__, *getattr(current, "exceptions", ())]


def _differences(recorded: Any, current: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(recorded, dict) and isinstance(current, dict):
        for key in sorted(set(recorded) | set(current)):
            yield from _differences(recorded.get(key), current.get(key), f"{prefix}{key}.")
    elif recorded != current:
        yield f"{prefix.rstrip('.')} is {_short(current)} here but {_short(recorded)} in the recording"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def run_fingerprint(
    *, contract_document: Any, profile: Any, seed: int, include: Iterable[str], exclude: Iterable[str],
    anthropic_version: str, betas: Iterable[str], target: str, budget_tokens: int | None,
) -> dict[str, Any]:
    """What decides which requests a run sends: same fingerprint, same requests."""
    contract = json.dumps(contract_document, sort_keys=True, default=str).encode()
    return json.loads(json.dumps({
        "target": target,
        "contract": hashlib.sha256(contract).hexdigest()[:16],
        "profile": asdict(profile),
        "seed": seed,
        "include": sorted(include),
        "exclude": sorted(exclude),
        "anthropic_version": anthropic_version,
        "betas": list(betas),
        "budget_tokens": budget_tokens,
        # Generation is theirs: a new version may draw different requests from the same seed.
        "versions": {"conformance": __version__, "schemathesis": version("schemathesis"),
                     "hypothesis": version("hypothesis")},
    }, default=list))
