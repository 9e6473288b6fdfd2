"""The deterministic model: validated Messages params + seed → a `Message`, with no I/O, no clock
and no global randomness. Everything random comes from `Rng(request_seed(params, seed))`, so the
same request and server `--seed` always give the same message. The seed ignores `stream`,
`max_tokens` and `stop_sequences`: streaming changes nothing, and a smaller `max_tokens` or an
added stop sequence cuts the very same reply shorter (so a test can read a reply, then choose a
stop sequence or a limit that falls inside it).

How a reply is made (tests rely on these rules; docs/server.md repeats them):

1. **Thinking** (`thinking.type` `enabled` or `adaptive`): a `thinking` block comes first, 8 to 40
   tokens long, capped by `budget_tokens` and by `max_tokens`, signed with a `signature` that is a
   pure function of the thinking text (so a replayed block keeps a valid signature). With
   `display: "omitted"` its text is empty but its tokens still count. Stop sequences never apply to it.
2. **Tool choice.** Candidate tools are those with an `input_schema` plus the Anthropic-defined
   client tools (`bash_*`, `text_editor_*`, `computer_*`, `memory_*`); server tools are never called.
   `none` (or no tools): no tool use. `tool`: that tool. `any`: one tool chosen by the seed, and a
   second one with probability 1/4 unless `disable_parallel_tool_use`. `auto` (the default): no
   tool when the last user turn carries a `tool_result` (so agent loops end); else the first tool
   whose name occurs in the last user text; else one tool chosen by the seed with probability 1/2.
   Tool inputs are generated from the tool's `input_schema` and validate against it.
3. **Text.** Unless a tool is forced (`any`/`tool`), a text block is produced. It **starts by echoing
   the last user message verbatim**: its string content, or its text blocks joined with "\\n", or,
   if it has none, the text of its `tool_result` blocks. Then come 4 to 24 words from a built-in
   vocabulary and a final ".". So a test hits a stop sequence by putting it in the last user
   message. With structured outputs (`output_config.format` of type `json_schema`), the text is
   instead the JSON of an instance generated from that schema.
4. **Budget.** Every emitted token counts toward `max_tokens` (thinking included). When the budget
   runs out mid-text the text is cut there and `stop_reason` is `max_tokens`; a tool_use block that
   does not fit whole is dropped: `max_tokens` if it was the first one, else the reply keeps the
   calls that fit and ends with `tool_use` (a tool_use block always means `stop_reason: tool_use`). `output_tokens` is always the number of
   tokens emitted, so it never exceeds `max_tokens`.
5. **Stop sequences** are checked after each emitted text token; on the first match (earliest
   start; ties go to the sequence listed first) the text is cut just before it, `stop_reason` is
   `stop_sequence` and `stop_sequence` echoes it. The token that completed the match is counted.
6. **Citations.** If a `document` block has `citations.enabled`, the text block cites each such
   document (up to two) with the location type its source calls for.

7. **Compaction** (`compaction`, beta): the reply is one `compaction` block and nothing else,
   `stop_reason: "compaction"`. Its summary names the turns it replaces (the text of each user
   message, joined), its `tool_changes` repeat the tool_addition/tool_removal blocks of the system
   messages, and its `signature` (`sign_compaction`) covers both, so the block must come back
   unchanged. `thinking: {type: "between_tools"}` thinks only after a tool result.

Empty text blocks are never emitted, so a reply cut at once has `content: []`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.server._errors import ApiError
from conformance.server._jsongen import generate as generate_instance
from conformance.server._models import find_model
from conformance.server._rng import Rng, request_seed
from conformance.server._tokens import (
    MAX_TOKEN_CHARS,
    count_input_tokens,
    json_text,
    output_schema,
    tokenize,
)

Outcome = Literal["refusal", "pause_turn"]

VOCABULARY: tuple[str, ...] = (
    "the", "model", "answer", "is", "a", "deterministic", "reply", "from", "reference", "server",
    "each", "token", "comes", "seeded", "generator", "so", "tests", "can", "rely", "on", "it",
    "stream", "event", "block", "tool", "result", "input", "output", "message", "request", "and",
    "with", "clear", "simple", "words", "that", "repeat", "when", "seed", "same", "here", "more",
)
"""Continuation words: lowercase ASCII, 12 characters at most, so each is exactly one token."""

THINKING_PREAMBLE = "Let me think about this request."
CLIENT_TOOL_PREFIXES = ("bash_", "text_editor_", "computer_", "memory_")
_EDITOR_VIEW = {"type": "object", "properties": {"command": {"const": "view"}, "path": {"const": "/tmp/notes.txt"}}, "required": ["command", "path"]}
_CLIENT_TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    "bash": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    "str_replace_based_edit_tool": _EDITOR_VIEW,
    "str_replace_editor": _EDITOR_VIEW,
    "computer": {"type": "object", "properties": {"action": {"const": "screenshot"}}, "required": ["action"]},
    "memory": {"type": "object", "properties": {"command": {"const": "view"}, "path": {"const": "/memories"}}, "required": ["command", "path"]},
}
DEFAULT_MAX_INPUT_TOKENS = 200_000


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sign_thinking(thinking: str) -> str:
    """The signature of a thinking block: a function of its text only, not of the request or seed."""
    data = thinking.encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(b"conformance-thinking-v1\0" + data).digest()
    return base64.b64encode(digest + hashlib.sha256(digest + data).digest()).decode()


def sign_compaction(summary: Any, tool_changes: Any) -> str:
    """The signature of a compaction block: a function of its summary and tool changes only."""
    data = json.dumps([summary, tool_changes or []], sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return base64.b64encode(hashlib.sha256(b"conformance-compaction-v1\0" + data).digest()).decode()


def _compaction(params: Mapping[str, Any], budget: int) -> tuple[dict[str, Any], int]:
    """Rule 7: the compaction block of a conversation, and the tokens it took."""
    messages = [m for m in params.get("messages") or () if isinstance(m, Mapping)]
    turns = [message_text(m) for m in messages if m.get("role") == "user"]
    summary = emit(tokenize("Summary of the conversation so far: " + " / ".join(t for t in turns if t)), budget)
    changes = [
        {"type": b["type"], "tool": b.get("tool")}
        for m in messages if m.get("role") == "system" and isinstance(m.get("content"), list)
        for b in m["content"] if isinstance(b, Mapping) and b.get("type") in ("tool_addition", "tool_removal")
    ]
    block = {"type": "compaction", "content": summary.text, "signature": sign_compaction(summary.text, changes),
             "tool_changes": changes}
    return block, summary.tokens


def message_text(message: Mapping[str, Any]) -> str:
    """The echo source of rule 3: string content, text blocks, else tool_result text."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = _texts(content)
    if texts:
        return "\n".join(texts)
    results: list[str] = []
    for block in content:
        if isinstance(block, Mapping) and block.get("type") == "tool_result":
            inner = block.get("content")
            results += [inner] if isinstance(inner, str) else _texts(inner)
    return "\n".join(results)


def _texts(blocks: Any) -> list[str]:
    """The texts of the text blocks in a content list."""
    if not isinstance(blocks, list):
        return []
    return [b["text"] for b in blocks if isinstance(b, Mapping) and b.get("type") == "text" and isinstance(b.get("text"), str)]


def _texts_blocks(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    return [b for b in content if isinstance(b, Mapping)] if isinstance(content, list) else []


def last_user_message(messages: Sequence[Any]) -> Mapping[str, Any] | None:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message
    return None


def continuation(rng: Rng, words: int, *, lead_space: bool) -> list[str]:
    """`words` vocabulary tokens and a final "."; every word after the first carries its space.
    A comma follows a word with probability 1/8 (one draw decides the word and the comma)."""
    out: list[str] = []
    size = len(VOCABULARY)
    for i in range(words):
        n = rng.next64()
        word = VOCABULARY[n % size]
        out.append(f" {word}" if (i or lead_space) else word)
        if i + 1 < words and (n >> 61) == 0:
            out.append(",")
    out.append(".")
    return out


@dataclass
class Emitted:
    text: str = ""
    tokens: int = 0
    stop_sequence: str | None = None
    exhausted: bool = False
    """The budget ran out before the token source did."""


def emit(tokens: Iterable[str], budget: int, stop_sequences: Sequence[str] = ()) -> Emitted:
    """Emit tokens until the source ends, the budget is spent, or a stop sequence appears."""
    text = ""
    count = 0
    longest = max((len(s) for s in stop_sequences), default=0)
    for token in tokens:
        if count >= budget:
            return Emitted(text, count, None, exhausted=True)
        before = len(text)
        text += token
        count += 1
        if stop_sequences:
            # Only a match ending inside the new token is new: earlier text was checked already.
            window_start = max(0, before - longest + 1)
            best: tuple[int, int] | None = None
            for order, seq in enumerate(stop_sequences):
                at = text.find(seq, window_start)
                if at != -1 and (best is None or at < best[0]):
                    best = (at, order)
            if best is not None:
                return Emitted(text[: best[0]], count, stop_sequences[best[1]])
    return Emitted(text, count)


@dataclass
class _Plan:
    tools: list[Mapping[str, Any]] = field(default_factory=list)
    forced: bool = False


def tool_schema(tool: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The input schema the model generates from: the tool's own, or a built-in one for the
    Anthropic-defined client tools; None for server tools (never called)."""
    schema = tool.get("input_schema")
    if isinstance(schema, Mapping):
        return schema
    kind = tool.get("type")
    if isinstance(kind, str) and kind.startswith(CLIENT_TOOL_PREFIXES):
        return _CLIENT_TOOL_SCHEMAS.get(str(tool.get("name")), {"type": "object"})
    return None


def _plan_tools(params: Mapping[str, Any], rng: Rng, last_user: Mapping[str, Any] | None, last_text: str) -> _Plan:
    tools = [t for t in params.get("tools") or () if isinstance(t, Mapping) and tool_schema(t) is not None]
    choice = params.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type")
    if not tools or kind == "none":
        return _Plan()
    parallel = not choice.get("disable_parallel_tool_use", False)
    if kind == "tool":
        named = [t for t in tools if t.get("name") == choice.get("name")]
        return _Plan(named[:1], forced=True)
    if kind == "any":
        first = rng.choice(tools)
        chosen = [first]
        others = [t for t in tools if t is not first]
        if parallel and others and rng.chance(0.25):
            chosen.append(rng.choice(others))
        return _Plan(chosen, forced=True)
    content = last_user.get("content") if last_user else None
    if isinstance(content, list) and any(isinstance(b, Mapping) and b.get("type") == "tool_result" for b in content):
        return _Plan()
    for tool in tools:
        if str(tool.get("name")) in last_text:
            return _Plan([tool])
    return _Plan([rng.choice(tools)]) if rng.chance(0.5) else _Plan()


def _citations(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Citations of rule 6, for documents whose `citations.enabled` is true (at most two)."""
    out: list[dict[str, Any]] = []
    index = -1
    for message in params.get("messages") or ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not (isinstance(block, Mapping) and block.get("type") == "document"):
                continue
            index += 1
            config = block.get("citations")
            if not (isinstance(config, Mapping) and config.get("enabled")) or len(out) >= 2:
                continue
            source = _mapping(block.get("source"))
            title = block.get("title") if isinstance(block.get("title"), str) else None
            base = {"document_index": index, "document_title": title, "file_id": source.get("file_id")}
            if source.get("type") == "text":
                data = str(source.get("data", ""))
                end = min(len(data), 80)
                out.append({"type": "char_location", "cited_text": data[:end], **base,
                            "start_char_index": 0, "end_char_index": end})
            elif source.get("type") == "content":
                inner = source.get("content")
                cited = inner if isinstance(inner, str) else next(iter(_texts(inner)), "")
                out.append({"type": "content_block_location", "cited_text": cited, **base,
                            "start_block_index": 0, "end_block_index": 1})
            else:
                out.append({"type": "page_location", "cited_text": "", **base,
                            "start_page_number": 1, "end_page_number": 2})
    return out


def usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """Usage with every key the spec requires; caching and server tools are not simulated (zeros)."""
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "server_tool_use": None,
        "service_tier": "standard",
        "inference_geo": "not_available",
    }


def check_context_window(params: Mapping[str, Any]) -> int:
    """Input tokens of the request, or 400 when they exceed the model's context window."""
    entry = find_model(str(params.get("model", "")))
    limit = entry.max_input_tokens if entry else DEFAULT_MAX_INPUT_TOKENS
    tokens = count_input_tokens(params, limit=limit)
    if tokens > limit:
        raise ApiError(400, f"prompt is too long: {tokens} tokens > {limit} maximum")
    return tokens


def generate_message(params: Mapping[str, Any], *, seed: int, outcome: Outcome | None = None) -> dict[str, Any]:
    """The non-streaming Message for validated params (deterministic in params and seed).

    `outcome` forces a `refusal` or `pause_turn` ending (the fault header's choices). Raises
    ApiError(400) when the prompt does not fit the model's context window.
    """
    input_tokens = check_context_window(params)
    rng = Rng(request_seed(params, seed))
    message_id = "msg_01" + rng.ident()
    budget = int(params["max_tokens"])
    messages = params.get("messages") or ()
    last_user = last_user_message(messages)
    echo = message_text(last_user) if last_user else ""
    content: list[dict[str, Any]] = []
    used = 0
    stop_reason = "end_turn"
    stop_sequence: str | None = None

    def finish() -> dict[str, Any]:
        details = {"type": "refusal", "category": None, "explanation": None} if stop_reason == "refusal" else None
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": params["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "stop_details": details,
            "container": None,
            "usage": usage(input_tokens, used),
        }

    if params.get("compaction") is not None:
        summary, used = _compaction(params, budget)
        content.append(summary)
        stop_reason = "compaction"
        return finish()

    thinking = _mapping(params.get("thinking"))
    after_tool = last_user is not None and any(b.get("type") == "tool_result" for b in _texts_blocks(last_user))
    if thinking.get("type") in ("enabled", "adaptive") or (thinking.get("type") == "between_tools" and after_tool):
        cap = min(budget, int(thinking.get("budget_tokens") or budget))
        thought = emit([*tokenize(THINKING_PREAMBLE), *continuation(rng, rng.between(6, 36), lead_space=True)], cap)
        used += thought.tokens
        shown = "" if thinking.get("display") == "omitted" else thought.text
        content.append({"type": "thinking", "thinking": shown, "signature": sign_thinking(shown)})
        if thought.exhausted and used >= budget:
            stop_reason = "max_tokens"
            return finish()

    plan = _plan_tools(params, rng, last_user, echo) if outcome is None else _Plan()
    if not plan.forced:
        schema = output_schema(params)
        source: Iterable[str]
        if schema is not None:
            source = tokenize(json_text(generate_instance(schema, rng)))
        elif outcome == "refusal":
            source = continuation(rng, rng.between(1, 6), lead_space=False)
        else:
            # Only the echo's first tokens can fit the budget, and no token is longer than
            # MAX_TOKEN_CHARS: tokenizing that prefix gives the same first tokens for far less work
            # on a long prompt (the extra 2 tokens' worth covers the token the cut splits).
            head = echo[: MAX_TOKEN_CHARS * (budget - used + 2)]
            source = itertools.chain(tokenize(head), continuation(rng, rng.between(4, 24), lead_space=bool(echo)))
        stops = [s for s in params.get("stop_sequences") or () if isinstance(s, str) and s]
        text = emit(source, budget - used, stops)
        used += text.tokens
        if text.text:
            block: dict[str, Any] = {"type": "text", "text": text.text}
            cites = _citations(params)
            if cites:
                block["citations"] = cites
            content.append(block)
        if text.stop_sequence is not None:
            stop_reason, stop_sequence = "stop_sequence", text.stop_sequence
            return finish()
        if text.exhausted:
            stop_reason = "max_tokens"
            return finish()

    for tool in plan.tools:
        tool_input = generate_instance(tool_schema(tool), rng)
        cost = len(tokenize(json_text(tool_input))) + 1
        if used + cost > budget:
            # A parallel call that does not fit is left out; with none at all the budget ran out.
            if not any(b["type"] == "tool_use" for b in content):
                stop_reason = "max_tokens"
                return finish()
            break
        used += cost
        content.append({"type": "tool_use", "id": "toolu_01" + rng.ident(), "name": tool["name"], "input": tool_input})
    if outcome is not None:
        stop_reason = outcome
    elif any(b["type"] == "tool_use" for b in content):
        stop_reason = "tool_use"
    return finish()
