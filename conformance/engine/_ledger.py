"""The run record: what a run produced, in a form that crosses process boundaries (pytest-xdist
workers, shards of a CI matrix) and feeds every report.

How two records merge is declared on each field (`merged`), so a new field says how it merges
where it is declared, and `RunRecord.merge` is derived from the declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from conformance._exchange import Exchange, Finding
from conformance.engine._causes import group_causes

Merge = Callable[[Any, Any], Any]


def _first(mine: Any, theirs: Any) -> Any:
    return mine or theirs


def _sum(mine: int, theirs: int) -> int:
    return mine + theirs


def _union(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    return {**theirs, **mine}


def _add_counts(mine: dict[str, int], theirs: dict[str, int]) -> dict[str, int]:
    return {key: mine.get(key, 0) + theirs.get(key, 0) for key in {**mine, **theirs}}


def _add_nested_counts(mine: dict[str, dict[str, int]], theirs: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {key: _add_counts(mine.get(key, {}), theirs.get(key, {})) for key in {**mine, **theirs}}


def _distinct_findings(mine: list[Finding], theirs: list[Finding]) -> list[Finding]:
    seen = {finding.key for finding in mine}
    return [*mine, *(finding for finding in theirs if finding.key not in seen)]


def _either(mine: list[str], theirs: list[str]) -> list[str]:
    return [*mine, *(item for item in theirs if item not in mine)]


def _common(mine: list[str], theirs: list[str]) -> list[str]:
    """Left out of the merged run only if every part left it out."""
    return [item for item in mine if item in theirs]


def merged(how: Merge, default: Any = None, factory: Callable[[], Any] | None = None) -> Any:
    """A RunRecord field, with how two records' values of it combine."""
    if factory is not None:
        return field(default_factory=factory, metadata={"merge": how})
    return field(default=default, metadata={"merge": how})


@dataclass
class RunRecord:
    """What a run found and how far it got."""

    base_url: str = merged(_first, "")
    profile: str = merged(_first, "")
    findings: list[Finding] = merged(_distinct_findings, factory=list)
    """One per check, operation and message (the first seen), the profile's severity applied."""
    exchanges: int = merged(_sum, 0)
    tokens: int = merged(_sum, 0)
    unsupported: dict[str, str] = merged(_union, factory=dict)
    """Operations the target does not offer, with the reason."""
    stop_reason: str | None = merged(_first)
    """Why the run stopped early (its token budget was spent), or None."""
    aborted: str | None = merged(_first)
    """Why the run could not go on (no usable model, the target gone), in one line; None when it
    went on to the end (or to its budget). A run that aborted has no complete verdict."""
    abort_code: int = merged(_first, 0)
    """The exit code of an aborted run (README "Exit codes")."""
    operations: list[str] = merged(_first, factory=list)
    """Every operation of the contract, in its order: the rows of the conformance matrix."""
    excluded: list[str] = merged(_common, factory=list)
    """Operations --include/--exclude leave out of the run."""
    deselected_checks: list[str] = merged(_common, factory=list)
    """Checks the profile turns off or --include/--exclude leave out."""
    checks_run: dict[str, dict[str, int]] = merged(_add_nested_counts, factory=dict)
    """operation id ('' where none matched) → check id → how many times the check ran there."""
    operation_exchanges: dict[str, int] = merged(_add_counts, factory=dict)
    """operation id ('' where none matched) → exchanges judged."""
    samples: dict[str, dict[str, Any]] = merged(_union, factory=dict)
    """sample id → the exchanges behind findings, scrubbed and size-capped (engine._sample)."""
    finding_samples: dict[str, str] = merged(_union, factory=dict)
    """finding key (engine._sample.finding_key) → sample id."""
    generated: list[str] = merged(_either, factory=list)
    """Keys of findings whose kept example is a generated request (a cause prefers another)."""
    first_seen: dict[str, str] = merged(_union, factory=dict)
    """finding key → the sample of the exchanges it was first found on: findings first found
    together are one cause (engine._causes), whichever cleaner example the report shows later."""
    contract_version: str = merged(_first, "")
    seed: int = merged(_first, 0)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def causes(self) -> list[Finding]:
        """The findings grouped by cause and ranked by impact (engine._causes): what reports show."""
        return group_causes(self.findings, {**self.finding_samples, **self.first_seen}, set(self.generated))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}  # a record from an older worker lacks the newer fields
        values = {name: value for name, value in data.items() if name in known}
        findings = [Finding(**{**f, "related": ()}) for f in data.get("findings", [])]
        return cls(**{**values, "findings": findings})

    def merge(self, other: RunRecord) -> None:
        """Add another worker's or shard's record, field by field as each field declares."""
        for item in fields(self):
            setattr(self, item.name, item.metadata["merge"](getattr(self, item.name), getattr(other, item.name)))


@dataclass
class Outcome:
    """One pytest test of the suite as it ended (the reports collect them from pytest; a replay rebuilds them)."""

    nodeid: str
    outcome: str
    """passed, failed, skipped or error (a failure outside the test body)."""
    duration: float = 0.0
    operation_id: str | None = None
    message: str | None = None
    """The skip reason, or the failure text (cut short)."""
    departures: bool = False
    """The failure is the suite reporting error findings (not a crash of the suite itself)."""


def tokens_used(exchange: Exchange) -> int:
    """input + output tokens of a Messages response, streamed or not (0 when it has no usage)."""
    response = exchange.response
    if response.status != 200:
        return 0
    if response.is_stream:
        total = 0
        for frame in response.frames:
            data = frame.json_or_none() or {}
            kind = data.get("type")
            usage = (data.get("message") or {}).get("usage") if kind == "message_start" else data.get("usage")
            if not isinstance(usage, dict):
                continue
            if kind == "message_start":
                total = max(total, _int(usage.get("input_tokens")))
            elif kind == "message_delta":
                total += _int(usage.get("output_tokens"))
        return total
    body = response.json()
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return 0
    return _int(usage.get("input_tokens")) + _int(usage.get("output_tokens"))


def _int(value: Any) -> int:
    """A token count as the target reported it; anything not a count is 0 (a hostile target
    cannot crash the budget with a string or a float)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
