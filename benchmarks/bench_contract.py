"""How long loading a contract takes: the bundled one (YAML files joined by $ref) and the 1.6 MB
published description (JSON), cold (parse + bundle) and with the tolerant view derived.

    python benchmarks/bench_contract.py

Prints seconds, best of 5; nothing is asserted (shared machines are noisy).
"""

from __future__ import annotations

import time
from pathlib import Path

from conformance.contract import Contract, bundled_contract_path
from conformance.contract._bundle import bundle

UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "upstream" / "anthropic-openapi-2026-05-06.json"


def best_of(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    documents = {"bundled contract": bundled_contract_path()}
    if UPSTREAM.is_file():
        documents["upstream (1.6 MB)"] = UPSTREAM
    print(f"{'document':<20} {'load+bundle':>12} {'+ tolerant view':>16} {'operations':>11}")
    for name, path in documents.items():
        load = best_of(5, lambda p=path: Contract(bundle(p), source=p))
        views = best_of(5, lambda p=path: Contract(bundle(p), source=p).tolerant)
        print(f"{name:<20} {load:>11.3f}s {views:>15.3f}s {len(Contract(bundle(path)).operations):>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
