"""SDK 2.x (API version 2026-10-21) drives the operations test_sdk_messages.py leaves out: batches,
files, skills and versions, models filters, and the 2026-10-21 surface (system messages with
clear_at and output_config, compaction round trip, thinking updates, 409 retries).

Run by test_sdk_messages_v2.py in a subprocess with `.sdk2/` first on the path, against a live
server whose exchanges it then validates with the contract's strict view; skipped under SDK 0.x.
"""

from __future__ import annotations

from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")
if int(anthropic.__version__.split(".")[0]) < 2:
    pytest.skip("the SDK 2.x surface (run by test_sdk_messages_v2.py)", allow_module_level=True)

MODEL = "claude-sonnet-4-6"
SKILL_MD = b"---\nname: sdk-two-skill\ndescription: Made by the SDK 2.x test.\n---\n\n# sdk-two-skill\n"
SKILL_FILES = [("sdk-two-skill/SKILL.md", SKILL_MD, "text/markdown")]
PARAMS = {"model": MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "batch me"}]}


def test_version_header_is_2026_10_21(sdk: Any) -> None:
    raw = sdk.messages.with_raw_response.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "v"}])
    assert raw.http_request.headers["anthropic-version"] == "2026-10-21"


def test_batches(sdk: Any) -> None:
    batch = sdk.messages.batches.create(requests=[{"custom_id": "a", "params": PARAMS}, {"custom_id": "b", "params": PARAMS}])
    assert sdk.messages.batches.retrieve(batch.id).processing_status == "ended"
    assert [r.result.type for r in sdk.messages.batches.results(batch.id)] == ["succeeded", "succeeded"]
    assert batch.id in [b.id for b in sdk.messages.batches.list(limit=5)]
    assert sdk.messages.batches.delete(batch.id).type == "message_batch_deleted"
    other = sdk.messages.batches.create(requests=[{"custom_id": "c", "params": PARAMS}])
    assert sdk.messages.batches.cancel(other.id).id == other.id


def test_files(sdk: Any) -> None:
    meta = sdk.files.upload(file=("two.csv", b"a,b\n1,2\n", "text/csv"))
    assert sdk.files.retrieve_metadata(meta.id).mime_type == "text/csv"
    with pytest.raises(anthropic.BadRequestError) as refused:  # as the API refuses an upload's content
        sdk.files.download(meta.id)
    assert type(refused.value).__name__ == "FileNotDownloadableError" and refused.value.error_code == "file_not_downloadable"
    assert [f.id for f in sdk.files.list(ids=[meta.id])] == [meta.id]
    assert sdk.files.delete(meta.id).id == meta.id


def test_skills_and_versions(sdk: Any) -> None:
    skill = sdk.skills.create(files=SKILL_FILES, display_name="Two")
    assert skill.display_name == "Two" and skill.source.type == "custom"
    assert sdk.skills.retrieve(skill.id).latest_version_id == skill.latest_version_id
    assert skill.id in [s.id for s in sdk.skills.list(limit=20)]
    version = sdk.skills.versions.create(skill.id, files=SKILL_FILES)
    assert sdk.skills.versions.retrieve(version.id, skill_id=skill.id).name == "sdk-two-skill"
    assert [v.id for v in sdk.skills.versions.list(skill.id)] == [version.id, skill.latest_version_id]
    for version_id in (version.id, skill.latest_version_id):
        assert sdk.skills.versions.delete(version_id, skill_id=skill.id).id == version_id
    assert sdk.skills.delete(skill.id).id == skill.id


def test_models_lifecycle_filter(sdk: Any) -> None:
    retired = [m.id for m in sdk.models.list(lifecycle=["retired"])]
    assert retired and all(sdk.models.retrieve(m).lifecycle == "retired" for m in retired[:2])


def test_system_messages_with_their_2026_fields(sdk: Any) -> None:
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "system", "content": "Answer in one word.", "clear_at": "next_user_message", "output_config": {"effort": "low"}},
        {"role": "user", "content": "second"},
    ]
    message = sdk.beta.messages.create(model=MODEL, max_tokens=30, messages=messages)
    assert message.content[0].text.startswith("second")


def test_compaction_round_trip(sdk: Any) -> None:
    conversation = [
        {"role": "user", "content": "tell me about Paris"},
        {"role": "assistant", "content": "Paris is the capital of France."},
        {"role": "system", "content": [{"type": "tool_addition", "tool": {"type": "tool_reference", "name": "lookup"}}]},
        {"role": "user", "content": "and Lyon?"},
    ]
    compacted = sdk.beta.messages.create(model=MODEL, max_tokens=200, messages=conversation,
                                         compaction={"type": "summarize"})
    assert compacted.stop_reason == "compaction" and [b.type for b in compacted.content] == ["compaction"]
    block = compacted.content[0].to_dict()
    assert block["signature"] and block["tool_changes"][0]["type"] == "tool_addition"
    follow = [{"role": "user", "content": [block, {"type": "text", "text": "and Marseille?"}]}]
    assert sdk.beta.messages.create(model=MODEL, max_tokens=30, messages=follow).stop_reason == "end_turn"
    altered = [{"role": "user", "content": [{**block, "content": "something else"}, {"type": "text", "text": "x"}]}]
    with pytest.raises(anthropic.BadRequestError) as rejected:
        sdk.beta.messages.create(model=MODEL, max_tokens=30, messages=altered)
    assert "signature" in rejected.value.message


def test_thinking_updates_carry_estimated_tokens(sdk: Any) -> None:
    events = list(sdk.beta.messages.create(
        model=MODEL, max_tokens=2000, stream=True, messages=[{"role": "user", "content": "think"}],
        thinking={"type": "enabled", "budget_tokens": 1024, "display": "updates"},
        betas=["thinking-display-updates-2026-08-18"],
    ))
    deltas = [e.delta for e in events if e.type == "content_block_delta" and e.delta.type == "thinking_delta"]
    assert deltas and all(d.estimated_tokens and d.estimated_tokens > 0 for d in deltas)


def test_conflict_is_retried(sdk: Any) -> None:
    with pytest.raises(anthropic.ConflictError):
        sdk.messages.create(**PARAMS, extra_headers={"x-conformance-fault": "status=409"})
    retried = sdk.with_options(max_retries=1).messages.create(
        **PARAMS, extra_headers={"x-conformance-fault": "status=409,until_retry=1"})
    assert retried.type == "message"
