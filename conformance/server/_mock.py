"""Mock mode's leniency for Messages (`conformance serve --mock`, `ServerConfig(mock=True)`).

Generated SDK tests send placeholder values that the contract's schemas accept but the API's own
rules refuse: `betas=["string"]`, a tool whose `input_schema` is `{"location": "bar"}`, thinking
with a budget above `max_tokens`, retired or made-up models. In mock mode a request is held to the
contract's request schema only (`check_schema`: what it rejects is still a 400 in the API's
envelope). A request that also passes the hand rules is answered exactly as in faithful mode; one
that does not gets the deterministic model's reply to a plain stand-in request (same model,
`max_tokens` within bounds, the last user text), so the answer is realistic and schema-valid
without ever feeding the model input it was not built for.

The other mock-mode leniencies live where they apply: any beta value (`_app`), any id and model
(`_synthesize`, `_models`), list parameters (`_paging`), file parts without a filename (`_files`),
skill uploads (`_skills`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from conformance.server._errors import ApiError
from conformance.server._http import file_exists_for
from conformance.server._models import resolve_model
from conformance.server._state import ServerState
from conformance.server._validation import check_schema, validate_count_tokens, validate_create_message

Operation = Literal["create", "count_tokens"]
Params = dict[str, Any]

STAND_IN_TEXT = "Hello"
STAND_IN_MAX_TOKENS = 1024
"""The stand-in's `max_tokens` when the request's own is not a usable number (it is capped by it otherwise)."""


def lenient_params(operation: Operation, body: object, *, validate: Callable[[object], Params]) -> Params:
    """The params to answer `body` with in mock mode: `validate(body)` when the hand rules agree,
    else a stand-in request; a 400 only when the contract's schema rejects `body`."""
    try:
        return validate(body)
    except ApiError as refused:
        if refused.status != 400:
            raise
    check_schema(operation, body)
    assert isinstance(body, Mapping)  # check_schema refuses anything else
    return stand_in(operation, body)


def stand_in(operation: Operation, body: Mapping[str, Any]) -> Params:
    """A plain request that keeps what a client looks for in the answer: the model, the last user
    text (echoed by the model), `stream`, and `max_tokens` when it is usable."""
    params: Params = {"model": str(body.get("model") or "claude-sonnet-4-5"),
                      "messages": [{"role": "user", "content": _last_user_text(body.get("messages")) or STAND_IN_TEXT}]}
    if operation == "create":
        max_tokens = body.get("max_tokens")
        usable = isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 1
        params["max_tokens"] = min(max_tokens, STAND_IN_MAX_TOKENS) if usable else STAND_IN_MAX_TOKENS  # type: ignore[type-var]
        if body.get("stream") is True:
            params["stream"] = True
    return params


def _last_user_text(messages: object) -> str:
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content.strip()
        if isinstance(content, list):
            texts = [b["text"] for b in content if isinstance(b, Mapping) and b.get("type") == "text" and isinstance(b.get("text"), str)]
            return "\n".join(texts).strip()
        return ""
    return ""



def request_params(state: ServerState, operation: Operation, body: object, *, api_version: str, beta: bool = False) -> Params:
    """What Messages, count_tokens and batch items answer: the validated params (the lenient
    reading in mock mode) whose model exists (any model in mock mode, retired ones included)."""
    validator = validate_create_message if operation == "create" else validate_count_tokens

    def validate(candidate: object) -> Params:
        return validator(candidate, file_exists=file_exists_for(state), api_version=api_version, beta=beta)

    mock = state.config.mock
    params = lenient_params(operation, body, validate=validate) if mock else validate(body)
    resolve_model(params["model"], any_id=state.config.any_id, legacy=mock)
    return params
