"""`POST /v1/complete`, the legacy Text Completions API (api-facts §7), on the same generator.

The prompt must start with "\\n\\nHuman:" and end with "\\n\\nAssistant:", as the API requires.
The completion starts with a space, echoes the text of the last Human turn, continues with
vocabulary words, and ends by producing "\\n\\nHuman:" — the built-in stop sequence — so a natural
end is `stop_reason: "stop_sequence"` with `stop: "\\n\\nHuman:"`, as real completions end.
Streaming sends `completion` events with incremental text (a `ping` after the first) and a last
one with empty text and the stop reason; every frame carries `id` (the SDK's model requires it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conformance.server._http import faults, read_json, request_id
from conformance.server._model import continuation, emit
from conformance.server._models import resolve_model
from conformance.server._rng import Rng, request_seed
from conformance.server._state import ServerState
from conformance.server._streaming import Event, fault_response
from conformance.server._tokens import tokenize
from conformance.server._validation import (
    array,
    closed,
    fail,
    integer,
    number,
    required,
    string,
)

HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"
_KEYS = frozenset({"model", "prompt", "max_tokens_to_sample", "stop_sequences", "temperature", "top_p", "top_k", "metadata", "stream"})
TOKENS_PER_EVENT = 2


def validate_complete(body: object) -> dict[str, Any]:
    params = closed(body, _KEYS, ())
    string(required(params, "model", ()), ("model",), min_len=1)
    prompt = str(string(required(params, "prompt", ()), ("prompt",), min_len=1))
    if not prompt.startswith(HUMAN):
        fail(("prompt",), 'prompt must start with "\\n\\nHuman:" turn')
    if not prompt.rstrip().endswith(ASSISTANT):
        fail(("prompt",), 'prompt must end with "\\n\\nAssistant:" turn')
    integer(required(params, "max_tokens_to_sample", ()), ("max_tokens_to_sample",), minimum=1)
    if "stop_sequences" in params:
        for i, seq in enumerate(array(params["stop_sequences"], ("stop_sequences",))):
            string(seq, ("stop_sequences", i), min_len=1)
    for key in ("temperature", "top_p"):
        if key in params:
            number(params[key], (key,), low=0, high=1)
    if "top_k" in params:
        integer(params["top_k"], ("top_k",), minimum=0)
    if params.get("metadata") is not None:
        metadata = closed(params["metadata"], {"user_id"}, ("metadata",))
        string(metadata.get("user_id"), ("metadata", "user_id"), max_len=512, nullable=True)
    if "stream" in params and not isinstance(params["stream"], bool):
        fail(("stream",), "Input should be a valid boolean")
    return dict(params)


def last_human_text(prompt: str) -> str:
    turn = prompt[prompt.rfind(HUMAN) + len(HUMAN):]
    end = turn.find(ASSISTANT)
    return (turn[:end] if end != -1 else turn).strip()


def generate_completion(params: Mapping[str, Any], *, seed: int) -> dict[str, Any]:
    """The Completion for validated params; deterministic in params and seed."""
    rng = Rng(request_seed(params, seed, salt="complete"))
    completion_id = "compl_01" + rng.ident()
    echo = last_human_text(str(params["prompt"]))
    source = iter([*tokenize(" " + echo if echo else ""), *continuation(rng, rng.between(4, 24), lead_space=True), *tokenize(HUMAN)])
    stops = [*(s for s in params.get("stop_sequences") or () if s), HUMAN]
    out = emit(source, int(params["max_tokens_to_sample"]), stops)
    return {
        "type": "completion",
        "id": completion_id,
        "completion": out.text,
        "stop_reason": "stop_sequence" if out.stop_sequence is not None else "max_tokens",
        "model": params["model"],
        "stop": out.stop_sequence,
        "log_id": completion_id,
    }


def completion_events(completion: Mapping[str, Any]) -> list[Event]:
    base = {k: completion[k] for k in ("type", "id", "model", "log_id")}
    tokens = tokenize(completion["completion"])
    runs = ["".join(tokens[i : i + TOKENS_PER_EVENT]) for i in range(0, len(tokens), TOKENS_PER_EVENT)]
    events: list[Event] = [("completion", {**base, "completion": run, "stop_reason": None, "stop": None}) for run in runs]
    events.insert(min(1, len(events)), ("ping", {"type": "ping"}))
    events.append(("completion", {**base, "completion": "", "stop_reason": completion["stop_reason"], "stop": completion["stop"]}))
    return events


async def complete(request: Request) -> Response:
    state: ServerState = request.app.state.server
    params = validate_complete(await read_json(request))
    resolve_model(params["model"], any_id=state.config.any_id, legacy=True)
    fault = faults(request)
    completion = generate_completion(params, seed=state.config.seed)
    if params.get("stream"):
        return fault_response(completion_events(completion), fault, request_id(request))
    if fault.delay:
        await asyncio.sleep(fault.delay)
    return JSONResponse(completion)


routes: list[BaseRoute] = [Route("/v1/complete", complete, methods=["POST"])]
