"""Small hostile HTTP servers on 127.0.0.1 (raw sockets, one thread per connection): each answers
`GET /v1/models` like the API (so a run's preflight passes and the model is discovered), and every
other request in its own hostile way. Each stops by itself: its threads are daemons, every wait is
bounded by LIFETIME, and leaving the context closes the listening socket."""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

LIFETIME = 30.0
"""Seconds a connection may live at most: no hostile server outlives a test by much."""
MODELS = json.dumps({"data": [{"type": "model", "id": "hostile-1", "display_name": "Hostile",
                               "created_at": "2025-01-01T00:00:00Z"}],
                     "has_more": False, "first_id": "hostile-1", "last_id": "hostile-1"}).encode()
_BOMB: list[bytes] = []


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_request(conn: socket.socket) -> str | None:
    """The request line of the next request (its body read and dropped), or None at the end."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > 1_000_000:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head.split(b"\r\n")[0].decode("latin-1")


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset (RST), not a clean FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _trickle(conn: socket.socket, pieces: Iterator[bytes], pause: float) -> None:
    deadline = time.monotonic() + LIFETIME
    for piece in pieces:
        if time.monotonic() > deadline:
            return
        conn.sendall(piece)
        time.sleep(pause)


def _json(status: str, body: bytes, extra: Sequence[tuple[str, str]] = ()) -> bytes:
    return _head(status, [("content-type", "application/json"), ("content-length", str(len(body))), *extra]) + body


def _bomb() -> bytes:
    """100 MB of zeros (past the run's default 64 MiB) in about 100 kB; made once per process."""
    if not _BOMB:
        _BOMB.append(gzip.compress(bytes(100_000_000), 6))
    return _BOMB[0]


def _forever(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


ERROR = json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}).encode()

# What each kind does with a request other than GET /v1/models: (connection, request count on it).
Behaviour = Callable[[socket.socket, int], bool]
"""Returns True to keep the connection for another request."""


def _reset_kind(conn: socket.socket, seen: int) -> bool:
    _reset(conn)
    return False


def _keepalive_reset(conn: socket.socket, seen: int) -> bool:
    # A 500 as text/plain on a kept-alive connection, then a reset for the next request on it.
    if seen == 1:
        conn.sendall(_head("500 Internal Server Error", [("content-type", "text/plain"), ("content-length", "4")]) + b"oops")
        return True
    _reset(conn)
    return False


def _silent(conn: socket.socket, seen: int) -> bool:
    time.sleep(LIFETIME)
    return False


def _drip(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_head("200 OK", [("content-type", "application/json"), ("content-length", "100000")]))
    _trickle(conn, _forever(b" "), 0.2)
    return False


def _drip_head(conn: socket.socket, seen: int) -> bool:
    # The status line and headers a byte at a time, each byte well within any read timeout.
    head = _head("200 OK", [("content-type", "application/json"), *((f"x-slow-{n}", "x" * 40) for n in range(200))])
    _trickle(conn, (head[i:i + 1] for i in range(len(head))), 0.1)
    return False


def _endless(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_head("200 OK", [("content-type", "text/event-stream")]))
    _trickle(conn, _forever(b'event: ping\ndata: {"type": "ping"}\n\n'), 0.02)
    return False


def _gzip_bomb(conn: socket.socket, seen: int) -> bool:
    body = _bomb()
    conn.sendall(_json("200 OK", body, [("content-encoding", "gzip")]))
    return True


def _oversized(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_head("200 OK", [("content-type", "application/json"), ("content-length", str(200_000_000))]))
    _trickle(conn, _forever(b" " * 65536), 0)
    return False


def _many_headers(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_json("400 Bad Request", ERROR, [(f"x-filler-{n}", "x") for n in range(150)]))
    return True


def _huge_header(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_json("400 Bad Request", ERROR, [("x-filler", "x" * 200_000)]))
    return True


def _truncated(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_head("200 OK", [("content-type", "application/json"), ("content-length", "5000")]) + b'{"id": ')
    conn.close()
    return False


def _truncated_chunked(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_head("200 OK", [("content-type", "application/json"), ("transfer-encoding", "chunked")])
                 + b'7\r\n{"id": \r\n')
    conn.close()
    return False


def _wrong_length(conn: socket.socket, seen: int) -> bool:
    # Content-Length announces more than the body the server sends before closing.
    conn.sendall(_json("400 Bad Request", ERROR).replace(b"content-length: ", b"content-length: 9"))
    conn.close()
    return False


def _garbage(conn: socket.socket, seen: int) -> bool:
    conn.sendall(b"\x16\x03\x01\x02\x00garbage, not HTTP at all\r\n\r\n" * 20)
    conn.close()
    return False


def _redirect_loop(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_head("307 Temporary Redirect", [("location", "/v1/messages"), ("content-length", "0")]))
    return True


def _deep_json(conn: socket.socket, seen: int) -> bool:
    conn.sendall(_json("200 OK", b"[" * 100_000 + b"]" * 100_000))
    return True


KINDS: dict[str, Behaviour] = {
    "reset": _reset_kind, "keepalive_reset": _keepalive_reset, "silent": _silent, "drip": _drip, "drip_head": _drip_head,
    "endless_stream": _endless, "gzip_bomb": _gzip_bomb, "oversized_body": _oversized,
    "many_headers": _many_headers, "huge_header": _huge_header, "truncated_body": _truncated,
    "truncated_chunked": _truncated_chunked, "wrong_content_length": _wrong_length, "garbage": _garbage,
    "redirect_loop": _redirect_loop, "deep_json": _deep_json,
}


class _Share:
    """Which requests meet the hostile behaviour: one in `every` (the rest get a plain 400 in the
    API's envelope), so that a run over slow kinds stays short."""

    def __init__(self, every: int) -> None:
        self.every, self.count, self.lock = every, 0, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.count += 1
            return self.count % self.every == 0


def _serve(conn: socket.socket, behaviour: Behaviour, share: _Share, arrived: threading.Event) -> None:
    conn.settimeout(LIFETIME)
    seen = 0
    try:
        while (line := _read_request(conn)) is not None:
            if line.startswith("GET /v1/models"):
                conn.sendall(_json("200 OK", MODELS))
                continue
            if not share.take():
                conn.sendall(_json("400 Bad Request", ERROR))
                continue
            seen += 1
            arrived.set()
            if not behaviour(conn, seen):
                break
    except OSError:
        pass  # the client gave up: that is the point
    finally:
        conn.close()


@contextmanager
def hostile_server(kind: str, *, every: int = 1, arrived: threading.Event | None = None) -> Iterator[str]:
    """Serve `kind` (one of KINDS) on an ephemeral loopback port to one in `every` requests other
    than GET /v1/models (`arrived` is set when the first one comes); yields its base URL."""
    behaviour, share, arrived = KINDS[kind], _Share(every), arrived or threading.Event()
    if kind == "gzip_bomb":
        _bomb()  # before the first request: its making is no wait the client should see
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        deadline = time.monotonic() + LIFETIME * 4
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=_serve, args=(conn, behaviour, share, arrived), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True, name=f"hostile-{kind}")
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(1)
        listener.close()
