"""A tiny raw websocket client for the tests: exact handshake bytes, frames of our choosing.

Frames are built and parsed with the protocol core (tested on its own), so the tests can check
what the server sends byte for byte, send what a well-behaved library never would, and read
the close frame's code and reason.
"""

from __future__ import annotations

import socket
from typing import Any

from eventlet.httpd.websocket._frames import build_frame
from eventlet.httpd.websocket._protocol import (
    DeflateParams,
    Event,
    WebSocketConnection,
    WebSocketProtocolError,
)
from tests.httpd._live import LiveServer

KEY = "d9MXuOzlVQ0h+qRllvSCIg=="
ACCEPT = "ywSyWXCPNsDxLrQdQrn5RFNRfBU="
MASK = b"\x11\x22\x33\x44"


def upgrade_request(path: str = "/ws", *extra: str, version: str | None = "13") -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: test.example",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Origin: http://test.example",
        f"Sec-WebSocket-Key: {KEY}",
    ]
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """The response head (up to the blank line) and the bytes that followed it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"closed before the end of the head: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


class RawClient:
    """A connected, upgraded client socket with a client-side protocol core for parsing."""

    def __init__(self, sock: socket.socket, head: bytes, rest: bytes, deflate: DeflateParams | None) -> None:
        self.sock = sock
        self.head = head
        self.conn = WebSocketConnection(is_server=False, deflate=deflate, max_message_size=None)
        self.pending: list[Event] = []
        if rest:
            self.pending.extend(self.conn.receive_data(rest))

    @classmethod
    def open(
        cls,
        server: LiveServer,
        request: bytes | None = None,
        deflate: DeflateParams | None = None,
        early: bytes = b"",
    ) -> RawClient:
        sock = server.connect()
        sock.sendall((request or upgrade_request()) + early)
        head, rest = read_head(sock)
        return cls(sock, head, rest, deflate)

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> None:
        self.sock.sendall(build_frame(opcode, payload, fin, rsv1, MASK))

    def send(self, message: str | bytes) -> None:
        self.sock.sendall(self.conn.send(message))

    def event(self) -> Any:
        """The next event from the server (a Message, Ping, Pong or Close); None at EOF."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                return None
            try:
                self.pending.extend(self.conn.receive_data(data))
            except WebSocketProtocolError as exc:  # pragma: no cover - a server bug: show it
                raise AssertionError(f"the server broke the protocol: {exc}") from exc
        return self.pending.pop(0)

    def flush(self) -> None:
        """Send what the client core queued by itself (pong replies, the close reply)."""
        self.sock.sendall(self.conn.data_to_send())

    def message(self) -> Any:
        event = self.event()
        assert event is not None, event
        assert hasattr(event, "data"), event
        return event.data

    def close(self) -> None:
        self.sock.close()
