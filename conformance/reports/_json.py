"""results.json: the run as one versioned JSON document, the source of every other report.

junit.xml, summary.md, report.html, the terminal summary, baselines and `conformance compare` all
read this document, never the run itself, so they agree with each other and with a results.json
read back later. Its JSON Schema is docs/results.schema.json; docs/reports.md has the version
policy (SCHEMA_VERSION is MAJOR.MINOR: a minor version only adds fields).

Every string in it passes through the secret scrubber once more on the way out (the samples were
scrubbed when taken): a key must never reach a file, even one echoed back in an odd place.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.__about__ import __version__
from conformance._exchange import Finding
from conformance._reproduce import REDACTED, literal_secrets, scrub_text
from conformance.checks import registered_checks
from conformance.engine import Outcome, RunRecord, finding_key
from conformance.reports._baseline import Baseline
from conformance.reports._findings import flat_findings

SCHEMA_VERSION = "1.2"
DEPENDENCIES = ("schemathesis", "hypothesis", "pytest", "pytest-xdist", "httpx", "starlette", "jsonschema",
                "rich", "jinja2")

# Cell and row statuses, worst first (docs/reports.md).
FAIL, KNOWN, WARN, PASS = "fail", "known", "warn", "pass"
UNSUPPORTED, SKIPPED, NOT_APPLICABLE = "unsupported", "skipped", "n/a"
JUDGED = (FAIL, KNOWN, WARN, PASS)
STATUSES = (*JUDGED, UNSUPPORTED, SKIPPED, NOT_APPLICABLE)


class ResultsError(Exception):
    """A results.json that cannot be read (missing, not JSON, another major schema version)."""


@dataclass
class RunInfo:
    """What the run was asked to do, and when it ran: the metadata a RunRecord does not carry."""

    started_at: datetime
    finished_at: datetime
    exit_code: int
    anthropic_version: str = ""
    betas: Sequence[str] = ()
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    workers: int = 1
    max_examples: int | None = None
    shard: str | None = None
    """`K/N` when the run was one part of a sharded run."""
    recording: Mapping[str, Any] | None = None
    """How the run used a recording: {"mode": "record" or "replay", "folder", "tests", "versions"}."""
    secrets: Sequence[str | None] = field(default=(), repr=False)
    """Literal values never to write (the API key), besides anything scrub_text catches."""


def build_results(record: RunRecord, info: RunInfo, tests: Sequence[Outcome] = (),
                  baseline: Baseline | None = None) -> dict[str, Any]:
    """The results.json document of a run (docs/results.schema.json)."""
    catalogue = registered_checks()
    groups = sorted({check.group for check in catalogue})
    group_of = {check.id: check.group for check in catalogue}
    findings = [_cause(f, group_of, record.finding_samples, baseline) for f in record.causes]
    every = flat_findings({"findings": findings})
    operations = _operations(record, every, group_of, groups, tests)
    stale = baseline.stale(every, _ran_pairs(operations)) if baseline else []
    errors = [f for f in findings if f["severity"] == "error"]
    used_samples = {f["sample"] for f in every}
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": _tool(),
        "run": {
            "target": _safe_url(record.base_url),
            "profile": record.profile,
            "contract_version": record.contract_version,
            "anthropic_version": info.anthropic_version,
            "betas": list(info.betas),
            "seed": record.seed,
            "include": list(info.include),
            "exclude": list(info.exclude),
            "workers": info.workers,
            "max_examples": info.max_examples,
            "started_at": info.started_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "finished_at": info.finished_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "duration_seconds": round((info.finished_at - info.started_at).total_seconds(), 3),
            "exchanges": record.exchanges,
            "tokens": record.tokens,
            "stop_reason": record.stop_reason,
            "exit_code": info.exit_code,
            "completed": record.aborted is None,
            "aborted": record.aborted,
            "shard": info.shard,
            "recording": dict(info.recording) if info.recording is not None else None,
            "deselected_checks": list(record.deselected_checks),
            "excluded_operations": list(record.excluded),
        },
        "totals": {
            "errors": len(errors),
            "warnings": len(findings) - len(errors),
            "findings": len(every),
            "new_errors": sum(1 for f in errors if not f["baselined"]),
            "baselined": sum(1 for f in findings if f["baselined"]),
            "checks_run": sum(sum(counts.values()) for counts in record.checks_run.values()),
            "operations": {status: sum(1 for op in operations if op["status"] == status)
                           for status in (*JUDGED, UNSUPPORTED, SKIPPED)},
        },
        "groups": groups,
        "checks": [{"id": c.id, "group": c.group, "severity": c.severity, "description": c.description,
                    "scenario": c.scenario} for c in catalogue],
        "operations": operations,
        "findings": findings,
        "samples": {key: sample for key, sample in record.samples.items() if key in used_samples},
        "tests": [{"nodeid": t.nodeid, "outcome": t.outcome, "duration_seconds": round(t.duration, 3),
                   "operation_id": t.operation_id, "message": t.message, "departures": t.departures} for t in tests],
        "baseline": None if baseline is None else {
            "path": baseline.path, "entries": len(baseline.entries),
            "matched": sum(1 for f in findings if f["baselined"]),
            "stale": [entry.to_dict() for entry in stale],
        },
    }
    scrubbed: dict[str, Any] = _scrub(document, literal_secrets(*info.secrets))
    return scrubbed


def write_results(results: Mapping[str, Any], path: Path) -> None:
    # A lone surrogate (a server's "\ud800" escape, decoded) is no UTF-8: written back as an escape.
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8",
                    errors="backslashreplace")


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results.json of this schema's major version (a newer minor version is fine)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot read results: {exc}") from None
    version = str(data.get("schema_version", "")) if isinstance(data, dict) else ""
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ResultsError(f"{path}: not a results.json of schema {SCHEMA_VERSION.split('.')[0]}.x "
                           f"(schema_version {version or 'missing'})")
    results: dict[str, Any] = data
    return results


def _finding(finding: Finding, group_of: Mapping[str, str], samples: Mapping[str, str],
             baseline: Baseline | None) -> dict[str, Any]:
    key = finding_key(finding)
    return {"id": key, **finding.to_dict(), "group": group_of.get(finding.check_id, finding.check_id.split(".")[0]),
            "baselined": baseline is not None and baseline.accepts(finding.check_id, finding.operation_id) is not None,
            "sample": samples.get(key)}


def _cause(cause: Finding, group_of: Mapping[str, str], samples: Mapping[str, str],
           baseline: Baseline | None) -> dict[str, Any]:
    """A cause as results.json lists it: its leading finding, with the others it caused under
    `related`. It is accepted by a baseline when every error among them is."""
    lead = _finding(cause, group_of, samples, baseline)
    related = [_finding(f, group_of, samples, baseline) for f in cause.related]
    errors = [f for f in (lead, *related) if f["severity"] == "error"]
    lead["baselined"] = all(f["baselined"] for f in errors) if errors else lead["baselined"]
    return {**lead, "related": related}


def _operations(record: RunRecord, findings: list[dict[str, Any]], group_of: Mapping[str, str],
                groups: list[str], tests: Sequence[Outcome]) -> list[dict[str, Any]]:
    """One row per operation: its status, each group's status, each check that ran on it."""
    deselected = set(record.deselected_checks)
    deselected_groups = {g for g in groups if all(c in deselected for c, cg in group_of.items() if cg == g)}
    skip_reasons: dict[str | None, str | None] = {t.operation_id: t.message for t in tests
                                                  if t.outcome == "skipped" and t.operation_id}
    extra = [""] if "" in record.checks_run else []  # exchanges no operation matched: a row of their own
    rows = []
    for key in [*record.operations, *extra, *sorted(set(record.checks_run) - set(record.operations) - {""})]:
        operation_id = key or None
        mine = [f for f in findings if (f["operation_id"] or "") == key]
        checks = {check_id: _check_cell(runs, [f for f in mine if f["check_id"] == check_id])
                  for check_id, runs in sorted(record.checks_run.get(key, {}).items())}
        for f in mine:  # a finding whose check count was lost (an old worker) still shows
            checks.setdefault(f["check_id"], _check_cell(0, [g for g in mine if g["check_id"] == f["check_id"]]))
        reason = None
        if key in record.unsupported:
            status, reason = UNSUPPORTED, record.unsupported[key]
            cells = dict.fromkeys(groups, UNSUPPORTED)
        elif not checks:
            status = SKIPPED
            reason = ("excluded by --include/--exclude" if key in record.excluded
                      else skip_reasons.get(operation_id) or "not reached")
            cells = dict.fromkeys(groups, SKIPPED)
        else:
            cells = {group: _worst([c["status"] for cid, c in checks.items() if group_of.get(cid) == group])
                     or (SKIPPED if group in deselected_groups else NOT_APPLICABLE) for group in groups}
            status = _worst(list(cells.values())) or PASS
        rows.append({"operation_id": operation_id, "status": status, "reason": reason,
                     "exchanges": record.operation_exchanges.get(key, 0), "groups": cells, "checks": checks})
    return rows


def _check_cell(runs: int, findings: list[dict[str, Any]]) -> dict[str, Any]:
    errors = [f for f in findings if f["severity"] == "error"]
    warnings = len(findings) - len(errors)
    if errors:
        status = KNOWN if all(f["baselined"] for f in errors) else FAIL
    else:
        status = WARN if warnings else PASS
    return {"runs": runs, "errors": len(errors), "warnings": warnings, "status": status}


def _worst(statuses: Iterable[str]) -> str | None:
    judged = [s for s in statuses if s in JUDGED]
    return min(judged, key=JUDGED.index) if judged else None


def _ran_pairs(operations: list[dict[str, Any]]) -> set[tuple[str | None, str]]:
    return {(op["operation_id"], check_id) for op in operations for check_id, cell in op["checks"].items()
            if cell["runs"]}


def not_run_lines(results: Mapping[str, Any]) -> list[str]:
    """The operations that did not run, grouped by why: one line per reason."""
    lines = []
    for status, label in ((UNSUPPORTED, "unsupported"), (SKIPPED, "skipped")):
        rows = [r for r in results["operations"] if r["status"] == status]
        reasons: dict[str, list[str]] = {}
        for row in rows:
            reasons.setdefault(row["reason"] or "", []).append(row["operation_id"] or "(no operation)")
        lines += [f"{label} ({len(ops)}): {', '.join(ops)}" + (f" — {reason}" if reason else "")
                  for reason, ops in reasons.items()]
    return lines


def important_findings(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The causes, most important first: new errors, known errors, then warnings; within each, in
    the order results.json ranks them (by impact)."""
    def tier(finding: Mapping[str, Any]) -> int:
        return 2 if finding["severity"] != "error" else 1 if finding["baselined"] else 0

    return sorted(results["findings"], key=tier)


def _tool() -> dict[str, Any]:
    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {"name": "anthropic-conformance", "version": __version__, "python": platform.python_version(),
            "platform": f"{sys.platform}-{platform.machine()}",
            "dependencies": {name: version(name) for name in DEPENDENCIES}}


def _safe_url(url: str) -> str:
    """The target without a password in it (http://user:secret@host is a valid base URL)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:{REDACTED}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def now() -> datetime:
    return datetime.now(timezone.utc)
