"""Concurrent streams against `conformance serve --mock` and a bare Starlette SSE endpoint, side by side.

    python benchmarks/bench_mock_load.py [--rounds 3] [--levels 1,50,200]

Two uvicorn processes on 127.0.0.1 (the bare app of bench_server.py, and the reference server in
mock mode with its journal on, as `conformance serve --mock` runs it), each stopped at the end
(and bounded by a watchdog should this script die). One asyncio httpx client opens N streams at
once, N in --levels, each a 50-event stream (POST /v1/messages, stream:true; the bare endpoint
sends 50 fixed events), waves of max(2N, 30) streams, interleaved round by round with the bare
endpoint's so that load from elsewhere hits both alike. Reported per level and server: streams/s,
p50/p99 time to first event and to last event, errors (a status other than 200, a stream
without its 50 events or, for the mock, without `message_stop`, or a transport error); then
the median per-round ratio of streams/s (mock / bare; the issue's target is ≥ 0.8).
Nothing is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import HEADERS, STREAM_REQUEST, ratio_text, running  # noqa: E402
from bench_server import serve as serve_one  # noqa: E402

WATCHDOG_SECONDS = 900
"""A server process ends by itself after this long, whatever happens to this script."""
TIMEOUT = httpx.Timeout(60.0)


@dataclass
class Wave:
    seconds: float = 0.0
    first: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.last) / self.seconds if self.seconds else 0.0


def serve(kind: str, port: int) -> None:
    from conformance.server import ServerConfig

    watchdog = threading.Timer(WATCHDOG_SECONDS, os._exit, args=(0,))
    watchdog.daemon = True
    watchdog.start()
    serve_one(kind, port, ServerConfig(mock=True))


async def one_stream(client: httpx.AsyncClient, path: str, payload: bytes, wave: Wave, *, needs_stop: bool) -> None:
    started = time.perf_counter()
    first: float | None = None
    body = bytearray()
    try:
        async with client.stream("POST", path, content=payload) as response:
            async for chunk in response.aiter_bytes():
                if first is None:
                    first = time.perf_counter() - started
                body += chunk
            status = response.status_code
    except httpx.HTTPError as exc:
        wave.errors.append(f"{type(exc).__name__}: {exc}"[:120])
        return
    events = body.count(b"\n\nevent: ") + body.startswith(b"event: ")
    if status != 200 or events != 50 or (needs_stop and not body.rstrip().endswith(b'{"type":"message_stop"}')):
        wave.errors.append(f"status {status}, {events} events: {bytes(body[-80:])!r}")
        return
    wave.first.append(first or 0.0)
    wave.last.append(time.perf_counter() - started)


async def run_wave(url: str, path: str, *, concurrency: int, total: int, needs_stop: bool) -> Wave:
    payload = json.dumps(STREAM_REQUEST).encode()
    wave = Wave()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=TIMEOUT, limits=limits) as client:
        gate = asyncio.Semaphore(concurrency)

        async def gated() -> None:
            async with gate:
                await one_stream(client, path, payload, wave, needs_stop=needs_stop)

        started = time.perf_counter()
        await asyncio.gather(*(gated() for _ in range(total)))
        wave.seconds = time.perf_counter() - started
    return wave


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--levels", default="1,50,200", help="concurrent streams, comma-separated")
    parser.add_argument("--serve", choices=["bare", "mock"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    targets = {"bare": "/bare-sse", "mock": "/v1/messages"}
    print(f"{'streams':>7}  {'server':6}  {'streams/s':>9}  {'first p50':>9}  {'first p99':>9}  {'last p50':>8}  {'last p99':>8}  errors")
    with running(("bare", "mock"), __file__) as urls:
        for level in (int(n) for n in args.levels.split(",")):
            waves: dict[str, list[Wave]] = {"bare": [], "mock": []}
            for _ in range(args.rounds):
                for kind in ("bare", "mock"):
                    waves[kind].append(asyncio.run(run_wave(urls[kind], targets[kind], concurrency=level,
                                                            total=max(2 * level, 30), needs_stop=kind == "mock")))
            for kind in ("bare", "mock"):
                first = [t for w in waves[kind] for t in w.first]
                last = [t for w in waves[kind] for t in w.last]
                rate = statistics.median(w.rate for w in waves[kind])
                errors = [error for w in waves[kind] for error in w.errors]
                print(f"{level:>7}  {kind:6}  {rate:9.1f}  {percentile(first, .5) * 1e3:7.1f}ms  {percentile(first, .99) * 1e3:7.1f}ms"
                      f"  {percentile(last, .5) * 1e3:6.1f}ms  {percentile(last, .99) * 1e3:6.1f}ms  {len(errors)}")
                for error in sorted(set(errors)):
                    print(f"{'':>7}  error: {error}")
            ratios = [m.rate / b.rate for m, b in zip(waves["mock"], waves["bare"], strict=True) if b.rate]
            print(f"{'':>7}  ratio mock/bare streams/s: {ratio_text(ratios)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
