"""Recording a conformance run (docs/cassettes.md).

Two things are written under `cassettes/<target>/`:

- **the recording** (`cassettes._journal`): what each suite test judged, one file per test, and
  `run.json` (what the run was, what it concluded). `conformance run --replay` judges it again:
  nothing is generated, nothing is sent.
- **the HTTP cache** (`http/`, live targets only): pytest-recording and vcrpy cassettes, one per
  test, so that a run recorded with `--record-mode new_episodes` or `once` does not pay twice for
  a request it already sent. Requests to it are matched, so it only serves a run that generates
  the same requests (same seed, contract and libraries); the recording does not need that.

pytest-recording does the HTTP cache's work: each suite test gets a `vcr` marker (this module's
vcrpy settings) and a `default_cassette` marker; its `vcr` fixture opens the cassette and
`--record-mode` is its option. Secrets are scrubbed in vcrpy's `before_record_request` /
`before_record_response` hooks with the recording's `Scrubber`; bodies are stored decoded
(vcrpy's `decode_response`) so that a key in a compressed body is scrubbed too. Hand-written,
because neither library offers it (each says why where it is defined): one `conformance` matcher
comparing a key computed once per request (vcrpy runs every matcher on every recorded interaction,
twice per request: the stock `method`, `path`, `query`, `headers`, `raw_body` took 0.49 s for one
104-interaction cassette, the key 0.03 s); a gzip persister (`.yaml.gz`) that validates every
cassette up front; the count of requests a run found no recording for, reported once (exit 2).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

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
from conformance._reproduce import literal_secrets
from conformance.cassettes._journal import (
    FINGERPRINT_FILE,
    FORMAT,
    VOLATILE_HEADERS,
    RecordedTest,
    Scrubber,
    rebase,
    target_name,
    write_test,
)
from conformance.cassettes._journal import SUFFIX as RECORDING_SUFFIX
from conformance.cassettes._read import CassetteError, _check_version, _read_bytes
from conformance.contract import load_contract
from conformance.engine import RunConfig

__all__ = [
    "FINGERPRINT_FILE",
    "HTTP_FOLDER",
    "REFERENCE_BASE",
    "Recording",
    "load_cassette_document",
    "run_header",
    "target_name",
    "verdicts",
]

REFERENCE_BASE = "http://127.0.0.1:8765"
"""Where recorded requests to the embedded server say they went (its port changes every run):
`conformance serve`'s address, so a reproducer printed during a replay runs against it."""
SERIALIZER = "yaml.gz"
SUFFIX = f".{SERIALIZER}"
HTTP_FOLDER = "http"
"""Where the HTTP cache (request-level vcrpy cassettes, live targets only) goes in a recording."""
SESSION_CASSETTE = "session"
"""Traffic of the run as a whole (model discovery), kept apart from any one test's cassette so
that replaying a subset of the tests still finds it."""
MATCHER = "conformance"

_BOUNDARY = re.compile(r"boundary=\"?([^\";,\s]+)")
_FIXED_BOUNDARY = "conformance-boundary"


# --- what is recorded, and how a request finds its recording ---------------------------------


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


def _request_filter(canonical_base: str | None, scrubber: Scrubber) -> Callable[[VcrRequest], VcrRequest]:
    def before_record_request(request: VcrRequest) -> VcrRequest:
        # vcrpy hands a copy, and calls this both when recording and before matching, so the
        # recording and the request looking for it are normalised alike.
        uri = rebase(request.uri, canonical_base)
        request.uri = scrubber.text(uri)
        kept = [(k, v) for k, v in request.headers.items() if k.lower() not in VOLATILE_HEADERS]
        request.headers = scrubber.headers(kept)
        _fix_boundary(request)
        if isinstance(request.body, bytes):
            request.body = scrubber.body(request.body)
        request.__dict__["conformance_key"] = request_key(request)
        return request

    return before_record_request


def _scrub_response(scrubber: Scrubber, response: dict[str, Any]) -> dict[str, Any]:
    """A vcrpy response (a copy) with its headers and body scrubbed."""
    headers = {name: [scrubber.headers([(name, str(value))])[name] for value in values]
               for name, values in (response.get("headers") or {}).items()}
    body = dict(response.get("body") or {})
    if isinstance(body.get("string"), bytes):
        body["string"] = scrubber.body(body["string"])
    elif isinstance(body.get("string"), str):
        body["string"] = scrubber.text(body["string"])
    return {**response, "headers": headers, "body": body}


def _presenter(scrubber: Scrubber) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def present(response: dict[str, Any]) -> dict[str, Any]:
        """A response as the cassette stores it: decoded (vcrpy's `decode_response`, so a key in
        a compressed body is scrubbed too), then scrubbed. Idempotent."""
        return _scrub_response(scrubber, decode_response(response))

    return present


class _ResponseStub(VCRHTTPResponse):  # type: ignore[misc]
    """vcrpy's urllib3 response stub (what `requests`, hence schemathesis, reads), with two fixes.

    - The response is presented as the cassette stores it when recording too: schemathesis
      learns from responses (captured values, error feedback) to steer generation, so a
      recording that read the raw response and a replay that reads the stored one drew
      different requests.
    - `read1` accepts urllib3's `decode_content`, which schemathesis passes when reading event
      streams (kevin1024/vcrpy#902, open).
    """

    present: Any = staticmethod(lambda response: response)
    """Set per run (a subclass per `Recording`)."""

    def __init__(self, recorded_response: dict[str, Any], request_url: str | None = None) -> None:
        super().__init__(self.present(recorded_response), request_url)

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
            response["body"]["string"]  # present, even if empty
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{path}: malformed interaction {index}: {type(exc).__name__}: {exc}") from None
    return document


class GzipPersister:
    """vcrpy persister: YAML, gzip-compressed; unreadable files fail with one line naming them."""

    _parsed: ClassVar[dict[str, tuple[tuple[int, int], dict[str, Any]]]] = {}
    """Documents already parsed by the up-front check, used once by the test that loads them."""

    @classmethod
    def load_cassette(cls, cassette_path: str | os.PathLike[str], serializer: Any) -> tuple[Any, ...]:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError()
        cached = cls._parsed.pop(str(path), None)
        document = cached[1] if cached is not None and cached[0] == _stamp(path) else load_cassette_document(path)
        requests_and_responses: tuple[Any, ...] = deserialize("", _Parsed(document))
        return requests_and_responses

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
    """How this run is recorded: where, in which record mode, with what header (run.json)."""

    mode: str
    """A pytest-recording record mode for the HTTP cache (never `none`: that is a replay)."""
    folder: Path
    """cassettes/<target>/"""
    canonical_base: str | None
    """The base URL recorded requests are rewritten to (the embedded server's), or None."""
    header: dict[str, Any]
    """run.json's description of the run (`run_header`)."""
    http_cache: bool = True
    """Keep request-level cassettes (`http/`): for live targets, where a second request costs."""
    scrubber: Scrubber = field(default_factory=Scrubber)
    unrecorded: list[str] = field(default_factory=list)
    """Requests the HTTP cache could not answer in record mode once: `METHOD path (cassette)`."""
    tests: int = 0
    """Tests recorded by this process."""

    def cassettes(self) -> list[Path]:
        """The HTTP cache's cassettes."""
        folder = self.folder / HTTP_FOLDER
        return sorted(folder.rglob(f"*{SUFFIX}")) if folder.is_dir() else []

    def vcr_kwargs(self) -> dict[str, Any]:
        """Options of vcrpy's `use_cassette` (given to pytest-recording as `vcr` marker kwargs)."""
        present = _presenter(self.scrubber)
        stub = type("_ResponseStub", (_ResponseStub,), {"present": staticmethod(present)})
        return {
            "record_mode": self.mode,
            "serializer": SERIALIZER,
            "persister": GzipPersister,
            "match_on": [MATCHER],
            "before_record_request": _request_filter(self.canonical_base, self.scrubber),
            "before_record_response": present,
            "custom_patches": ((vcr_stubs, "VCRHTTPResponse", stub),
                               (Cassette, "filter_request", self._noting_filter())),
        }

    def _noting_filter(self) -> Callable[[Cassette, VcrRequest], VcrRequest | None]:
        """`Cassette.filter_request`, counting what the cache has no recording for when it may not
        record. vcrpy's stubs call it only to decide to raise "no recording"; schemathesis's engine
        would swallow that error."""
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
        """A test's HTTP cache cassette."""
        from pytest_recording.plugin import get_default_cassette_name

        return self.folder / HTTP_FOLDER / module / get_default_cassette_name(None, test_name)

    def test_path(self, module: str, test_name: str) -> Path:
        """A test's recording."""
        from pytest_recording.plugin import get_default_cassette_name

        return self.folder / module / f"{get_default_cassette_name(None, test_name)}{RECORDING_SUFFIX}"

    def write_test(self, module: str, test: RecordedTest) -> None:
        write_test(self.test_path(module, test.nodeid.rsplit("::", 1)[-1]), test, scrubber=self.scrubber,
                   base=self.canonical_base)
        self.tests += 1

    @contextmanager
    def use_cassette(self, name: str = SESSION_CASSETTE) -> Iterator[Cassette | None]:
        """The run-level HTTP cache cassette (model discovery), opened with vcrpy directly as
        pytest-recording opens a test's; nothing without an HTTP cache."""
        if not self.http_cache:
            yield None
            return
        import vcr

        recorder = vcr.VCR(path_transformer=vcr.VCR.ensure_suffix(SUFFIX))
        self.configure_vcr(recorder)
        kwargs = self.vcr_kwargs()
        if kwargs["record_mode"] == "rewrite":  # pytest-recording's own mode: delete, then record
            kwargs["record_mode"] = "new_episodes"
        with recorder.use_cassette(str(self.folder / HTTP_FOLDER / name), **kwargs) as cassette:
            yield cassette

    # -- before the run -----------------------------------------------------------------------

    def prepare(self, *, controller: bool = True) -> None:
        """Clear (rewrite) or check the HTTP cache before anything runs; CassetteError if unfit."""
        if self.mode == "rewrite":
            if controller:
                self.clear()
            return
        for path in self.cassettes():
            GzipPersister.remember(path, load_cassette_document(path))

    def clear(self) -> None:
        """A fresh recording: the previous one goes, HTTP cache included."""
        for path in [*self.cassettes(), *self.folder.glob(f"*/*{RECORDING_SUFFIX}")]:
            path.unlink()
        (self.folder / FINGERPRINT_FILE).unlink(missing_ok=True)
        for folder in sorted((p for p in self.folder.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()

    # -- after the run ------------------------------------------------------------------------

    def write_header(self, verdicts: dict[str, Any] | None = None) -> None:
        """run.json: what the run was (`run_header`) and what it concluded (a replay with the same
        checks concludes the same: tests/cassettes compares them)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        document = {**self.header, "verdicts": verdicts}
        (self.folder / FINGERPRINT_FILE).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")

    def unrecorded_reason(self, error: BaseException) -> str | None:
        """One line for a test that failed because a request had no recording, else None."""
        found = next(_unrecorded_errors(error), None)
        if found is None:
            return None
        request = found.failed_request
        return (f"no recording for {request.method} {urlsplit(self.scrubber.text(request.uri)).path} in "
                f"{Path(found.cassette._path).name} (record mode {self.mode}): this run does not match the HTTP cache")

    def unrecorded_summary(self) -> str | None:
        if not self.unrecorded:
            return None
        by_cassette = Counter(line.rsplit(" (", 1)[-1].rstrip(")") for line in self.unrecorded)
        where = ", ".join(f"{name} {count}" for name, count in by_cassette.most_common(3))
        more = f" and {len(by_cassette) - 3} more cassettes" if len(by_cassette) > 3 else ""
        return (f"the HTTP cache does not match this run: {len(self.unrecorded)} requests unrecorded ({where}{more}; "
                f"first: {self.unrecorded[0]}); record them with `--record-mode new_episodes`, or replay the "
                "recording with `conformance run --replay`")


def verdicts(record: Any, exit_code: int) -> dict[str, Any]:
    """What a run concluded, comparable between a recording and its replay: the exit code, the
    exchanges and tokens, and how many findings of each severity, check and operation."""
    findings = Counter(f"{f.severity} {f.check_id} {f.operation_id or '-'}" for f in record.findings)
    return {"exit_code": exit_code, "exchanges": record.exchanges, "tokens": record.tokens,
            "findings": dict(sorted(findings.items()))}


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


def run_header(
    *, contract: Any, profile: Any, seed: int, include: Iterable[str], exclude: Iterable[str],
    anthropic_version: str, betas: Iterable[str], target: str, base_url: str, budget_tokens: int | None,
) -> dict[str, Any]:
    """What run.json says of the run. A replay is refused only on `format` and on what decides the
    meaning of the recorded requests: the contract's request side per operation and the profile
    that generated them (`cassettes._replay`). `generation` and `versions` are for people."""
    header: dict[str, Any] = json.loads(json.dumps({
        "format": FORMAT,
        "target": target,
        "base_url": base_url,
        "profile": asdict(profile),
        "contract": {"version": contract.version,
                     "requests": {op.operation_id: contract.request_fingerprint(op.operation_id)
                                  for op in contract.operations}},
        "generation": {"seed": seed, "include": sorted(include), "exclude": sorted(exclude),
                       "anthropic_version": anthropic_version, "betas": list(betas), "budget_tokens": budget_tokens},
        "versions": {"conformance": __version__, "schemathesis": version("schemathesis"),
                     "hypothesis": version("hypothesis")},
    }, default=list))
    return header


def is_paid_api(base_url: str | None) -> bool:
    """The real API: where a run records by default, so that a request is never paid for twice."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    return host == "anthropic.com" or host.endswith(".anthropic.com")


def recording_for(config: RunConfig, root: Path, *, disabled: bool = False) -> Recording | None:
    """How a run is recorded, or None: --record, or a --record-mode, records; so does a run against
    the real API (where a second request costs money), unless `disabled` (pytest-recording's
    --disable-recording). Relative cassette folders are under `root`."""
    if config.record:
        mode = config.record_mode or "rewrite"
    elif config.record_mode is not None:
        mode = config.record_mode
    elif disabled or not is_paid_api(config.base_url):
        return None
    else:
        mode = "new_episodes"  # record if missing: a paid request is never sent twice
    profile = config.load_profile()
    folder = Path(config.cassette_dir)
    target = target_name(config.base_url)
    return Recording(
        mode=mode,
        folder=(folder if folder.is_absolute() else root / folder) / target,
        canonical_base=REFERENCE_BASE if config.embedded else None,
        header=run_header(contract=load_contract(config.spec), profile=profile, seed=config.seed,
                          include=config.include, exclude=config.exclude, anthropic_version=config.anthropic_version,
                          betas=config.betas, target=target, base_url=config.base_url or REFERENCE_BASE,
                          budget_tokens=profile.budget_tokens),
        http_cache=not config.embedded,  # the embedded server is free: no request is worth caching
        # The run's own key, scrubbed wherever it shows up; the embedded server's placeholder
        # key is too short to be one.
        scrubber=Scrubber(literal_secrets(config.api_key, os.environ.get("ANTHROPIC_API_KEY"))),
    )
