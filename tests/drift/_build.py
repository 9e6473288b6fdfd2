"""Tiny OpenAPI documents for the drift tests: one operation by default, every part optional."""

from __future__ import annotations

import copy
from typing import Any

SCHEMA = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMA + name}


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """An object schema; `required` lists the required properties."""
    node: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        node["required"] = list(required)
    return node


def typed(kind: str, const: str) -> dict[str, Any]:
    """A variant told apart by `type: const`."""
    return obj(("type",), type={"type": "string", "const": const}, **{kind: {"type": "string"}})


def frames(events: dict[str, Any]) -> dict[str, Any]:
    """A `text/event-stream` schema as the contract writes it: one frame whose data is the event union."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": {"type": "string"},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": events},
        },
    }


def api(
    request: Any = None,
    response: Any = None,
    *,
    schemas: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    responses: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    path: str = "/v1/x",
    method: str = "post",
    operation: dict[str, Any] | None = None,
    paths: dict[str, Any] | None = None,
    openapi: str = "3.1.0",
) -> dict[str, Any]:
    """A bundled document with one operation (`POST /v1/x`) unless `paths` replaces them.

    `request`/`response` are the JSON schemas of the request body and of the 200 response;
    `content` replaces the 200 response's content map, `body` the whole requestBody, `responses`
    the whole responses map, `operation` adds keys to the operation object.
    """
    op: dict[str, Any] = {"operationId": "x", **(operation or {})}
    if parameters is not None:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    elif request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    ok: dict[str, Any] = {"description": "ok"}
    if content is not None:
        ok["content"] = content
    elif response is not None:
        ok["content"] = {"application/json": {"schema": response}}
    if headers is not None:
        ok["headers"] = headers
    op["responses"] = responses if responses is not None else {"200": ok}
    return copy.deepcopy(
        {
            "openapi": openapi,
            "info": {"title": "t", "version": "1"},
            "paths": paths if paths is not None else {path: {method: op}},
            "components": {"schemas": schemas or {}},
        }
    )
