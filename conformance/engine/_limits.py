"""How much of a response the run waits for and keeps, and what a failed response is called.

Both ways a run sends (httpx in `Target.send`, requests under schemathesis in `engine._adapter`)
read every response through `read_within`: the whole response within `ResponseLimits.seconds`
(checked as each chunk arrives; each wait is also bounded by `--timeout`, so a response ends at
most one timeout past its limit) and its body, decompressed, within `max_bytes`. A response that
fails, or any error the HTTP library raises, becomes a `TransportFailure` (`classify`) that the
`transport` checks report: a hostile target is a finding, never a hang, a crash or a full memory.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from conformance._exchange import TransportFailure, TransportKind
from conformance.engine._config import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_RESPONSE_TIMEOUT

MAX_HEADERS = 100
"""Response headers a client accepts (Python's http.client, under requests, refuses more)."""
KEPT_ON_FAILURE = 64 * 1024
"""Bytes of a failed response's body kept for the finding's sample."""
_LOST = (ConnectionError, http.client.IncompleteRead, httpx.NetworkError)
"""Errors meaning the peer went away (RemoteDisconnected is a ConnectionResetError)."""
_LOST_WORDS = ("peer closed connection", "server disconnected", "ended prematurely", "incompleteread",
               "connection broken", "connection aborted")
_TIMEOUTS = (TimeoutError, httpx.TimeoutException)


@dataclass(frozen=True)
class ResponseLimits:
    seconds: float = DEFAULT_RESPONSE_TIMEOUT
    """For the whole response, from sending the request."""
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    """For the body, decompressed."""


def failure(kind: TransportKind, detail: str) -> TransportFailure:
    return TransportFailure(kind, detail[:500])


def out_of_time(seconds: float) -> str:
    """What a response that passed `--response-timeout` is told."""
    return f"the response took more than {seconds:g} s in all"


def read_within(chunks: Iterable[bytes], limits: ResponseLimits, started: float) -> tuple[list[bytes], TransportFailure | None]:
    """Read `chunks` (an HTTP library's body iterator) until the end or a limit: what arrived (all
    of it, or the first KEPT_ON_FAILURE bytes when it failed) and why it failed, if it did."""
    kept: list[bytes] = []
    size = 0
    problem: TransportFailure | None = None
    try:
        for chunk in chunks:
            size += len(chunk)
            kept.append(chunk)
            if size > limits.max_bytes:
                problem = failure("too_large", f"the body passed {limits.max_bytes} bytes (decompressed)")
            elif time.monotonic() - started > limits.seconds:
                problem = failure("timeout", f"{out_of_time(limits.seconds)} ({size} bytes had arrived)")
            if problem is not None:
                break
    except Exception as exc:  # noqa: BLE001 - whatever the HTTP library raises while reading is the target's doing
        problem = classify(exc)
    if problem is None:
        return kept, None
    head = bytearray()
    for chunk in kept:  # not b"".join(kept): that would copy the whole oversized body once more
        head += chunk[:KEPT_ON_FAILURE - len(head)]
        if len(head) >= KEPT_ON_FAILURE:
            break
    return [bytes(head)], problem


def resend(problem: TransportFailure, attempt: int) -> bool:
    """Whether to send a request once more on a new connection: when the connection was lost
    before any response arrived, the first time. A server may close a kept-alive connection as
    the next request goes out on it (uvicorn does after an unhandled error); HTTP clients send
    again on a new one (RFC 9112, 9.3.1; the official SDKs retry connection errors), so the
    request's own answer is what gets judged. A target that loses every connection is still a
    `transport.connection_lost` finding, at the second attempt."""
    return attempt == 1 and problem.kind == "connection_lost"


def too_many_headers(count: int) -> TransportFailure | None:
    if count > MAX_HEADERS:
        return failure("malformed", f"{count} response headers (clients accept at most {MAX_HEADERS})")
    return None


def classify(error: BaseException) -> TransportFailure:
    """What kind of transport failure an HTTP library's exception is (httpx, requests, urllib3 and
    http.client wrap each other's: the whole chain is read)."""
    chain = list(_chain(error))
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain).lower()
    detail = f"{type(error).__name__}: {error}"
    kind: TransportKind
    if any(isinstance(e, _TIMEOUTS) for e in chain) or "timed out" in text:
        kind = "timeout"
    elif any(isinstance(e, http.client.HTTPException) and not isinstance(e, _LOST) for e in chain):
        kind = "malformed"  # a status line that is not HTTP (garbage), a header line too long, too many
    elif any(isinstance(e, _LOST) for e in chain) or any(word in text for word in _LOST_WORDS):
        kind = "connection_lost"
    else:
        kind = "malformed"
    return failure(kind, detail)


def _chain(error: BaseException) -> Iterable[BaseException]:
    """The exception, its causes and the exceptions it carries as arguments or a `reason`."""
    seen: set[int] = set()
    todo = [error]
    while todo and len(seen) < 20:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        related = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        todo.extend(e for e in related if isinstance(e, BaseException))
