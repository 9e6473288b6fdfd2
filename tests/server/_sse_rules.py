"""The server tests judge every stream with the engine's own `sse` and `schema` checks.

A thin adapter, so the server's tests and the conformance run apply one set of rules:
`check_stream(frames)` → errors and warnings of the `sse` checks (plus the contract's event schemas
with `strict=True`, where warnings count too: this server promises no unknown events, no trailing
events, a final stop_reason). `accumulate` is the engine's accumulator (the SDK's rules).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from conformance._accumulate import accumulate
from conformance._exchange import Exchange, Request, Response
from conformance._sse import SSEFrame
from conformance.checks import CheckContext, CheckInfo, run_checks
from conformance.contract import load_contract

__all__ = ["StreamReport", "accumulate", "check_completion_stream", "check_stream"]


@dataclass
class StreamReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _body(frames: Sequence[SSEFrame]) -> bytes:
    lines = []
    for frame in frames:
        head = f"event: {frame.event}\n" if frame.event is not None else ""
        data = "".join(f"data: {line}\n" for line in frame.data.split("\n"))
        lines.append(f"{head}{data}\n")
    return "".join(lines).encode()


def _judge(frames: Sequence[SSEFrame], path: str, operation_id: str, strict: bool) -> StreamReport:
    exchange = Exchange(
        Request("POST", f"http://testserver{path}", {"content-type": "application/json"}, json.dumps({"stream": True}).encode()),
        Response(200, {"content-type": "text/event-stream"}, _body(frames)),
        operation_id=operation_id,
    )
    groups = {"sse", "schema"} if strict else {"sse"}

    def select(info: CheckInfo) -> bool:
        return info.group in groups and info.id != "schema.request_id"

    report = StreamReport()
    for finding in run_checks(exchange, CheckContext(contract=load_contract()), select=select):
        message = f"[{finding.check_id}] {finding.message}" + (f" at {finding.location}" if finding.location else "")
        (report.errors if finding.severity == "error" or strict else report.warnings).append(message)
    return report


def check_stream(frames: Sequence[SSEFrame], *, strict: bool = False) -> StreamReport:
    return _judge(frames, "/v1/messages", "createMessage", strict)


def check_completion_stream(frames: Sequence[SSEFrame]) -> StreamReport:
    return _judge(frames, "/v1/complete", "createCompletion", strict=False)
