"""`--any-id`: an id the store does not know resolves to a synthesized, schema-valid object.

Test suites written for Prism-style mocks use placeholder ids (`msgbatch_123`, `file_id`, ...) and
expect an answer of the right shape. With `config.any_id` the resource handlers call `resolve()`,
which falls back to the builders here instead of answering 404. Synthesized objects are never
stored: each lookup builds the same object again (everything is derived from the id), so repeated
reads agree and nothing accumulates.

The builders give canned *inputs* (a filename and bytes, a SKILL.md, a message request) to the same
record constructors the create handlers use, so a synthesized object has exactly the shape of a real one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from conformance.server._errors import not_found
from conformance.server._state import ServerState
from conformance.server._store import JsonDict, StoredObject

_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)

SYNTHETIC_MESSAGE_PARAMS: JsonDict = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hello"}],
}
"""The request a synthesized batch's single succeeded result answers."""

SYNTHETIC_CUSTOM_ID = "request-1"
SYNTHETIC_FILENAME = "document.txt"
SYNTHETIC_MIME_TYPE = "text/plain"
SYNTHETIC_SKILL_DIRECTORY = "example-skill"
SYNTHETIC_SKILL_MD = (
    b"---\nname: example-skill\ndescription: A synthesized skill, answered for an id the server does not know.\n---\n\n"
    b"# Example skill\n"
)


def synthetic_time(object_id: str) -> datetime:
    """A fixed creation time derived from the id (within 2025), so every lookup gives the same object."""
    digest = hashlib.sha256(object_id.encode()).digest()
    return _EPOCH + timedelta(microseconds=int.from_bytes(digest[:8], "big") % (365 * 24 * 3600 * 10**6))


def synthetic_file_content(file_id: str) -> bytes:
    return f"Synthesized content for {file_id}.\n".encode()


def resolve(
    state: ServerState,
    kind: str,
    key: str,
    *,
    missing: str,
    synthesize: Callable[[], StoredObject],
) -> tuple[StoredObject, bool]:
    """The stored object, or (with `--any-id`) a synthesized one; otherwise 404 with `missing` as the message.

    The flag says whether the object was synthesized (handlers must not write those back).
    """
    found = state.store.get(kind, key)
    if found is not None:
        return found, False
    if state.config.any_id:
        return synthesize(), True
    raise not_found(missing)


def synthetic_object(kind: str, key: str, data: JsonDict, *, parent: str | None = None) -> StoredObject:
    """Wrap a synthesized record like a stored one (seq 0: never part of a listing)."""
    return StoredObject(kind=kind, key=key, data=data, parent=parent, seq=0)
