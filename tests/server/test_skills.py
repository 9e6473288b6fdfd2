"""Skills and versions on the reference server: both dialects, upload rules, lifecycle, pagination, --any-id."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from conformance.server._config import ServerConfig
from conformance.server._skills import SKILL_KIND, VERSION_KIND
from tests.server.conftest_resources import Server, assert_error

pytest_plugins = ("tests.server.conftest_resources",)

SKILLS = "/v1/skills"
BETA = {"anthropic-beta": "skills-2025-10-02"}
SKILL_ID = re.compile(r"^skill_[0-9A-Za-z]{24}$")
VERSION_ID = re.compile(r"^skillver_[0-9A-Za-z]{24}$")

Part = tuple[str, tuple[str, bytes, str]]


def skill_md(name: str = "pdf-tools", description: str = "Works with PDF files.") -> bytes:
    return f"---\nname: {name}\ndescription: {description}\n---\n\n# {name}\n".encode()


def parts(directory: str = "pdf-tools", md: bytes | None = None, extra: dict[str, bytes] | None = None) -> list[Part]:
    files = {f"{directory}/SKILL.md": skill_md() if md is None else md, **(extra or {})}
    return [("files[]", (path, content, "application/octet-stream")) for path, content in files.items()]


def create(server: Server, *, beta: bool = True, title: str | None = None, files: list[Part] | None = None) -> dict[str, Any]:
    data = {} if title is None else {"display_title" if beta else "display_name": title}
    response = server.client.post(SKILLS, files=files or parts(), data=data, headers=BETA if beta else {})
    assert response.status_code == 200, response.text
    return response.json()


def add_version(server: Server, skill_id: str, *, beta: bool = True, md: bytes | None = None) -> dict[str, Any]:
    response = server.client.post(f"{SKILLS}/{skill_id}/versions", files=parts(md=md), headers=BETA if beta else {})
    assert response.status_code == 200, response.text
    return response.json()


# -- beta dialect ----------------------------------------------------------------------------------


def test_beta_skill_lifecycle(server: Server) -> None:
    skill = create(server, title="PDF tools", files=parts(extra={"pdf-tools/scripts/fill.py": b"print('fill')\n"}))
    assert SKILL_ID.match(skill["id"])
    assert skill == {
        "type": "skill",
        "id": skill["id"],
        "display_title": "PDF tools",
        "latest_version": skill["latest_version"],
        "source": "custom",
        "created_at": skill["created_at"],
        "updated_at": skill["updated_at"],
    }
    assert skill["latest_version"].isdigit() and len(skill["latest_version"]) == 16
    assert server.client.get(f"{SKILLS}/{skill['id']}", headers=BETA).json() == skill

    first = server.client.get(f"{SKILLS}/{skill['id']}/versions/{skill['latest_version']}", headers=BETA).json()
    assert first["type"] == "skill_version" and VERSION_ID.match(first["id"])
    assert (first["skill_id"], first["version"], first["name"], first["description"], first["directory"]) == (
        skill["id"], skill["latest_version"], "pdf-tools", "Works with PDF files.", "pdf-tools",
    )

    server.clock.advance(1)
    second = add_version(server, skill["id"], md=skill_md(description="Better with PDFs."))
    assert int(second["version"]) > int(first["version"]) and second["description"] == "Better with PDFs."
    updated = server.client.get(f"{SKILLS}/{skill['id']}", headers=BETA).json()
    assert updated["latest_version"] == second["version"] and updated["updated_at"] > skill["updated_at"]
    listed = server.client.get(f"{SKILLS}/{skill['id']}/versions", headers=BETA).json()
    assert [v["version"] for v in listed["data"]] == [second["version"], first["version"]]

    assert_error(server.client.delete(f"{SKILLS}/{skill['id']}", headers=BETA), 400, "invalid_request_error", "versions")
    deleted = server.client.delete(f"{SKILLS}/{skill['id']}/versions/{second['version']}", headers=BETA)
    assert deleted.json() == {"id": second["version"], "type": "skill_version_deleted"}
    assert server.client.get(f"{SKILLS}/{skill['id']}", headers=BETA).json()["latest_version"] == first["version"]
    server.client.delete(f"{SKILLS}/{skill['id']}/versions/{first['version']}", headers=BETA)
    assert server.client.get(f"{SKILLS}/{skill['id']}", headers=BETA).json()["latest_version"] is None
    assert server.client.delete(f"{SKILLS}/{skill['id']}", headers=BETA).json() == {"id": skill["id"], "type": "skill_deleted"}
    assert_error(server.client.get(f"{SKILLS}/{skill['id']}", headers=BETA), 404, "not_found_error", skill["id"])
    assert_error(server.client.get(f"{SKILLS}/{skill['id']}/versions", headers=BETA), 404, "not_found_error")


def test_beta_query_alone_selects_the_beta_dialect(server: Server) -> None:
    skill = server.client.post(f"{SKILLS}?beta=true", files=parts()).json()
    assert skill["source"] == "custom" and "display_title" in skill


def test_versions_in_the_same_microsecond_still_differ(server: Server) -> None:
    skill = create(server)
    versions = {add_version(server, skill["id"])["version"] for _ in range(3)}
    assert len(versions | {skill["latest_version"]}) == 4


def test_the_uploaded_files_are_kept_as_an_archive(server: Server) -> None:
    skill = create(server, files=parts(extra={"pdf-tools/a/b.txt": b"deep"}))
    key = f"{skill['id']}/{skill['latest_version']}"
    archive = zipfile.ZipFile(io.BytesIO(server.store.blob(VERSION_KIND, key) or b""))
    assert sorted(archive.namelist()) == ["pdf-tools/SKILL.md", "pdf-tools/a/b.txt"]
    assert archive.read("pdf-tools/a/b.txt") == b"deep"


# -- GA dialect ------------------------------------------------------------------------------------


def test_ga_shapes(server: Server) -> None:
    skill = create(server, beta=False)
    assert skill["display_name"] == "pdf-tools", "derived from SKILL.md's name when not given"
    assert skill["source"] == {"type": "custom"}
    assert VERSION_ID.match(skill["latest_version_id"])
    assert "display_title" not in skill and "latest_version" not in skill
    titled = create(server, beta=False, title="My PDF tools")
    assert titled["display_name"] == "My PDF tools"
    version = server.client.get(f"{SKILLS}/{skill['id']}/versions/latest").json()
    assert version["id"] == skill["latest_version_id"]
    assert set(version) == {"type", "id", "skill_id", "name", "description", "created_at"}
    assert server.client.get(f"{SKILLS}/{skill['id']}/versions/{version['id']}").json() == version
    new = add_version(server, skill["id"], beta=False)
    assert server.client.get(f"{SKILLS}/{skill['id']}").json()["latest_version_id"] == new["id"]
    assert_error(server.client.delete(f"{SKILLS}/{skill['id']}/versions/latest"), 400, "invalid_request_error", "latest")
    deleted = server.client.delete(f"{SKILLS}/{skill['id']}/versions/{new['id']}")
    assert deleted.json() == {"id": new["id"], "type": "skill_version_deleted"}


def test_both_dialects_see_the_same_skill(server: Server) -> None:
    beta = create(server)
    ga = server.client.get(f"{SKILLS}/{beta['id']}").json()
    version = server.client.get(f"{SKILLS}/{beta['id']}/versions/{beta['latest_version']}", headers=BETA).json()
    assert ga["latest_version_id"] == version["id"]


# -- upload rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "mention"),
    [
        (parts(extra={"other/x.txt": b"x"}), "same top-level directory"),
        ([("files[]", ("pdf-tools/README.md", b"x", "text/markdown"))], "SKILL.md"),
        (parts(extra={"pdf-tools/sub/SKILL.md": b"x"})[1:], "SKILL.md"),
        ([("files[]", ("SKILL.md", skill_md(), "text/markdown"))], "top-level directory"),
        ([("files[]", ("/abs/SKILL.md", skill_md(), "text/markdown"))], "path"),
        ([("files[]", ("pdf-tools/../SKILL.md", skill_md(), "text/markdown"))], "path"),
        (parts(md=b"# no frontmatter\n"), "frontmatter"),
        (parts(md=b"---\nname: [unclosed\n---\n"), "YAML"),
        (parts(md=b"---\n- a list\n---\n"), "mapping"),
        (parts(md=skill_md(name="PDF-Tools")), "name"),
        (parts(md=skill_md(name="claude-helper")), "reserved"),
        (parts(md=skill_md(name="x" * 65)), "name"),
        (parts(md=b"---\ndescription: d\n---\n"), "name"),
        (parts(md=b"---\nname: ok\n---\n"), "description"),
        (parts(md=skill_md(description="uses <b>tags</b>")), "XML"),
        (parts(md=b"\xff\xfe---"), "UTF-8"),
    ],
)
def test_upload_rules_are_400(server: Server, files: list[Part], mention: str) -> None:
    assert_error(server.client.post(SKILLS, files=files, headers=BETA), 400, "invalid_request_error", mention)


def test_missing_files_is_400(server: Server) -> None:
    response = server.client.post(SKILLS, data={"display_title": "x"}, files={"unrelated": ("a", b"x")}, headers=BETA)
    assert_error(response, 400, "invalid_request_error", "files")
    assert_error(server.client.post(SKILLS, json={"files": []}, headers=BETA), 400, "invalid_request_error", "multipart")


def test_files_without_brackets_are_accepted(server: Server) -> None:
    response = server.client.post(SKILLS, files=[("files", ("pdf-tools/SKILL.md", skill_md(), "text/markdown"))], headers=BETA)
    assert response.status_code == 200, response.text


def test_a_new_version_keeps_the_skills_name(server: Server) -> None:
    skill = create(server)
    response = server.client.post(f"{SKILLS}/{skill['id']}/versions", files=parts(md=skill_md(name="renamed")), headers=BETA)
    assert_error(response, 400, "invalid_request_error", "name")


def test_version_of_an_unknown_skill_is_404(server: Server) -> None:
    response = server.client.post(f"{SKILLS}/skill_nope/versions", files=parts(), headers=BETA)
    assert_error(response, 404, "not_found_error", "skill_nope")
    skill = create(server)
    assert_error(server.client.get(f"{SKILLS}/{skill['id']}/versions/123", headers=BETA), 404, "not_found_error", "123")


@pytest.mark.parametrize("config", [ServerConfig(max_file_bytes=1000)])
def test_an_upload_over_the_size_limit_is_413(server: Server) -> None:
    response = server.client.post(SKILLS, files=parts(extra={"pdf-tools/big.bin": b"x" * 2000}), headers=BETA)
    assert_error(response, 413, "request_too_large")


# -- list ------------------------------------------------------------------------------------------


def test_list_pages_with_tokens_and_filters_by_source(server: Server) -> None:
    newest_first = [create(server)["id"] for _ in range(5)][::-1]
    page = server.client.get(SKILLS, params={"limit": 2}, headers=BETA).json()
    assert set(page) == {"data", "has_more", "next_page"}
    walked = [s["id"] for s in page["data"]]
    while page["next_page"]:
        page = server.client.get(SKILLS, params={"limit": 2, "page": page["next_page"]}, headers=BETA).json()
        walked += [s["id"] for s in page["data"]]
    assert walked == newest_first and page["has_more"] is False
    assert len(server.client.get(SKILLS, params={"source": "custom"}, headers=BETA).json()["data"]) == 5
    assert server.client.get(SKILLS, params={"source": "anthropic"}, headers=BETA).json()["data"] == []


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"source": "mine"}, BETA, "source"),
        ({"limit": 101}, BETA, "limit"),
        ({"limit": 1001}, {}, "limit"),
        ({"page": "page_bad"}, BETA, "page"),
    ],
)
def test_bad_list_parameters_are_400(server: Server, params: dict[str, Any], headers: dict[str, str], field: str) -> None:
    assert_error(server.client.get(SKILLS, params=params, headers=headers), 400, "invalid_request_error", field)


def test_deleting_a_skill_removes_it_from_the_store(server: Server) -> None:
    skill = create(server)
    server.client.delete(f"{SKILLS}/{skill['id']}/versions/{skill['latest_version']}", headers=BETA)
    server.client.delete(f"{SKILLS}/{skill['id']}", headers=BETA)
    assert server.store.get(SKILL_KIND, skill["id"]) is None and server.store.count() == 0


# -- --any-id --------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [ServerConfig(any_id=True)])
def test_any_id_synthesizes_skills_and_versions(server: Server) -> None:
    skill = server.client.get(f"{SKILLS}/skill_id", headers=BETA).json()
    assert skill["id"] == "skill_id" and skill["latest_version"].isdigit()
    version = server.client.get(f"{SKILLS}/skill_id/versions/{skill['latest_version']}", headers=BETA).json()
    assert version["skill_id"] == "skill_id" and version["version"] == skill["latest_version"]
    listed = server.client.get(f"{SKILLS}/skill_id/versions", headers=BETA).json()
    assert listed["data"] == [version]
    other = server.client.get(f"{SKILLS}/skill_id/versions/1759178010641129", headers=BETA).json()
    assert other["version"] == "1759178010641129"
    ga = server.client.get(f"{SKILLS}/skill_id").json()
    assert server.client.get(f"{SKILLS}/skill_id/versions/latest").json()["id"] == ga["latest_version_id"]
    assert server.client.delete(f"{SKILLS}/skill_id", headers=BETA).json() == {"id": "skill_id", "type": "skill_deleted"}
    gone = server.client.delete(f"{SKILLS}/skill_id/versions/1759178010641129", headers=BETA).json()
    assert gone == {"id": "1759178010641129", "type": "skill_version_deleted"}
    real = create(server)
    unknown = server.client.get(f"{SKILLS}/{real['id']}/versions/42", headers=BETA).json()
    assert unknown["version"] == "42"
    assert server.store.count() == 2, "only the real skill and its version are stored"
