"""GET /v1/models and /v1/models/{id}: the catalogue, ID-cursor paging, aliases, lifecycle."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from conformance.server import ServerConfig, create_app
from conformance.server._models import CATALOGUE, DEFAULT_LIFECYCLES
from tests.server.conftest import test_client

LISTED = [m.id for m in CATALOGUE if m.lifecycle in DEFAULT_LIFECYCLES]
SPEC_KEYS = {"type", "id", "display_name", "created_at", "max_input_tokens", "max_tokens", "capabilities"}


def page(client: TestClient, **query: Any) -> dict[str, Any]:
    response = client.get("/v1/models", params=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_is_newest_first_with_every_spec_key(client: TestClient) -> None:
    body = page(client)
    assert [m["id"] for m in body["data"]] == LISTED
    assert body["has_more"] is False and body["first_id"] == LISTED[0] and body["last_id"] == LISTED[-1]
    dates = [m["created_at"] for m in body["data"]]
    assert dates == sorted(dates, reverse=True)
    for model in body["data"]:
        assert SPEC_KEYS <= set(model) and model["type"] == "model"
        assert model["lifecycle"] in ("active", "deprecated")
        assert set(model["capabilities"]) == {"batch", "citations", "code_execution", "context_management", "effort", "image_input",
                                              "pdf_input", "server_tools", "structured_outputs", "thinking"}  # SDK 2.12's ModelCapabilities
        assert set(model["capabilities"]["thinking"]["types"]) == {"enabled", "adaptive", "between_tools", "disabled"}


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_paging_forward_and_back_visits_every_model_once(client: TestClient, limit: int) -> None:
    seen: list[str] = []
    cursor: dict[str, Any] = {}
    while True:
        body = page(client, limit=limit, **cursor)
        assert len(body["data"]) <= limit
        seen += [m["id"] for m in body["data"]]
        if not body["has_more"]:
            break
        cursor = {"after_id": body["last_id"]}
    assert seen == LISTED
    # backwards from the end, as the SDK walks a list that started with before_id
    back: list[str] = []
    cursor = {"before_id": LISTED[-1]}
    while True:
        body = page(client, limit=limit, **cursor)
        back = [m["id"] for m in body["data"]] + back
        if not body["has_more"]:
            break
        cursor = {"before_id": body["first_id"]}
    assert back == LISTED[:-1]


def test_lifecycle_filter(client: TestClient) -> None:
    retired = page(client, **{"lifecycle[]": "retired"})
    assert {m["id"] for m in retired["data"]} == {m.id for m in CATALOGUE if m.lifecycle == "retired"}
    everything = client.get("/v1/models?lifecycle[]=active&lifecycle[]=deprecated&lifecycle[]=retired&limit=1000").json()
    assert len(everything["data"]) == len(CATALOGUE)
    assert client.get("/v1/models?lifecycle[]=sleeping").status_code == 400


def test_retrieve_by_id_and_alias(client: TestClient) -> None:
    for entry in CATALOGUE:
        for name in (entry.id, *entry.aliases):
            response = client.get(f"/v1/models/{name}")
            assert response.status_code == 200 and response.json()["id"] == entry.id


def test_unknown_model_is_404_unless_any_id(client: TestClient) -> None:
    response = client.get("/v1/models/claude-unknown-1")
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found_error"
    with test_client(create_app(ServerConfig(any_id=True))) as any_client:
        assert any_client.get("/v1/models/claude-unknown-1").json()["id"] == "claude-unknown-1"


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=abc", "after_id=nope", "before_id=a&after_id=b"])
def test_bad_paging_parameters_are_400(client: TestClient, query: str) -> None:
    response = client.get(f"/v1/models?{query}")
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
