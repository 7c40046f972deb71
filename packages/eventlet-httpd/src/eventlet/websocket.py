"""Upstream eventlet's ``eventlet.websocket``: ``WebSocketWSGI``, ``RFC6455WebSocket``, ``WebSocket``.

``WebSocketWSGI(handler, max_frame_length=DEFAULT_MAX_FRAME_LENGTH)`` wraps ``handler(ws)`` as
a WSGI application, as upstream's does (python-engineio and Flask-SocketIO subclass it):

* a request without ``Connection: upgrade`` and ``Upgrade: websocket`` gets ``400`` with
  ``Connection: close`` and an empty body; ``Sec-WebSocket-Version`` other than 13 or 8 gets
  ``426`` (``Sec-WebSocket-Version: 8, 13``); a missing key ``400``; an origin refused by
  ``origin_checker(host, origin)`` ``403``;
* the 101 answer is upstream's, byte for byte, with the subprotocol (the first the client
  offers among ``supported_protocols``) and permessage-deflate negotiated as upstream does
  (:mod:`eventlet.httpd.websocket._compat_handshake`);
* the handler gets an :class:`RFC6455WebSocket` (``send``, ``wait`` returning ``None`` once
  closed, ``close``), or a hixie-75/76 :class:`WebSocket` for those old drafts, accepted unless
  ``support_legacy_versions`` is false (it is true for ``WebSocketWSGI(handler)``, false by
  default for :meth:`WebSocketWSGI.configured`, as upstream);
* when the handler returns, a close frame is sent (empty, as upstream's) and, for RFC 6455,
  the peer's close frame awaited briefly before the socket is closed; a handler raising
  ``OSError`` for a peer that went away (``ECONNRESET``, ``EPIPE``, ``ESHUTDOWN``) ends
  quietly, any other exception closes the connection with 1011 and propagates to the server.

Differences from upstream, each protecting the server: ``max_frame_length`` bounds whole
messages (upstream: each frame, so fragments could add up without bound), a hixie message
too; ``origin_checker`` also guards hixie upgrades (upstream skipped it for them); bytes the
client sent right after its head are not lost; errors are logged on ``eventlet.websocket``
rather than written to ``wsgi.errors``.  See ``docs/migrating/from-eventlet.rst``.

:class:`eventlet.httpd.WebSocketWSGI` is this project's own, stricter websocket application
(RFC 6455 only, ``deflate`` settings, ``origin_checker(origin)``).
"""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eventlet.httpd._wsgi import ALREADY_HANDLED, Input
from eventlet.httpd.websocket._compat_handshake import hybi_handshake, upgrade_requested
from eventlet.httpd.websocket._frames import CloseCode
from eventlet.httpd.websocket._handshake import GUID
from eventlet.httpd.websocket._legacy import (
    DEFAULT_MAX_FRAME_LENGTH,
    BadRequest,
    WebSocket,
    legacy_reply,
    legacy_version,
)
from eventlet.httpd.websocket._rfc6455 import (
    ConnectionClosedError,
    FailedConnectionError,
    ProtocolError,
    RFC6455WebSocket,
)

__all__ = [
    "ACCEPTABLE_CLIENT_ERRORS",
    "DEFAULT_MAX_FRAME_LENGTH",
    "PROTOCOL_GUID",
    "BadRequest",
    "CloseCode",
    "ConnectionClosedError",
    "FailedConnectionError",
    "ProtocolError",
    "RFC6455WebSocket",
    "WebSocket",
    "WebSocketWSGI",
]

logger: logging.Logger = logging.getLogger("eventlet.websocket")

ACCEPTABLE_CLIENT_ERRORS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ESHUTDOWN})
"""``OSError`` numbers of a handler that mean "the client went away": not an error."""
PROTOCOL_GUID = GUID.encode("ascii")
"""The key suffix of RFC 6455's ``Sec-WebSocket-Accept``."""
CLOSE_WAIT = 2.0
"""Seconds the wrapper waits for the peer's close frame after the handler returns."""


class WebSocketWSGI:
    """Upstream eventlet's websocket WSGI application around ``handler(ws)`` (module docstring).

    Attributes: ``handler``, ``max_frame_length``, ``supported_protocols`` (a list),
    ``origin_checker`` (``None`` or ``f(host, origin) -> bool``), ``support_legacy_versions``,
    ``protocol_version`` (that of the last upgrade).
    """

    def __init__(
        self, handler: Callable[[Any], Any], max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH
    ) -> None:
        self.handler = handler
        self.protocol_version: int | None = None
        self.support_legacy_versions = True
        self.supported_protocols: Sequence[str] = []
        self.origin_checker: Callable[[Any, Any], Any] | None = None
        self.max_frame_length = max_frame_length

    @classmethod
    def configured(
        cls,
        handler: Callable[[Any], Any] | None = None,
        supported_protocols: Sequence[str] | None = None,
        origin_checker: Callable[[Any, Any], Any] | None = None,
        support_legacy_versions: bool = False,
    ) -> Any:
        """A configured instance around ``handler``, or a decorator making one if it is None."""

        def decorator(handler: Callable[[Any], Any]) -> WebSocketWSGI:
            inst = cls(handler)
            inst.support_legacy_versions = support_legacy_versions
            inst.origin_checker = origin_checker
            if supported_protocols:
                inst.supported_protocols = supported_protocols
            return inst

        if handler is None:
            return decorator
        return decorator(handler)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Answer the upgrade, run the handler, return ``ALREADY_HANDLED``."""
        if not upgrade_requested(environ):
            start_response("400 Bad Request", [("Connection", "close")])
            return []
        hybi = None
        try:
            if "HTTP_SEC_WEBSOCKET_VERSION" in environ:
                hybi = hybi_handshake(environ, self.supported_protocols, self.origin_checker)
                version = hybi.version
            elif self.support_legacy_versions:
                version = legacy_version(environ)
                checker = self.origin_checker
                if checker is not None and not checker(environ.get("HTTP_HOST"), environ["HTTP_ORIGIN"]):
                    raise BadRequest(status="403 Forbidden")
            else:
                raise BadRequest()
            sock, buffered = _take_socket(environ)
        except BadRequest as exc:
            return _refuse(environ, start_response, exc)
        self.protocol_version = version
        try:
            if hybi is not None:
                sock.sendall(hybi.reply)
                ws: WebSocket = RFC6455WebSocket(
                    sock,
                    environ,
                    version,
                    protocol=hybi.protocol,
                    extensions=hybi.extensions,
                    max_frame_length=self.max_frame_length,
                )
            else:
                key3 = b""
                if version == 76:
                    key3, buffered = _read_exactly(sock, buffered, 8)
                sock.sendall(legacy_reply(environ, version, key3))
                ws = WebSocket(sock, environ, version, max_frame_length=self.max_frame_length)
        except OSError as exc:
            logger.debug("websocket client went away during the handshake: %s", exc)
            sock.close()
            return ALREADY_HANDLED
        ws._buf = buffered if hybi is not None else bytearray(buffered)
        set_idle = environ.get("eventlet.set_idle")
        if set_idle is not None:
            set_idle()  # a graceful stop may close this connection while it waits
        self._run(ws)
        wsgi = sys.modules.get("eventlet.wsgi")
        local = getattr(wsgi, "WSGI_LOCAL", None)
        if local is not None:  # upstream's other way of saying it (read by servers built on it)
            local.already_handled = True
        return ALREADY_HANDLED

    def _run(self, ws: WebSocket) -> None:
        try:
            self.handler(ws)
        except OSError as exc:
            if exc.errno not in ACCEPTABLE_CLIENT_ERRORS:
                _abort(ws)
                raise
            logger.debug("%s: the client went away: %s", ws.log_context, exc)
        except Exception:
            _abort(ws)
            raise
        ws._send_closing_frame(True)
        if isinstance(ws, RFC6455WebSocket):
            ws._linger(CLOSE_WAIT)
        else:
            ws.socket.close()


def _abort(ws: WebSocket) -> None:
    """The handler failed: close with 1011 (RFC 6455) before the server reports the error."""
    if isinstance(ws, RFC6455WebSocket):
        ws.close((CloseCode.INTERNAL_ERROR, "Internal Server Error"))
    else:
        ws.close()


def _take_socket(environ: dict[str, Any]) -> tuple[Any, bytes]:
    """The connection's socket and the bytes the client sent after its request head."""
    inp = environ.get("eventlet.input")
    if isinstance(inp, Input):
        conn = inp._conn
        if not conn.parser.drain_body():
            raise BadRequest()  # an upgrade whose body has not arrived: its bytes are no frames
        sock = inp.get_socket()
        conn.status = "101 Switching Protocols"
        return sock, conn.parser.take_buffer()
    if inp is not None:  # eventlet.wsgi's gives what its rfile read past the request head
        take = getattr(inp, "take_buffer", None)
        return inp.get_socket(), (take() if take is not None else b"")
    if "gunicorn.socket" in environ:
        return environ["gunicorn.socket"], b""
    raise RuntimeError("No eventlet.input or gunicorn.socket present in environ.")


def _read_exactly(sock: Any, buffered: bytes, size: int) -> tuple[bytes, bytes]:
    """``size`` bytes from ``buffered`` then ``sock``; and what is left of ``buffered``."""
    data = buffered[:size]
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise ConnectionResetError(errno.ECONNRESET, "closed before the hixie-76 challenge")
        data += more
    return data, buffered[size:]


def _refuse(environ: dict[str, Any], start_response: Callable[..., Any], exc: BadRequest) -> Iterable[bytes]:
    headers = [("Connection", "close"), *(exc.headers or ())]
    body = exc.body or b""
    inp = environ.get("eventlet.input")
    if isinstance(inp, Input) and inp._conn.hijacked:
        # The application took the socket before calling us (python-engineio does): the
        # server will not answer on it any more, so the refusal is written here.
        lines = [f"HTTP/1.1 {exc.status}", *(f"{k}: {v}" for k, v in headers)]
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            inp._conn.sock.sendall(head + body)
        except OSError as error:
            logger.debug("could not refuse the websocket upgrade: %s", error)
        return ALREADY_HANDLED
    start_response(exc.status, headers)
    return [body]
