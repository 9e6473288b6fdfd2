"""The resource store: both back ends, bounded memory (oldest first), SQLite across restarts, ids, tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conformance.server._config import ServerConfig
from conformance.server._errors import ApiError
from conformance.server._paging import decode_page_token, encode_page_token
from conformance.server._store import (
    SQLITE_FILENAME,
    MemoryStore,
    SqliteStore,
    Store,
    rfc3339,
)
from tests.server.conftest_resources import VALID_PARAMS, start

pytest_plugins = ("tests.server.conftest_resources",)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    config = ServerConfig(data_dir=tmp_path / "db") if request.param == "sqlite" else ServerConfig()
    opened = Store.open(config)
    yield opened
    opened.close()


def test_open_picks_the_back_end(tmp_path: Path) -> None:
    assert isinstance(Store.open(ServerConfig()), MemoryStore)
    sqlite = Store.open(ServerConfig(data_dir=tmp_path / "new" / "dir"))
    assert isinstance(sqlite, SqliteStore) and (tmp_path / "new" / "dir" / SQLITE_FILENAME).exists()
    sqlite.close()


def test_insert_get_update_keep_position_and_blob(store: Store) -> None:
    store.insert("file", "a", {"n": 1}, blob=b"\x00bytes")
    store.insert("file", "b", {"n": 2})
    before = store.get("file", "a")
    assert before is not None and before.data == {"n": 1}
    store.update("file", "a", {"n": 10})
    after = store.get("file", "a")
    assert after is not None and after.data == {"n": 10} and after.seq == before.seq
    assert store.blob("file", "a") == b"\x00bytes" and store.blob("file", "b") is None
    assert [obj.key for obj in store.list("file")] == ["a", "b"]
    assert store.get("file", "missing") is None and store.get("batch", "a") is None
    store.update("file", "missing", {"n": 0})  # a no-op, not an error
    assert store.count() == 2


def test_returned_records_are_copies(store: Store) -> None:
    store.insert("skill", "s", {"nested": {"v": 1}})
    got = store.get("skill", "s")
    assert got is not None
    got.data["nested"]["v"] = 2
    again = store.get("skill", "s")
    assert again is not None and again.data == {"nested": {"v": 1}}


def test_delete_cascades_to_children(store: Store) -> None:
    store.insert("skill", "s1", {})
    store.insert("skill_version", "s1/1", {}, parent="s1")
    store.insert("skill_version", "s1/2", {}, parent="s1")
    store.insert("skill", "s2", {})
    store.insert("skill_version", "s2/1", {}, parent="s2")
    assert [obj.key for obj in store.list("skill_version", parent="s1")] == ["s1/1", "s1/2"]
    assert store.delete("skill_version", "s1/1") is True
    assert store.delete("skill", "s1") is True
    assert store.delete("skill", "s1") is False
    assert [obj.key for obj in store.list("skill_version")] == ["s2/1"]
    assert store.count() == 2


def test_ids_are_deterministic_per_seed_and_shaped_like_real_ones() -> None:
    first, same, other = Store.open(ServerConfig(seed=1)), Store.open(ServerConfig(seed=1)), Store.open(ServerConfig(seed=2))
    ids = [first.new_id("file_") for _ in range(3)]
    assert ids == [same.new_id("file_") for _ in range(3)]
    assert ids != [other.new_id("file_") for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"file_01[0-9A-Za-z]{22}", i) for i in ids)


def test_timestamps_are_rfc3339_utc_with_microseconds() -> None:
    moment = datetime(2024, 8, 20, 18, 37, 24, 100435, tzinfo=timezone.utc)
    assert rfc3339(moment) == "2024-08-20T18:37:24.100435Z"


def test_page_tokens_round_trip_and_reject_garbage() -> None:
    token = encode_page_token(42)
    assert token.startswith("page_") and decode_page_token(token) == 42
    for bad in ("42", "page_", "page_%%%", encode_page_token(1).replace("page_", "page_x")):
        with pytest.raises(ApiError):
            decode_page_token(bad)


# -- bounded memory --------------------------------------------------------------------------------


def test_memory_store_evicts_the_oldest_top_level_object_first() -> None:
    store = Store.open(ServerConfig(max_store_objects=3))
    for key in ("a", "b", "c"):
        store.insert("file", key, {})
    store.insert("batch", "d", {})
    assert [o.key for o in store.list("file")] == ["b", "c"] and store.get("batch", "d") is not None
    # A skill and its versions leave together: a version never outlives its skill.
    store.insert("skill", "s", {})
    store.insert("skill_version", "s/1", {}, parent="s")
    assert store.count() <= 3
    assert store.get("skill", "s") is not None and store.get("skill_version", "s/1") is not None
    store.insert("file", "e", {})
    store.insert("file", "f", {})
    assert store.get("skill", "s") is None and store.get("skill_version", "s/1") is None
    assert store.count() <= 3


def test_the_server_forgets_the_oldest_file_past_the_bound() -> None:
    for server in start(ServerConfig(max_store_objects=2)):
        ids = [server.client.post("/v1/files", files={"file": (f"{i}.txt", b"x")}).json()["id"] for i in range(3)]
        assert server.client.get(f"/v1/files/{ids[0]}").status_code == 404
        assert all(server.client.get(f"/v1/files/{i}").status_code == 200 for i in ids[1:])


# -- SQLite across restarts ------------------------------------------------------------------------


def test_sqlite_keeps_every_resource_across_a_restart(data_dir: Path) -> None:
    config = ServerConfig(data_dir=data_dir, max_store_objects=1)  # the bound is for memory only
    beta = {"anthropic-beta": "skills-2025-10-02"}
    skill_md = b"---\nname: kept\ndescription: Survives restarts.\n---\n"
    before: dict[str, object] = {}
    for server in start(config):
        batch = server.client.post("/v1/messages/batches", json={"requests": [{"custom_id": "r", "params": VALID_PARAMS}]}).json()
        pending = server.client.post("/v1/messages/batches", json={"requests": [{"custom_id": "p", "params": VALID_PARAMS}]}).json()
        server.client.post(f"/v1/messages/batches/{pending['id']}/cancel")
        before["batch"] = server.client.get(f"/v1/messages/batches/{batch['id']}").json()
        before["results"] = server.client.get(f"/v1/messages/batches/{batch['id']}/results").content
        before["pending"] = pending["id"]
        before["file"] = server.client.post("/v1/files", files={"file": ("k.bin", bytes(range(256)))}).json()
        skill = server.client.post("/v1/skills", files=[("files[]", ("kept/SKILL.md", skill_md, "text/markdown"))], headers=beta).json()
        server.clock.advance(1)
        version = server.client.post(
            f"/v1/skills/{skill['id']}/versions", files=[("files[]", ("kept/SKILL.md", skill_md, "text/markdown"))], headers=beta
        ).json()
        before["skill"] = server.client.get(f"/v1/skills/{skill['id']}", headers=beta).json()
        before["version"] = version
    assert (data_dir / SQLITE_FILENAME).exists()

    for server in start(config):
        batch_id = before["batch"]["id"]  # type: ignore[index]
        assert server.client.get(f"/v1/messages/batches/{batch_id}").json() == before["batch"]
        assert server.client.get(f"/v1/messages/batches/{batch_id}/results").content == before["results"]
        canceled = server.client.get(f"/v1/messages/batches/{before['pending']}").json()
        assert canceled["processing_status"] == "ended" and canceled["request_counts"]["canceled"] == 1
        file_meta = before["file"]
        file_id = file_meta["id"]  # type: ignore[index]
        assert server.client.get(f"/v1/files/{file_id}").json() == file_meta
        assert server.store.blob("file", file_id) == bytes(range(256))  # kept, though the API serves no upload back
        skill_id = before["skill"]["id"]  # type: ignore[index]
        assert server.client.get(f"/v1/skills/{skill_id}", headers=beta).json() == before["skill"]
        versions = server.client.get(f"/v1/skills/{skill_id}/versions", headers=beta).json()["data"]
        assert versions[0] == before["version"] and len(versions) == 2
        # The id counter persisted too: nothing new reuses an old id.
        new_file = server.client.post("/v1/files", files={"file": ("n.txt", b"n")}).json()
        assert new_file["id"] != file_id
        assert [f["id"] for f in server.client.get("/v1/files").json()["data"]] == [new_file["id"], file_id]
