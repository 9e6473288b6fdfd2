"""`POST /v1/messages` and `POST /v1/messages/count_tokens`: parse → validate → model → render,
with the scenario the request picks (`_scenarios`) shaping the answer."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conformance.server._faults import FAULT_HEADER
from conformance.server._http import api_version, beta_call, read_json, request_id, retry_count
from conformance.server._mock import request_params
from conformance.server._model import generate_message
from conformance.server._scenarios import SCENARIO_HEADER, select_scenario
from conformance.server._state import ServerState
from conformance.server._streaming import fault_response
from conformance.server._tokens import count_input_tokens


async def create_message(request: Request) -> Response:
    state: ServerState = request.app.state.server
    scenario, body = select_scenario(request.headers.get(SCENARIO_HEADER), await read_json(request))
    params = scenario.prepare(request_params(state, "create", body, api_version=api_version(request), beta=beta_call(request)))
    fault = scenario.faults_with(request.headers.get(FAULT_HEADER))
    error = fault.status_error(retry_count(request))
    if error is not None:
        raise error
    if scenario.first_byte_delay:
        await asyncio.sleep(scenario.first_byte_delay)
    message = scenario.reshape(params, generate_message(params, seed=state.config.seed, outcome=fault.outcome))
    if params.get("stream"):
        thinking = params.get("thinking") or {}
        events = scenario.events(message, thinking_updates=thinking.get("display") == "updates")
        return fault_response(events, fault, request_id(request), scenario.transport)
    if fault.delay:
        await asyncio.sleep(fault.delay)
    return JSONResponse(message)


async def count_tokens(request: Request) -> Response:
    state: ServerState = request.app.state.server
    body = await read_json(request)
    params = request_params(state, "count_tokens", body, api_version=api_version(request), beta=beta_call(request))
    return JSONResponse({"input_tokens": count_input_tokens(params)})


routes: list[BaseRoute] = [
    Route("/v1/messages", create_message, methods=["POST"]),
    Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
]
