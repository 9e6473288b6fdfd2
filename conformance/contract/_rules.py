"""The API's documented rules for a Messages request that its schema cannot state.

A schema-valid request can still be one the API rejects (../shared/reference/api-facts.md):
thinking's `budget_tokens` must be at least 1024 and below `max_tokens`, a forced tool choice
needs tools (and the forced tool among them), a stop sequence is never empty. Whatever the API
would reject tells nothing about what an answer means, so meaning and equivalence are judged only
on requests that keep these rules, and the engine keeps the requests it builds within them.
"""

from __future__ import annotations

from typing import Any

MIN_THINKING_BUDGET = 1024


def broken_rule(body: Any) -> str | None:
    """Why the API would reject this Messages request body, or None when no documented rule does."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return "max_tokens is not a positive integer"
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or not MIN_THINKING_BUDGET <= budget < max_tokens:
            return f"thinking.budget_tokens must be at least {MIN_THINKING_BUDGET} and below max_tokens"
    choice = body.get("tool_choice")
    offered = body.get("tools")
    tools: list[Any] = offered if isinstance(offered, list) else []
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        names = {tool.get("name") for tool in tools if isinstance(tool, dict)}
        if not tools or (choice.get("type") == "tool" and choice.get("name") not in names):
            return "tool_choice forces a tool the request does not offer"
    stops = body.get("stop_sequences")
    if isinstance(stops, list) and any(not isinstance(s, str) or not s.strip() for s in stops):
        return "a stop sequence is empty"
    return None


def keep_thinking_valid(body: dict[str, Any]) -> None:
    """After max_tokens was lowered (a paid target's cap): lower thinking's budget below it, or
    leave thinking out where no budget of at least 1024 fits."""
    thinking, max_tokens = body.get("thinking"), body.get("max_tokens")
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled" or not isinstance(max_tokens, int):
        return
    budget = thinking.get("budget_tokens")
    if isinstance(budget, int) and MIN_THINKING_BUDGET <= budget < max_tokens:
        return
    if max_tokens > MIN_THINKING_BUDGET:
        body["thinking"] = {**thinking, "budget_tokens": max(MIN_THINKING_BUDGET, min(max_tokens - 1, budget or 0))}
    else:
        del body["thinking"]
