"""The server under test: where it is, how to authenticate, and sending one request to it.

Every request goes through `Target.send`, which returns an `Exchange` (the response body read
in full, chunk boundaries kept for streams) and never waits without a timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from conformance._exchange import Exchange, Request, Response

DEFAULT_VERSION = "2023-06-01"
RETRY_STATUSES = (429, 529)
MAX_RETRIES = 2
MAX_RETRY_WAIT = 20.0  # seconds: a longer retry-after ends the retries (the answer is judged as it is)


class TargetUnreachable(Exception):
    """The target did not answer (connection refused, DNS, timeout) or rejected the credentials."""


@dataclass
class Target:
    base_url: str
    api_key: str | None = field(default=None, repr=False)  # never printed (tracebacks show reprs)
    anthropic_version: str = DEFAULT_VERSION
    betas: tuple[str, ...] = ()
    timeout: float = 60.0
    """Seconds for connect, read (between chunks), write and pool waits."""
    embedded: bool = False
    """True when the target is the reference server this run started."""
    guard: Callable[[], None] | None = field(default=None, repr=False)
    """Called before every request; raises to refuse it (the session's token budget)."""
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url.rstrip("/"),
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def default_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": self.anthropic_version, "accept": "application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        if self.betas:
            headers["anthropic-beta"] = ",".join(self.betas)
        return headers

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        auth: bool = True,
        retry: bool = True,
        operation_id: str | None = None,
        label: str = "",
    ) -> Exchange:
        """Send one request and read the whole response (streams chunk by chunk). A 429 or 529
        is retried (at most MAX_RETRIES times) after its `retry-after`, as the official SDKs do."""
        if self.guard is not None:
            self.guard()
        merged = self.default_headers() if auth else {"accept": "application/json"}
        merged.update(headers or {})
        merged = {k: v for k, v in merged.items() if v is not None}
        request = self.client.build_request(
            method, path, json=json, content=content, params=params, headers=merged, files=files, data=data
        )
        request.read()  # materialise multipart bodies so the exchange can record what was sent
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = self.client.send(request, stream=True)
                try:
                    chunks = list(response.iter_raw())
                finally:
                    response.close()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise TargetUnreachable(f"{self.base_url}: {type(exc).__name__}: {exc}") from None
            wait = retry_wait(response)
            if not retry or attempt == MAX_RETRIES or wait is None:
                break
            time.sleep(wait)
        return to_exchange(request, response, chunks, operation_id=operation_id, label=label)


def retry_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying, or None when the answer is not one to retry."""
    if response.status_code not in RETRY_STATUSES:
        return None
    try:
        wait = float(response.headers.get("retry-after-ms", "")) / 1000
    except ValueError:
        try:
            wait = float(response.headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
    return wait if 0 <= wait <= MAX_RETRY_WAIT else None


def to_exchange(
    request: httpx.Request, response: httpx.Response, chunks: list[bytes], *, operation_id: str | None, label: str
) -> Exchange:
    body = request.content
    exchange_request = Request(request.method, str(request.url), list(request.headers.multi_items()), body or None)
    result = Response.from_wire(response.status_code, response.headers.multi_items(), b"".join(chunks))
    encoding = response.headers.get("content-encoding", "").lower()
    if encoding in ("", "identity"):
        result.chunks = chunks  # raw chunk boundaries are only meaningful before decompression
    return Exchange(exchange_request, result, operation_id=operation_id, label=label)


def query_string(params: Mapping[str, Any] | None) -> str:
    return urlencode(params or {}, doseq=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def _running(server: Any, host: str, port: int, name: str) -> Iterator[str]:
    """Run a uvicorn server in a thread until the block ends; yields its base URL."""
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise TargetUnreachable(f"the server {name!r} did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextmanager
def serve_app(app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "conformance-server") -> Iterator[str]:
    """Serve any ASGI app with uvicorn on an ephemeral loopback port in a thread; yields its base URL."""
    import uvicorn

    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="error", lifespan="off", timeout_graceful_shutdown=2)
    with _running(uvicorn.Server(config), host, port, name) as url:
        yield url


@contextmanager
def embedded_server(seed: int = 0, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the reference server on an ephemeral loopback port in a thread, configured as
    `conformance serve` configures it; yields its base URL."""
    from conformance.server import ServerConfig
    from conformance.server._run import build_server

    port = port or free_port(host)
    server = build_server(ServerConfig(seed=seed), host=host, port=port, log_level="error")
    with _running(server, host, port, "conformance-reference-server") as url:
        yield url
