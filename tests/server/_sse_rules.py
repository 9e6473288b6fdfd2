"""A test-side checker of Messages streams (api-facts §4.3) and an accumulator (the SDK's rules),
used until the engine's own stream checks exist.

`check_stream(frames)` runs the state machine and returns errors and warnings. The default view is
what the API may send (genuine recordings must pass it); `strict=True` adds what this project's
server promises on top: a `message_delta` before `message_stop`, a non-null final stop_reason,
no unknown events, and no trailing events.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance._sse import SSEFrame

KNOWN_EVENTS = {"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping", "error"}
DELTA_BLOCKS = {
    "text_delta": {"text"},
    "citations_delta": {"text"},
    "input_json_delta": {"tool_use", "server_tool_use", "mcp_tool_use"},
    "thinking_delta": {"thinking"},
    "signature_delta": {"thinking"},
    "compaction_delta": {"compaction"},
}
ARRIVE_WHOLE = {"redacted_thinking", "compaction"}
"""Block types that may arrive complete in content_block_start, with no delta at all."""


@dataclass
class StreamReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _payload(frame: SSEFrame, where: str, report: StreamReport) -> dict[str, Any] | None:
    try:
        data = json.loads(frame.data)
    except ValueError:
        report.errors.append(f"{where}: data is not JSON: {frame.data[:80]!r}")
        return None
    if not isinstance(data, dict):
        report.errors.append(f"{where}: data is not a JSON object")
        return None
    return data


def check_stream(frames: Sequence[SSEFrame], *, strict: bool = False) -> StreamReport:
    report = StreamReport()
    state = "S0"  # S0, M, B, D, END, E
    open_index: int | None = None
    open_type: str | None = None
    next_index = 0
    deltas_in_block = 0
    json_buffer = ""
    start_message: dict[str, Any] | None = None
    last_stop_reason: Any = None
    for n, frame in enumerate(frames):
        where = f"event #{n} ({frame.event})"
        if frame.event is None:
            report.errors.append(f"{where}: frame has no event: line (the SDK drops it)")
            continue
        data = _payload(frame, where, report)
        if data is None:
            continue
        if data.get("type") != frame.event:
            report.errors.append(f"{where}: data.type {data.get('type')!r} differs from the event name")
        name = frame.event
        if state in ("END", "E"):
            (report.errors if strict else report.warnings).append(f"{where}: event after the stream ended")
            continue
        if name == "ping":
            continue
        if name not in KNOWN_EVENTS:
            (report.errors if strict else report.warnings).append(f"{where}: unknown event type")
            continue
        if name == "error":
            error = data.get("error")
            if not (isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str)):
                report.errors.append(f"{where}: error event without error.type and error.message")
            state = "E"
            continue
        if state == "S0":
            if name != "message_start":
                report.errors.append(f"{where}: {name} before message_start")
                continue
            message = data.get("message")
            if not isinstance(message, dict):
                report.errors.append(f"{where}: message_start without a message object")
                continue
            start_message = message
            usage = message.get("usage")
            if not (isinstance(usage, dict) and isinstance(usage.get("input_tokens"), int)):
                report.errors.append(f"{where}: message_start.message.usage.input_tokens is not an int")
            if message.get("content") != [] or message.get("stop_reason") is not None:
                report.warnings.append(f"{where}: message_start carries content or a stop_reason")
            state = "M"
            continue
        if name == "message_start":
            report.errors.append(f"{where}: a second message_start")
            continue
        if state == "M":
            if name == "content_block_start":
                index = data.get("index")
                block = data.get("content_block")
                if index != next_index:
                    report.errors.append(f"{where}: content_block_start index {index!r}, expected {next_index}")
                if not (isinstance(block, dict) and isinstance(block.get("type"), str)):
                    report.errors.append(f"{where}: content_block_start without a typed content_block")
                    block = {"type": None}
                open_index, open_type = index if isinstance(index, int) else next_index, block["type"]
                if open_type == "text" and block.get("text") != "":
                    report.warnings.append(f"{where}: text block does not start empty")
                if open_type == "tool_use" and block.get("input") not in ({}, None):
                    report.warnings.append(f"{where}: tool_use block starts with a non-empty input")
                deltas_in_block, json_buffer = 0, ""
                state = "B"
            elif name == "message_delta":
                state = "D"
                last_stop_reason = _delta_stop(data, where, report)
            elif name == "message_stop":
                if strict or not (start_message and start_message.get("stop_reason") is not None):
                    report.errors.append(f"{where}: message_stop without a message_delta")
                else:
                    report.warnings.append(f"{where}: message_stop without a message_delta (degenerate stream)")
                state = "END"
            else:
                report.errors.append(f"{where}: {name} outside a content block")
            continue
        if state == "B":
            index = data.get("index")
            if name == "content_block_delta":
                raw_delta = data.get("delta")
                delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
                if index != open_index:
                    report.errors.append(f"{where}: delta for index {index!r} while block {open_index} is open")
                kind = delta.get("type")
                allowed = DELTA_BLOCKS.get(str(kind))
                if allowed is None:
                    (report.errors if strict else report.warnings).append(f"{where}: unknown delta type {kind!r}")
                elif open_type not in allowed:
                    report.errors.append(f"{where}: {kind} inside a {open_type} block")
                if kind == "input_json_delta":
                    if not isinstance(delta.get("partial_json"), str):
                        report.errors.append(f"{where}: input_json_delta.partial_json is not a string")
                    else:
                        json_buffer += delta["partial_json"]
                deltas_in_block += 1
            elif name == "content_block_stop":
                if index != open_index:
                    report.errors.append(f"{where}: content_block_stop for index {index!r} while block {open_index} is open")
                if json_buffer:
                    try:
                        if not isinstance(json.loads(json_buffer), dict):
                            report.errors.append(f"{where}: joined input_json_delta is not a JSON object")
                    except ValueError:
                        report.errors.append(f"{where}: joined input_json_delta is not valid JSON: {json_buffer[:80]!r}")
                if deltas_in_block == 0 and open_type not in ARRIVE_WHOLE:
                    report.warnings.append(f"{where}: block {open_index} ({open_type}) had no delta")
                next_index = (open_index if open_index is not None else next_index) + 1
                open_index = open_type = None
                state = "M"
            else:
                report.errors.append(f"{where}: {name} while block {open_index} is open")
            continue
        if state == "D":
            if name == "message_delta":
                last_stop_reason = _delta_stop(data, where, report)
            elif name == "message_stop":
                if last_stop_reason is None:
                    (report.errors if strict else report.warnings).append(f"{where}: the last message_delta has a null stop_reason")
                state = "END"
            else:
                report.errors.append(f"{where}: {name} after message_delta")
    if state not in ("END", "E"):
        report.errors.append(f"stream ended in state {state} without message_stop or error")
    return report


def _delta_stop(data: dict[str, Any], where: str, report: StreamReport) -> Any:
    usage = data.get("usage")
    if not (isinstance(usage, dict) and isinstance(usage.get("output_tokens"), int)):
        report.errors.append(f"{where}: message_delta.usage.output_tokens is not an int")
    delta = data.get("delta")
    if not isinstance(delta, dict):
        report.errors.append(f"{where}: message_delta without a delta object")
        return None
    return delta.get("stop_reason")


def accumulate(frames: Sequence[SSEFrame]) -> dict[str, Any]:
    """The Message a stream builds up, by the SDK's accumulation rules (api-facts §4.3)."""
    snapshot: dict[str, Any] | None = None
    buffers: dict[int, str] = {}
    for frame in frames:
        if frame.event in (None, "ping"):
            continue
        data = json.loads(frame.data)
        kind = data.get("type")
        if kind == "message_start":
            snapshot = copy.deepcopy(data["message"])
            continue
        if snapshot is None:
            raise AssertionError(f"{kind} before message_start")
        if kind == "content_block_start":
            snapshot["content"].append(copy.deepcopy(data["content_block"]))
        elif kind == "content_block_delta":
            block = snapshot["content"][data["index"]]
            delta = data["delta"]
            dtype = delta["type"]
            if dtype == "text_delta":
                block["text"] += delta["text"]
            elif dtype == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif dtype == "signature_delta":
                block["signature"] = delta["signature"]
            elif dtype == "citations_delta":
                block["citations"] = [*(block.get("citations") or []), delta["citation"]]
            elif dtype == "input_json_delta":
                buffers[data["index"]] = buffers.get(data["index"], "") + delta["partial_json"]
                if buffers[data["index"]]:
                    block["input"] = None  # set at content_block_stop, when the JSON is whole
        elif kind == "content_block_stop":
            if buffers.get(data["index"]):
                snapshot["content"][data["index"]]["input"] = json.loads(buffers[data["index"]])
        elif kind == "message_delta":
            delta = data["delta"]
            for key in ("stop_reason", "stop_sequence", "stop_details"):
                snapshot[key] = delta.get(key)
            if delta.get("container") is not None:
                snapshot["container"] = delta["container"]
            for key, value in (data.get("usage") or {}).items():
                if value is not None:
                    snapshot["usage"][key] = value
        elif kind == "error":
            raise AssertionError(f"stream failed: {data}")
    if snapshot is None:
        raise AssertionError("no message_start")
    return snapshot


def check_completion_stream(frames: Sequence[SSEFrame]) -> StreamReport:
    """Legacy /v1/complete streams: `completion` events (incremental), `ping`, `error`; the last
    completion carries the stop reason and empty text."""
    report = StreamReport()
    completions = []
    for n, frame in enumerate(frames):
        if frame.event not in ("completion", "ping", "error"):
            report.errors.append(f"event #{n}: unexpected event {frame.event!r}")
            continue
        data = json.loads(frame.data)
        if data.get("type") != frame.event:
            report.errors.append(f"event #{n}: data.type differs from the event name")
        if frame.event == "completion":
            completions.append(data)
    if not completions:
        report.errors.append("no completion event")
        return report
    for data in completions[:-1]:
        if data.get("stop_reason") is not None:
            report.errors.append("a completion before the last has a stop_reason")
    if completions[-1].get("stop_reason") is None:
        report.errors.append("the last completion has no stop_reason")
    for data in completions:
        if not isinstance(data.get("id"), str):
            report.errors.append("a completion event has no id")
    return report
