"""The server under test: where it is, how to authenticate, and sending one request to it.

Every request goes through `Target.send`, which returns an `Exchange` (the response body read
in full, chunk boundaries kept for streams) and never waits without a timeout; the budget and
retries are the client's transport (`engine._transport`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from conformance._exchange import Exchange, Request, Response, header_dict
from conformance.engine._config import DEFAULT_TIMEOUT, DEFAULT_VERSION
from conformance.engine._transport import NO_RETRY, Budget, GuardedTransport


class TargetUnreachable(Exception):
    """The target did not answer (connection refused, DNS, timeout) or rejected the credentials."""


@dataclass
class Target:
    base_url: str
    api_key: str | None = field(default=None, repr=False)  # never printed (tracebacks show reprs)
    anthropic_version: str = DEFAULT_VERSION
    betas: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for connect, read (between chunks), write and pool waits."""
    embedded: bool = False
    """True when the target is the reference server this run started."""
    budget: Budget = field(default_factory=Budget)
    """The run's token budget: no request once it is spent."""
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url.rstrip("/"),
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                follow_redirects=False,
                transport=GuardedTransport(httpx.HTTPTransport(), self.budget),
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
        is retried after its `retry-after` unless `retry` is False (engine._transport)."""
        merged = self.default_headers() if auth else {"accept": "application/json"}
        merged.update(headers or {})
        merged = {k: v for k, v in merged.items() if v is not None}
        request = self.client.build_request(
            method, path, json=json, content=content, params=params, headers=merged, files=files, data=data
        )
        request.read()  # materialise multipart bodies so the exchange can record what was sent
        if not retry:
            request.extensions[NO_RETRY] = True
        try:
            response = self.client.send(request, stream=True)
            try:
                chunks = list(response.iter_raw())
            finally:
                response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TargetUnreachable(f"{self.base_url}: {type(exc).__name__}: {exc}") from None
        return to_exchange(request, response, chunks, operation_id=operation_id, label=label)


def to_exchange(
    request: httpx.Request, response: httpx.Response, chunks: list[bytes], *, operation_id: str | None, label: str
) -> Exchange:
    body = request.content
    exchange_request = Request(request.method, str(request.url), header_dict(request.headers.multi_items()), body or None)
    result = Response.from_wire(response.status_code, response.headers.multi_items(), b"".join(chunks))
    encoding = response.headers.get("content-encoding", "").lower()
    if encoding in ("", "identity"):
        result.chunks = chunks  # raw chunk boundaries are only meaningful before decompression
    return Exchange(exchange_request, result, operation_id=operation_id, label=label)


def query_string(params: Mapping[str, Any] | None) -> str:
    return urlencode(params or {}, doseq=True)


def discover_model(target: Target) -> str | None:
    """The first model the target's GET /v1/models lists, or None."""
    models = discover_models(target)
    return models[0] if models else None


def discover_models(target: Target, limit: int = 100) -> list[str]:
    """The models the target's GET /v1/models lists on its first page, in its order ([] when none)."""
    exchange = target.send("GET", "/v1/models", params={"limit": limit}, operation_id="listModels")
    body = exchange.response.json() if exchange.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    items = data if isinstance(data, list) else []
    return [item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
