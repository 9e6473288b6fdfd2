"""The whole-response deadline below the HTTP libraries: what bounds a target that drips its
status line and headers (each byte within `--timeout`, so no single wait ever runs out).

`engine._limits.read_within` bounds a body as it arrives; the head arrives inside the library,
before any body iterator exists. So each way a run sends sets a deadline for the response
(`response_deadline`, the run's `--response-timeout` from sending the request) and the library
meets it where it waits:

- httpx (`Target.send`): its connections read through httpcore's network backend, the seam httpcore
  offers for this; `deadline_transport` wraps it so that each read waits at most until the
  deadline, then raises httpcore's `ReadTimeout`.
- requests (schemathesis's traffic, `engine._adapter`): urllib3 reads the head with http.client,
  one socket timeout per read. The adapter's pools make `DeadlineHTTPConnection`s, which hand
  their socket to the request's deadline; at the deadline one watchdog thread (per process)
  shuts the socket down, which ends the blocked read.
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

from conformance.engine._limits import out_of_time


class Deadline:
    """One response's deadline, and the sockets that must not outlive it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.closed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._watched = False

    def left(self) -> float:
        return self.at - time.monotonic()

    def watch(self, sock: socket.socket | None) -> None:
        """Shut `sock` down at the deadline."""
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shut(sock)
                return
            self._sockets.append(sock)
            if not self._watched:
                self._watched = True
                _WATCHDOG.add(self)

    def expire(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._sockets.clear()


class _Watchdog:
    """One daemon thread per process that expires deadlines as they pass (a timer thread per
    request would cost about half a millisecond each)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Deadline]] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._changed:
            heapq.heappush(self._due, (deadline.at, id(deadline), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="conformance-deadlines", daemon=True)
                self._thread.start()
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, deadline = heapq.heappop(self._due)
            deadline.expire()  # a no-op once its response is done


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked on it (close() would not)
    except OSError:
        pass  # already closed, or never connected


_current: ContextVar[Deadline | None] = ContextVar("conformance_response_deadline", default=None)


@contextmanager
def response_deadline(seconds: float) -> Iterator[Deadline]:
    """A deadline for the response of the request sent in this block (on this thread)."""
    deadline = Deadline(seconds)
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
        deadline.close()


# -- httpx: a network backend whose reads end at the deadline -------------------------------------

class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamped(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamped(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _clamped(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _clamped(timeout: float | None) -> float | None:
    deadline = _current.get()
    if deadline is None:
        return timeout
    left = deadline.left()
    if left <= 0:
        raise httpcore.ReadTimeout(out_of_time(deadline.seconds))
    return left if timeout is None else min(timeout, left)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(host, port, _clamped(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(path, _clamped(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def deadline_transport(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """`transport`, its reads bounded by the current `response_deadline`. httpx builds its httpcore
    pool itself, without a way to name the network backend: the pool's backend is wrapped in
    place, and left as it is if a release moves it (the body stays bounded by read_within)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return transport


# -- requests / urllib3: connections that hand their socket to the deadline -----------------------

class _WatchedHead:
    """Mixed into urllib3's connections: the socket goes to the current deadline before the head
    is read."""

    sock: socket.socket | None

    def getresponse(self) -> Any:
        deadline = _current.get()
        if deadline is not None:
            deadline.watch(self.sock)
        return super().getresponse()  # type: ignore[misc]


class DeadlineHTTPConnection(_WatchedHead, HTTPConnection):
    pass


class DeadlineHTTPSConnection(_WatchedHead, HTTPSConnection):
    pass


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


def deadline_pools(manager: PoolManager) -> PoolManager:
    """`manager`, making connections that the current `response_deadline` can cut."""
    manager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}
    return manager
