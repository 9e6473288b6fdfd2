"""Skills and skill versions (api-facts §11).

Two dialects share the paths. Requests carrying a `skills-…` beta (`anthropic-beta: skills-2025-10-02`,
which SDK 0.x/1.x send together with `?beta=true` and later SDKs without it) or the `?beta=true`
query (the upstream spec's beta paths, whose header is optional) get the beta shapes:
skill `{display_title, latest_version, source:"custom"}`, versions addressed by their Unix-epoch-µs
`version` string. Other requests get the GA shapes of SDK ≥ 0.124: skill `{display_name,
latest_version_id, source:{type:"custom"}}`, versions addressed by id (`skillver_…`) or `latest`.
Both dialects see the same stored objects, and a version path accepts either its version string or id.

Upload rules (create skill, create version): multipart `files[]` (or `files`); every part's filename
is a relative path (`my-skill/SKILL.md`), all under one top-level directory, with `SKILL.md` at its
root. SKILL.md opens with YAML frontmatter naming `name` (≤ 64 characters: lowercase letters,
digits, hyphens; not containing "anthropic" or "claude") and `description` (non-empty, ≤ 1024
characters, no XML tags): the documented Agent Skills rules. A skill's `name` is fixed by its first
upload; later versions must keep it. Breaking any rule is a 400 naming the field.

Creating a skill creates its first version. A version's files are kept as a zip archive, served by
`GET …/versions/{version}/content`. Deleting a skill that still has versions is refused with
400 (the API documents deleting the versions first); deleting the latest version makes the newest
remaining one latest (or none).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import yaml
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from conformance.server import _synthesize
from conformance.server._errors import ApiError, invalid_request, not_found
from conformance.server._files import file_parts, read_multipart, too_large
from conformance.server._http import DEFAULT_API_VERSION, api_version, betas
from conformance.server._paging import (
    page_token_page,
    query_limit,
    query_page,
    query_str,
    server_state,
)
from conformance.server._state import ServerState
from conformance.server._store import (
    JsonDict,
    StoredObject,
    derived_id,
    from_epoch,
    rfc3339,
)

SKILL_KIND = "skill"
VERSION_KIND = "skill_version"
SKILL_PREFIX = "skill_"
VERSION_PREFIX = "skillver_"
BETA_PREFIX = "skills-"
SKILL_MD = "SKILL.md"
SOURCES = ("custom", "anthropic", "anthropic_example", "plugin")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_TITLE = 255
BETA_LIST_MAX = 100
LIST_MAX = 1000
RESERVED_WORDS = ("anthropic", "claude")
_NAME = re.compile(r"^[a-z0-9-]+$")
_XML_TAG = re.compile(r"<[^>]*>")
_FRONTMATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
"""Fixed member times, so the same upload always archives to the same bytes."""


def is_beta(request: Request) -> bool:
    """Whether the call gets the classic beta shapes: `?beta=true` or a `skills-` beta, under API
    version 2023-06-01. SDK 2.x's beta client (2026-10-21) reads the GA shapes, so they answer it."""
    if api_version(request) != DEFAULT_API_VERSION:
        return False
    if request.query_params.get("beta") == "true":
        return True
    return any(beta.startswith(BETA_PREFIX) for beta in betas(request))


# -- uploads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillUpload:
    directory: str
    name: str
    description: str
    title: str | None
    archive: bytes


async def read_upload(request: Request) -> SkillUpload:
    """The uploaded skill. In mock mode an upload the rules refuse (generated tests send one bare
    file) stands for the synthesized example skill; a body that is not multipart, or too large,
    is still refused."""
    state = server_state(request)
    limit = state.config.max_file_bytes
    form = await read_multipart(request, max_bytes=limit)
    try:
        return await _upload_from(form, limit=limit, mock=state.config.mock)
    except ApiError as refused:
        if refused.status != 400 or not state.config.mock:
            raise
        return _synthetic_upload()
    finally:
        await form.close()


async def _upload_from(form: FormData, *, limit: int, mock: bool) -> SkillUpload:
    parts = file_parts(form, "files[]", "files", lenient=mock)
    if not parts:
        raise invalid_request("files: Field required (multipart parts named `files[]`, one per file)")
    files: dict[str, bytes] = {}
    total = 0
    for part in parts:
        path = _relative_path(part)
        if path in files:
            raise invalid_request(f"files: Duplicate file path {path!r}")
        files[path] = await part.read()
        total += len(files[path])
        if total > limit:
            raise too_large(limit)
    title = _title(form)
    directory = _single_directory(files)
    name, description = parse_skill_md(files.get(f"{directory}/{SKILL_MD}"), directory)
    return SkillUpload(directory, name, description, title, _archive(files))


def _relative_path(part: UploadFile) -> str:
    raw = part.filename or ""
    segments = raw.split("/")
    if not raw or raw.startswith("/") or "\\" in raw or any(seg in ("", ".", "..") for seg in segments):
        raise invalid_request(f"files: Invalid file path {raw!r}; give each file's path relative to the skill, e.g. 'my-skill/{SKILL_MD}'")
    if len(segments) < 2:
        raise invalid_request(f"files: File {raw!r} must be inside the skill's top-level directory, e.g. 'my-skill/{raw}'")
    return raw


def _single_directory(files: dict[str, bytes]) -> str:
    directories = sorted({path.split("/", 1)[0] for path in files})
    if len(directories) > 1:
        raise invalid_request(f"files: All files must be in the same top-level directory; found {', '.join(map(repr, directories))}")
    directory = directories[0]
    if f"{directory}/{SKILL_MD}" not in files:
        raise invalid_request(f"files: {SKILL_MD} file must be exactly in the top-level folder ({directory}/{SKILL_MD})")
    return directory


def _title(form: FormData) -> str | None:
    for field in ("display_title", "display_name"):
        value = form.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid_request(f"{field}: Input should be a valid string")
        if len(value) > MAX_TITLE or "\n" in value:
            raise invalid_request(f"{field}: Must be a single line of at most {MAX_TITLE} characters")
        return value or None
    return None


def parse_skill_md(content: bytes | None, directory: str) -> tuple[str, str]:
    """`(name, description)` from SKILL.md's YAML frontmatter, or 400 naming what is wrong."""
    where = f"{directory}/{SKILL_MD}"
    if content is None:
        raise invalid_request(f"files: {SKILL_MD} file must be exactly in the top-level folder ({where})")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid_request(f"{where}: must be UTF-8 text") from None
    match = _FRONTMATTER.match(text)
    if match is None:
        raise invalid_request(f"{where}: must start with YAML frontmatter (between '---' lines) giving `name` and `description`")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        raise invalid_request(f"{where}: the frontmatter is not valid YAML") from None
    if not isinstance(meta, dict):
        raise invalid_request(f"{where}: the frontmatter must be a YAML mapping with `name` and `description`")
    return _check_name(meta.get("name"), where), _check_description(meta.get("description"), where)


def _check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise invalid_request(f"{where}: name: Field required (a non-empty string)")
    if len(name) > MAX_NAME:
        raise invalid_request(f"{where}: name: Must be at most {MAX_NAME} characters")
    if not _NAME.match(name):
        raise invalid_request(f"{where}: name: Must contain only lowercase letters, numbers and hyphens")
    reserved = next((word for word in RESERVED_WORDS if word in name), None)
    if reserved is not None:
        raise invalid_request(f"{where}: name: Cannot contain the reserved word {reserved!r}")
    return name


def _check_description(description: object, where: str) -> str:
    if not isinstance(description, str) or not description.strip():
        raise invalid_request(f"{where}: description: Field required (a non-empty string)")
    if len(description) > MAX_DESCRIPTION:
        raise invalid_request(f"{where}: description: Must be at most {MAX_DESCRIPTION} characters")
    if _XML_TAG.search(description):
        raise invalid_request(f"{where}: description: Cannot contain XML tags")
    return description


def _archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(zipfile.ZipInfo(path, date_time=_ZIP_TIME), files[path])
    return buffer.getvalue()


# -- records ---------------------------------------------------------------------------------------


def new_skill_record(skill_id: str, *, name: str, title: str | None, created: float) -> JsonDict:
    return {
        "id": skill_id,
        "name": name,
        "title": title,
        "created": created,
        "updated": created,
        "latest_version": None,
        "latest_version_id": None,
    }


def new_version_record(version_id: str, skill_id: str, version: str, upload: SkillUpload, created: float) -> JsonDict:
    return {
        "id": version_id,
        "skill_id": skill_id,
        "version": version,
        "name": upload.name,
        "description": upload.description,
        "directory": upload.directory,
        "created": created,
    }


def render_skill(record: JsonDict, beta: bool) -> JsonDict:
    common = {"type": "skill", "id": record["id"]}
    times = {"created_at": rfc3339(from_epoch(record["created"])), "updated_at": rfc3339(from_epoch(record["updated"]))}
    if beta:
        return {
            **common,
            "display_title": record["title"],
            "latest_version": record["latest_version"],
            "source": "custom",
            **times,
        }
    return {
        **common,
        "display_name": record["title"] or record["name"],
        "latest_version_id": record["latest_version_id"],
        "source": {"type": "custom"},
        **times,
    }


def render_version(record: JsonDict, beta: bool) -> JsonDict:
    body: JsonDict = {
        "type": "skill_version",
        "id": record["id"],
        "skill_id": record["skill_id"],
        "name": record["name"],
        "description": record["description"],
        "created_at": rfc3339(from_epoch(record["created"])),
    }
    if beta:
        body["version"] = record["version"]
        body["directory"] = record["directory"]
    return body


def _version_key(skill_id: str, version: str) -> str:
    return f"{skill_id}/{version}"


def _epoch_micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


# -- synthesized objects (--any-id) ----------------------------------------------------------------


def _synthetic_upload() -> SkillUpload:
    directory = _synthesize.SYNTHETIC_SKILL_DIRECTORY
    files = {f"{directory}/{SKILL_MD}": _synthesize.SYNTHETIC_SKILL_MD}
    name, description = parse_skill_md(_synthesize.SYNTHETIC_SKILL_MD, directory)
    return SkillUpload(directory, name, description, None, _archive(files))


def _synthesized_version(skill_id: str, version: str) -> StoredObject:
    """The version named `version` (a version string, an id, or `latest`) of `skill_id`, made up.

    Anything but a version string names the skill's (made-up) latest version, so the skill, its
    version list and a lookup by id agree with one another.
    """
    if version.isdigit():
        number = version
    else:
        number = str(_epoch_micros(_synthesize.synthetic_time(skill_id).timestamp()))
    version_id = version if version.startswith(VERSION_PREFIX) else derived_id(VERSION_PREFIX, skill_id, number)
    created = _synthesize.synthetic_time(_version_key(skill_id, number)).timestamp()
    record = new_version_record(version_id, skill_id, number, _synthetic_upload(), created)
    return _synthesize.synthetic_object(VERSION_KIND, _version_key(skill_id, number), record, parent=skill_id)


def _synthesized_skill(skill_id: str) -> StoredObject:
    created = _synthesize.synthetic_time(skill_id).timestamp()
    record = new_skill_record(skill_id, name=_synthetic_upload().name, title=None, created=created)
    latest = _synthesized_version(skill_id, "latest").data
    record["latest_version"], record["latest_version_id"] = latest["version"], latest["id"]
    return _synthesize.synthetic_object(SKILL_KIND, skill_id, record)


def _load_skill(request: Request) -> tuple[StoredObject, bool]:
    skill_id = request.path_params["skill_id"]
    return _synthesize.resolve(
        server_state(request),
        SKILL_KIND,
        skill_id,
        missing=f"Skill not found: {skill_id}",
        synthesize=lambda: _synthesized_skill(skill_id),
    )


def _find_version(state: ServerState, skill: JsonDict, version: str) -> StoredObject | None:
    """A version by its version string, its id, or (GA) `latest`."""
    if version == "latest":
        version = skill["latest_version"] or ""
    found = state.store.get(VERSION_KIND, _version_key(skill["id"], version))
    if found is not None:
        return found
    return next((obj for obj in state.store.list(VERSION_KIND, parent=skill["id"]) if obj.data["id"] == version), None)


def _load_version(request: Request) -> tuple[StoredObject, StoredObject, bool]:
    state = server_state(request)
    skill, synthetic = _load_skill(request)
    version = request.path_params["version"]
    found = None if synthetic else _find_version(state, skill.data, version)
    if found is not None:
        return skill, found, False
    if state.config.any_id:
        return skill, _synthesized_version(skill.key, version), True
    raise not_found(f"Skill version not found: {version} (skill {skill.key})")


# -- handlers --------------------------------------------------------------------------------------


def _add_version(state: ServerState, skill: JsonDict, upload: SkillUpload) -> JsonDict:
    """Store a new version of `skill` and make it the latest; returns the version record."""
    now = state.store.now().timestamp()
    number = _epoch_micros(now)
    if skill["latest_version"] is not None:
        # Version strings order the versions; two uploads in one microsecond must still differ.
        number = max(number, int(skill["latest_version"]) + 1)
    version = str(number)
    record = new_version_record(state.store.new_id(VERSION_PREFIX), skill["id"], version, upload, now)
    state.store.insert(VERSION_KIND, _version_key(skill["id"], version), record, parent=skill["id"], blob=upload.archive)
    skill.update(latest_version=version, latest_version_id=record["id"], updated=now)
    return record


async def create_skill(request: Request) -> Response:
    state = server_state(request)
    upload = await read_upload(request)
    skill_id = state.store.new_id(SKILL_PREFIX)
    skill = new_skill_record(skill_id, name=upload.name, title=upload.title, created=state.store.now().timestamp())
    state.store.insert(SKILL_KIND, skill_id, skill)
    _add_version(state, skill, upload)
    state.store.update(SKILL_KIND, skill_id, skill)
    return JSONResponse(render_skill(skill, is_beta(request)))


async def list_skills(request: Request) -> Response:
    state = server_state(request)
    beta = is_beta(request)
    limit = query_limit(request, maximum=BETA_LIST_MAX if beta else LIST_MAX)
    source = query_str(request, "source")
    if source is not None and source not in SOURCES and not state.config.mock:  # mock: an unknown source lists nothing
        raise invalid_request(f"source: Input should be one of {', '.join(map(repr, SOURCES))}")
    # Every stored skill is a custom one; the server hosts no Anthropic-published skills.
    objects = state.store.list(SKILL_KIND) if source in (None, "custom") else []
    page = page_token_page(objects, lambda obj: render_skill(obj.data, beta), limit=limit, page=query_page(request))
    return JSONResponse(page)


async def retrieve_skill(request: Request) -> Response:
    skill, _ = _load_skill(request)
    return JSONResponse(render_skill(skill.data, is_beta(request)))


async def delete_skill(request: Request) -> Response:
    state = server_state(request)
    skill, synthetic = _load_skill(request)
    if not synthetic:
        if state.store.list(VERSION_KIND, parent=skill.key):
            raise invalid_request(
                f"Cannot delete skill {skill.key}: it still has versions. Delete all of its versions first."
            )
        state.store.delete(SKILL_KIND, skill.key)
    return JSONResponse({"id": skill.key, "type": "skill_deleted"})


async def create_version(request: Request) -> Response:
    state = server_state(request)
    skill_id = request.path_params["skill_id"]
    found = state.store.get(SKILL_KIND, skill_id)
    if found is None and not state.config.any_id:
        raise not_found(f"Skill not found: {skill_id}")
    upload = await read_upload(request)
    if found is None:
        # --any-id: a version of the synthesized skill, answered and not stored (like every synthesized object).
        now = state.store.now().timestamp()
        record = new_version_record(state.store.new_id(VERSION_PREFIX), skill_id, str(_epoch_micros(now)), upload, now)
        return JSONResponse(render_version(record, is_beta(request)))
    skill = found.data
    if upload.name != skill["name"] and not state.config.mock:
        raise invalid_request(
            f"{upload.directory}/{SKILL_MD}: name: {upload.name!r} does not match the skill's name {skill['name']!r}; "
            "a skill keeps the name of its first upload"
        )
    record = _add_version(state, skill, upload)
    state.store.update(SKILL_KIND, skill_id, skill)
    return JSONResponse(render_version(record, is_beta(request)))


async def list_versions(request: Request) -> Response:
    state = server_state(request)
    beta = is_beta(request)
    limit = query_limit(request, maximum=LIST_MAX)
    skill, synthetic = _load_skill(request)
    if synthetic:
        objects = [_synthesized_version(skill.key, skill.data["latest_version"])]
    else:
        objects = state.store.list(VERSION_KIND, parent=skill.key)
    page = page_token_page(objects, lambda obj: render_version(obj.data, beta), limit=limit, page=query_page(request))
    return JSONResponse(page)


async def retrieve_version(request: Request) -> Response:
    _, version, _ = _load_version(request)
    return JSONResponse(render_version(version.data, is_beta(request)))


async def download_version(request: Request) -> Response:
    """The version's files as a zip archive (the beta SDK's `versions.download`)."""
    _, version, synthetic = _load_version(request)
    archive = _synthetic_upload().archive if synthetic else server_state(request).store.blob(VERSION_KIND, version.key)
    return Response(archive or b"", media_type="application/zip")


async def delete_version(request: Request) -> Response:
    state = server_state(request)
    beta = is_beta(request)
    if request.path_params["version"] == "latest":
        raise invalid_request("version: `latest` is not accepted here; name the version to delete")
    skill, version, synthetic = _load_version(request)
    if not synthetic:
        state.store.delete(VERSION_KIND, version.key)
        remaining = state.store.list(VERSION_KIND, parent=skill.key)
        newest = remaining[-1].data if remaining else None
        record = skill.data
        record["latest_version"] = newest["version"] if newest else None
        record["latest_version_id"] = newest["id"] if newest else None
        record["updated"] = state.store.now().timestamp()
        state.store.update(SKILL_KIND, skill.key, record)
    deleted_id = version.data["version"] if beta else version.data["id"]
    return JSONResponse({"id": deleted_id, "type": "skill_version_deleted"})


routes: list[BaseRoute] = [
    Route("/v1/skills", create_skill, methods=["POST"]),
    Route("/v1/skills", list_skills, methods=["GET"]),
    Route("/v1/skills/{skill_id}", retrieve_skill, methods=["GET"]),
    Route("/v1/skills/{skill_id}", delete_skill, methods=["DELETE"]),
    Route("/v1/skills/{skill_id}/versions", create_version, methods=["POST"]),
    Route("/v1/skills/{skill_id}/versions", list_versions, methods=["GET"]),
    Route("/v1/skills/{skill_id}/versions/{version}", retrieve_version, methods=["GET"]),
    Route("/v1/skills/{skill_id}/versions/{version}", delete_version, methods=["DELETE"]),
    Route("/v1/skills/{skill_id}/versions/{version}/content", download_version, methods=["GET"]),
]
