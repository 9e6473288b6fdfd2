"""Group `transport`: did a whole HTTP response arrive, in bounded time and size?

The engine reads every response within the run's bounds (`--timeout` for each wait,
`--response-timeout` and `--max-response-bytes` for the whole response) and, when one fails,
keeps what arrived with a `TransportFailure` on it instead of stopping the run. These checks
report that failure, one check per kind; no other check judges such a response (the registry
runs only this group on it). A redirect is judged here too: the engine never follows one (a
redirect loop cannot hang the run).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urldefrag, urljoin

from conformance._exchange import Exchange, TransportKind
from conformance.checks._registry import TRANSPORT_GROUP as GROUP
from conformance.checks._registry import CheckContext, Failure, check


def _failed(exchange: Exchange, kind: TransportKind) -> Iterator[Failure]:
    failure = exchange.response.failure
    if failure is not None and failure.kind == kind:
        yield Failure(failure.detail)


@check("transport.connection_lost", group=GROUP)
def connection_lost(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The connection was reset or closed before the whole response arrived (no response, or a
    body shorter than its Content-Length or its chunking announced). A connection lost before any
    response, with the request answered on a new one, is a warning: clients send again and get
    the answer (which the other checks judge), but the server dropped a request."""
    yield from _failed(exchange, "connection_lost")
    resent = exchange.response.resent
    if resent is not None and exchange.response.failure is None:
        yield Failure(f"the connection was lost before any response ({resent.detail}); sent again on a new "
                      "connection, the request was answered", severity="warning")


@check("transport.timeout", group=GROUP)
def timeout(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The response came within `--timeout` for each wait and `--response-timeout` in all (no
    silence, no byte-by-byte drip, no endless stream)."""
    yield from _failed(exchange, "timeout")


@check("transport.too_large", group=GROUP)
def too_large(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The response body, decompressed, stays within `--max-response-bytes` (no oversized body,
    no decompression bomb)."""
    yield from _failed(exchange, "too_large")


@check("transport.malformed", group=GROUP)
def malformed(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The response is HTTP/1.1 a client can parse: a status line, at most 100 headers of bounded
    size (Python's http.client refuses more), valid chunking, a body as long as announced."""
    yield from _failed(exchange, "malformed")


@check("transport.redirect", group=GROUP)
def redirect(exchange: Exchange, ctx: CheckContext) -> Iterator[Failure]:
    """The API answers at its own URL. A 3xx back to the URL requested is a loop no client gets
    out of: an error. Another redirect (e.g. to drop a trailing slash, as Starlette does) is a
    warning: what the API does there is not documented, and clients that follow it get an answer."""
    status = exchange.response.status
    if not 300 <= status < 400:
        return
    location = exchange.response.headers.get("location", "")
    loop = bool(location) and urldefrag(urljoin(exchange.request.url, location)).url == urldefrag(exchange.request.url).url
    yield Failure(f"status {status} redirects {'back to the URL requested' if loop else 'to'} {location[:200]!r}",
                  location="location", severity=None if loop else "warning")
