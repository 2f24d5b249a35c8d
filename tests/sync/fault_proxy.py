"""A fault-injecting HTTP/1.1 proxy on loopback: threads and plain sockets, no mocks.

Each request/reply exchange that passes through gets a fault from a schedule:

- ``pass``: forward both ways untouched;
- ``reset``: read the request, then reset the client's connection before forwarding anything;
- ``drop``: forward the request, wait for the server's whole reply (so the server has acted
  and committed), then reset the client's connection without sending a byte of it;
- ``cut``: forward the request, send the client the reply's headers and half its body, reset;
- ``delay``: forward the request, hold the reply for ``delay`` seconds, then send it.

Every fault but ``delay`` kills the connection, so each is a fault of its own connection too.
"""

from __future__ import annotations

import itertools
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

FAULTS = ("pass", "reset", "drop", "cut", "delay")
Schedule = Callable[[int], str]


class _Closed(Exception):
    """The peer closed the connection before a whole message arrived."""


def _reset(sock: socket.socket) -> None:
    """Close with an RST rather than a FIN (SO_LINGER 0), as a dying middlebox would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class _Reader:
    """Read HTTP/1.1 messages off a socket, keeping what arrives early for the next one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    def message(self, *, reply: bool = False) -> tuple[bytes, int, bytes, bool]:
        """Return ``(head, body offset, whole message, connection closes after it)``."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        end = self.buf.index(b"\r\n\r\n") + 4
        head, self.buf = self.buf[:end], self.buf[end:]
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                key, value = line.split(b":", 1)
                headers[key.strip().lower()] = value.strip().lower()
        closes = headers.get(b"connection") == b"close"
        if headers.get(b"transfer-encoding") == b"chunked":
            body = b""
            while True:
                size_line = self._line()
                size = int(size_line.split(b";")[0], 16)
                body += size_line + self._take(size + 2)
                if size == 0:
                    break
        elif b"content-length" in headers:
            body = self._take(int(headers[b"content-length"]))
        elif reply:  # no length: the body runs until the server closes
            try:
                while True:
                    self._fill()
            except _Closed:
                pass
            body, self.buf, closes = self.buf, b"", True
        else:
            body = b""
        return head, len(head), head + body, closes


class FaultProxy:
    """Listen on a loopback port and forward to ``upstream``, faulting exchanges by schedule."""

    def __init__(
        self,
        upstream: tuple[str, int],
        schedule: Schedule | Sequence[str] = (),
        *,
        delay: float = 0.3,
    ) -> None:
        self.upstream = upstream
        self.delay = delay
        self.schedule = schedule
        self.applied: Counter[str] = Counter()
        self._count = itertools.count()
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """Return the proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting connections."""
        self._stopping.set()
        self._listener.close()

    def _fault(self) -> str:
        with self._lock:
            n = next(self._count)
            if callable(self.schedule):
                fault = self.schedule(n)
            else:
                fault = self.schedule[n] if n < len(self.schedule) else "pass"
            self.applied[fault] += 1
        return fault

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            from_client = _Reader(client)
            from_server: _Reader | None = None
            while True:
                _, _, request, _ = from_client.message()
                fault = self._fault()
                if fault == "reset":
                    _reset(client)
                    return
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                    from_server = _Reader(upstream)
                upstream.sendall(request)
                assert from_server is not None
                _, body_at, reply, closes = from_server.message(reply=True)
                if fault == "drop":
                    _reset(client)
                    return
                if fault == "cut":
                    client.sendall(reply[: body_at + (len(reply) - body_at) // 2])
                    _reset(client)
                    return
                if fault == "delay":
                    time.sleep(self.delay)
                client.sendall(reply)
                if closes:
                    client.close()
                    return
        except (_Closed, OSError):
            client.close()
        finally:
            if upstream is not None:
                upstream.close()


def random_faults(share: float, seed: int, faults: Sequence[str] = FAULTS[1:]) -> Schedule:
    """Return a schedule faulting about ``share`` of exchanges, picked by a seeded RNG."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def schedule(_: int) -> str:
        with lock:
            return rng.choice(faults) if rng.random() < share else "pass"

    return schedule
