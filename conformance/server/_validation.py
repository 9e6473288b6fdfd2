"""Request validation for Messages, count_tokens and (through them) batch items.

Every failure is `ApiError(400, "<field path>: <reason>")`, the path dot-joined as the API prints
it (`messages.1.content.0.text: text content blocks must be non-empty`). Two layers:

1. **Hand rules** (always on): the request's structure, closed objects ("Extra inputs are not
   permitted", as the API says for unknown keys), and the rules a schema cannot state: max_tokens
   ≥ 1 and within the model's output limit; budget_tokens ≥ 1024 and below max_tokens; non-empty
   text blocks and message content; the first turn is the user's; tool_use/tool_result pairing
   between consecutive turns; tool_choice any/tool only with tools (and a known tool name); no
   forced tool use with thinking; non-blank stop sequences; file ids that exist; tool input
   schemas that are valid JSON Schema.
2. **A schema pass**: `use_contract()` (called by `create_app`) plugs in the bundled contract's
   request schemas (`CreateMessageParams`, `CountTokensParams`), compiled once with jsonschema_rs
   and run after the hand rules, so their precise messages win; it catches whatever shape the hand
   rules do not look at (the contract describes both API versions).

API version 2026-10-21 (SDK 2.x), and 2023-06-01 on beta calls (the mid-conversation betas,
as recorded traffic shows), accept `role: "system"` messages anywhere in
`messages` (text, tool_addition and tool_removal blocks, `clear_at`, `output_config`); they take
no part in turn order or tool pairing. A compaction request (`compaction`) cannot be combined
with `context_management`; a compaction block sent back must carry the signature the server gave
it (`conformance.server._model.sign_compaction`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import jsonschema_rs

from conformance.server._errors import ApiError
from conformance.server._model import sign_compaction
from conformance.server._models import find_model

API_VERSIONS = ("2023-06-01", "2026-10-21")
SYSTEM_ROLE_VERSION = "2026-10-21"
BETA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*-[0-9]{4}-[0-9]{2}-[0-9]{2}$")
"""A beta name as the contract defines it (common.yaml AnthropicBetaValue): `name-YYYY-MM-DD`."""


def beta_error(betas: Sequence[str]) -> str | None:
    """Why the API would refuse these `anthropic-beta` values (any well-formed dated name passes:
    new betas appear every month), or None."""
    malformed = [beta for beta in betas if not BETA_NAME.match(beta)]
    return f"anthropic-beta: unexpected value(s) {', '.join(map(repr, malformed[:3]))}" if malformed else None


Path = tuple[str | int, ...]
FileExists = Callable[[str], bool]

_SAMPLING = {"temperature", "top_p", "top_k"}
_COMMON_KEYS = {"model", "messages", "system", "tools", "tool_choice", "thinking", "output_config", "cache_control"}
_BETA_KEYS = {"mcp_servers", "context_management", "output_format", "speed", "billing_policy", "compaction"}
"""Beta request fields accepted without checking the beta header (the SDK's beta client sends them)."""
CREATE_KEYS = frozenset(
    _COMMON_KEYS | _SAMPLING | _BETA_KEYS
    | {"max_tokens", "stop_sequences", "stream", "metadata", "service_tier", "container", "inference_geo", "thread"}
)
COUNT_KEYS = frozenset(_COMMON_KEYS | {"mcp_servers", "context_management", "output_format", "billing_policy", "compaction"})

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_TOOL_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
_VERSIONED_TOOL = re.compile(r"^[a-z][a-z0-9_]*_\d{8}$")
_TOOLSET = re.compile(r"^(mcp_toolset|[a-z]+_toolset_\d{8})$")
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
_CUSTOM_TOOL_KEYS = {
    "type", "name", "description", "input_schema", "cache_control", "strict", "eager_input_streaming",
    "input_examples", "defer_loading", "allowed_callers",
}
_ASSISTANT_ONLY = {
    "thinking", "redacted_thinking", "tool_use", "server_tool_use", "web_search_tool_result",
    "web_fetch_tool_result", "code_execution_tool_result", "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result", "tool_search_tool_result", "mcp_tool_use", "mcp_tool_result",
    "mcp_tool_listing", "fallback", "advisor_tool_result",
}
_SYSTEM_BLOCKS = {"text", "tool_addition", "tool_removal"}
_USER_ONLY = {"tool_result"}


def fail(path: Path, reason: str) -> NoReturn:
    raise ApiError(400, f"{'.'.join(str(p) for p in path)}: {reason}" if path else reason)


def _type_name(value: Any) -> str:
    return {dict: "dictionary", list: "list", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def obj(value: Any, path: Path) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        fail(path, f"Input should be a valid dictionary (got {_type_name(value)})")
    return value


def closed(value: Any, allowed: set[str] | frozenset[str], path: Path) -> Mapping[str, Any]:
    mapping = obj(value, path)
    for key in mapping:
        if key not in allowed:
            fail((*path, key), "Extra inputs are not permitted")
    return mapping


def required(mapping: Mapping[str, Any], key: str, path: Path) -> Any:
    if key not in mapping:
        fail((*path, key), "Field required")
    return mapping[key]


def string(value: Any, path: Path, *, min_len: int = 0, max_len: int | None = None, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        fail(path, f"Input should be a valid string (got {_type_name(value)})")
    if len(value) < min_len:
        fail(path, f"String should have at least {min_len} character{'s' if min_len != 1 else ''}")
    if max_len is not None and len(value) > max_len:
        fail(path, f"String should have at most {max_len} characters")
    return value


def integer(value: Any, path: Path, *, minimum: int | None = None, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, f"Input should be a valid integer (got {_type_name(value)})")
    if minimum is not None and value < minimum:
        fail(path, f"Input should be greater than or equal to {minimum}")
    return value


def number(value: Any, path: Path, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, f"Input should be a valid number (got {_type_name(value)})")
    if not low <= value <= high:
        fail(path, f"Input should be between {low:g} and {high:g}")
    return float(value)


def boolean(value: Any, path: Path) -> bool:
    if not isinstance(value, bool):
        fail(path, f"Input should be a valid boolean (got {_type_name(value)})")
    return value


def array(value: Any, path: Path, *, min_items: int = 0) -> list[Any]:
    if not isinstance(value, list):
        fail(path, f"Input should be a valid list (got {_type_name(value)})")
    if len(value) < min_items:
        fail(path, f"List should have at least {min_items} item{'s' if min_items != 1 else ''}")
    return value


def enum(value: Any, choices: Sequence[str], path: Path, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or value not in choices:
        fail(path, "Input should be " + " or ".join(repr(c) for c in choices))
    return value


def cache_control(value: Any, path: Path) -> None:
    if value is None:
        return
    mapping = closed(value, {"type", "ttl"}, path)
    enum(required(mapping, "type", path), ("ephemeral",), (*path, "type"))
    if "ttl" in mapping:
        enum(mapping["ttl"], ("5m", "1h"), (*path, "ttl"))


def json_schema(value: Any, path: Path) -> Mapping[str, Any]:
    schema = obj(value, path)
    if not jsonschema_rs.meta.is_valid(dict(schema)):
        try:
            jsonschema_rs.meta.validate(dict(schema))
        except jsonschema_rs.ValidationError as exc:
            fail((*path, *exc.instance_path), f"invalid JSON Schema: {exc.message}")
        except Exception:  # noqa: BLE001 — jsonschema_rs raises its own types for unresolvable parts
            fail(path, "invalid JSON Schema")
    return schema


class _Context:
    """What block checks need beyond the block: the request's options and a file lookup."""

    __slots__ = ("file_exists",)

    def __init__(self, file_exists: FileExists) -> None:
        self.file_exists = file_exists

    def file(self, source: Mapping[str, Any], path: Path) -> None:
        file_id = string(required(source, "file_id", path), (*path, "file_id"), min_len=1)
        if not self.file_exists(str(file_id)):
            fail((*path, "file_id"), f"file not found: {file_id}")


# ----------------------------------------------------------------------------------------------
# Content blocks


def _text_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "text", "cache_control", "citations"}, path)
    text = string(required(block, "text", path), (*path, "text"))
    if not text:
        fail((*path, "text"), "text content blocks must be non-empty")
    cache_control(block.get("cache_control"), (*path, "cache_control"))
    citations = block.get("citations")
    if citations is not None:
        for i, citation in enumerate(array(citations, (*path, "citations"))):
            string(required(obj(citation, (*path, "citations", i)), "type", (*path, "citations", i)), (*path, "citations", i, "type"))


def _image_source(source: Any, path: Path, ctx: _Context, *, pdf: bool = False) -> None:
    mapping = obj(source, path)
    kinds = ("base64", "url", "file")
    kind = enum(required(mapping, "type", path), kinds, (*path, "type"))
    if kind == "base64":
        closed(mapping, {"type", "media_type", "data"}, path)
        enum(required(mapping, "media_type", path), ("application/pdf",) if pdf else _IMAGE_TYPES, (*path, "media_type"))
        string(required(mapping, "data", path), (*path, "data"))
    elif kind == "url":
        closed(mapping, {"type", "url"}, path)
        string(required(mapping, "url", path), (*path, "url"), min_len=1)
    else:
        closed(mapping, {"type", "file_id"}, path)
        ctx.file(mapping, path)


def _image_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "source", "cache_control", "transformations"}, path)
    _image_source(required(block, "source", path), (*path, "source"), ctx)
    cache_control(block.get("cache_control"), (*path, "cache_control"))


def _document_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "source", "cache_control", "citations", "context", "title"}, path)
    source_path = (*path, "source")
    source = obj(required(block, "source", path), source_path)
    kind = enum(required(source, "type", source_path), ("base64", "text", "content", "url", "file"), (*source_path, "type"))
    if kind == "text":
        closed(source, {"type", "media_type", "data"}, source_path)
        enum(required(source, "media_type", source_path), ("text/plain",), (*source_path, "media_type"))
        string(required(source, "data", source_path), (*source_path, "data"))
    elif kind == "content":
        closed(source, {"type", "content"}, source_path)
        inner = required(source, "content", source_path)
        if not isinstance(inner, str):
            _blocks(array(inner, (*source_path, "content")), (*source_path, "content"), ctx, allowed={"text", "image"})
    else:
        _image_source(source, source_path, ctx, pdf=True)
    title = block.get("title")
    string(title, (*path, "title"), min_len=1, max_len=500, nullable=True)
    string(block.get("context"), (*path, "context"), min_len=1, nullable=True)
    citations = block.get("citations")
    if citations is not None:
        config = closed(citations, {"enabled"}, (*path, "citations"))
        if "enabled" in config:
            boolean(config["enabled"], (*path, "citations", "enabled"))
    cache_control(block.get("cache_control"), (*path, "cache_control"))


def _search_result_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "source", "title", "content", "citations", "cache_control"}, path)
    string(required(block, "source", path), (*path, "source"))
    string(required(block, "title", path), (*path, "title"))
    _blocks(array(required(block, "content", path), (*path, "content")), (*path, "content"), ctx, allowed={"text"})
    cache_control(block.get("cache_control"), (*path, "cache_control"))


def _thinking_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "thinking", "signature"}, path)
    string(required(block, "thinking", path), (*path, "thinking"))
    string(required(block, "signature", path), (*path, "signature"))


def _redacted_thinking_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "data"}, path)
    string(required(block, "data", path), (*path, "data"))


def _tool_use_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "id", "name", "input", "cache_control", "caller"}, path)
    tool_id = string(required(block, "id", path), (*path, "id"))
    if not _TOOL_ID.match(str(tool_id)):
        fail((*path, "id"), "String should match pattern '^[a-zA-Z0-9_-]+$'")
    string(required(block, "name", path), (*path, "name"), min_len=1, max_len=200)
    obj(required(block, "input", path), (*path, "input"))
    cache_control(block.get("cache_control"), (*path, "cache_control"))


def _tool_result_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "tool_use_id", "content", "is_error", "cache_control"}, path)
    tool_use_id = string(required(block, "tool_use_id", path), (*path, "tool_use_id"))
    if not _TOOL_ID.match(str(tool_use_id)):
        fail((*path, "tool_use_id"), "String should match pattern '^[a-zA-Z0-9_-]+$'")
    content = block.get("content")
    if content is not None and not isinstance(content, str):
        _blocks(array(content, (*path, "content")), (*path, "content"), ctx,
                allowed={"text", "image", "document", "search_result", "tool_reference"})
    if "is_error" in block:
        boolean(block["is_error"], (*path, "is_error"))
    cache_control(block.get("cache_control"), (*path, "cache_control"))


def _container_upload_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    closed(block, {"type", "file_id", "cache_control"}, path)
    ctx.file(block, path)


def _compaction_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    """A compaction block comes back exactly as the server gave it: the signature covers the
    summary and the tool changes (the API answers `compaction_signature_invalid` otherwise)."""
    cache_control(block.get("cache_control"), (*path, "cache_control"))
    signature = block.get("signature")
    if signature is not None and signature != sign_compaction(block.get("content"), block.get("tool_changes")):
        fail((*path, "signature"), "the compaction block was changed since the server signed it; send it back unchanged")


def _loose_block(block: Mapping[str, Any], path: Path, ctx: _Context) -> None:
    """Server-tool blocks replayed from an earlier response: the server only runs client tools,
    so it checks their cache_control and leaves their content to the schema pass."""
    cache_control(block.get("cache_control"), (*path, "cache_control"))


_BLOCKS: dict[str, Callable[[Mapping[str, Any], Path, _Context], None]] = {
    "text": _text_block,
    "image": _image_block,
    "document": _document_block,
    "search_result": _search_result_block,
    "thinking": _thinking_block,
    "redacted_thinking": _redacted_thinking_block,
    "tool_use": _tool_use_block,
    "tool_result": _tool_result_block,
    "container_upload": _container_upload_block,
    "tool_reference": _loose_block,
    "compaction": _compaction_block,
    "tool_addition": _loose_block,
    "tool_removal": _loose_block,
    **{kind: _loose_block for kind in _ASSISTANT_ONLY - {"thinking", "redacted_thinking", "tool_use"}},
}


def _blocks(blocks: list[Any], path: Path, ctx: _Context, *, allowed: set[str] | None = None) -> None:
    for i, block in enumerate(blocks):
        block_path = (*path, i)
        mapping = obj(block, block_path)
        kind = string(required(mapping, "type", block_path), (*block_path, "type"))
        check = _BLOCKS.get(str(kind))
        if check is None or (allowed is not None and kind not in allowed):
            choices = sorted(allowed if allowed is not None else _BLOCKS)
            fail((*block_path, "type"), f"Input tag {kind!r} found using 'type' does not match any of the expected tags: {', '.join(map(repr, choices))}")
        check(mapping, block_path, ctx)


# ----------------------------------------------------------------------------------------------
# Messages and turns


def _message_content(message: Mapping[str, Any], path: Path, ctx: _Context, *, final_assistant: bool) -> None:
    role = message["role"]
    if role == "system" and "content" not in message and message.get("output_config") is not None:
        return  # output settings alone (the contract's schema pass checks their shape)
    content = required(message, "content", path)
    content_path = (*path, "content")
    if isinstance(content, str):
        blocks: list[Any] = []
        empty = content == ""
    else:
        blocks = array(content, content_path)
        empty = not blocks
    if empty and not final_assistant:
        fail(content_path, "all messages must have non-empty content except for the optional final assistant message")
    if role == "system":
        _blocks(blocks, content_path, ctx, allowed=_SYSTEM_BLOCKS)
        return
    _blocks(blocks, content_path, ctx)
    for i, block in enumerate(blocks):
        kind = block["type"]
        if role == "user" and kind in _ASSISTANT_ONLY:
            fail((*content_path, i, "type"), f"{kind} blocks may only appear in assistant messages")
        if role == "assistant" and kind in _USER_ONLY:
            fail((*content_path, i, "type"), f"{kind} blocks may only appear in user messages")


def _check_turns(messages: list[Mapping[str, Any]]) -> None:
    """Turn order and tool pairing. Consecutive messages of one role form one turn (the API merges
    them); a tool_result must answer a tool_use of the previous assistant turn, and every tool_use
    of an assistant turn must be answered in the next user turn when there is one."""
    turns: list[tuple[str, list[int]]] = []
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "system":
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].append(index)
        else:
            turns.append((role, [index]))
    if not turns:
        fail(("messages",), "at least one user message is required")
    if turns[0][0] != "user":
        fail(("messages", turns[0][1][0], "role"), 'the first message must use the "user" role')
    seen_ids: set[str] = set()
    for position, (role, indexes) in enumerate(turns):
        if role == "assistant":
            ids = [(i, j, str(b["id"])) for i in indexes for j, b in enumerate(_block_list(messages[i])) if b["type"] == "tool_use"]
            for i, j, tool_id in ids:
                if tool_id in seen_ids:
                    fail(("messages", i, "content", j, "id"), f"tool_use ids must be unique: {tool_id}")
                seen_ids.add(tool_id)
            if position + 1 < len(turns):
                answered = {
                    str(b["tool_use_id"]) for i in turns[position + 1][1] for b in _block_list(messages[i]) if b["type"] == "tool_result"
                }
                missing = [tool_id for _, _, tool_id in ids if tool_id not in answered]
                if missing:
                    fail(("messages", indexes[-1]), "tool_use ids were found without tool_result blocks immediately after: "
                         f"{', '.join(missing)}. Each tool_use block must have a corresponding tool_result block in the next message.")
        else:
            previous = turns[position - 1][1] if position > 0 else []
            offered = {str(b["id"]) for i in previous for b in _block_list(messages[i]) if b["type"] == "tool_use"}
            for i in indexes:
                for j, block in enumerate(_block_list(messages[i])):
                    if block["type"] == "tool_result" and str(block["tool_use_id"]) not in offered:
                        fail(("messages", i, "content", j, "tool_use_id"),
                             f"unexpected tool_use_id found in tool_result blocks: {block['tool_use_id']}. "
                             "Each tool_result block must have a corresponding tool_use block in the previous message.")


def _block_list(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    return content if isinstance(content, list) else []


def _messages(value: Any, ctx: _Context, api_version: str, beta: bool) -> list[Mapping[str, Any]]:
    messages = array(value, ("messages",), min_items=1)
    roles = ("user", "assistant", "system") if api_version == SYSTEM_ROLE_VERSION or beta else ("user", "assistant")
    last_conversational = max((i for i, m in enumerate(messages) if isinstance(m, Mapping) and m.get("role") != "system"), default=-1)
    for index, message in enumerate(messages):
        path: Path = ("messages", index)
        role = enum(required(obj(message, path), "role", path), roles, (*path, "role"))
        mapping = closed(message, {"role", "content", "clear_at", "output_config"} if role == "system" else {"role", "content"}, path)
        final_assistant = index == last_conversational and mapping["role"] == "assistant"
        _message_content(mapping, path, ctx, final_assistant=final_assistant)
    _check_turns(messages)
    return messages


# ----------------------------------------------------------------------------------------------
# Request options


def _system(value: Any, ctx: _Context) -> None:
    if isinstance(value, str):
        return
    _blocks(array(value, ("system",)), ("system",), ctx, allowed={"text"})


def _tools(value: Any) -> list[str]:
    names: list[str] = []
    for index, tool in enumerate(array(value, ("tools",))):
        path: Path = ("tools", index)
        mapping = obj(tool, path)
        kind = mapping.get("type")
        if kind in (None, "custom"):
            closed(mapping, _CUSTOM_TOOL_KEYS, path)
            name = string(required(mapping, "name", path), (*path, "name"))
            if not _TOOL_NAME.match(str(name)):
                fail((*path, "name"), "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'")
            schema = json_schema(required(mapping, "input_schema", path), (*path, "input_schema"))
            if schema.get("type") != "object":
                fail((*path, "input_schema", "type"), "Input should be 'object'")
            string(mapping.get("description", ""), (*path, "description"))
            if "strict" in mapping:
                boolean(mapping["strict"], (*path, "strict"))
        elif isinstance(kind, str) and _TOOLSET.match(kind):
            name = None  # a set of tools (browser, computer, an MCP server's): named by its members
        elif isinstance(kind, str) and _VERSIONED_TOOL.match(kind):
            name = string(required(mapping, "name", path), (*path, "name"), min_len=1)
        else:
            fail((*path, "type"), f"unknown tool type: {kind!r}")
        cache_control(mapping.get("cache_control"), (*path, "cache_control"))
        if name is not None:
            names.append(str(name))
    if len(set(names)) != len(names):
        fail(("tools",), "Tool names must be unique.")
    return names


def _tool_choice(value: Any, tool_names: list[str]) -> str:
    path: Path = ("tool_choice",)
    mapping = obj(value, path)
    kind = enum(required(mapping, "type", path), ("auto", "any", "tool", "none"), (*path, "type"))
    allowed = {"type"} if kind == "none" else ({"type", "name", "disable_parallel_tool_use"} if kind == "tool" else {"type", "disable_parallel_tool_use"})
    closed(mapping, allowed, path)
    if "disable_parallel_tool_use" in mapping:
        boolean(mapping["disable_parallel_tool_use"], (*path, "disable_parallel_tool_use"))
    if kind in ("any", "tool") and not tool_names:
        fail((), f"tool_choice.{kind} may only be specified while providing tools")  # the API's wording
    if kind == "tool":
        name = string(required(mapping, "name", path), (*path, "name"))
        if name not in tool_names:
            fail((*path, "name"), f"tool {name!r} not found in tools")
    return str(kind)


def _thinking(value: Any, max_tokens: int | None, model: str) -> str:
    path: Path = ("thinking",)
    mapping = obj(value, path)
    kind = enum(required(mapping, "type", path), ("enabled", "disabled", "adaptive", "between_tools"), (*path, "type"))
    shown = {"type", "display", "block_binding"}
    closed(mapping, shown | {"budget_tokens"} if kind == "enabled" else (shown if kind == "adaptive" else {"type"}), path)
    if "display" in mapping:
        enum(mapping["display"], ("summarized", "omitted", "updates"), (*path, "display"), nullable=True)
    entry = find_model(model)
    if kind == "enabled":
        budget = integer(required(mapping, "budget_tokens", path), (*path, "budget_tokens"), minimum=1024)
        if max_tokens is not None and budget is not None and budget >= max_tokens:
            fail(("max_tokens",), f"`max_tokens` must be greater than `thinking.budget_tokens` ({max_tokens} <= {budget})")
        if entry is not None and not entry.thinking:
            fail(path, f"extended thinking is not supported by {model}")
    if kind == "adaptive" and entry is not None and not entry.adaptive_thinking:
        fail((*path, "type"), f"adaptive thinking is not supported by {model}")
    return str(kind)


def _output_config(value: Any) -> None:
    path: Path = ("output_config",)
    mapping = closed(value, {"effort", "format"}, path)
    if "effort" in mapping:
        enum(mapping["effort"], ("low", "medium", "high", "xhigh", "max"), (*path, "effort"), nullable=True)
    if mapping.get("format") is not None:
        _output_format(mapping["format"], (*path, "format"))


def _output_format(value: Any, path: Path) -> None:
    fmt = closed(value, {"type", "schema"}, path)
    enum(required(fmt, "type", path), ("json_schema",), (*path, "type"))
    json_schema(required(fmt, "schema", path), (*path, "schema"))


def _sampling(body: Mapping[str, Any], thinking_on: bool) -> None:
    if "temperature" in body:
        temperature = number(body["temperature"], ("temperature",), low=0, high=1)
        if thinking_on and temperature != 1:
            fail(("temperature",), "temperature may only be set to 1 when thinking is enabled")
    if "top_p" in body:
        number(body["top_p"], ("top_p",), low=0, high=1)
    if "top_k" in body:
        integer(body["top_k"], ("top_k",), minimum=0)
        if thinking_on:
            fail(("top_k",), "top_k may not be set when thinking is enabled")


def _common(body: Mapping[str, Any], *, file_exists: FileExists, api_version: str, beta: bool, max_tokens: int | None) -> None:
    ctx = _Context(file_exists)
    model = string(required(body, "model", ()), ("model",), min_len=1)
    _messages(required(body, "messages", ()), ctx, api_version, beta)
    if "system" in body:
        _system(body["system"], ctx)
    tool_names = _tools(body["tools"]) if body.get("tools") is not None else []
    choice = _tool_choice(body["tool_choice"], tool_names) if body.get("tool_choice") is not None else "auto"
    thinking = _thinking(body["thinking"], max_tokens, str(model)) if body.get("thinking") is not None else "disabled"
    if thinking != "disabled" and choice in ("any", "tool"):
        fail(("thinking",), "Thinking may not be enabled when tool_choice forces tool use.")
    if body.get("output_config") is not None:
        _output_config(body["output_config"])
    if body.get("output_format") is not None:
        _output_format(body["output_format"], ("output_format",))
    cache_control(body.get("cache_control"), ("cache_control",))
    for key in ("mcp_servers",):
        if body.get(key) is not None:
            array(body[key], (key,))
    if body.get("context_management") is not None:
        obj(body["context_management"], ("context_management",))
        if body.get("compaction") is not None and max_tokens is not None:
            fail(("compaction",), "compaction cannot be combined with context_management")
    _sampling(body, thinking != "disabled")


def validate_create_message(
    body: object,
    *,
    file_exists: FileExists = lambda _id: True,
    api_version: str = "2023-06-01",
    beta: bool = False,
) -> dict[str, Any]:
    """Check a `POST /v1/messages` body; returns it as the params dict or raises ApiError(400)."""
    params = closed(body, CREATE_KEYS, ())
    max_tokens = integer(required(params, "max_tokens", ()), ("max_tokens",), minimum=1)
    assert max_tokens is not None
    entry = find_model(params["model"]) if isinstance(params.get("model"), str) else None
    if entry is not None and max_tokens > entry.max_tokens:
        fail(("max_tokens",), f"{max_tokens} > {entry.max_tokens}, which is the maximum allowed number of output tokens for {entry.id}")
    _common(params, file_exists=file_exists, api_version=api_version, beta=beta, max_tokens=max_tokens)
    if "stop_sequences" in params:
        for i, seq in enumerate(array(params["stop_sequences"], ("stop_sequences",))):
            if not string(seq, ("stop_sequences", i)) or not str(seq).strip():
                fail(("stop_sequences", i), "each stop sequence must contain non-whitespace characters")
    if "stream" in params:
        boolean(params["stream"], ("stream",))
    if params.get("metadata") is not None:
        metadata = closed(params["metadata"], {"user_id"}, ("metadata",))
        string(metadata.get("user_id"), ("metadata", "user_id"), max_len=512, nullable=True)
    if "service_tier" in params:
        enum(params["service_tier"], ("auto", "standard_only"), ("service_tier",))
    if params.get("container") is not None and not isinstance(params["container"], (str, Mapping)):
        fail(("container",), "Input should be a valid string")
    string(params.get("inference_geo"), ("inference_geo",), nullable=True)
    _schema_pass("create", params)
    return dict(params)


def validate_count_tokens(
    body: object,
    *,
    file_exists: FileExists = lambda _id: True,
    api_version: str = "2023-06-01",
    beta: bool = False,
) -> dict[str, Any]:
    """Check a `POST /v1/messages/count_tokens` body (create's rules minus the output options)."""
    params = closed(body, COUNT_KEYS, ())
    _common(params, file_exists=file_exists, api_version=api_version, beta=beta, max_tokens=None)
    _schema_pass("count_tokens", params)
    return dict(params)


# ----------------------------------------------------------------------------------------------
# Optional schema pass

CONTRACT_SCHEMAS = {"create": "CreateMessageParams", "count_tokens": "CountTokensParams"}
_SCHEMAS: dict[str, Any] = {}
_EXPLAIN: dict[str, Callable[[Any], list[Any]]] = {}
"""Per operation: the contract's own explanation of a failure (errors inside the union branch a
message meant, e.g. the `role: user` one), used once the fast validator has said "invalid"."""
log = logging.getLogger("conformance.server")


def use_schema(operation: str, schema: Mapping[str, Any] | None) -> None:
    """Plug in (or, with None, remove) a request schema for "create" or "count_tokens".

    The schema must be self-contained (its `$ref`s resolvable inside it); it is compiled once
    here, never per request.
    """
    _EXPLAIN.pop(operation, None)
    if schema is None:
        _SCHEMAS.pop(operation, None)
    else:
        _SCHEMAS[operation] = jsonschema_rs.validator_for(dict(schema))


@functools.lru_cache(maxsize=1)
def use_contract() -> bool:
    """Plug in the bundled contract's request schemas (once per process). A contract that cannot
    be loaded leaves the hand rules alone in charge, with a warning: the server must still run."""
    try:
        from conformance.contract import load_contract

        contract = load_contract()
        components = contract.document["components"]
        for operation, name in CONTRACT_SCHEMAS.items():
            if name in components.get("schemas", {}):
                use_schema(operation, {"$ref": f"#/components/schemas/{name}", "components": components})
                _EXPLAIN[operation] = functools.partial(contract.validate, name)
    except Exception as exc:  # noqa: BLE001 — any failure here must degrade, not stop the server
        log.warning("request validation runs without the contract's schemas: %s", exc)
        return False
    return True


def check_schema(operation: str, body: object) -> None:
    """The schema pass alone ("create" or "count_tokens"): 400 naming the first field the contract's
    request schema rejects. Mock mode holds requests to this and nothing more."""
    _schema_pass(operation, obj(body, ()))


def _schema_pass(operation: str, params: Mapping[str, Any]) -> None:
    validator = _SCHEMAS.get(operation)
    if validator is None:
        return
    if validator.is_valid(params):
        return
    explain = _EXPLAIN.get(operation)
    for found in explain(params) if explain else []:
        fail(tuple(int(p) if p.isdigit() else p for p in found.path.strip("/").split("/") if p), found.message)
    for error in validator.iter_errors(params):
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        fail(tuple(error.instance_path), message)
