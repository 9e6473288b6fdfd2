"""Read ../shared/traffic (real recorded exchanges of the live API) as Exchange objects.

Ground truth for "no false alarms": a check or schema that rejects a genuine exchange is wrong.
Tests that use it skip cleanly when ../shared is absent.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance._exchange import Exchange, Request, Response

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TRAFFIC = SHARED / "traffic" / "interactions"


@dataclass(frozen=True)
class Recording:
    path: Path
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def genuine(self) -> bool:
        return not self.raw.get("synthetic_suspect", False)

    @property
    def streaming(self) -> bool:
        return bool(self.raw.get("streaming"))

    @property
    def endpoint(self) -> str | None:
        return self.raw.get("endpoint")

    def exchange(self) -> Exchange:
        return to_exchange(normalise_recording(self.raw), label=self.name)


def require_traffic() -> Path:
    if not TRAFFIC.is_dir():
        pytest.skip("../shared/traffic is not available")
    return TRAFFIC


def recordings(*, genuine_only: bool = True) -> Iterator[Recording]:
    for path in sorted(require_traffic().glob("*.json")):
        rec = Recording(path, json.loads(path.read_text()))
        if genuine_only and not rec.genuine:
            continue
        yield rec


# Header values that recorders substituted for the real ones (langchain, crewAI, ruby_llm).
_PLACEHOLDER = re.compile(r"^\*\*REDACTED\*\*$|^<[A-Z_]+>$|XXX")


def normalise_recording(raw: dict[str, Any]) -> dict[str, Any]:
    """Undo what the recorders did to the wire, as their caveats describe:
    * placeholder header values (`**REDACTED**`, `<CF_RAY>`, `…-XXX`) become absent headers, which
      the checks treat as "not recorded" instead of judging a fake value;
    * vercel `jsonl-chunks` fixtures had their SSE framing stripped by the fixture author (one JSON
      payload per line): put the `event:` lines back, named after each payload's type.
    Idempotent: a normalised recording comes back unchanged.
    """
    raw = json.loads(json.dumps(raw))
    resp = raw["response"]
    resp["headers"] = {k: v for k, v in (resp.get("headers") or {}).items() if not _PLACEHOLDER.search(str(v))}
    body = resp.get("body_text")
    if raw.get("format") == "jsonl-chunks" and isinstance(body, str) and body.lstrip().startswith("{"):
        lines = [line for line in body.splitlines() if line.strip()]
        resp["body_text"] = "".join(f"event: {json.loads(line)['type']}\ndata: {line}\n\n" for line in lines)
    return raw


def _response_body(resp: dict[str, Any]) -> bytes:
    if "body_json" in resp:
        return json.dumps(resp["body_json"]).encode()
    if "body_text" in resp:
        return resp["body_text"].encode()
    if "body_base64" in resp:
        return base64.b64decode(resp["body_base64"])
    return b""


def to_exchange(raw: dict[str, Any], *, label: str = "") -> Exchange:
    req = raw.get("request") or {}
    resp = raw["response"]
    body = req.get("body")
    req_body = None if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    url = req.get("url") or "https://api.anthropic.com" + (raw.get("endpoint") or "/v1/messages").split(" ")[0]
    headers = dict(resp.get("headers") or {})
    if resp.get("decoded_content_encoding"):
        # The recorder already decompressed the body; the header would mislead a second decode.
        headers.pop("content-encoding", None)
    declared = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if raw.get("streaming") and "/" not in declared:
        # Some recorders dropped or redacted the response headers; the recording says it streamed.
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["content-type"] = "text/event-stream"
    return Exchange(
        request=Request(req.get("method") or "POST", url, req.get("headers") or {}, req_body),
        response=Response(resp["status"], headers, _response_body(resp)),
        label=label,
    )
