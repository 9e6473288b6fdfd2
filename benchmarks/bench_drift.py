"""Time `conformance drift` on the published 1.6 MB OpenAPI document (../shared/upstream).

    python benchmarks/bench_drift.py [--repeat N]

Prints the seconds of each run (loading and bundling both documents included) and the best.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from conformance.contract import bundled_contract_path
from conformance.contract._contract import _CACHE
from conformance.drift import diff_files

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "anthropic-openapi-2026-05-06.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--upstream", type=Path, default=UPSTREAM)
    args = parser.parse_args()
    if not args.upstream.is_file():
        print(f"{args.upstream}: no such file", file=sys.stderr)
        return 2
    runs = []
    for direction in ("contract → upstream", "upstream → upstream"):
        old = bundled_contract_path() if direction.startswith("contract") else args.upstream
        for _ in range(args.repeat):
            _CACHE.clear()  # measure loading too, not the loader's cache
            started = time.perf_counter()
            report = diff_files(old, args.upstream)
            seconds = time.perf_counter() - started
            runs.append(seconds)
            print(f"{direction}: {seconds:.3f} s, {len(report.changes)} changes")
    print(f"best: {min(runs):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
