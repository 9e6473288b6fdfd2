"""Server-sent events: decoding a byte stream into frames, and encoding frames.

The decoder follows the WHATWG SSE rules the official SDK follows: `\\n`, `\\r` and `\\r\\n` line
endings, several `data:` lines joined with `\\n`, `:` comment lines ignored, one leading space
stripped from a value. Unlike a browser it keeps frames that have no `event:` line (event None),
because sending them is itself a conformance failure the checks must see.

Written here rather than taken from httpx-sse because the checks need what a client library
hides: the raw data text (whitespace padding included), frames without an event name, and the
byte offset at which each frame ended (to find a stream cut mid-frame).
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SSEFrame:
    """One dispatched SSE frame."""

    event: str | None
    """The `event:` field, or None when the frame had none (a spec client would call it "message")."""
    data: str
    """The `data:` lines joined with a newline, exactly as sent (no JSON normalisation)."""
    id: str | None = None
    retry: int | None = None
    _parsed: list[Any] = field(default_factory=list, repr=False, compare=False)

    def json(self) -> Any:
        """The data parsed as JSON; raises ValueError when it is not JSON."""
        if not self._parsed:
            self._parsed.append(json.loads(self.data))
        return self._parsed[0]

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except (ValueError, RecursionError):
            return None


@dataclass
class SSEDecoder:
    """Incremental decoder: feed text chunks split anywhere, get frames as they complete."""

    _buffer: str = ""
    _event: str | None = None
    _data: list[str] = field(default_factory=list)
    _id: str | None = None
    _retry: int | None = None
    _has_fields: bool = False

    def feed(self, text: str) -> list[SSEFrame]:
        self._buffer += text
        frames: list[SSEFrame] = []
        while True:
            match = _LINE_END.search(self._buffer)
            if match is None:
                break
            # A lone "\r" at the end of the buffer may be the first half of "\r\n": wait for more.
            if match.group() == "\r" and match.end() == len(self._buffer):
                break
            line, self._buffer = self._buffer[: match.start()], self._buffer[match.end() :]
            frame = self._line(line)
            if frame is not None:
                frames.append(frame)
        return frames

    def close(self) -> tuple[list[SSEFrame], str]:
        """End of stream: returns a final frame if one was complete but for its blank line, and
        whatever partial line was left (non-empty means the stream was cut mid-line)."""
        leftover = self._buffer
        self._buffer = ""
        frames: list[SSEFrame] = []
        if leftover and not leftover.endswith("\r"):
            # A last line with no line ending at all: the stream was cut in the middle of it.
            return ([self._flush()] if self._has_fields else []), leftover
        if self._has_fields:
            frames.append(self._flush())
        return frames, ""

    def _line(self, line: str) -> SSEFrame | None:
        if line == "":
            return self._flush() if self._has_fields else None
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        else:
            return None
        self._has_fields = True
        return None

    def _flush(self) -> SSEFrame:
        frame = SSEFrame(event=self._event, data="\n".join(self._data), id=self._id, retry=self._retry)
        self._event, self._data, self._id, self._retry, self._has_fields = None, [], None, None, False
        return frame


@dataclass(frozen=True)
class ParsedStream:
    frames: list[SSEFrame]
    trailing: str
    """Text after the last complete line; non-empty means the body was cut mid-line."""


def parse_sse(body: bytes | str) -> ParsedStream:
    """Decode a whole SSE body (already decompressed) into frames."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    decoder = SSEDecoder()
    frames = decoder.feed(text.removeprefix("\ufeff"))
    last, trailing = decoder.close()
    return ParsedStream(frames + last, trailing)


def iter_sse(chunks: Iterable[bytes]) -> Iterator[SSEFrame]:
    """Decode frames from a byte iterator as they arrive (UTF-8 split across chunks is handled)."""
    decoder = SSEDecoder()
    utf8 = _utf8_decoder()
    for chunk in chunks:
        yield from decoder.feed(utf8.decode(chunk))
    yield from decoder.feed(utf8.decode(b"", final=True))
    yield from decoder.close()[0]


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # one encoder, not one per call
_json_string: Any = json.encoder.encode_basestring
_DELTA_FIELDS = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json",
                 "signature_delta": "signature"}


def encode_sse(event: str, data: Mapping[str, Any]) -> bytes:
    """One frame the way the API sends it: an `event:` line, one compact `data:` line, a blank line.

    Streams are mostly one-string deltas; those are formatted around their one JSON string, which
    the reference server's stream benchmark needs (the bytes are the same as the general path's).
    """
    if event == "content_block_delta" and len(data) == 3:
        delta = data.get("delta") or {}
        field = _DELTA_FIELDS.get(str(delta.get("type")))
        if field is not None and len(delta) == 2 and field in delta and isinstance(data.get("index"), int):
            return (b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,"delta":{"type":"%s","%s":%s}}\n\n'
                    % (data["index"], delta["type"].encode(), field.encode(), _json_string(delta[field]).encode()))
    return b"event: " + event.encode() + b"\ndata: " + _ENCODER.encode(data).encode() + b"\n\n"


def decompress(body: bytes, content_encoding: str | None) -> bytes:
    """Undo a `content-encoding` of gzip or deflate (some real streams are gzipped)."""
    encoding = (content_encoding or "").strip().lower()
    # Recorders often decode the body but keep the header: only undo what is really encoded.
    if encoding in ("gzip", "x-gzip") and body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):
            return body
    if encoding == "deflate":
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
            try:
                return zlib.decompress(body, wbits)
            except zlib.error:
                continue
    return body


def _utf8_decoder() -> Any:
    import codecs

    return codecs.getincrementaldecoder("utf-8")(errors="replace")
