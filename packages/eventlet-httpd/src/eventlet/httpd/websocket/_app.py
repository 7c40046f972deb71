"""Websockets on the server: the WSGI wrapper and the green ``WebSocket`` object.

:class:`WebSocketWSGI` is a WSGI application that performs the RFC 6455 opening handshake
(through the sans-IO :func:`server_handshake`), takes the connection's socket over and calls
the handler with a :class:`WebSocket`.  Its signature and the ``WebSocket`` methods
(``send``, ``wait``, ``close``) are upstream eventlet's, which python-engineio and
Flask-SocketIO build on; ``environ["eventlet.input"].get_socket()`` works as they expect.

Concurrency.  Any number of green threads may ``send`` while one ``wait``s.  Frames are
produced and written under one lock, so they reach the socket in the order they were made
(permessage-deflate with context takeover needs that); the frames the protocol core makes by
itself (pong replies, the close reply) are flushed under the same lock.

Closing.  ``wait`` returns ``None`` once the connection is closed (close frame, protocol
error, or the peer vanished).  When the handler returns, the wrapper finishes the closing
handshake (sending ``1000`` if nobody closed yet, waiting briefly for the peer's close frame)
and closes the socket; the server then forgets the connection.
"""

from __future__ import annotations

import collections
import logging
import socket as _stdsocket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from eventlet.httpd._wsgi import ALREADY_HANDLED, Input
from eventlet.semaphore import Semaphore

from ._protocol import (
    DEFAULT_MAX_FRAGMENTS,
    Close,
    CloseCode,
    DeflateConfig,
    HandshakeError,
    Message,
    WebSocketClosedError,
    WebSocketConnection,
    WebSocketProtocolError,
    server_handshake,
)

__all__ = ["DEFAULT_MAX_FRAME_LENGTH", "WebSocket", "WebSocketWSGI"]

logger = logging.getLogger("eventlet.websocket")

DEFAULT_MAX_FRAME_LENGTH = 8 << 20
"""Default limit of one message, in bytes (upstream eventlet's name: ``max_frame_length``)."""
CLOSE_WAIT = 2.0
"""Seconds the wrapper waits for the peer's close frame after the handler returns."""
_RECV_SIZE = 65536


class WebSocket:
    """One server-side websocket connection, used by a handler (see the module docstring).

    Attributes: ``environ`` (the upgrade request's), ``path``, ``origin``, ``protocol`` (the
    chosen subprotocol or None), ``version`` (13), ``socket``.
    """

    def __init__(
        self,
        sock: Any,
        environ: dict[str, Any],
        connection: WebSocketConnection,
        protocol: str | None = None,
        buffered: bytes = b"",
    ) -> None:
        self.socket = sock
        self.environ = environ
        self.path: Any = environ.get("PATH_INFO", "")
        self.origin: Any | None = environ.get("HTTP_ORIGIN")
        self.protocol = protocol
        self.version = 13
        self._ws = connection
        self._lock = Semaphore(1)
        self._events: collections.deque[Any] = collections.deque()
        self._buffered = buffered
        self._readers = 0
        self._gone = False

    def __repr__(self) -> str:
        return f"<WebSocket {self.path!r} closed={self.closed}>"

    @property
    def closed(self) -> bool:
        """Whether the connection is finished (closed, failed or lost)."""
        return self._gone or self._ws.closed or self._ws.close_received

    @property
    def close_code(self) -> int | None:
        """The code of the peer's close frame, once received."""
        return self._ws.close_code

    @property
    def close_reason(self) -> str | None:
        """The reason of the peer's close frame, once received."""
        return self._ws.close_reason

    # -- sending -------------------------------------------------------------------------

    def _write(self, produce: Callable[[], bytes]) -> None:
        with self._lock:
            data = produce()
            pending = self._ws.data_to_send()
            if pending:
                data = pending + data
            if data:
                self.socket.sendall(data)

    def send(self, message: str | bytes | bytearray | memoryview) -> None:
        """Send a text message (``str``) or a binary one (bytes-like).

        Raises ``WebSocketClosedError`` after the closing handshake started, ``OSError``
        if the connection is lost.
        """
        self._write(lambda: self._ws.send(message))

    def ping(self, payload: bytes = b"") -> None:
        """Send a ping (the peer's pong is consumed by :meth:`wait`)."""
        self._write(lambda: self._ws.send_ping(payload))

    def _flush(self) -> None:
        try:
            self._write(lambda: b"")
        except OSError:  # pragma: no cover - the peer reset between its close frame and our reply
            self._gone = True

    # -- receiving -----------------------------------------------------------------------

    def wait(self) -> str | bytes | None:
        """The next message (``str`` or ``bytes``); ``None`` once the connection is closed."""
        events = self._events
        while True:
            while events:
                event = events.popleft()
                if type(event) is Message:
                    return event.data
                if type(event) is Close:
                    self._flush()  # the close reply, queued by the protocol core
                    return None
            if self.closed:
                return None
            data = self._buffered
            self._buffered = b""
            if not data:
                data = self._recv()
                if not data:
                    self._gone = True
                    return None
            try:
                events.extend(self._ws.receive_data(data))
            except WebSocketProtocolError as exc:
                logger.info("websocket %s failed: %s", self.path, exc)
                events.extend(exc.events)
                self._flush()
                self._gone = True
                continue
            self._flush()

    def _recv(self) -> bytes:
        self._readers += 1
        try:
            return bytes(self.socket.recv(_RECV_SIZE))
        except OSError:
            return b""
        finally:
            self._readers -= 1

    def __iter__(self) -> Iterator[str | bytes]:
        while True:
            message = self.wait()
            if message is None:
                return
            yield message

    # -- closing -------------------------------------------------------------------------

    def close(self, close_data: tuple[int, str] | None = None) -> None:
        """Start the closing handshake with ``close_data`` = ``(code, reason)`` (1000)."""
        code, reason = close_data if close_data is not None else (CloseCode.NORMAL_CLOSURE, "")
        if self._gone or self._ws.close_sent:
            return
        try:
            self._write(lambda: self._ws.send_close(code, reason))
        except OSError:  # pragma: no cover - the peer reset while we were closing (a race)
            self._gone = True

    def _finish(self, wait_seconds: float) -> None:
        """After the handler: complete the closing handshake, then close the socket."""
        from eventlet.timeout import Timeout

        try:
            if not self._gone and not self._ws.failed:
                self.close()
                if not self._ws.close_received and not self._gone and not self._readers:
                    with Timeout(wait_seconds, False):
                        self.wait()  # after our close frame only the peer's close is reported
        finally:
            try:
                self.socket.shutdown(_stdsocket.SHUT_RDWR)
            except OSError:
                pass
            self.socket.close()


class WebSocketWSGI:
    """A WSGI application serving websockets with ``handler(ws)``.

    ``supported_protocols``: subprotocols the server accepts (the first the client offers
    wins); ``origin_checker(origin) -> bool`` rejects cross-origin upgrades with 403;
    ``max_frame_length``: the largest message accepted (1009 beyond); ``max_fragments``: the
    most frames one message may come in (1008 beyond; None: no limit); ``deflate``: negotiate
    permessage-deflate (True, False or a ``DeflateConfig``).  Requests that are not websocket
    upgrades get ``400`` (``426`` for an unsupported version).
    """

    def __init__(
        self,
        handler: Callable[[WebSocket], Any],
        supported_protocols: Sequence[str] | None = None,
        origin_checker: Callable[[str | None], bool] | None = None,
        max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
        max_fragments: int | None = DEFAULT_MAX_FRAGMENTS,
        deflate: bool | DeflateConfig = True,
    ) -> None:
        self.handler = handler
        self.protocols: list[str] = list(supported_protocols or ())
        self.origin_checker = origin_checker
        self.max_length = max_frame_length
        self.max_fragments = max_fragments
        if deflate is True:
            deflate = DeflateConfig()
        self.deflate: DeflateConfig | None = deflate or None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Perform the handshake, run the handler, return ``ALREADY_HANDLED``."""
        if self.origin_checker is not None and not self.origin_checker(environ.get("HTTP_ORIGIN")):
            return _refuse(start_response, 403, "origin not allowed", [])
        try:
            shake = server_handshake(environ, self.protocols, self.deflate)
        except HandshakeError as exc:
            return _refuse(start_response, exc.status, exc.message, exc.headers)
        inp = environ.get("eventlet.input")
        buffered = b""
        if isinstance(inp, Input):
            conn = inp._conn
            if not conn.parser.drain_body():
                return _refuse(start_response, 400, "websocket upgrade with a request body", [])
            sock = conn.hijack()
            conn.status = "101 Switching Protocols"
            buffered = conn.parser.take_buffer()
        elif inp is not None and hasattr(inp, "get_socket"):
            sock = inp.get_socket()
        else:
            return _refuse(start_response, 500, "websockets need eventlet.httpd", [])
        head = "HTTP/1.1 101 Switching Protocols\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in shake.headers
        )
        try:
            sock.sendall(head.encode("latin-1") + b"\r\n")
        except OSError as exc:
            logger.debug("websocket client went away during the handshake: %s", exc)
            return ALREADY_HANDLED
        connection = WebSocketConnection(
            is_server=True,
            deflate=shake.deflate,
            max_message_size=self.max_length,
            max_fragments=self.max_fragments,
        )
        ws = WebSocket(sock, environ, connection, shake.subprotocol, buffered)
        try:
            self.handler(ws)
        except (WebSocketClosedError, OSError) as exc:
            logger.debug("websocket %s ended: %s", ws.path, exc)
        except Exception:
            logger.exception("websocket handler %r failed", self.handler)
            if not ws._gone:
                ws.close((CloseCode.INTERNAL_ERROR, "internal error"))
        finally:
            ws._finish(CLOSE_WAIT)
        return ALREADY_HANDLED


def _refuse(
    start_response: Callable[..., Any], status: int, message: str, headers: Sequence[tuple[str, str]]
) -> list[bytes]:
    from http import HTTPStatus

    body = (message + "\n").encode("utf-8")
    phrase = HTTPStatus(status).phrase
    start_response(
        f"{status} {phrase}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *headers],
    )
    return [body]
