"""The server under test: where it is, how to authenticate, and sending one request to it.

Every request goes through `Target.send`, which returns an `Exchange` (the response body read
in full, chunk boundaries kept for streams) within the run's bounds (`engine._limits`): a
response that fails on the wire is an exchange with a `TransportFailure`, judged by the
`transport` checks, never an exception. The budget and retries are the client's transport
(`engine._transport`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from conformance._exchange import Exchange, Request, Response, TransportFailure, header_dict
from conformance.engine._config import DEFAULT_TIMEOUT, DEFAULT_VERSION, RunConfig
from conformance.engine._deadline import deadline_transport, response_deadline
from conformance.engine._limits import ResponseLimits, classify, read_within, resend, too_many_headers
from conformance.engine._transport import NO_RETRY, Budget, GuardedTransport

TARGET_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
"""What the target did (a request the client could not build is the run's own error)."""


class TargetUnreachable(Exception):
    """Schemathesis's engine found the target gone (what Target.send meets is a finding instead)."""


@dataclass
class Target:
    base_url: str
    api_key: str | None = field(default=None, repr=False)  # never printed (tracebacks show reprs)
    anthropic_version: str = DEFAULT_VERSION
    betas: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for connect, read (between chunks), write and pool waits."""
    limits: ResponseLimits = field(default_factory=ResponseLimits)
    """Each whole response's time and size."""
    embedded: bool = False
    """True when the target is the reference server this run started."""
    budget: Budget = field(default_factory=Budget)
    """The run's token budget: no request once it is spent."""
    _client: httpx.Client | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: RunConfig, base_url: str) -> Target:
        """The target a run's options describe, at `base_url` (the config's, or the embedded server's)."""
        return cls(base_url=base_url, api_key=config.key, anthropic_version=config.anthropic_version,
                   betas=config.betas, timeout=config.timeout, embedded=config.embedded,
                   limits=ResponseLimits(config.response_timeout, config.max_response_bytes))

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url.rstrip("/"),
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                follow_redirects=False,
                transport=GuardedTransport(deadline_transport(httpx.HTTPTransport()), self.budget),
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
        with response_deadline(self.limits.seconds):
            started, lost = time.monotonic(), None
            for attempt in (1, 2):
                try:
                    response = self.client.send(request, stream=True)
                    break
                except TARGET_ERRORS as exc:  # nothing whole came back: a finding on this exchange
                    lost = classify(exc)
                    if not resend(lost, attempt):
                        return failed_exchange(request, lost, operation_id=operation_id, label=label)
            try:
                # Decoded as it arrives, so a decompression bomb stops at the byte limit too.
                encoded = response.headers.get("content-encoding", "").lower() not in ("", "identity")
                body = response.iter_bytes() if encoded else response.iter_raw()
                problem = too_many_headers(len(response.headers.multi_items()))
                chunks, problem = ([], problem) if problem else read_within(body, self.limits, started)
            finally:
                response.close()
        return to_exchange(request, response, chunks, operation_id=operation_id, label=label, failure=problem,
                           resent=lost, decoded=encoded)


def to_exchange(
    request: httpx.Request, response: httpx.Response, chunks: list[bytes], *, operation_id: str | None, label: str,
    failure: TransportFailure | None = None, resent: TransportFailure | None = None, decoded: bool = False,
) -> Exchange:
    """The exchange of a response `Target.send` read: its body already decompressed (`decoded`,
    read with httpx's decoders) or never compressed, when its chunk boundaries are kept."""
    result = Response(response.status_code, header_dict(response.headers.multi_items()), b"".join(chunks),
                      failure=failure, resent=resent)
    if not decoded and failure is None:
        result.chunks = chunks  # raw chunk boundaries are only meaningful before decompression
    return Exchange(_request(request), result, operation_id=operation_id, label=label)


def failed_exchange(request: httpx.Request, failure: TransportFailure, *, operation_id: str | None,
                    label: str) -> Exchange:
    """A request that got no response at all (status 0)."""
    return Exchange(_request(request), Response(0, {}, b"", failure=failure), operation_id=operation_id, label=label)


def _request(request: httpx.Request) -> Request:
    return Request(request.method, str(request.url), header_dict(request.headers.multi_items()), request.content or None)


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
