"""`conformance validate FILE...`: the run's checks, offline, over recorded exchanges."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from conformance._exit import EXIT_DEPARTURES, EXIT_OK
from conformance.cassettes._read import cassette_files, read_exchanges
from conformance.checks import CheckContext, run_checks
from conformance.contract import Contract
from conformance.engine import Profile


def validate_files(
    paths: Sequence[Path], contract: Contract, profile: Profile, *, out: TextIO | None = None, verbose: bool = False
) -> int:
    """Check every exchange of every file; print findings; 1 if any error, else 0."""
    out = out or sys.stdout
    context = CheckContext(contract=contract, options=profile.check_options())
    paths = cassette_files(paths)  # a folder stands for every cassette under it
    exchanges = [exchange for path in paths for exchange in read_exchanges(path)]  # read all first: bad files fail fast
    totals: Counter[str] = Counter()
    for exchange in exchanges:
        request = exchange.request
        operation = contract.match(request.method, request.path, request.query)
        exchange.operation_id = operation.operation_id if operation else None
        findings = list(filter(None, map(profile.judge, run_checks(exchange, context))))
        for finding in findings:
            totals[finding.severity] += 1
            if finding.severity == "error" or verbose:
                where = f" at {finding.location}" if finding.location else ""
                out.write(f"{exchange.label}: {finding.severity} [{finding.check_id}] {finding.message}{where}\n")
    out.write(f"validated {len(exchanges)} exchanges from {len(paths)} file(s): "
              f"{totals['error']} errors, {totals['warning']} warnings\n")
    return EXIT_DEPARTURES if totals["error"] else EXIT_OK

