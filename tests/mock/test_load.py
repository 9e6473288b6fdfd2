"""Concurrent streams on 127.0.0.1 against mock mode: every stream complete, no error. Counts are
bounded, every wait has a timeout and the server stops with the test; times are never asserted
(benchmarks/bench_mock_load.py measures them)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conformance._sse import parse_sse
from conformance.server import API_HEADERS, MockServer

REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 120, "stream": True,
           "messages": [{"role": "user", "content": "Stream me a reply of a few dozen tokens"}]}


async def stream_once(client: httpx.AsyncClient, number: int) -> str | None:
    """None when the stream arrived whole, else what went wrong."""
    try:
        response = await client.post("/v1/messages", json={**REQUEST, "metadata": {"user_id": f"user-{number}"}})
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    frames = parse_sse(response.content).frames
    if response.status_code != 200 or not frames or frames[-1].event != "message_stop" or frames[0].event != "message_start":
        return f"status {response.status_code}, {len(frames)} frames"
    return None


async def concurrent_streams(url: str, count: int) -> list[str]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=url, headers=API_HEADERS, timeout=httpx.Timeout(60.0), limits=limits) as client:
        outcomes = await asyncio.wait_for(asyncio.gather(*(stream_once(client, n) for n in range(count))), timeout=120)
    return [outcome for outcome in outcomes if outcome is not None]


@pytest.mark.parametrize("count", [50, 200])  # 200 takes a few seconds on 2 cores: not marked slow
def test_concurrent_streams_have_no_errors(count: int) -> None:
    with MockServer() as server:
        assert asyncio.run(concurrent_streams(server.url, count)) == []
        assert len(server.entries()) == count  # each one journaled, none lost
