"""Throughput of `conformance run` against plain `schemathesis run`, side by side, in one run.

Both tools test the same bundled contract against the reference server (one uvicorn thread on a
loopback port), with the same phases (examples, fuzzing), the same example count and seed. The
default `conformance run` starts that server itself (in each of its processes: one per core, up to
4); `--workers 1 --base-url` runs one process against the benchmark's server, as schemathesis does.
Two measures: test cases (generated requests: schemathesis's own count; conformance sends each
once) and HTTP requests counted at the server (schemathesis's checks send extra requests of their
own, e.g. to probe authentication). conformance runs its extra checks (SSE state machine,
meaning, tolerant/strict schema) on every one; the ratio says what they cost.

    python benchmarks/bench_engine.py [--max-examples 8]

Both wall time and CPU time (user + system, of the tool's process) are printed: on a shared
machine the CPU time is the steadier measure of the work each tool does. Numbers are for
comparison within one run on one machine, never absolute.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from conformance.contract import load_contract
from conformance.engine import DEFAULT_VERSION
from conformance.server import ServerConfig, create_app, free_port


class Counter:
    """ASGI middleware counting HTTP requests that reach the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self._lock:
                self.count += 1
        await self.app(scope, receive, send)


def serve(app: Any) -> tuple[str, uvicorn.Server]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server


def timed(counter: Counter, argv: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds, requests the server saw, and what the tool printed."""
    before, cpu_before = counter.count, _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, _children_cpu() - cpu_before, counter.count - before, done.stdout


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_cases(tool: str, requests: int, output: str) -> int:
    """schemathesis reports the cases it generated; conformance the exchanges it judged (each
    generated case is sent once; the embedded server's requests are not seen by the counter)."""
    pattern = r"(\d+) generated" if tool.startswith("schemathesis run") else r"(\d+) exchanges"
    match = re.search(pattern, output)
    return int(match.group(1)) if match else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=8)
    args = parser.parse_args()
    counter = Counter(create_app(ServerConfig()))
    url, server = serve(counter)
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "contract.json"
        # The contract as a default run generates from it: the default API version's view.
        spec.write_text(json.dumps(load_contract().for_version(DEFAULT_VERSION).document))
        profile = Path(tmp) / "bench.toml"
        profile.write_text(f'extends = "reference"\nmax_examples = {args.max_examples}\nphases = ["examples", "fuzzing"]\n')
        schemathesis = [str(bin_dir / "st"), "run", str(spec), "--url", url, "--phases", "examples,fuzzing",
                        "-n", str(args.max_examples), "--mode", "all", "--seed", "0", "--continue-on-failure",
                        "-H", "x-api-key: bench", "-H", "anthropic-version: 2023-06-01"]
        # The default run tests the embedded reference server, in one process per core (up to 4);
        # `--workers 1 --base-url` is the same engine in one process against the bench's server.
        conformance = [str(bin_dir / "conformance"), "run", "--profile", str(profile), "-q", "--report-dir", "",
                       "--", "-k", "test_operation"]
        one_process = [*conformance[:2], "--workers", "1", "--base-url", url, "--api-key", "bench", *conformance[2:]]
        # Plain `st run` twice: with its default checks (several of which send extra requests of
        # their own, e.g. to probe authentication, and count them as test cases) and with one
        # passive check (the same generated requests as conformance sends, nothing added).
        results = {
            "schemathesis run": timed(counter, schemathesis),
            "schemathesis run (passive check)": timed(counter, [*schemathesis, "--checks", "not_a_server_error"]),
            "conformance run (default)": timed(counter, conformance),
            "conformance run --workers 1": timed(counter, one_process),
        }
    server.should_exit = True
    print(f"{'tool':<34} {'seconds':>8} {'cpu s':>7} {'test cases':>11} {'cases/s':>8} {'cases/cpu s':>12} {'requests':>9}")
    wall_rate, cpu_rate = {}, {}
    for name, (seconds, cpu, requests, output) in results.items():
        cases = test_cases(name, requests, output)
        wall_rate[name], cpu_rate[name] = cases / seconds, cases / cpu
        print(f"{name:<34} {seconds:>8.2f} {cpu:>7.2f} {cases:>11} {wall_rate[name]:>8.1f} {cpu_rate[name]:>12.1f} {requests:>9}")
    for tool in ("conformance run (default)", "conformance run --workers 1"):
        for baseline in ("schemathesis run", "schemathesis run (passive check)"):
            if wall_rate[baseline]:
                print(f"ratio {tool} / {baseline}: test cases/s {wall_rate[tool] / wall_rate[baseline]:.2f}, "
                      f"test cases per CPU second {cpu_rate[tool] / cpu_rate[baseline]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
