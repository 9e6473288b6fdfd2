"""Rebuild the final Message from a Messages stream, the way the official SDK does.

Follows the SDK's `accumulate_event` (api-facts §4 "Accumulation", rules 7 and 8): take a snapshot of
`message_start.message`, append each `content_block_start` block, apply deltas by index into the
content list, and let `message_delta` overwrite the stop fields and the usage counts. Where the SDK
would raise on a broken stream (bad JSON, an index out of range) this stays best-effort and leaves
the snapshot as it was: reporting the breakage is the stream checks' job, and the meaning checks
want a message to look at whenever one can be had.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from conformance._sse import SSEFrame

__all__ = ["AccumulationError", "accumulate", "frame_type"]

# Blocks whose `input` the SDK rebuilds from input_json_delta fragments (TRACKS_TOOL_INPUT).
TOOL_INPUT_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


class AccumulationError(ValueError):
    """The frames hold no message_start, so there is no message to rebuild."""


def frame_type(frame: SSEFrame) -> str | None:
    """The event's type: `data.type` when the data is a JSON object, else the `event:` name.

    Dispatching on the payload (as the SDK does once it has parsed a frame) keeps accumulation
    working on streams whose `event:` lines are wrong; the stream checks report those separately.
    """
    data = frame.json_or_none()
    kind = data.get("type") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else frame.event


def accumulate(frames: Iterable[SSEFrame]) -> dict[str, Any]:
    """The Message a client ends up with after reading these frames.

    Pings, errors, unknown events and events before `message_start` are skipped (SDK 1.x passes
    those through without accumulating them). Raises AccumulationError when there is no message_start.
    """
    snapshot: dict[str, Any] | None = None
    json_bufs: dict[int, str] = {}  # content index -> input_json fragments joined so far
    for frame in frames:
        data = frame.json_or_none()
        kind = frame_type(frame)
        if not isinstance(data, dict):
            continue
        if snapshot is None:
            if kind == "message_start" and isinstance(data.get("message"), dict):
                # Deep copy: SSEFrame caches its parsed JSON and must not see our edits.
                snapshot = copy.deepcopy(data["message"])
                if not isinstance(snapshot.get("content"), list):
                    snapshot["content"] = []
            continue
        if kind == "content_block_start":
            _start_block(snapshot, data)
        elif kind == "content_block_delta":
            _apply_delta(snapshot, data, json_bufs)
        elif kind == "content_block_stop":
            _finish_block(snapshot, data.get("index"), json_bufs)
        elif kind == "message_delta":
            _apply_message_delta(snapshot, data)
    if snapshot is None:
        raise AccumulationError("the stream has no message_start event")
    # A block never stopped still gets its input parsed, so a cut stream yields what it had.
    for index in list(json_bufs):
        _finish_block(snapshot, index, json_bufs)
    return snapshot


def _block_at(snapshot: dict[str, Any], index: Any) -> dict[str, Any] | None:
    content = snapshot["content"]
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(content):
        block = content[index]
        return block if isinstance(block, dict) else None
    return None


def _start_block(snapshot: dict[str, Any], data: dict[str, Any]) -> None:
    block = data.get("content_block")
    if not isinstance(block, dict):
        return
    # The SDK appends whatever the index says ("TODO: check index"); gaps are the checks' business.
    snapshot["content"].append(copy.deepcopy(block))
    if block.get("type") == "fallback" and isinstance(block.get("to"), dict) and "model" in block["to"]:
        # The SDK relabels the snapshot with the model that finally served the response.
        snapshot["model"] = block["to"]["model"]


def _apply_delta(snapshot: dict[str, Any], data: dict[str, Any], json_bufs: dict[int, str]) -> None:
    index = data.get("index")
    block = _block_at(snapshot, index)
    delta = data.get("delta")
    if block is None or not isinstance(delta, dict):
        return
    kind, btype = delta.get("type"), block.get("type")
    # A delta of the wrong type for its block is silently ignored, as in the SDK (rule 3).
    if kind == "text_delta" and btype == "text":
        block["text"] = _str(block.get("text")) + _str(delta.get("text"))
    elif kind == "thinking_delta" and btype == "thinking":
        block["thinking"] = _str(block.get("thinking")) + _str(delta.get("thinking"))
    elif kind == "signature_delta" and btype == "thinking":
        block["signature"] = delta.get("signature")
    elif kind == "citations_delta" and btype == "text":
        block["citations"] = [*(block.get("citations") or []), delta.get("citation")]
    elif kind == "input_json_delta" and btype in TOOL_INPUT_BLOCKS:
        assert isinstance(index, int)
        json_bufs[index] = json_bufs.get(index, "") + _str(delta.get("partial_json"))
    elif kind == "compaction_delta" and btype == "compaction":
        block["content"] = delta.get("content")
        block["encrypted_content"] = delta.get("encrypted_content")


def _finish_block(snapshot: dict[str, Any], index: Any, json_bufs: dict[int, str]) -> None:
    if not isinstance(index, int) or index not in json_bufs:
        return
    buf = json_bufs.pop(index)
    block = _block_at(snapshot, index)
    if block is None or not buf:
        # No fragments (or only ""): the input from content_block_start stands.
        return
    try:
        block["input"] = json.loads(buf)
    except (ValueError, RecursionError):
        pass  # the SDK raises here; sse.input_json reports it


def _apply_message_delta(snapshot: dict[str, Any], data: dict[str, Any]) -> None:
    delta = data.get("delta")
    if isinstance(delta, dict):
        # Overwritten every time, even with null (rule 7).
        snapshot["stop_reason"] = delta.get("stop_reason")
        snapshot["stop_sequence"] = delta.get("stop_sequence")
        if "stop_details" in delta or "stop_details" in snapshot:
            snapshot["stop_details"] = delta.get("stop_details")
        if delta.get("container") is not None:
            snapshot["container"] = delta["container"]
    if data.get("context_management") is not None:
        snapshot["context_management"] = data["context_management"]
    usage = data.get("usage")
    if isinstance(usage, dict):
        target = snapshot.setdefault("usage", {})
        if isinstance(target, dict):
            # Cumulative totals: they overwrite, and an absent or null key keeps the start's value.
            target.update({key: value for key, value in usage.items() if value is not None})


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
