"""Baselines: known departures a CI gate accepts, so that only new ones fail the run.

A baseline is a TOML file (like profiles) of entries, each a check id, an operation and a reason:

    version = 1

    [[accept]]
    check = "sse.event_line"
    operation = "createMessage"      # "*": any operation; "": findings that match no operation
    reason = "data-only frames; tracked in #123"

A finding is accepted when an entry names its check and its operation. An entry is stale when its
check ran on its operation in this run and found nothing: the departure was fixed, so the entry
can go. Entries whose check did not run (the operation was excluded) are not judged either way.

The file is written with a few lines of code rather than a TOML writer: it is flat, and its
strings are written as JSON strings, which are valid TOML basic strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.reports._findings import flat_findings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

BASELINE_VERSION = 1
ANY = "*"


class BaselineError(Exception):
    """A baseline file that cannot be used (unreadable, not TOML, an entry without a check)."""


@dataclass(frozen=True)
class Entry:
    check_id: str
    operation_id: str | None
    """None: findings that match no operation."""
    reason: str = ""
    any_operation: bool = False

    def matches(self, check_id: str, operation_id: str | None) -> bool:
        return check_id == self.check_id and (self.any_operation or operation_id == self.operation_id)

    def to_dict(self) -> dict[str, Any]:
        operation = ANY if self.any_operation else self.operation_id
        return {"check_id": self.check_id, "operation_id": operation, "reason": self.reason}


@dataclass
class Baseline:
    entries: list[Entry] = field(default_factory=list)
    path: str | None = None

    def accepts(self, check_id: str, operation_id: str | None) -> Entry | None:
        return next((e for e in self.entries if e.matches(check_id, operation_id)), None)

    def stale(self, findings: Iterable[Mapping[str, Any]], ran: set[tuple[str | None, str]]) -> list[Entry]:
        """Entries that matched no finding although their check ran where they point."""
        found = [(f["check_id"], f["operation_id"]) for f in findings]
        return [
            entry for entry in self.entries
            if not any(entry.matches(check_id, op) for check_id, op in found)
            and any(entry.matches(check_id, op) for op, check_id in ran)
        ]

    def render(self) -> str:
        lines = [
            "# Known departures: `conformance run --baseline FILE` accepts the findings an entry names",
            "# (check id and operation; \"*\" is any operation), so only new departures fail the run.",
            "# Give each entry a reason; an entry nothing matches any more is reported as stale.",
            f"version = {BASELINE_VERSION}",
        ]
        for entry in self.entries:
            operation = ANY if entry.any_operation else entry.operation_id or ""
            lines += ["", "[[accept]]", f"check = {json.dumps(entry.check_id)}",
                      f"operation = {json.dumps(operation)}", f"reason = {json.dumps(entry.reason, ensure_ascii=False)}"]
        return "\n".join(lines) + "\n"


def load_baseline(path: str | Path) -> Baseline:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BaselineError(f"baseline {path}: {exc}") from None
    if data.get("version", BASELINE_VERSION) != BASELINE_VERSION:
        raise BaselineError(f"baseline {path}: version {data.get('version')!r} is not {BASELINE_VERSION}")
    entries = []
    for number, item in enumerate(data.get("accept", []), start=1):
        if not isinstance(item, dict) or not isinstance(item.get("check"), str) or not item["check"]:
            raise BaselineError(f"baseline {path}: entry {number} has no `check`")
        operation = item.get("operation", ANY)
        if not isinstance(operation, str):
            raise BaselineError(f"baseline {path}: entry {number}: `operation` must be a string")
        entries.append(Entry(item["check"], operation or None, str(item.get("reason", "")),
                             any_operation=operation == ANY))
    return Baseline(entries, str(path))


def baseline_from_results(results: Mapping[str, Any], *, warnings: bool = False) -> Baseline:
    """One entry per check and operation with an error finding (and warnings, if asked) in a results.json."""
    entries: dict[tuple[str, str | None], Entry] = {}
    target = results.get("run", {}).get("target", "")
    for finding in (f for f in flat_findings(results) if warnings or f["severity"] == "error"):
        key = (finding["check_id"], finding["operation_id"])
        if key not in entries:
            reason = f"seen against {target} on {results['run'].get('started_at', '')[:10]}: {finding['message']}"
            entries[key] = Entry(*key, reason=reason[:300])
    return Baseline(list(entries.values()))
