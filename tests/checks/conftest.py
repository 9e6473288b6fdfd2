"""Fixtures for the check tests: hand-made exchanges (`build`) and the genuine recordings (`genuine`).

Hand-made exchanges start from a well-formed stream or message and are broken one thing at a time,
so each broken case names exactly one check. The genuine recordings are normalised for two things
their recorders altered (see each file's `caveats`); the traffic itself is never edited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance._exchange import Exchange, Finding, Request, Response, Severity
from conformance.checks import run_checks
from tests._traffic import Recording, recordings

# A frame: a data dict (its event name is data["type"]), or (event name or None, data dict or raw text).
FrameSpec = dict[str, Any] | tuple[str | None, dict[str, Any] | str]

@dataclass(frozen=True)
class Genuine:
    recording: Recording
    exchange: Exchange


@pytest.fixture(scope="session")
def genuine() -> list[Genuine]:
    """Every genuine recording of ../shared/traffic as an exchange (skips when absent)."""
    return [Genuine(rec, rec.exchange()) for rec in recordings()]


WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}

# The groups this directory tests; other modules may register more checks in the same process.
GROUPS = frozenset({"sse", "errors", "meaning"})

DEFAULT_REQUEST: dict[str, Any] = {
    "model": "claude-test-1",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Hi"}],
    "tools": [WEATHER_TOOL],
}


class Build:
    """Builders for well-formed exchanges and their pieces; tests break them one thing at a time."""

    # ---- exchanges

    def request(self, body: dict[str, Any] | None = None, *, stream: bool = False, **fields: Any) -> Request:
        payload = {**DEFAULT_REQUEST, **(body or {}), **fields}
        if stream:
            payload["stream"] = True
        headers = {"content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-ant-test"}
        return Request("POST", "https://api.anthropic.com/v1/messages", headers, json.dumps(payload).encode())

    def sse(self, frames: Iterable[FrameSpec], *, crlf: bool = False) -> bytes:
        out = []
        for spec in frames:
            name, data = (spec.get("type"), spec) if isinstance(spec, dict) else spec
            text = data if isinstance(data, str) else json.dumps(data)
            out.append((f"event: {name}\n" if name is not None else "") + f"data: {text}\n\n")
        body = "".join(out)
        return (body.replace("\n", "\r\n") if crlf else body).encode()

    def stream(
        self,
        frames: Iterable[FrameSpec] | bytes,
        *,
        request: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/v1/messages",
    ) -> Exchange:
        body = frames if isinstance(frames, bytes) else self.sse(frames)
        req = self.request(request, stream=True)
        req.url = "https://api.anthropic.com" + path
        return Exchange(
            req, Response(200, {"content-type": "text/event-stream"} if headers is None else headers, body), "op"
        )

    def json(
        self,
        body: Any,
        *,
        status: int = 200,
        request: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Exchange(
            self.request(request),
            Response(status, {"content-type": "application/json"} if headers is None else headers, raw),
            "op",
        )

    def error(self, status: int, error_type: str, *, headers: dict[str, str] | None = None) -> Exchange:
        body = {"type": "error", "error": {"type": error_type, "message": "boom"}, "request_id": "req_1"}
        return self.json(body, status=status, headers=headers)

    # ---- stream pieces

    def message(self, content: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
        base = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-test-1",
            "content": content or [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        }
        return {**base, **fields}

    def start(self, **fields: Any) -> dict[str, Any]:
        return {"type": "message_start", "message": self.message(**fields)}

    def block_start(self, index: int, block: dict[str, Any]) -> dict[str, Any]:
        return {"type": "content_block_start", "index": index, "content_block": block}

    def delta(self, index: int, delta: dict[str, Any]) -> dict[str, Any]:
        return {"type": "content_block_delta", "index": index, "delta": delta}

    def stop(self, index: int) -> dict[str, Any]:
        return {"type": "content_block_stop", "index": index}

    def text(self, index: int = 0, *parts: str) -> list[dict[str, Any]]:
        parts = parts or ("Hello", " world")
        return [
            self.block_start(index, {"type": "text", "text": ""}),
            *(self.delta(index, {"type": "text_delta", "text": p}) for p in parts),
            self.stop(index),
        ]

    def tool(
        self,
        index: int = 0,
        fragments: Iterable[str] = ("", '{"city": ', '"Paris"}'),
        *,
        name: str = "get_weather",
        tool_id: str = "toolu_1",
        kind: str = "tool_use",
    ) -> list[dict[str, Any]]:
        return [
            self.block_start(index, {"type": kind, "id": tool_id, "name": name, "input": {}}),
            *(self.delta(index, {"type": "input_json_delta", "partial_json": f}) for f in fragments),
            self.stop(index),
        ]

    def thinking(self, index: int = 0, signature: str | None = "sig-abc") -> list[dict[str, Any]]:
        signing = [] if signature is None else [self.delta(index, {"type": "signature_delta", "signature": signature})]
        return [
            self.block_start(index, {"type": "thinking", "thinking": "", "signature": ""}),
            self.delta(index, {"type": "thinking_delta", "thinking": "Let me think."}),
            self.delta(index, {"type": "thinking_delta", "thinking": ""}),
            *signing,
            self.stop(index),
        ]

    def message_delta(
        self, stop_reason: str | None = "end_turn", output_tokens: int = 5, **usage: Any
    ) -> dict[str, Any]:
        return {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens, **usage},
        }

    def end(self, stop_reason: str | None = "end_turn", output_tokens: int = 5) -> list[dict[str, Any]]:
        return [self.message_delta(stop_reason, output_tokens), {"type": "message_stop"}]

    def text_stream(self) -> list[dict[str, Any]]:
        return [{"type": "ping"}, self.start(), *self.text(0), {"type": "ping"}, *self.end()]

    def tool_stream(self) -> list[dict[str, Any]]:
        return [self.start(), *self.text(0, "Checking."), *self.tool(1), *self.end("tool_use", 20)]

    def thinking_stream(self) -> list[dict[str, Any]]:
        return [self.start(), *self.thinking(0), *self.text(1), *self.end()]

    WEATHER_TOOL = WEATHER_TOOL


@pytest.fixture(scope="session")
def build() -> Build:
    return Build()


Checks = Callable[[Exchange], list[Finding]]


@pytest.fixture(scope="session")
def check_groups() -> frozenset[str]:
    return GROUPS


@pytest.fixture(scope="session")
def checks() -> Checks:
    """run_checks limited to this directory's groups, so checks other modules register in the same
    test process (the engine's `schema`, `acceptance`...) cannot change these tests' outcome."""
    return lambda exchange: run_checks(exchange, select=lambda info: info.group in GROUPS)


@dataclass(frozen=True)
class Case:
    """A deliberately broken exchange and the check that must catch it."""

    name: str
    check_id: str
    make: Callable[[Build], Exchange]
    severity: Severity = "error"


def assert_caught(case: Case, findings: list[Finding]) -> None:
    matching = [f for f in findings if f.check_id == case.check_id]
    assert matching, f"{case.check_id} missed it; got {[(f.check_id, f.message) for f in findings]}"
    assert case.severity in {f.severity for f in matching}


def assert_clean(findings: list[Finding]) -> None:
    assert findings == [], [(f.check_id, f.severity, f.message) for f in findings]
