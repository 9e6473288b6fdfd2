"""`POST /v1/messages` and `POST /v1/messages/count_tokens`: parse → validate → model → render."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conformance.server._http import (
    api_version,
    beta_call,
    faults,
    file_exists_for,
    read_json,
    request_id,
)
from conformance.server._model import generate_message
from conformance.server._models import resolve_model
from conformance.server._state import ServerState
from conformance.server._streaming import fault_response, message_events
from conformance.server._tokens import count_input_tokens
from conformance.server._validation import (
    validate_count_tokens,
    validate_create_message,
)


async def create_message(request: Request) -> Response:
    state: ServerState = request.app.state.server
    body = await read_json(request)
    params = validate_create_message(body, file_exists=file_exists_for(state), api_version=api_version(request),
                                     beta=beta_call(request))
    resolve_model(params["model"], any_id=state.config.any_id)
    fault = faults(request)
    message = generate_message(params, seed=state.config.seed, outcome=fault.outcome)
    if params.get("stream"):
        thinking = params.get("thinking") or {}
        events = message_events(message, thinking_updates=thinking.get("display") == "updates")
        return fault_response(events, fault, request_id(request))
    if fault.delay:
        await asyncio.sleep(fault.delay)
    return JSONResponse(message)


async def count_tokens(request: Request) -> Response:
    state: ServerState = request.app.state.server
    body = await read_json(request)
    params = validate_count_tokens(body, file_exists=file_exists_for(state), api_version=api_version(request),
                                   beta=beta_call(request))
    resolve_model(params["model"], any_id=state.config.any_id)
    return JSONResponse({"input_tokens": count_input_tokens(params)})


routes: list[BaseRoute] = [
    Route("/v1/messages", create_message, methods=["POST"]),
    Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
]
