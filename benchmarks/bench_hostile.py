"""What a hostile target costs a run: `conformance run` (profile compat-minimal) against each
hostile server of tests/hostile/servers.py, each in its own process, with the default
--max-response-bytes (64 MiB) unless told otherwise: its exit code, the transport findings, its
wall time and its peak memory (max RSS, from the kernel's accounting of the child), beside the same
run against the reference server.

    python benchmarks/bench_hostile.py [--kinds garbage gzip_bomb ...] [--timeout 2] [--response-timeout 5]

Slow kinds (silence, drips, endless streams) meet one request in --every, so each run stays short.
Numbers are for comparison within one run on one machine, never absolute.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.server import ServerConfig, serve_reference  # noqa: E402
from tests.hostile.servers import KINDS, hostile_server  # noqa: E402

SLOW = {"silent", "drip", "endless_stream"}


def measure(url: str, args: argparse.Namespace) -> tuple[int, list[str], float, float]:
    """Exit code, transport check ids, seconds, peak RSS in MiB of one `conformance run`."""
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "conformance", "run", "--base-url", url, "--api-key", "k",
                   "--profile", "compat-minimal", "--max-examples", "1", "--timeout", str(args.timeout),
                   "--response-timeout", str(args.response_timeout), "--report-dir", reports, "-q"]
        if args.max_response_bytes:
            command += ["--max-response-bytes", str(args.max_response_bytes)]
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        stderr = child.stderr.read().decode() if child.stderr else ""
        if "Traceback" in stderr:
            print(stderr, file=sys.stderr)
        results = Path(reports) / "results.json"
        found = json.loads(results.read_text())["findings"] if results.is_file() else []
        ids = sorted({f["check_id"] for f in found if f["check_id"].startswith("transport.")})
        return os.waitstatus_to_exitcode(status), ids, seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="*", default=[k for k in KINDS if k != "deep_json"] + ["deep_json"])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--response-timeout", type=float, default=5.0)
    parser.add_argument("--max-response-bytes", type=int, default=None, help="default: the run's (64 MiB)")
    parser.add_argument("--every", type=int, default=20, help="slow kinds meet one request in this many")
    args = parser.parse_args()
    print(f"{'target':<22} {'exit':>4} {'seconds':>8} {'peak MiB':>9}  transport findings")
    with serve_reference(ServerConfig(seed=0)) as url:
        code, ids, seconds, peak = measure(url, args)
    reference = peak
    print(f"{'reference server':<22} {code:>4} {seconds:>8.1f} {peak:>9.0f}  {', '.join(ids) or '-'}")
    for kind in args.kinds:
        with hostile_server(kind, every=args.every if kind in SLOW else 1) as url:
            code, ids, seconds, peak = measure(url, args)
        print(f"{kind:<22} {code:>4} {seconds:>8.1f} {peak:>9.0f}  {', '.join(ids) or '-'}"
              f"   (memory x{peak / reference:.2f} the reference run's)")


if __name__ == "__main__":
    main()
