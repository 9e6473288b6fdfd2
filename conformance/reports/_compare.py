"""`conformance compare OLD.json NEW.json`: what got better or worse between two runs.

Runs are compared check by check on each operation. A pair's state in a run is `fail` (error
findings, accepted by a baseline or not), `warn`, `pass` or `not run`. A change is:

* a regression: worse among fail < warn < pass; a pair that now fails and did not run before (a new
  failure); an operation that lost support (check `*`: the operation as a whole);
* an improvement: better among fail < warn < pass; an operation now supported;
* a coverage change: a pair now run or no longer run, without failing.

The exit code is 1 when a regression ends in `fail` or lost support (with --fail-on warning, any
regression): a server or client library change made conformance worse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.reports._json import UNSUPPORTED

RANK = {"fail": 0, "warn": 1, "pass": 2}
NOT_RUN = "not run"
ANY_CHECK = "*"
"""The check id of a change to a whole operation (its support)."""


@dataclass(frozen=True)
class Change:
    operation_id: str | None
    check_id: str
    old: str
    new: str
    kind: str
    """regressed, new failure, lost support, improved, now supported, newly run, no longer run."""

    @property
    def severity(self) -> str:
        return "error" if self.new == "fail" or self.kind == "lost support" else "warning"


@dataclass
class Comparison:
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    coverage: list[Change] = field(default_factory=list)

    def failing(self, fail_on: str = "error") -> bool:
        return any(c.severity == "error" or fail_on == "warning" for c in self.regressions)

    def totals(self) -> dict[str, tuple[Any, Any]]:
        old, new = self.old, self.new
        return {
            "errors": (old["totals"]["errors"], new["totals"]["errors"]),
            "warnings": (old["totals"]["warnings"], new["totals"]["warnings"]),
            "operations passing": (_passing(old), _passing(new)),
            "exchanges": (old["run"]["exchanges"], new["run"]["exchanges"]),
            "tokens": (old["run"]["tokens"], new["run"]["tokens"]),
            "seconds": (old["run"]["duration_seconds"], new["run"]["duration_seconds"]),
        }

    def to_dict(self) -> dict[str, Any]:
        def run(results: Mapping[str, Any]) -> dict[str, Any]:
            return {key: results["run"][key] for key in ("target", "profile", "contract_version", "started_at")}

        return {"old": run(self.old), "new": run(self.new),
                "totals": {k: {"old": a, "new": b} for k, (a, b) in self.totals().items()},
                **{name: [asdict(c) | {"severity": c.severity} for c in getattr(self, name)]
                   for name in ("regressions", "improvements", "coverage")}}


def compare_results(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    comparison = Comparison(old, new)
    (before, offered_before), (after, offered_now) = _states(old), _states(new)
    for operation_id in sorted(offered_before.keys() & offered_now.keys(), key=lambda op: op or ""):
        was, now = offered_before[operation_id], offered_now[operation_id]
        if was != now and UNSUPPORTED in (was, now):  # support changed: one change for the operation
            change = Change(operation_id, ANY_CHECK, was, now, "lost support" if now == UNSUPPORTED else "now supported")
            (comparison.regressions if now == UNSUPPORTED else comparison.improvements).append(change)
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0] or "", k[1])):
        was, now = before.get(key, NOT_RUN), after.get(key, NOT_RUN)
        if was == now or (now == NOT_RUN and offered_now.get(key[0]) == UNSUPPORTED):
            continue
        kind, bucket = _classify(was, now)
        getattr(comparison, bucket).append(Change(key[0], key[1], was, now, kind))
    return comparison


def _classify(was: str, now: str) -> tuple[str, str]:
    if was in RANK and now in RANK:
        return ("regressed", "regressions") if RANK[now] < RANK[was] else ("improved", "improvements")
    if now == "fail":
        return "new failure", "regressions"
    return ("newly run", "coverage") if now in RANK else ("no longer run", "coverage")


def _states(results: Mapping[str, Any]) -> tuple[dict[tuple[str | None, str], str], dict[str | None, str]]:
    """(operation, check) → fail, warn or pass for every check that ran; operation → its status."""
    pairs: dict[tuple[str | None, str], str] = {}
    for row in results["operations"]:
        for check_id, cell in row["checks"].items():
            pairs[(row["operation_id"], check_id)] = "fail" if cell["errors"] else "warn" if cell["warnings"] else "pass"
    return pairs, {row["operation_id"]: row["status"] for row in results["operations"]}


def _passing(results: Mapping[str, Any]) -> int:
    return sum(1 for row in results["operations"] if row["status"] in ("pass", "warn"))


def render_comparison(comparison: Comparison, format: str = "text") -> str:
    if format == "json":
        return json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False) + "\n"
    markdown = format == "markdown"
    old, new = comparison.old["run"], comparison.new["run"]
    lines = [f"## Conformance compared: {old['target']} ({old['started_at']}) → {new['target']} ({new['started_at']})"
             if markdown else f"compare {old['target']} ({old['started_at']}) → {new['target']} ({new['started_at']})",
             ""]
    if markdown:
        lines += ["| | old | new |", "|---|---|---|"]
        lines += [f"| {name} | {a} | {b} |" for name, (a, b) in comparison.totals().items()]
    else:
        lines += [f"  {name:<20} {a!s:>10} → {b!s}" for name, (a, b) in comparison.totals().items()]
    for title, changes in (("Regressions", comparison.regressions), ("Improvements", comparison.improvements)):
        lines += ["", f"### {title} ({len(changes)})" if markdown else f"{title.upper()} ({len(changes)})"]
        for change in changes:
            operation = change.operation_id or "(no operation)"
            lines.append(f"- `{change.check_id}` on `{operation}`: {change.old} → **{change.new}** ({change.kind})"
                         if markdown else f"  {change.check_id} on {operation}: {change.old} → {change.new} ({change.kind})")
    # Coverage changes come by the dozen (every check of an operation): one line per operation.
    coverage: dict[tuple[str, str], int] = {}
    for change in comparison.coverage:
        key = (change.operation_id or "(no operation)", change.kind)
        coverage[key] = coverage.get(key, 0) + 1
    lines += ["", f"### Coverage ({len(comparison.coverage)})" if markdown else f"COVERAGE ({len(comparison.coverage)})"]
    lines += [f"{'-' if markdown else ' '} {operation}: {count} check{'s' if count != 1 else ''} {kind}"
              for (operation, kind), count in coverage.items()]
    return "\n".join(lines) + "\n"
