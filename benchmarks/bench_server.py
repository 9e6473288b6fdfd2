"""Throughput of the reference server against a bare Starlette endpoint, side by side in one run.

    python benchmarks/bench_server.py [--rounds 5] [--seconds 1] [--concurrency 4]

Two pairs of measurements against two uvicorn processes (the same uvicorn settings as
`conformance serve`), driven by keep-alive httpx clients in threads, in interleaved slices:

* bare JSON    — a Starlette endpoint returning a fixed Message-sized JSON body (the ceiling);
* messages     — POST /v1/messages, non-streaming, full validation and generation;
* bare SSE     — a Starlette endpoint streaming 50 fixed events (the streaming ceiling);
* stream       — POST /v1/messages with stream:true, a request whose stream has 50 events.

Absolute numbers depend on the machine; the ratios are what to compare (target: ≥ 0.70): each
round measures the ceiling and the server back to back, and the median per-round ratio is printed.
Nothing here is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01", "content-type": "application/json"}
WORDS = " ".join(["alpha beta gamma delta epsilon"] * 30)  # 150 one-token words to echo
MESSAGE_REQUEST = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
}
STREAM_REQUEST = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 132,  # 132 tokens in text_delta runs of 3: 44 deltas + 6 framing events = 50
    "stream": True,
    "messages": [{"role": "user", "content": WORDS}],
}


def bare_app() -> object:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    from conformance._sse import encode_sse

    message = {
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Paris is the capital of France."}],
        "stop_reason": "end_turn", "stop_sequence": None, "usage": {"input_tokens": 14, "output_tokens": 8},
    }
    events = [encode_sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f" word{i}"}}) for i in range(50)]

    async def bare_json(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse(message)

    async def frames() -> AsyncIterator[bytes]:
        for event in events:
            yield event

    async def bare_sse(request: Request) -> StreamingResponse:
        await request.body()
        return StreamingResponse(frames(), media_type="text/event-stream")

    return Starlette(routes=[Route("/bare", bare_json, methods=["POST"]), Route("/bare-sse", bare_sse, methods=["POST"])])


def serve(kind: str, port: int) -> None:
    import uvicorn

    from conformance.server import ServerConfig
    from conformance.server._run import build_server

    if kind == "bare":
        uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", http="h11", access_log=False)  # type: ignore[arg-type]
    else:
        build_server(ServerConfig(), port=port, log_level="warning").run()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(kind: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=0.5)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def measure(url: str, path: str, body: dict[str, object], *, seconds: float, concurrency: int, check: Callable[[httpx.Response], None]) -> float:
    payload = json.dumps(body).encode()
    done = [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(slot: int) -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as client:
            check(client.post(path, content=payload))  # warm-up and sanity check, not counted
            while time.monotonic() < stop:
                response = client.post(path, content=payload)
                response.read()
                done[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def _ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.text[:200]}")


def _fifty_events(response: httpx.Response) -> None:
    _ok(response)
    events = response.text.count("\nevent: ") + response.text.startswith("event: ")
    if events != 50:
        raise RuntimeError(f"expected a 50-event stream, got {events}")


PAIRS = (
    ("messages", ("bare", "/bare", MESSAGE_REQUEST, "_ok"), ("conformance", "/v1/messages", MESSAGE_REQUEST, "_ok")),
    ("stream", ("bare", "/bare-sse", STREAM_REQUEST, "_fifty_events"), ("conformance", "/v1/messages", STREAM_REQUEST, "_fifty_events")),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one measurement slice")
    parser.add_argument("--rounds", type=int, default=5, help="slices per measurement, interleaved with the ceiling's")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--serve", choices=["bare", "conformance"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    # Both servers run at once and their slices alternate, so that load from elsewhere on a
    # shared machine hits both sides alike; the median of the per-round ratios is reported.
    servers = {kind: start(kind) for kind in ("bare", "conformance")}
    checks = {"_ok": _ok, "_fifty_events": _fifty_events}
    try:
        for name, ceiling, ours in PAIRS:
            rates: dict[str, list[float]] = {"bare": [], "conformance": []}
            for _ in range(args.rounds):
                for kind, path, body, check in (ceiling, ours):
                    rates[kind].append(measure(servers[kind][1], path, body, seconds=args.seconds,
                                               concurrency=args.concurrency, check=checks[check]))
            ratios = sorted(o / b for o, b in zip(rates["conformance"], rates["bare"], strict=False))
            bare, mine = statistics.median(rates["bare"]), statistics.median(rates["conformance"])
            label = "POST /v1/messages (non-streaming)" if name == "messages" else "stream of 50 events"
            ceiling_label = "bare JSON endpoint" if name == "messages" else "bare SSE endpoint, 50 events"
            print(f"{ceiling_label:34s} {bare:8.1f} /s")
            print(f"{label:34s} {mine:8.1f} /s   ratio {statistics.median(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
