"""The reference server's tokenizer: deterministic, cheap, and the only one the server uses.

A token is a run of up to 12 word characters or one punctuation character, each carrying at most
4 whitespace characters in front of it; leftover whitespace forms tokens of up to 4 characters.
So `tokenize(text)` cuts `text` into pieces whose concatenation is exactly `text` (the generator
emits text token by token and counts what it emitted without a second pass), and no token is
longer than 16 characters, which gives a free lower bound: `len(text) / 16` tokens. That bound is
what refuses a 10 MB prompt as too long without counting it.

`count_input_tokens(params)` is the single function behind both `usage.input_tokens` and
`POST /v1/messages/count_tokens`, so the two agree by construction (compat-bugs F3).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"\s{0,4}(?:\w{1,12}|[^\w\s])|\s{1,4}")
MAX_TOKEN_CHARS = 16

BASE_OVERHEAD = 4
MESSAGE_OVERHEAD = 3
"""Tokens for the role markers around each message, as real tokenizers spend a few per turn."""
SYSTEM_OVERHEAD = 2
TOOLS_OVERHEAD = 64
"""Tokens for the tool-use preamble the API adds when tools are offered."""
IMAGE_TOKENS = 1568
"""A fixed cost per image (the docs' figure for a full-size image): the server never decodes images."""
PDF_TOKENS = 2048
"""A fixed cost per PDF or remote document the server cannot read as text."""


def tokenize(text: str) -> list[str]:
    """The tokens of `text`; `"".join(tokenize(t)) == t` always holds."""
    return _TOKEN.findall(text)


def count_text(text: str) -> int:
    """`len(tokenize(text))` without building the list (subn counts in C)."""
    return _TOKEN.subn("", text)[1] if text else 0


def json_text(value: Any) -> str:
    """The canonical JSON text the server counts for structured values (tool inputs, schemas)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _TooLong(Exception):
    pass


class _Counter:
    """Sums token counts, giving up early once a limit is certainly exceeded."""

    __slots__ = ("limit", "total")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.total = 0

    def add(self, n: int) -> None:
        self.total += n
        if self.limit is not None and self.total > self.limit:
            raise _TooLong

    def text(self, text: str) -> None:
        if self.limit is not None and self.total + len(text) // MAX_TOKEN_CHARS > self.limit:
            raise _TooLong  # cannot fit whatever the exact count: skip counting a huge text
        self.add(count_text(text))

    def content(self, content: Any) -> None:
        if isinstance(content, str):
            self.text(content)
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, Mapping):
                    self.block(block)

    def block(self, block: Mapping[str, Any]) -> None:
        """One input content block; unknown block types cost the tokens of their JSON."""
        kind = block.get("type")
        if kind == "text":
            self.text(str(block.get("text", "")))
        elif kind == "image":
            self.add(IMAGE_TOKENS)
        elif kind == "document":
            self.text(str(block.get("title") or ""))
            self.text(str(block.get("context") or ""))
            source = block.get("source")
            kind = source.get("type") if isinstance(source, Mapping) else None
            if kind == "text":
                self.text(str(source.get("data", "")))  # type: ignore[union-attr]
            elif kind == "content":
                self.content(source.get("content"))  # type: ignore[union-attr]
            else:
                self.add(PDF_TOKENS)
        elif kind == "tool_use":
            self.text(str(block.get("name", "")))
            self.text(json_text(block.get("input", {})))
        elif kind == "tool_result":
            self.add(MESSAGE_OVERHEAD)
            self.content(block.get("content"))
        elif kind == "thinking":
            self.text(str(block.get("thinking", "")))
        elif kind == "redacted_thinking":
            self.text(str(block.get("data", "")))
        elif kind == "search_result":
            self.text(str(block.get("title", "")))
            self.text(str(block.get("source", "")))
            self.content(block.get("content"))
        else:
            self.text(json_text(block))

    def tool(self, tool: Mapping[str, Any]) -> None:
        self.text(str(tool.get("name", "")))
        self.text(str(tool.get("description") or ""))
        schema = tool.get("input_schema")
        # Server tools have no schema: their definition itself stands for what the API adds.
        self.text(json_text(schema if schema is not None else {k: v for k, v in tool.items() if k != "cache_control"}))


def count_input_tokens(params: Mapping[str, Any], *, limit: int | None = None) -> int:
    """Input tokens of a (validated) Messages request: system, messages, tools, output schema.

    Sampling and output settings (max_tokens, stop_sequences, temperature...) cost nothing, so a
    count_tokens request and a create request with the same conversation give the same number.
    With `limit`, counting stops as soon as the total certainly exceeds it and some number above
    `limit` is returned (the exact figure is not worth counting a huge prompt for).
    """
    counter = _Counter(limit)
    try:
        counter.add(BASE_OVERHEAD)
        system = params.get("system")
        if system:
            counter.add(SYSTEM_OVERHEAD)
            counter.content(system)
        for message in params.get("messages") or ():
            if isinstance(message, Mapping):
                counter.add(MESSAGE_OVERHEAD)
                counter.content(message.get("content"))
        tools = params.get("tools")
        if tools:
            counter.add(TOOLS_OVERHEAD)
            for tool in tools:
                if isinstance(tool, Mapping):
                    counter.tool(tool)
        schema = output_schema(params)
        if schema is not None:
            counter.text(json_text(schema))
    except _TooLong:
        return max(counter.total, (limit or 0) + 1)
    return counter.total


def output_schema(params: Mapping[str, Any]) -> Any:
    """The JSON schema of structured outputs (`output_config.format`, or the beta `output_format`)."""
    config = params.get("output_config")
    fmt = config.get("format") if isinstance(config, Mapping) else None
    fmt = fmt or params.get("output_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        return fmt.get("schema")
    return None
