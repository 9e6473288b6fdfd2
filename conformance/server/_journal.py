"""The request journal: every request the server received, with the strict verdict on it.

A client library's test asks what it sent and whether that was valid: a dropped `signature`, an
unanswered `tool_use`, a malformed beta header show up here even when mock mode answered 200.

* **Scope**: requests carry `x-conformance-test-id: ID` (the pytest fixture sets it to the test's
  node id); `entries(ID)` sees only those, so parallel tests never see each other's. Requests
  without the header are in scope `""`.
* **Verdict** (`_verdict`), computed when read, so recording costs one copy of the body.
* **Bounds**: the newest `ServerConfig.journal_size` requests (0 keeps none), bodies up to
  256 KB (a longer one is kept cut and judged on its headers only). Credentials are never kept:
  `x-api-key` and `authorization` read `<redacted>`.
* **Access**: `GET /_conformance/journal?test_id=ID` (outside `/v1/`, no key needed) and
  `DELETE` to forget a scope; from Python, `conformance.server.journal_of(app).entries(ID)`.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TEST_ID_HEADER = "x-conformance-test-id"
CONTROL_PREFIX = "/_conformance/"
JOURNAL_PATH = "/_conformance/journal"
HEALTH_PATH = "/_conformance/health"
MAX_BODY_BYTES = 256 * 1024
REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    test_id: str
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    body_truncated: bool
    status: int | None
    request_id: str

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        return ",".join(values) if values else None

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON (or was cut)."""
        if self.body_truncated:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Journal:
    """The newest `size` requests, thread-safe (uvicorn's loop writes, a test's thread reads)."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max(size, 0))
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.enabled = size > 0

    def record(self, *, test_id: str, method: str, path: str, query: str, headers: Iterable[tuple[bytes, bytes]],
               body: bytes, body_truncated: bool, status: int | None, request_id: str) -> None:
        if not self.enabled:
            return
        kept = tuple((name.decode("latin-1").lower(), REDACTED if name.lower().decode("latin-1") in _SECRET_HEADERS
                      else value.decode("latin-1")) for name, value in headers)
        with self._lock:
            self._entries.append(JournalEntry(next(self._seq), test_id, method, path, query, kept, body, body_truncated, status, request_id))

    def entries(self, test_id: str | None = None) -> list[JournalEntry]:
        """Oldest first; only scope `test_id` when given."""
        with self._lock:
            return [e for e in self._entries if test_id is None or e.test_id == test_id]

    def clear(self, test_id: str | None = None) -> int:
        with self._lock:
            kept = [e for e in self._entries if test_id is not None and e.test_id != test_id]
            removed = len(self._entries) - len(kept)
            self._entries.clear()
            self._entries.extend(kept)
        return removed


