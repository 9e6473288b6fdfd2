"""`conformance validate FILE...`: the run's checks, offline, over recorded exchanges."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from conformance._exchange import Finding
from conformance.cassettes import read_exchanges
from conformance.checks import CheckContext, run_checks
from conformance.contract import Contract
from conformance.engine._profile import Profile


def validate_files(
    paths: Sequence[Path], contract: Contract, profile: Profile, *, out: TextIO | None = None, verbose: bool = False
) -> int:
    """Check every exchange of every file; print findings; 1 if any error, else 0."""
    out = out or sys.stdout
    context = CheckContext(contract=contract, options={
        "count_tokens_tolerance": profile.count_tokens_tolerance,
        "deterministic": profile.deterministic,
        "negative": profile.negative,
    })
    exchanges = [exchange for path in paths for exchange in read_exchanges(path)]  # read all first: bad files fail fast
    totals: Counter[str] = Counter()
    for exchange in exchanges:
        request = exchange.request
        operation = contract.match(request.method, request.path, request.query)
        exchange.operation_id = operation.operation_id if operation else None
        findings = [_with_profile(f, profile) for f in run_checks(exchange, context)]
        findings = [f for f in findings if f is not None]
        for finding in findings:
            totals[finding.severity] += 1
            if finding.severity == "error" or verbose:
                where = f" at {finding.location}" if finding.location else ""
                out.write(f"{exchange.label}: {finding.severity} [{finding.check_id}] {finding.message}{where}\n")
    out.write(f"validated {len(exchanges)} exchanges from {len(paths)} file(s): "
              f"{totals['error']} errors, {totals['warning']} warnings\n")
    return 1 if totals["error"] else 0


def _with_profile(finding: Finding, profile: Profile) -> Finding | None:
    from dataclasses import replace

    setting = profile.check_setting(finding.check_id)
    if setting == "off":
        return None
    return replace(finding, severity=setting) if setting in ("warning", "error") else finding
