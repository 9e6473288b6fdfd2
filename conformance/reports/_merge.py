"""`conformance merge`: the parts of a sharded run (`conformance run --shard K/N`, one per CI
machine) joined into the run they split: one record, one matrix, one verdict.

Each part's results.json holds what its record held (findings with their samples, checks run and
exchanges per operation, what was unsupported, excluded or deselected), so the parts' records are
rebuilt, merged as the run record declares (engine.RunRecord.merge), and reported as one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from conformance._exchange import Finding
from conformance.engine import Outcome, RunRecord
from conformance.reports._findings import flat_findings
from conformance.reports._json import UNSUPPORTED, RunInfo, build_results


class MergeError(Exception):
    """The files are not the parts of one sharded run; one line saying why."""


def record_of(results: Mapping[str, Any]) -> RunRecord:
    """The run record a results.json was written from."""
    run, rows = results["run"], results["operations"]
    return RunRecord(
        base_url=run["target"], profile=run["profile"],
        findings=[Finding(f["check_id"], f["severity"], f["message"], f["operation_id"], f["location"], f["reproducer"])
                  for f in flat_findings(results)],
        exchanges=run["exchanges"], tokens=run["tokens"],
        unsupported={row["operation_id"] or "": row["reason"] or "" for row in rows if row["status"] == UNSUPPORTED},
        stop_reason=run["stop_reason"], aborted=run.get("aborted"),
        operations=[row["operation_id"] for row in rows if row["operation_id"] is not None],
        excluded=list(run.get("excluded_operations", [])), deselected_checks=list(run.get("deselected_checks", [])),
        checks_run={row["operation_id"] or "": {check: cell["runs"] for check, cell in row["checks"].items() if cell["runs"]}
                    for row in rows if any(cell["runs"] for cell in row["checks"].values())},
        operation_exchanges={row["operation_id"] or "": row["exchanges"] for row in rows if row["exchanges"]},
        samples=dict(results["samples"]),
        finding_samples={f["id"]: f["sample"] for f in flat_findings(results) if f.get("sample")},
        first_seen={r["id"]: f["sample"] for f in results["findings"] for r in (f, *f.get("related", []))
                    if f.get("sample")},
        contract_version=run["contract_version"], seed=run["seed"],
    )


def merge_results(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One results.json for the run the parts split."""
    if not parts:
        raise MergeError("nothing to merge")
    shards = [part["run"].get("shard") for part in parts]
    totals = {shard.split("/")[1] for shard in shards if shard}
    if None in shards or len(totals) != 1 or len(set(shards)) != len(shards):
        raise MergeError(f"not the parts of one sharded run (shards: {', '.join(str(s) for s in shards)})")
    for key in ("contract_version", "profile", "seed"):
        values = {str(part["run"][key]) for part in parts}
        if len(values) > 1:
            raise MergeError(f"the parts differ in {key}: {', '.join(sorted(values))}")
    record = record_of(parts[0])
    for part in parts[1:]:
        record.merge(record_of(part))
    first = parts[0]["run"]
    info = RunInfo(
        started_at=min(datetime.fromisoformat(part["run"]["started_at"]) for part in parts),
        finished_at=max(datetime.fromisoformat(part["run"]["finished_at"]) for part in parts),
        exit_code=0, anthropic_version=first["anthropic_version"], betas=first["betas"], include=first["include"],
        exclude=first["exclude"], workers=sum(part["run"]["workers"] for part in parts),
        max_examples=first["max_examples"],
    )
    tests = [Outcome(t["nodeid"], t["outcome"], t["duration_seconds"], t["operation_id"], t["message"], t["departures"])
             for part in parts for t in part["tests"]]
    results = build_results(record, info, tests)
    results["run"]["shard"] = None
    results["run"]["merged_from"] = sorted(str(shard) for shard in shards)
    return results
