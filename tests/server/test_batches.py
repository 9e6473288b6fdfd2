"""Message Batches on the reference server: lifecycle, counts, results, validation, pagination, --any-id."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.server._config import ServerConfig
from tests.server.conftest_resources import (
    INVALID_PARAMS,
    VALID_PARAMS,
    Server,
    assert_error,
)

pytest_plugins = ("tests.server.conftest_resources",)

BATCHES = "/v1/messages/batches"
ID = re.compile(r"^msgbatch_[0-9A-Za-z]{24}$")


def create(server: Server, *custom_ids: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    requests = [{"custom_id": cid, "params": params or VALID_PARAMS} for cid in custom_ids or ("only",)]
    response = server.client.post(BATCHES, json={"requests": requests})
    assert response.status_code == 200, response.text
    return response.json()


def retrieve(server: Server, batch_id: str) -> dict[str, Any]:
    response = server.client.get(f"{BATCHES}/{batch_id}")
    assert response.status_code == 200, response.text
    return response.json()


def results(server: Server, batch_id: str) -> dict[str, dict[str, Any]]:
    response = server.client.get(f"{BATCHES}/{batch_id}/results")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-jsonl")
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    by_id = {line["custom_id"]: line["result"] for line in lines}
    assert len(by_id) == len(lines), "one line per custom_id"
    return by_id


def counts_sum(batch: dict[str, Any]) -> int:
    return sum(batch["request_counts"].values())


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- lifecycle -------------------------------------------------------------------------------------


def test_create_answers_in_progress_with_every_request_processing(server: Server) -> None:
    batch = create(server, "a", "b", "c")
    assert ID.match(batch["id"])
    assert batch["type"] == "message_batch"
    assert batch["processing_status"] == "in_progress"
    assert batch["request_counts"] == {"processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    assert batch["results_url"] is None and batch["ended_at"] is None and batch["cancel_initiated_at"] is None
    assert batch["archived_at"] is None
    assert parse_time(batch["expires_at"]) - parse_time(batch["created_at"]) == timedelta(hours=24)
    assert batch["created_at"].endswith("Z")


def test_no_delay_batch_ends_at_first_poll_with_results(server: Server) -> None:
    batch = create(server, "a", "b")
    ended = retrieve(server, batch["id"])
    assert ended["processing_status"] == "ended"
    assert ended["request_counts"] == {"processing": 0, "succeeded": 2, "errored": 0, "canceled": 0, "expired": 0}
    assert ended["ended_at"] is not None
    assert ended["results_url"] == f"http://testserver/v1/messages/batches/{batch['id']}/results"
    lines = results(server, batch["id"])
    assert set(lines) == {"a", "b"}
    for result in lines.values():
        assert result["type"] == "succeeded"
        assert result["message"]["type"] == "message"
        assert result["message"]["usage"]["service_tier"] == "batch"


def test_results_before_the_batch_ends_are_not_found_like_the_real_api(server: Server) -> None:
    batch = create(server, "a")
    response = server.client.get(f"{BATCHES}/{batch['id']}/results")
    assert_error(response, 404, "not_found_error", "has no available results")


def test_invalid_params_become_errored_results_not_a_failed_batch(server: Server) -> None:
    response = server.client.post(
        BATCHES,
        json={"requests": [{"custom_id": "good", "params": VALID_PARAMS}, {"custom_id": "bad", "params": INVALID_PARAMS}]},
    )
    assert response.status_code == 200
    batch = retrieve(server, response.json()["id"])
    assert batch["request_counts"]["succeeded"] == 1 and batch["request_counts"]["errored"] == 1
    lines = results(server, batch["id"])
    assert lines["good"]["type"] == "succeeded"
    error = lines["bad"]["error"]
    assert lines["bad"]["type"] == "errored"
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in error["error"]["message"]
    assert error["request_id"].startswith("req_")


def test_a_batch_result_equals_the_direct_messages_answer(server: Server) -> None:
    batch = create(server, "same")
    retrieve(server, batch["id"])
    direct = server.client.post("/v1/messages", json=VALID_PARAMS).json()
    batched = results(server, batch["id"])["same"]["message"]
    direct["usage"]["service_tier"] = "batch"
    assert batched == direct


def test_streaming_params_are_errored(server: Server) -> None:
    batch = create(server, "s", params={**VALID_PARAMS, "stream": True})
    retrieve(server, batch["id"])
    assert results(server, batch["id"])["s"]["type"] == "errored"


def test_cancel_then_poll_ends_with_every_request_canceled(server: Server) -> None:
    batch = create(server, "a", "b")
    server.clock.advance(1)
    response = server.client.post(f"{BATCHES}/{batch['id']}/cancel")
    assert response.status_code == 200
    canceling = response.json()
    assert canceling["processing_status"] == "canceling"
    assert canceling["cancel_initiated_at"] is not None
    assert canceling["request_counts"]["processing"] == 2 and canceling["results_url"] is None
    # Canceling twice is harmless.
    assert server.client.post(f"{BATCHES}/{batch['id']}/cancel").json()["processing_status"] == "canceling"
    ended = retrieve(server, batch["id"])
    assert ended["processing_status"] == "ended"
    assert ended["request_counts"] == {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 2, "expired": 0}
    assert ended["cancel_initiated_at"] == canceling["cancel_initiated_at"]
    assert {cid: r["type"] for cid, r in results(server, batch["id"]).items()} == {"a": "canceled", "b": "canceled"}


def test_cancel_after_the_end_is_refused(server: Server) -> None:
    batch = create(server, "a")
    retrieve(server, batch["id"])
    assert_error(server.client.post(f"{BATCHES}/{batch['id']}/cancel"), 400, "invalid_request_error", "ended")


def test_delete_only_once_ended_then_gone(server: Server) -> None:
    batch = create(server, "a")
    assert_error(server.client.delete(f"{BATCHES}/{batch['id']}"), 400, "invalid_request_error", "in_progress")
    retrieve(server, batch["id"])
    response = server.client.delete(f"{BATCHES}/{batch['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": batch["id"], "type": "message_batch_deleted"}
    for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/results"), ("POST", "/cancel")):
        assert_error(server.client.request(method, f"{BATCHES}/{batch['id']}{suffix}"), 404, "not_found_error", batch["id"])


def test_unknown_batch_is_not_found(server: Server) -> None:
    assert_error(server.client.get(f"{BATCHES}/msgbatch_nope"), 404, "not_found_error", "msgbatch_nope")


def test_beta_query_is_ignored(server: Server) -> None:
    response = server.client.post(
        f"{BATCHES}?beta=true",
        json={"requests": [{"custom_id": "x", "params": VALID_PARAMS}]},
        headers={"anthropic-beta": "message-batches-2024-09-24"},
    )
    assert response.status_code == 200
    batch_id = response.json()["id"]
    assert server.client.get(f"{BATCHES}/{batch_id}?beta=true").json()["processing_status"] == "ended"
    assert server.client.get(f"{BATCHES}/{batch_id}/results?beta=true").status_code == 200


@pytest.mark.parametrize("config", [ServerConfig(batch_delay=30)])
def test_delay_keeps_the_batch_in_progress_until_it_passes(server: Server) -> None:
    batch = create(server, "a", "b")
    for _ in range(3):
        polled = retrieve(server, batch["id"])
        assert polled["processing_status"] == "in_progress"
        assert polled["request_counts"]["processing"] == 2 and counts_sum(polled) == 2
        server.clock.advance(9)
    assert_error(server.client.get(f"{BATCHES}/{batch['id']}/results"), 404, "not_found_error")
    server.clock.advance(3)  # 30 s after creation
    # Results need no poll once the time has come.
    assert set(results(server, batch["id"])) == {"a", "b"}
    ended = retrieve(server, batch["id"])
    assert ended["processing_status"] == "ended"
    assert parse_time(ended["ended_at"]) - parse_time(ended["created_at"]) == timedelta(seconds=30)


@pytest.mark.parametrize("config", [ServerConfig(batch_delay=10 * 24 * 3600)])
def test_a_batch_unfinished_after_24_hours_expires(server: Server) -> None:
    batch = create(server, "a", "b")
    server.clock.advance(24 * 3600)
    ended = retrieve(server, batch["id"])
    assert ended["processing_status"] == "ended"
    assert ended["request_counts"] == {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 2}
    assert ended["ended_at"] == ended["expires_at"]
    assert {r["type"] for r in results(server, batch["id"]).values()} == {"expired"}


def test_request_counts_sum_to_the_request_count_at_every_poll(server: Server) -> None:
    for cancel in (False, True):
        batch = create(server, "a", "b", "c")
        seen = [batch]
        if cancel:
            seen.append(server.client.post(f"{BATCHES}/{batch['id']}/cancel").json())
        seen += [retrieve(server, batch["id"]) for _ in range(2)]
        seen.append(server.client.get(BATCHES).json()["data"][0])
        assert all(counts_sum(b) == 3 for b in seen)


# -- validation ------------------------------------------------------------------------------------


def _item(custom_id: Any = "a", params: Any = None) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": VALID_PARAMS if params is None else params}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "requests"),
        ({"requests": []}, "requests"),
        ({"requests": "x"}, "requests"),
        ({"requests": [_item()], "extra": 1}, "extra"),
        ({"requests": ["x"]}, "requests.0"),
        ({"requests": [{"params": VALID_PARAMS}]}, "requests.0.custom_id"),
        ({"requests": [{"custom_id": "a"}]}, "requests.0.params"),
        ({"requests": [_item(7)]}, "requests.0.custom_id"),
        ({"requests": [_item("")]}, "requests.0.custom_id"),
        ({"requests": [_item("has space")]}, "requests.0.custom_id"),
        ({"requests": [_item("x" * 65)]}, "requests.0.custom_id"),
        ({"requests": [_item("a"), _item("a")]}, "requests.1.custom_id"),
        ({"requests": [_item(params="nope")]}, "requests.0.params"),
        ({"requests": [{**_item(), "extra": True}]}, "requests.0.extra"),
        ([1, 2], "request body"),
    ],
)
def test_invalid_envelopes_are_400_naming_the_field(server: Server, body: Any, field: str) -> None:
    assert_error(server.client.post(BATCHES, json=body), 400, "invalid_request_error", field)


def test_custom_id_pattern_accepts_its_whole_alphabet_up_to_64(server: Server) -> None:
    create(server, "A-z_0" + "9" * 59, "-", "_")


def test_malformed_json_is_400(server: Server) -> None:
    response = server.client.post(BATCHES, content=b'{"requests": [', headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_request_error")


# -- list ------------------------------------------------------------------------------------------


def test_list_is_newest_first_and_walks_both_directions(server: Server) -> None:
    ids = [create(server, "a")["id"] for _ in range(5)]
    newest_first = ids[::-1]
    page = server.client.get(BATCHES, params={"limit": 2}).json()
    assert [b["id"] for b in page["data"]] == newest_first[:2]
    assert page["has_more"] is True
    assert (page["first_id"], page["last_id"]) == (newest_first[0], newest_first[1])
    walked = [b["id"] for b in page["data"]]
    while page["has_more"]:
        page = server.client.get(BATCHES, params={"limit": 2, "after_id": page["last_id"]}).json()
        walked += [b["id"] for b in page["data"]]
    assert walked == newest_first
    back = server.client.get(BATCHES, params={"limit": 2, "before_id": newest_first[4]}).json()
    assert [b["id"] for b in back["data"]] == newest_first[2:4] and back["has_more"] is True
    top = server.client.get(BATCHES, params={"limit": 5, "before_id": newest_first[1]}).json()
    assert [b["id"] for b in top["data"]] == newest_first[:1] and top["has_more"] is False


def test_empty_list(server: Server) -> None:
    assert server.client.get(BATCHES).json() == {"data": [], "has_more": False, "first_id": None, "last_id": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"after_id": "msgbatch_unknown"}, "after_id"),
        ({"before_id": "a", "after_id": "b"}, "before_id"),
    ],
)
def test_bad_list_parameters_are_400(server: Server, params: dict[str, Any], field: str) -> None:
    assert_error(server.client.get(BATCHES, params=params), 400, "invalid_request_error", field)


# -- --any-id --------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [ServerConfig(any_id=True)])
def test_any_id_synthesizes_an_ended_batch_with_one_result(server: Server) -> None:
    batch = retrieve(server, "msgbatch_placeholder")
    assert batch["id"] == "msgbatch_placeholder" and batch["processing_status"] == "ended"
    assert counts_sum(batch) == 1 and batch["results_url"]
    assert retrieve(server, "msgbatch_placeholder") == batch, "the same id always gives the same object"
    lines = results(server, "msgbatch_placeholder")
    assert [r["type"] for r in lines.values()] == ["succeeded"]
    canceled = server.client.post(f"{BATCHES}/msgbatch_placeholder/cancel").json()
    assert canceled["processing_status"] == "canceling" and canceled["id"] == "msgbatch_placeholder"
    deleted = server.client.delete(f"{BATCHES}/message_batch_id").json()
    assert deleted == {"id": "message_batch_id", "type": "message_batch_deleted"}
    assert server.client.get(BATCHES).json()["data"] == [], "synthesized batches are not stored"


@pytest.mark.parametrize("config", [ServerConfig(any_id=True)])
def test_any_id_leaves_real_batches_alone(server: Server) -> None:
    batch = create(server, "a")
    assert_error(server.client.get(f"{BATCHES}/{batch['id']}/results"), 404, "not_found_error")
    assert retrieve(server, batch["id"])["request_counts"]["succeeded"] == 1


# -- never a 500 -----------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_items = st.fixed_dictionaries(
    {"custom_id": st.one_of(st.from_regex(r"[a-zA-Z0-9_-]{1,8}", fullmatch=True), _json), "params": st.one_of(st.just(VALID_PARAMS), _json)}
)
_bodies = st.one_of(_json, st.fixed_dictionaries({"requests": st.lists(st.one_of(_items, _json), max_size=4)}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies)
def test_any_json_body_is_answered_200_or_400(server: Server, body: Any) -> None:
    response = server.client.post(BATCHES, json=body)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["error"]["type"] == "invalid_request_error"
