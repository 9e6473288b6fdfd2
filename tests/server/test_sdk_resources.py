"""The official SDK (0.125.0) drives batches, files and skills against the reference server.

The client runs with `_strict_response_validation=True`, so every answer must parse into the SDK's
own models (a missing or mistyped field raises), and it sends through the in-process TestClient.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest

from conformance.server._config import ServerConfig
from tests.server.conftest_resources import INVALID_PARAMS, VALID_PARAMS, Server

pytest_plugins = ("tests.server.conftest_resources",)

SKILL_MD = b"---\nname: sdk-skill\ndescription: Made by the SDK test.\n---\n\n# sdk-skill\n"


@pytest.fixture
def client(server: Server) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        api_key="test-key",
        base_url="http://testserver",
        http_client=server.client,
        max_retries=0,
        _strict_response_validation=True,
    ) as sdk:
        yield sdk


def skill_files(md: bytes = SKILL_MD) -> list[tuple[str, bytes, str]]:
    return [("sdk-skill/SKILL.md", md, "text/markdown"), ("sdk-skill/helper.py", b"print('hi')\n", "text/x-python")]


# -- batches ---------------------------------------------------------------------------------------


def test_sdk_batch_lifecycle_and_results(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.create(
        requests=[
            {"custom_id": "first", "params": VALID_PARAMS},  # type: ignore[typeddict-item]
            {"custom_id": "second", "params": VALID_PARAMS},  # type: ignore[typeddict-item]
            {"custom_id": "broken", "params": INVALID_PARAMS},  # type: ignore[typeddict-item]
        ]
    )
    assert batch.processing_status == "in_progress" and batch.request_counts.processing == 3
    polled = client.messages.batches.retrieve(batch.id)
    assert polled.processing_status == "ended" and polled.results_url
    assert (polled.request_counts.succeeded, polled.request_counts.errored) == (2, 1)
    results = {item.custom_id: item.result for item in client.messages.batches.results(batch.id)}
    assert set(results) == {"first", "second", "broken"}
    assert results["first"].type == "succeeded" and results["first"].message.content
    assert results["broken"].type == "errored" and results["broken"].error.error.type == "invalid_request_error"
    assert [b.id for b in client.messages.batches.list()] == [batch.id]
    deleted = client.messages.batches.delete(batch.id)
    assert deleted.id == batch.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch.id)


def test_sdk_batch_cancel_and_errors(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.create(requests=[{"custom_id": "x", "params": VALID_PARAMS}])  # type: ignore[typeddict-item]
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.delete(batch.id)
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    assert [r.result.type for r in client.messages.batches.results(batch.id)] == ["canceled"]
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.batches.create(requests=[{"custom_id": "not valid!", "params": VALID_PARAMS}])  # type: ignore[typeddict-item]
    assert "custom_id" in bad.value.message


def test_sdk_batch_list_auto_paginates(client: anthropic.Anthropic) -> None:
    ids = [client.messages.batches.create(requests=[{"custom_id": "x", "params": VALID_PARAMS}]).id for _ in range(5)]  # type: ignore[typeddict-item]
    assert [b.id for b in client.messages.batches.list(limit=2)] == ids[::-1]
    beta = client.beta.messages.batches.list(limit=2)
    assert [b.id for b in beta] == ids[::-1]


@pytest.mark.parametrize("config", [ServerConfig(batch_delay=60)])
def test_sdk_sees_in_progress_until_the_delay_passes(client: anthropic.Anthropic, server: Server) -> None:
    batch = client.messages.batches.create(requests=[{"custom_id": "x", "params": VALID_PARAMS}])  # type: ignore[typeddict-item]
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    with pytest.raises(anthropic.AnthropicError, match="results_url"):
        client.messages.batches.results(batch.id)
    server.clock.advance(60)
    assert [r.custom_id for r in client.messages.batches.results(batch.id)] == ["x"]


# -- files -----------------------------------------------------------------------------------------


def test_sdk_beta_files(client: anthropic.Anthropic) -> None:
    content = bytes(range(256)) * 4
    meta = client.beta.files.upload(file=("data.bin", content, "application/octet-stream"))
    assert meta.size_bytes == len(content) and meta.filename == "data.bin" and meta.type == "file"
    assert client.beta.files.retrieve_metadata(meta.id) == meta
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.beta.files.download(meta.id)
    assert refused.value.body["error"]["details"]["error_code"] == "file_not_downloadable"  # type: ignore[index]
    others = [client.beta.files.upload(file=(f"{i}.txt", b"x", "text/plain")).id for i in range(3)]
    assert [f.id for f in client.beta.files.list(limit=2)] == [*others[::-1], meta.id]
    assert client.beta.files.delete(meta.id).id == meta.id
    with pytest.raises(anthropic.NotFoundError):
        client.beta.files.retrieve_metadata(meta.id)


def test_sdk_ga_files(client: anthropic.Anthropic) -> None:
    ids = [client.files.upload(file=(f"{i}.csv", b"a,b\n1,2\n", "text/csv")).id for i in range(5)]
    listed = [f.id for f in client.files.list(limit=2)]
    assert listed == ids[::-1]
    assert client.files.retrieve_metadata(ids[0]).mime_type == "text/csv"
    with pytest.raises(anthropic.BadRequestError):
        client.files.download(ids[0])
    assert client.files.delete(ids[0]).id == ids[0]
    expiring = client.files.upload(file=("e.txt", b"e", "text/plain"), expires_in_seconds=3600)
    assert expiring.expires_at is not None


@pytest.mark.parametrize("config", [ServerConfig(max_file_bytes=10)])
def test_sdk_upload_over_the_limit(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as error:
        client.beta.files.upload(file=("big.bin", b"x" * 11, "application/octet-stream"))
    assert error.value.status_code == 413


# -- skills ----------------------------------------------------------------------------------------


def test_sdk_beta_skills_and_versions(client: anthropic.Anthropic, server: Server) -> None:
    skill = client.beta.skills.create(files=skill_files(), display_title="SDK skill")
    assert skill.display_title == "SDK skill" and skill.source == "custom" and skill.latest_version
    assert client.beta.skills.retrieve(skill.id).id == skill.id
    assert [s.id for s in client.beta.skills.list()] == [skill.id]
    server.clock.advance(1)
    version = client.beta.skills.versions.create(skill.id, files=skill_files())
    assert version.name == "sdk-skill" and version.directory == "sdk-skill"
    fetched = client.beta.skills.versions.retrieve(version.version, skill_id=skill.id)
    assert fetched.id == version.id
    assert [v.version for v in client.beta.skills.versions.list(skill.id, limit=1)] == [version.version, skill.latest_version]
    archive = client.beta.skills.versions.download(version.version, skill_id=skill.id).read()
    assert archive[:2] == b"PK"
    with pytest.raises(anthropic.BadRequestError):
        client.beta.skills.delete(skill.id)
    for v in (version.version, skill.latest_version):
        assert client.beta.skills.versions.delete(v, skill_id=skill.id).type == "skill_version_deleted"
    assert client.beta.skills.delete(skill.id).type == "skill_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.beta.skills.retrieve(skill.id)


def test_sdk_ga_skills_and_versions(client: anthropic.Anthropic) -> None:
    skill = client.skills.create(files=skill_files())
    assert skill.display_name == "sdk-skill" and skill.source.type == "custom"
    assert client.skills.retrieve(skill.id).latest_version_id == skill.latest_version_id
    version = client.skills.versions.create(skill.id, files=skill_files())
    assert client.skills.versions.retrieve("latest", skill_id=skill.id).id == version.id
    assert [v.id for v in client.skills.versions.list(skill.id)] == [version.id, skill.latest_version_id]
    assert [s.id for s in client.skills.list(limit=1)] == [skill.id]
    for version_id in (version.id, skill.latest_version_id):
        assert client.skills.versions.delete(version_id, skill_id=skill.id).id == version_id
    assert client.skills.delete(skill.id).id == skill.id


def test_sdk_skill_upload_rules(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as error:
        client.beta.skills.create(files=[("sdk-skill/README.md", b"no skill file", "text/markdown")])
    assert "SKILL.md" in error.value.message


# -- --any-id --------------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [ServerConfig(any_id=True)])
def test_sdk_parses_synthesized_objects(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.retrieve("msgbatch_placeholder")
    assert batch.processing_status == "ended"
    assert [r.result.type for r in client.messages.batches.results("msgbatch_placeholder")] == ["succeeded"]
    assert client.messages.batches.cancel("msgbatch_x").processing_status == "canceling"
    assert client.messages.batches.delete("msgbatch_x").id == "msgbatch_x"
    assert client.beta.files.retrieve_metadata("file_abc").id == "file_abc"
    assert client.files.download("file_abc").read()
    assert client.beta.files.delete("file_abc").id == "file_abc"
    skill = client.beta.skills.retrieve("skill_abc")
    assert skill.latest_version
    assert client.beta.skills.versions.retrieve(skill.latest_version, skill_id="skill_abc").skill_id == "skill_abc"
    assert client.skills.retrieve("skill_abc").latest_version_id
    assert client.skills.versions.retrieve("latest", skill_id="skill_abc").skill_id == "skill_abc"
    assert client.beta.skills.versions.delete("1759178010641129", skill_id="skill_abc").id == "1759178010641129"
    assert client.skills.delete("skill_abc").id == "skill_abc"
