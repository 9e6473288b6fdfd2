"""The bounds of `engine._limits` for schemathesis's traffic, which it sends with `requests`.

A requests transport adapter (requests' seam for how bytes are sent and read) reads each
response within the run's limits, and answers a response that failed on the wire with what
arrived and the `TransportFailure`, instead of raising: schemathesis then neither replays the
example (each replay another wait), nor declares the server down, and the `conformance` check
reports the failure on that exchange. Schemathesis's engine makes its sessions in one function,
`make_session`; `bounded_sessions` mounts the adapter on each for as long as a run generates.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPHeaderDict

from conformance._exchange import TransportFailure
from conformance.engine._deadline import Deadline, deadline_pools, response_deadline
from conformance.engine._limits import ResponseLimits, classify, failure, out_of_time, read_within, resend

_FAILURE = "conformance_transport_failure"
"""Where a failed response's TransportFailure is kept: on its request, which schemathesis hands on."""
_RESENT = "conformance_resent"
"""Where what a resent request's first attempt met is kept, the same way."""
_CHUNK = 64 * 1024
TARGET_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError)
"""What the target did (an invalid URL or header is the request's own error, raised as before)."""


class ReadBody(io.BytesIO):
    """A body already read, standing in for urllib3's response: what requests and schemathesis
    read from `response.raw` (`read`, `read1`, `stream`, `headers`, `version`)."""

    def __init__(self, body: bytes, headers: Any = None, version: int = 11) -> None:
        super().__init__(body)
        self.headers = headers if headers is not None else HTTPHeaderDict()
        self.version = version

    def read(self, size: int | None = -1, decode_content: bool = True, **_: Any) -> bytes:
        return super().read(size)

    def read1(self, size: int | None = -1, decode_content: bool = True) -> bytes:
        return super().read1(size)

    def stream(self, amt: int = _CHUNK, decode_content: bool = True) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk

    def release_conn(self) -> None:
        pass


class BoundedAdapter(HTTPAdapter):
    """Reads every response whole within `limits` (whatever `stream` asks); never raises for
    what the target did."""

    def __init__(self, limits: ResponseLimits) -> None:
        self.limits = limits
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        deadline_pools(self.poolmanager)  # the head, too, ends at the response's deadline

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        with response_deadline(self.limits.seconds) as deadline:
            started = time.monotonic()
            for attempt in (1, 2):
                try:
                    response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert,
                                            proxies=proxies)
                    break
                except TARGET_ERRORS as exc:
                    failed = _overtime(deadline) or classify(exc)
                    if not resend(failed, attempt):
                        return _failed(request, failed)
                    setattr(request, _RESENT, failed)
            raw = response.raw
            try:
                # read1: what has arrived, at once (`stream` waits to fill each chunk: a drip never ends).
                arrived = iter(lambda: raw.read1(_CHUNK, decode_content=True), b"")
                chunks, problem = read_within(arrived, self.limits, started)
            finally:
                response.close()
            # The deadline shut the socket: whatever the read made of that, the response ran out of time.
            problem = _overtime(deadline) or problem
        body = b"".join(chunks)
        response.raw = ReadBody(body, raw.headers, raw.version)
        response._content = body
        if problem is not None:
            setattr(request, _FAILURE, problem)
        return response


def _overtime(deadline: Deadline) -> TransportFailure | None:
    if not deadline.expired:
        return None
    return failure("timeout", out_of_time(deadline.seconds))


def _failed(request: requests.PreparedRequest, problem: TransportFailure) -> requests.Response:
    response = requests.Response()
    response.status_code, response.request, response.url, response.reason = 0, request, request.url or "", ""
    response.raw = ReadBody(b"")
    response._content = b""
    setattr(request, _FAILURE, problem)
    return response


def transport_failure(request: Any) -> TransportFailure | None:
    """The failure a BoundedAdapter noted on a request, if its response failed."""
    found = getattr(request, _FAILURE, None)
    return found if isinstance(found, TransportFailure) else None


def resent_after(request: Any) -> TransportFailure | None:
    """What the first attempt met, if a BoundedAdapter sent the request again (Response.resent)."""
    found = getattr(request, _RESENT, None)
    return found if isinstance(found, TransportFailure) else None


def mounted(make_session: Callable[..., requests.Session], limits: ResponseLimits) -> Callable[..., requests.Session]:
    def make_bounded_session(*args: Any, **kwargs: Any) -> requests.Session:
        session = make_session(*args, **kwargs)
        adapter = BoundedAdapter(limits)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    return make_bounded_session


@contextmanager
def bounded_sessions(limits: ResponseLimits) -> Iterator[None]:
    """Every session schemathesis's engine makes reads within `limits` (the module docstring)."""
    from schemathesis.engine import context

    with mock.patch.object(context, "make_session", mounted(context.make_session, limits)):
        yield
