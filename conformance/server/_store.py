"""Where the reference server keeps batches, files, skills and skill versions.

Two back ends behind one interface:

* `MemoryStore` (the default): bounded by `config.max_store_objects`; once full, the oldest top-level
  object (a batch, a file or a skill, with its skill versions) is evicted first, so a long fuzzing run
  cannot grow the process without limit.
* `SqliteStore` (`--data-dir`): one SQLite file, JSON columns, so state survives a restart. Disk is
  the bound there, so nothing is evicted.

Every object is a JSON-compatible dict (`data`) plus an optional opaque `blob` (a file's bytes, a
batch's results, a skill version's archive) that is kept apart so that updating the small record
never rewrites the large payload. Objects are addressed by `(kind, key)`; children (skill versions)
name their parent so that deleting or evicting the parent removes them too. Listings come back in
insertion order, which is what every list endpoint's "newest first" is derived from.

The store also owns the two things every resource needs and tests want to control: the clock
(`store.clock`, replaceable) and id generation (deterministic from the seed and a counter that
persists with the data, so ids never repeat across restarts).
"""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from conformance.server._config import ServerConfig

JsonDict = dict[str, Any]
Clock = Callable[[], datetime]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SQLITE_FILENAME = "conformance-server.sqlite3"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def rfc3339(moment: datetime) -> str:
    """The API's timestamp form, e.g. `2024-08-20T18:37:24.100435Z` (always UTC, always microseconds)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def base62(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def derived_id(prefix: str, *parts: object) -> str:
    """`prefix` + 24 base62 characters (`01` + 22, the shape of real ids) derived from `parts`.

    The same parts always give the same id, which keeps runs with the same seed reproducible.
    """
    digest = hashlib.sha256(":".join(str(p) for p in (prefix, *parts)).encode()).digest()
    return f"{prefix}01{base62(digest, 22)}"


@dataclass(frozen=True)
class StoredObject:
    kind: str
    key: str
    data: JsonDict
    parent: str | None
    seq: int
    """Insertion order; larger is newer. Stable across updates, so pagination cursors stay valid."""


class Store(ABC):
    """What the resource handlers use. `Store.open(config)` picks the back end."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.clock: Clock = utc_now
        """Replaceable (tests inject a fake clock to drive batch timing)."""
        self._lock = threading.RLock()

    @classmethod
    def open(cls, config: ServerConfig) -> Store:
        if config.data_dir is not None:
            return SqliteStore(config, Path(config.data_dir))
        return MemoryStore(config)

    def now(self) -> datetime:
        return self.clock()

    def new_id(self, prefix: str) -> str:
        return derived_id(prefix, self.config.seed, self._next_counter())

    # -- back-end primitives ---------------------------------------------------------------------

    @abstractmethod
    def _next_counter(self) -> int: ...

    @abstractmethod
    def insert(self, kind: str, key: str, data: JsonDict, *, parent: str | None = None, blob: bytes | None = None) -> None:
        """Add a new object (replacing one with the same kind and key, as a new insertion)."""

    @abstractmethod
    def update(self, kind: str, key: str, data: JsonDict) -> None:
        """Replace an existing object's record, keeping its position and its blob."""

    @abstractmethod
    def get(self, kind: str, key: str) -> StoredObject | None: ...

    @abstractmethod
    def blob(self, kind: str, key: str) -> bytes | None: ...

    @abstractmethod
    def delete(self, kind: str, key: str) -> bool:
        """Remove an object and its children; False when there was nothing to remove."""

    @abstractmethod
    def list(self, kind: str, *, parent: str | None = None) -> list[StoredObject]:
        """Objects of `kind` (under `parent`, when given), oldest first."""

    @abstractmethod
    def count(self) -> int:
        """How many objects (of every kind, children included) are stored."""

    def close(self) -> None:  # noqa: B027 - optional: a no-op unless the back end holds resources
        """Release the back end's resources (a no-op in memory)."""


class MemoryStore(Store):
    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self._objects: OrderedDict[tuple[str, str], tuple[StoredObject, bytes | None]] = OrderedDict()
        self._seq = 0
        self._counter = 0

    def _next_counter(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def insert(self, kind: str, key: str, data: JsonDict, *, parent: str | None = None, blob: bytes | None = None) -> None:
        with self._lock:
            self._objects.pop((kind, key), None)
            self._seq += 1
            self._objects[(kind, key)] = (StoredObject(kind, key, copy.deepcopy(data), parent, self._seq), blob)
            self._evict()

    def _evict(self) -> None:
        # Evict whole top-level objects, oldest first: evicting a lone skill version would leave its
        # skill pointing at a version that no longer exists.
        limit = max(1, self.config.max_store_objects)
        while len(self._objects) > limit:
            oldest = next((obj for obj, _ in self._objects.values() if obj.parent is None), None)
            if oldest is None:
                break
            self._delete_locked(oldest.kind, oldest.key)

    def update(self, kind: str, key: str, data: JsonDict) -> None:
        with self._lock:
            current = self._objects.get((kind, key))
            if current is None:
                return
            obj, blob = current
            self._objects[(kind, key)] = (StoredObject(kind, key, copy.deepcopy(data), obj.parent, obj.seq), blob)

    def get(self, kind: str, key: str) -> StoredObject | None:
        with self._lock:
            current = self._objects.get((kind, key))
            if current is None:
                return None
            obj = current[0]
            return StoredObject(obj.kind, obj.key, copy.deepcopy(obj.data), obj.parent, obj.seq)

    def blob(self, kind: str, key: str) -> bytes | None:
        with self._lock:
            current = self._objects.get((kind, key))
            return None if current is None else current[1]

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            return self._delete_locked(kind, key)

    def _delete_locked(self, kind: str, key: str) -> bool:
        if self._objects.pop((kind, key), None) is None:
            return False
        children = [k for k, (obj, _) in self._objects.items() if obj.parent == key]
        for child in children:
            del self._objects[child]
        return True

    def list(self, kind: str, *, parent: str | None = None) -> list[StoredObject]:
        with self._lock:
            return [
                StoredObject(obj.kind, obj.key, copy.deepcopy(obj.data), obj.parent, obj.seq)
                for obj, _ in self._objects.values()
                if obj.kind == kind and (parent is None or obj.parent == parent)
            ]

    def count(self) -> int:
        with self._lock:
            return len(self._objects)


class SqliteStore(Store):
    """One SQLite file under `data_dir`; one connection shared by the event loop, guarded by a lock."""

    def __init__(self, config: ServerConfig, data_dir: Path) -> None:
        super().__init__(config)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / SQLITE_FILENAME
        # isolation_level=None: every statement commits by itself, so a crash never loses an
        # acknowledged write; multi-statement changes take an explicit transaction below.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " kind TEXT NOT NULL, key TEXT NOT NULL, parent TEXT,"
                " data TEXT NOT NULL, blob BLOB,"
                " UNIQUE (kind, key))"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS objects_parent ON objects (parent)")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")

    def _next_counter(self) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('id_counter', 0)")
                self._db.execute("UPDATE meta SET value = value + 1 WHERE name = 'id_counter'")
                (value,) = self._db.execute("SELECT value FROM meta WHERE name = 'id_counter'").fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return int(value)

    def insert(self, kind: str, key: str, data: JsonDict, *, parent: str | None = None, blob: bytes | None = None) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, key))
                self._db.execute(
                    "INSERT INTO objects (kind, key, parent, data, blob) VALUES (?, ?, ?, ?, ?)",
                    (kind, key, parent, json.dumps(data), blob),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def update(self, kind: str, key: str, data: JsonDict) -> None:
        with self._lock:
            self._db.execute("UPDATE objects SET data = ? WHERE kind = ? AND key = ?", (json.dumps(data), kind, key))

    def get(self, kind: str, key: str) -> StoredObject | None:
        with self._lock:
            row = self._db.execute(
                "SELECT kind, key, data, parent, seq FROM objects WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return None if row is None else _row_to_object(row)

    def blob(self, kind: str, key: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT blob FROM objects WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = self._db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, key)).rowcount
                if removed:
                    self._db.execute("DELETE FROM objects WHERE parent = ?", (key,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return bool(removed)

    def list(self, kind: str, *, parent: str | None = None) -> list[StoredObject]:
        query = "SELECT kind, key, data, parent, seq FROM objects WHERE kind = ?"
        args: tuple[str, ...] = (kind,)
        if parent is not None:
            query += " AND parent = ?"
            args = (kind, parent)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        return [_row_to_object(row) for row in rows]

    def count(self) -> int:
        with self._lock:
            (value,) = self._db.execute("SELECT COUNT(*) FROM objects").fetchone()
        return int(value)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _row_to_object(row: tuple[Any, ...]) -> StoredObject:
    kind, key, data, parent, seq = row
    return StoredObject(kind=kind, key=key, data=json.loads(data), parent=parent, seq=int(seq))
