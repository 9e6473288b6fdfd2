"""The model catalogue and the routes `GET /v1/models` and `GET /v1/models/{model_id}`.

Each model has a dated id and usually an alias (`claude-sonnet-4-5` → `claude-sonnet-4-5-20250929`);
the newest ones have an undated id only, as the real catalogue does. The list is newest first with
ID-cursor pagination (`limit` 1..1000, default 20; `before_id` or `after_id`; `has_more`,
`first_id`, `last_id`) and the `lifecycle[]` filter (default: active and deprecated). Retrieval
resolves aliases. Retired models are listed only when `lifecycle[]=retired` is asked for; the
Messages API refuses them (404) and only the legacy `/v1/complete` accepts them.

With `--any-id`, an unknown model id resolves to a synthesized entry instead of a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from conformance.server._errors import ApiError, invalid_request, not_found
from conformance.server._paging import (
    id_cursor_body,
    id_cursor_window,
    query_cursors,
    query_limit,
    server_state,
)

Lifecycle = str


@dataclass(frozen=True)
class ModelEntry:
    id: str
    display_name: str
    created_at: str
    max_input_tokens: int
    max_tokens: int
    aliases: tuple[str, ...] = ()
    lifecycle: Lifecycle = "active"
    deprecated_at: str | None = None
    retires_at: str | None = None
    line: str | None = None
    thinking: bool = True
    adaptive_thinking: bool = False
    effort: bool = False
    structured_outputs: bool = True
    messages: bool = True
    """False for legacy models only /v1/complete accepts."""

    def info(self) -> dict[str, Any]:
        """The ModelInfo object: the 2023-06-01 keys (all seven the spec requires) plus the
        lifecycle fields SDK 1.x/2.x read (`lifecycle` is required there)."""
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
            "capabilities": self._capabilities(),
            "lifecycle": self.lifecycle,
            "deprecated_at": self.deprecated_at,
            "retires_at": self.retires_at,
            "line": self.line,
        }

    def _capabilities(self) -> dict[str, Any]:
        def yes(flag: bool) -> dict[str, bool]:
            return {"supported": flag}

        return {
            "batch": yes(self.messages),
            "citations": yes(self.messages),
            "code_execution": yes(self.messages and self.thinking),
            "context_management": {
                "supported": self.thinking,
                "clear_thinking_20251015": yes(self.thinking),
                "clear_tool_uses_20250919": yes(self.thinking),
                "compact_20260112": yes(self.adaptive_thinking),
            },
            "effort": {
                "supported": self.effort,
                "low": yes(self.effort),
                "medium": yes(self.effort),
                "high": yes(self.effort),
                "max": yes(self.effort),
                "xhigh": yes(self.effort and self.adaptive_thinking),
            },
            "image_input": yes(self.messages),
            "pdf_input": yes(self.messages),
            "server_tools": {  # offered by the models, though this server never runs them
                "supported": self.messages,
                "code_execution": yes(self.messages and self.thinking),
                "web_search": yes(self.messages),
            },
            "structured_outputs": yes(self.structured_outputs),
            "thinking": {
                "supported": self.thinking,
                "types": {
                    "enabled": yes(self.thinking),
                    "adaptive": yes(self.adaptive_thinking),
                    "between_tools": yes(self.adaptive_thinking),
                    "disabled": yes(self.messages),
                },
            },
        }


CATALOGUE: tuple[ModelEntry, ...] = (
    ModelEntry("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z", 200_000, 64_000,
               line="sonnet", adaptive_thinking=True, effort=True),
    ModelEntry("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z", 200_000, 128_000,
               line="opus", adaptive_thinking=True, effort=True),
    ModelEntry("claude-opus-4-5-20251101", "Claude Opus 4.5", "2025-11-24T00:00:00Z", 200_000, 64_000,
               aliases=("claude-opus-4-5",), line="opus", effort=True),
    ModelEntry("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", 200_000, 64_000,
               aliases=("claude-haiku-4-5",), line="haiku"),
    ModelEntry("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", 200_000, 64_000,
               aliases=("claude-sonnet-4-5",), lifecycle="deprecated", deprecated_at="2026-06-01T00:00:00Z",
               retires_at="2026-11-30T00:00:00Z", line="sonnet"),
    ModelEntry("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z", 200_000, 32_000,
               aliases=("claude-opus-4-1",), line="opus"),
    ModelEntry("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22T00:00:00Z", 200_000, 32_000,
               aliases=("claude-opus-4-0",), lifecycle="deprecated", deprecated_at="2026-01-15T00:00:00Z",
               retires_at="2026-06-15T00:00:00Z", line="opus"),
    ModelEntry("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z", 200_000, 64_000,
               aliases=("claude-sonnet-4-0",), lifecycle="deprecated", deprecated_at="2026-01-15T00:00:00Z",
               retires_at="2026-06-15T00:00:00Z", line="sonnet"),
    ModelEntry("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24T00:00:00Z", 200_000, 64_000,
               aliases=("claude-3-7-sonnet-latest",), lifecycle="deprecated",
               deprecated_at="2025-10-28T00:00:00Z", retires_at="2026-02-19T00:00:00Z", line="sonnet",
               structured_outputs=False),
    ModelEntry("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z", 200_000, 8_192,
               aliases=("claude-3-5-haiku-latest",), lifecycle="deprecated",
               deprecated_at="2025-12-19T00:00:00Z", retires_at="2026-02-19T00:00:00Z", line="haiku",
               thinking=False, structured_outputs=False),
    ModelEntry("claude-3-haiku-20240307", "Claude Haiku 3", "2024-03-07T00:00:00Z", 200_000, 4_096,
               line="haiku", thinking=False, structured_outputs=False),
    ModelEntry("claude-2.1", "Claude 2.1", "2023-11-21T00:00:00Z", 200_000, 4_096, aliases=("claude-2",), lifecycle="retired",
               deprecated_at="2024-09-04T00:00:00Z", retires_at="2025-07-21T00:00:00Z",
               thinking=False, structured_outputs=False, messages=False),
    ModelEntry("claude-instant-1.2", "Claude Instant 1.2", "2023-08-09T00:00:00Z", 100_000, 4_096,
               lifecycle="retired", deprecated_at="2024-09-04T00:00:00Z", retires_at="2024-11-06T00:00:00Z",
               thinking=False, structured_outputs=False, messages=False),
)

_BY_NAME: dict[str, ModelEntry] = {name: m for m in CATALOGUE for name in (m.id, *m.aliases)}
_LIFECYCLES = ("active", "deprecated", "retired")
DEFAULT_LIFECYCLES = frozenset({"active", "deprecated"})


def find_model(name: str) -> ModelEntry | None:
    """The catalogue entry for an id or alias, or None."""
    return _BY_NAME.get(name)


def synthesized_model(name: str) -> ModelEntry:
    """What `--any-id` answers for an unknown id: a plausible active model under that id."""
    return ModelEntry(name, name, "2025-01-01T00:00:00Z", 200_000, 64_000)


def resolve_model(name: str, *, any_id: bool = False, legacy: bool = False) -> ModelEntry:
    """The model a request names, or 404 not_found_error as the API answers for an unknown one.

    Retired models only serve `/v1/complete` (legacy=True); Messages refuses them like the API does.
    """
    entry = find_model(name)
    if entry is None and any_id:
        return synthesized_model(name)
    if entry is None or (not legacy and (not entry.messages or entry.lifecycle == "retired")):
        raise not_found(f"model: {name}")
    return entry


def _lifecycles(request: Request) -> frozenset[str]:
    # The SDK encodes arrays with brackets (lifecycle[]=active); accept the bare name too.
    values = request.query_params.getlist("lifecycle[]") + request.query_params.getlist("lifecycle")
    values = [v for raw in values for v in raw.split(",") if v]
    for value in values:
        if value not in _LIFECYCLES:
            raise invalid_request(f"lifecycle: Input should be 'active', 'deprecated' or 'retired' (got {value!r})")
    return frozenset(values) or DEFAULT_LIFECYCLES


async def list_models(request: Request) -> JSONResponse:
    wanted = _lifecycles(request)
    infos = [m.info() for m in CATALOGUE if m.lifecycle in wanted]
    before_id, after_id = query_cursors(request)
    page, has_more = id_cursor_window(infos, lambda info: str(info["id"]), limit=query_limit(request),
                                      before_id=before_id, after_id=after_id, lenient=server_state(request).config.mock)
    return JSONResponse(id_cursor_body(page, has_more))


async def get_model(request: Request) -> JSONResponse:
    name = request.path_params["model_id"]
    entry = find_model(name)
    if entry is None:
        if not request.app.state.server.config.any_id:
            raise ApiError(404, f"model: {name}")
        entry = synthesized_model(name)
    return JSONResponse(entry.info())


routes: list[BaseRoute] = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
]
