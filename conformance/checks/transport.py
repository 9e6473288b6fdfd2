"""Group `transport`: did a whole HTTP response arrive, in bounded time and size?

The engine reads every response within the run's bounds (`--timeout` for each wait,
`--response-timeout` and `--max-response-bytes` for the whole response) and, when one fails,
keeps what arrived with a `TransportFailure` on it instead of stopping the run. These checks
report that failure, one check per kind; no other check judges such a response (the registry
runs only this group on it). A redirect is judged here too: the API answers at its own URL, and
the engine never follows one (a redirect loop cannot hang the run).
"""

from __future__ import annotations

from collections.abc import Iterator

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
    body shorter than its Content-Length or its chunking announced)."""
    yield from _failed(exchange, "connection_lost")


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
    """The API answers at its own URL: never a 3xx redirect (which clients may follow into a loop)."""
    status = exchange.response.status
    if 300 <= status < 400:
        location = exchange.response.headers.get("location", "")
        yield Failure(f"status {status} redirects to {location[:200]!r}", location="location")
