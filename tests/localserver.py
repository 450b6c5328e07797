"""A misbehaving AWS endpoint on 127.0.0.1 for the fail-fast tests: it refuses, accepts and
never answers, or answers HTTP 500. It only ever binds the loopback address, counts what it
sees, and stops by itself (a bounded accept loop) even if a test forgets to stop it."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

LOOPBACK = "127.0.0.1"
#: The longest a server lives, whatever the test does.
MAX_LIFETIME = 60.0


def refused_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


class LocalServer:
    """``mode`` "silent" accepts and never answers; "error" answers every request with 500 and
    ``body`` (empty: what AWS's front ends send; HTML: what a proxy sends)."""

    def __init__(self, mode: str, body: bytes = b"") -> None:
        assert mode in ("silent", "error")
        self.mode = mode
        self.body = body
        self.connections = 0
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        deadline = time.monotonic() + MAX_LIFETIME
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    conn, _addr = self._sock.accept()
                except TimeoutError:
                    continue
                self.connections += 1
                if self.mode == "silent":
                    self._held.append(conn)  # keep it open, say nothing
                else:
                    self._answer_500(conn)
        finally:
            for conn in self._held:
                conn.close()
            self._sock.close()

    def _answer_500(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
            except OSError:
                return
            self.requests += 1
            conn.sendall(
                b"HTTP/1.1 500 Internal Server Error\r\n"
                + f"Content-Length: {len(self.body)}\r\n".encode()
                + b"Connection: close\r\n\r\n"
                + self.body
            )
