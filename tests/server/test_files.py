"""Files on the reference server: upload, metadata, the API's download refusal, delete, both list styles, limits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.server._config import ServerConfig
from tests.server.conftest_resources import Server, assert_error

pytest_plugins = ("tests.server.conftest_resources",)

FILES = "/v1/files"
ID = re.compile(r"^file_[0-9A-Za-z]{24}$")
ALL_BYTES = bytes(range(256)) * 3


def upload(server: Server, name: str = "data.bin", content: bytes = ALL_BYTES, mime: str | None = None) -> dict[str, Any]:
    part = (name, content) if mime is None else (name, content, mime)
    response = server.client.post(FILES, files={"file": part})
    assert response.status_code == 200, response.text
    return response.json()


def test_upload_download_delete_round_trip(server: Server) -> None:
    meta = upload(server, "data.csv", b"item,value\napple,30\n", "text/csv")
    assert ID.match(meta["id"])
    assert meta == {
        "type": "file",
        "id": meta["id"],
        "filename": "data.csv",
        "mime_type": "text/csv",
        "size_bytes": 20,
        "created_at": meta["created_at"],
        "downloadable": False,
    }
    assert meta["created_at"].endswith("Z")
    assert server.client.get(f"{FILES}/{meta['id']}").json() == meta
    assert_not_downloadable(server.client.get(f"{FILES}/{meta['id']}/content"))
    deleted = server.client.delete(f"{FILES}/{meta['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"id": meta["id"], "type": "file_deleted"}
    for method, suffix in (("GET", ""), ("GET", "/content"), ("DELETE", "")):
        assert_error(server.client.request(method, f"{FILES}/{meta['id']}{suffix}"), 404, "not_found_error", meta["id"])


def assert_not_downloadable(response: Any) -> None:
    """The API refuses to serve a file a user uploaded (api-facts §14b): 400 with an error_code."""
    assert_error(response, 400, "invalid_request_error", "not downloadable")
    assert response.json()["error"]["details"] == {"error_code": "file_not_downloadable"}


@pytest.mark.parametrize("config", [ServerConfig(), ServerConfig(mock=True)])
def test_uploaded_files_are_not_downloadable(server: Server) -> None:
    meta = upload(server, content=ALL_BYTES)
    assert meta["size_bytes"] == len(ALL_BYTES) and meta["downloadable"] is False
    assert_not_downloadable(server.client.get(f"{FILES}/{meta['id']}/content?beta=true", headers={"accept": "application/binary"}))


def test_empty_file_is_accepted(server: Server) -> None:
    meta = upload(server, "empty.txt", b"")
    assert meta["size_bytes"] == 0


@pytest.mark.parametrize(
    ("name", "mime", "expected"),
    [
        ("doc.pdf", "application/pdf", "application/pdf"),
        ("notes.txt", "application/octet-stream", "text/plain"),  # a generic type: guess from the name
        ("picture.png", None, "image/png"),
        ("blob.unknownext", "application/octet-stream", "application/octet-stream"),
        ("odd.bin", "text/x-custom; charset=utf-8", "text/x-custom"),
    ],
)
def test_mime_type(server: Server, name: str, mime: str | None, expected: str) -> None:
    assert upload(server, name, b"x", mime)["mime_type"] == expected


@pytest.mark.parametrize("config", [ServerConfig(max_file_bytes=100)])
def test_over_the_size_limit_is_413(server: Server) -> None:
    assert upload(server, content=b"x" * 100)["size_bytes"] == 100
    response = server.client.post(FILES, files={"file": ("big.bin", b"x" * 101)})
    assert_error(response, 413, "request_too_large")
    huge = server.client.post(FILES, files={"file": ("huge.bin", b"x" * 200_000)})
    assert_error(huge, 413, "request_too_large")
    assert server.client.get(FILES).json()["data"][0]["size_bytes"] == 100, "nothing stored for refused uploads"


@pytest.mark.parametrize(
    ("kwargs", "mention"),
    [
        ({"json": {"file": "x"}}, "multipart/form-data"),
        ({"content": b"garbage", "headers": {"content-type": "multipart/form-data"}}, "multipart"),
        ({"content": b"--b\r\nnonsense", "headers": {"content-type": "multipart/form-data; boundary=b"}}, ""),
        ({"files": {"other": ("a.txt", b"x")}}, "file"),
        ({"data": {"file": "just text"}, "files": {"other": ("a.txt", b"x")}}, "file"),
    ],
)
def test_bad_uploads_are_400(server: Server, kwargs: dict[str, Any], mention: str) -> None:
    assert_error(server.client.post(FILES, **kwargs), 400, "invalid_request_error", mention)


def test_too_long_filename_is_400(server: Server) -> None:
    response = server.client.post(FILES, files={"file": ("n" * 501, b"x")})
    assert_error(response, 400, "invalid_request_error", "filename")


def test_expires_in_seconds(server: Server) -> None:
    response = server.client.post(FILES, files={"file": ("a.txt", b"hello")}, data={"expires_in_seconds": "60"})
    meta = response.json()
    assert meta["expires_at"] > meta["created_at"]
    assert_not_downloadable(server.client.get(f"{FILES}/{meta['id']}/content"))
    server.clock.advance(60)
    assert_error(server.client.get(f"{FILES}/{meta['id']}/content"), 404, "not_found_error", "expired")
    bad = server.client.post(FILES, files={"file": ("a.txt", b"x")}, data={"expires_in_seconds": "soon"})
    assert_error(bad, 400, "invalid_request_error", "expires_in_seconds")


# -- list ------------------------------------------------------------------------------------------


def _ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["data"]]


def test_list_id_cursor_style(server: Server) -> None:
    newest_first = [upload(server, f"f{i}.txt", b"x")["id"] for i in range(5)][::-1]
    page = server.client.get(FILES, params={"limit": 2}).json()
    assert _ids(page) == newest_first[:2] and page["has_more"] is True
    assert (page["first_id"], page["last_id"]) == (newest_first[0], newest_first[1])
    walked = _ids(page)
    while page["has_more"]:
        page = server.client.get(FILES, params={"limit": 2, "after_id": page["last_id"]}).json()
        walked += _ids(page)
    assert walked == newest_first
    back = server.client.get(FILES, params={"before_id": newest_first[2]}).json()
    assert _ids(back) == newest_first[:2] and back["has_more"] is False


def test_list_page_token_style(server: Server) -> None:
    newest_first = [upload(server, f"f{i}.txt", b"x")["id"] for i in range(5)][::-1]
    page = server.client.get(FILES, params={"limit": 2}).json()
    walked = _ids(page)
    while page["next_page"]:
        assert page["next_page"].startswith("page_")
        page = server.client.get(FILES, params={"limit": 2, "page": page["next_page"]}).json()
        walked += _ids(page)
    assert walked == newest_first
    assert page["has_more"] is False and page["next_page"] is None


def test_page_tokens_survive_deletions(server: Server) -> None:
    ids = [upload(server, f"f{i}.txt", b"x")["id"] for i in range(4)][::-1]
    first = server.client.get(FILES, params={"limit": 2}).json()
    server.client.delete(f"{FILES}/{ids[1]}")
    rest = server.client.get(FILES, params={"limit": 2, "page": first["next_page"]}).json()
    assert _ids(rest) == ids[2:]


def test_list_by_ids(server: Server) -> None:
    a, _, c = (upload(server, f"{n}.txt", b"x")["id"] for n in "abc")
    page = server.client.get(FILES, params=[("ids[]", a), ("ids[]", c), ("ids[]", "file_gone")]).json()
    assert _ids(page) == [c, a] and page["next_page"] is None and page["has_more"] is False
    assert_error(server.client.get(FILES, params=[("ids[]", a), ("limit", "2")]), 400, "invalid_request_error", "ids")


def test_scope_filter_matches_no_uploaded_file(server: Server) -> None:
    upload(server)
    assert server.client.get(FILES, params={"scope_id": "sesn_123"}).json()["data"] == []


@pytest.mark.parametrize(("params", "field"), [({"limit": 0}, "limit"), ({"page": "nonsense"}, "page"), ({"page": "page_!!"}, "page")])
def test_bad_list_parameters_are_400(server: Server, params: dict[str, Any], field: str) -> None:
    assert_error(server.client.get(FILES, params=params), 400, "invalid_request_error", field)


# -- --any-id --------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [ServerConfig(any_id=True)])
def test_any_id_synthesizes_files(server: Server) -> None:
    meta = server.client.get(f"{FILES}/file_id").json()
    assert meta["id"] == "file_id" and meta["type"] == "file" and meta["downloadable"] is True  # as if a tool made it
    content = server.client.get(f"{FILES}/file_id/content").content
    assert len(content) == meta["size_bytes"] > 0
    assert server.client.delete(f"{FILES}/file_id").json() == {"id": "file_id", "type": "file_deleted"}
    assert server.client.get(FILES).json()["data"] == []


_BOUNDARY = "xyzzy"
_chunks = st.sampled_from(
    [
        f"--{_BOUNDARY}\r\n",
        f"--{_BOUNDARY}--\r\n",
        'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n',
        'Content-Disposition: form-data; name="file"\r\n',
        "Content-Disposition: form-data\r\n",
        "Content-Type: text/plain\r\n",
        "\r\n",
        "payload",
        "\x00\xff",
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(_chunks, max_size=12).map("".join))
def test_arbitrary_multipart_bodies_never_fail_the_server(server: Server, body: str) -> None:
    headers = {"content-type": f"multipart/form-data; boundary={_BOUNDARY}"}
    response = server.client.post(FILES, content=body.encode("latin-1"), headers=headers)
    assert response.status_code in (200, 400), response.text
    response = server.client.post("/v1/skills", content=body.encode("latin-1"), headers=headers)
    assert response.status_code in (200, 400), response.text
