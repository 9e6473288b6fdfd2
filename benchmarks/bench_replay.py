"""Replay against recording: the full default run (`conformance run`, the embedded reference
server), recorded, then replayed from the recording (nothing generated, nothing sent), side by side.

Each run is its own `conformance run` process, as a user runs it; `--repeat N` alternates N
record/replay pairs and reports the median of each (the machine's load varies). Printed: the
seconds, the exchanges judged (the same on both sides, or the replay is wrong), the cassettes'
size, and the speed-up.

    python benchmarks/bench_replay.py [--repeat 3]

A replay judges the recorded exchanges with the checks and writes the same summary: it skips
pytest, generation and the server. Against a remote API every request's latency (and price) is
saved as well. Numbers are for comparison within one run on one machine, never absolute.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUMMARY = re.compile(r"conformance: (\d+) exchanges")


def timed(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Seconds, exchanges judged and exit code of one `conformance run`."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    match = SUMMARY.search(done.stdout)
    if match is None or done.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv[1:3])} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, int(match.group(1)), done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="record/replay pairs to time (median reported)")
    args = parser.parse_args()
    conformance = str(Path(sys.executable).parent / "conformance")
    common = ["--cassette-dir", "cassettes", "--report-dir", "", "-q"]
    times: dict[str, list[float]] = {"record": [], "replay": []}
    exchanges: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(args.repeat):
            for mode in ("record", "replay"):
                seconds, exchanges[mode], _code = timed([conformance, "run", f"--{mode}", *common], folder)
                times[mode].append(seconds)
        size = sum(p.stat().st_size for p in (folder / "cassettes").rglob("*") if p.is_file())
        files = sum(1 for p in (folder / "cassettes").rglob("*.json.gz"))
    record, replay = statistics.median(times["record"]), statistics.median(times["replay"])
    print(f"{'default run':<12} {'seconds':>8} {'exchanges':>10}")
    print(f"{'record':<12} {record:>8.2f} {exchanges['record']:>10}")
    print(f"{'replay':<12} {replay:>8.2f} {exchanges['replay']:>10}")
    print(f"speed-up (record / replay): {record / replay:.2f}x; recording: {files} tests, {size / 1024:.0f} KiB")
    if exchanges["record"] != exchanges["replay"]:
        print("the replay judged a different number of exchanges than the recording: it does not match")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
