"""The pre-standard websocket drafts (hixie-75 and hixie-76), as upstream eventlet speaks them.

Before RFC 6455 (2011) browsers spoke drafts in which a text message travels as ``0x00``, its
UTF-8 bytes, ``0xFF``, and hixie-76 closes with ``0xFF 0x00``.  There is no masking, no length
prefix, no binary message and no close code.  Upstream eventlet's ``WebSocketWSGI`` still
accepts these drafts by default, so :mod:`eventlet.websocket` does too: :class:`WebSocket` is
upstream's object for them (and the base class of ``RFC6455WebSocket``), and
:func:`legacy_reply` builds the handshake answer.

One deliberate difference: a message is bounded by ``max_frame_length`` (upstream buffered an
unterminated message without limit).  The peer that exceeds it gets the connection closed and
:meth:`WebSocket.wait` returns ``None``.  Messages are found with one scan of the new bytes
only, so a long message arriving in small pieces costs linear time.
"""

from __future__ import annotations

import collections
import errno
import hashlib
import logging
import socket as _stdsocket
import struct
import sys
from typing import Any

from eventlet.semaphore import Semaphore

__all__ = ["DEFAULT_MAX_FRAME_LENGTH", "BadRequest", "WebSocket", "legacy_reply", "legacy_version"]

logger = logging.getLogger("eventlet.websocket")

DEFAULT_MAX_FRAME_LENGTH = 8 << 20
"""Largest message accepted, in bytes (upstream eventlet's default ``max_frame_length``)."""
_RECV_SIZE = 8096


class BadRequest(Exception):
    """A refused upgrade: ``status``, extra ``headers`` and ``body`` make the HTTP answer."""

    def __init__(
        self,
        status: str = "400 Bad Request",
        body: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers


class _MessageTooBig(Exception):
    """A hixie message grew past ``max_frame_length``."""


class WebSocket:
    """A hixie-75/76 websocket on ``sock`` (upstream eventlet's ``WebSocket``).

    ``send(message)`` frames ``message`` (anything, as text); ``wait()`` returns the next text
    message, or ``None`` once the peer closed; ``close()`` sends the hixie-76 closing frame and
    closes the socket.  Attributes: ``socket``, ``environ``, ``path``, ``origin``, ``protocol``
    (the ``WebSocket-Protocol`` request header), ``version`` (75 or 76), ``websocket_closed``,
    ``max_frame_length``.
    """

    def __init__(
        self,
        sock: Any,
        environ: dict[str, Any],
        version: int = 76,
        *,
        max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
    ) -> None:
        self.log: Any | None = environ.get("wsgi.errors", sys.stderr)
        """The WSGI error stream (upstream wrote shutdown errors there; here they are logged)."""
        self.log_context: str = "server={}/{} client={}:{}".format(
            environ.get("HTTP_HOST"),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("REMOTE_ADDR"),
            environ.get("REMOTE_PORT"),
        )
        self.socket = sock
        self.origin: Any | None = environ.get("HTTP_ORIGIN")
        self.protocol: str | None = environ.get("HTTP_WEBSOCKET_PROTOCOL")
        self.path: Any | None = environ.get("PATH_INFO")
        self.environ = environ
        self.version = version
        self.websocket_closed: bool = False
        self.max_frame_length = max_frame_length
        self._buf: Any = bytearray()
        self._scanned = 0  # bytes of an unfinished message already known to hold no 0xFF
        self._msgs: collections.deque[str | bytes] = collections.deque()
        self._sendlock = Semaphore()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.log_context} version={self.version}>"

    def _pack_message(self, message: Any) -> bytes:
        """Frame ``message`` (``str`` as UTF-8, bytes as they are, anything else as ``str()``)."""
        if isinstance(message, str):
            message = message.encode("utf-8")
        elif not isinstance(message, bytes):
            message = str(message).encode()
        framed: bytes = b"\x00" + message + b"\xff"
        return framed

    def _parse_messages(self) -> list[str]:
        """Take the complete messages out of the receive buffer (see the module docstring)."""
        buf = self._buf
        if type(buf) is not bytearray:
            buf = self._buf = bytearray(buf)
        limit = self.max_frame_length
        msgs: list[str] = []
        pos, end = 0, len(buf)
        while pos < end:
            frame_type = buf[pos]
            if frame_type == 0:
                stop = buf.find(b"\xff", max(pos + 1, self._scanned))
                if stop < 0:
                    self._scanned = end
                    if end - pos - 1 > limit:
                        raise _MessageTooBig(end - pos - 1)
                    break
                if stop - pos - 1 > limit:
                    raise _MessageTooBig(stop - pos - 1)
                msgs.append(buf[pos + 1 : stop].decode("utf-8", "replace"))
                pos = stop + 1
                self._scanned = 0
            elif frame_type == 0xFF:
                if end - pos < 2:
                    break
                if buf[pos + 1]:
                    raise ValueError(f"Unexpected closing handshake: {bytes(buf[pos : pos + 2])!r}")
                self.websocket_closed = True
                break
            else:
                raise ValueError(
                    f"Don't understand how to parse this type of message: {bytes(buf[pos : pos + 16])!r}"
                )
        if pos:
            del buf[:pos]
            self._scanned = max(self._scanned - pos, 0)
        return msgs

    def send(self, message: Any) -> None:
        """Send ``message`` as one text message (``OSError`` if the peer is gone)."""
        packed = self._pack_message(message)
        with self._sendlock:  # several green threads may send: frames must not interleave
            self.socket.sendall(packed)

    def wait(self) -> str | bytes | None:
        """The oldest message not yet returned; ``None`` once the peer closed.

        Raises ``ValueError`` for bytes that are no hixie frame.
        """
        msgs = self._msgs
        fresh = bool(self._buf)  # bytes that came with the handshake are parsed first
        while not msgs:
            if self.websocket_closed:
                return None
            if not fresh:
                delta = self.socket.recv(_RECV_SIZE)
                if not delta:
                    return None
                self._buf += delta
            fresh = False
            try:
                msgs.extend(self._parse_messages())
            except _MessageTooBig as exc:
                logger.info(
                    "%s: message of %s bytes or more is above the limit of %s bytes",
                    self.log_context,
                    exc.args[0],
                    self.max_frame_length,
                )
                self.close()
                return None
        return msgs.popleft()

    def _send_closing_frame(self, ignore_send_errors: bool = False) -> None:
        """Send hixie-76's closing frame once (hixie-75 has none)."""
        if self.version == 76 and not self.websocket_closed:
            try:
                self.socket.sendall(b"\xff\x00")
            except OSError:
                if not ignore_send_errors:
                    raise
            self.websocket_closed = True

    def close(self) -> None:
        """Send the closing frame (hixie-76), then shut the socket down and close it."""
        try:
            self._send_closing_frame(True)
            self.socket.shutdown(_stdsocket.SHUT_WR)
        except OSError as exc:
            _shutdown_failed(self.log_context, exc)
        finally:
            self.socket.close()


def _shutdown_failed(context: str, exc: OSError) -> None:
    if exc.errno == errno.ENOTCONN:
        return
    logger.debug("%s socket shutdown error: %s", context, exc)


# -- the handshake ---------------------------------------------------------------------------


def legacy_version(environ: dict[str, Any]) -> int:
    """75 or 76, from the request's headers; BadRequest for a request that cannot be answered.

    Checks everything :func:`legacy_reply` needs except the hixie-76 challenge bytes, so a
    server can refuse before it takes the socket over.
    """
    if environ.get("HTTP_ORIGIN") is None:
        raise BadRequest()
    if "HTTP_SEC_WEBSOCKET_KEY1" not in environ:
        return 75
    if "HTTP_SEC_WEBSOCKET_KEY2" not in environ:
        raise BadRequest()
    _key_number(environ["HTTP_SEC_WEBSOCKET_KEY1"])
    _key_number(environ["HTTP_SEC_WEBSOCKET_KEY2"])
    return 76


def _key_number(value: str) -> int:
    """A hixie-76 key's number: its digits, divided by its count of spaces."""
    digits = "".join(c for c in value if c in "0123456789")
    spaces = value.count(" ")
    if not digits or not spaces:
        raise BadRequest()
    number = int(digits) // spaces
    if number >> 32:
        raise BadRequest()
    return number


def _location(environ: dict[str, Any]) -> str:
    scheme = "wss" if environ.get("wsgi.url_scheme") == "https" else "ws"
    location = "{}://{}{}{}".format(
        scheme, environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME"), environ.get("PATH_INFO")
    )
    query = environ.get("QUERY_STRING")
    if query is not None:
        # Upstream's server leaves QUERY_STRING out when the target has no '?': tell
        # "/path" from "/path?" by the raw target where the server gives it.
        target = environ.get("REQUEST_URI", environ.get("RAW_URI"))
        if query or target is None or "?" in target:
            location += "?" + query
    return location


def legacy_reply(environ: dict[str, Any], version: int, key3: bytes = b"") -> bytes:
    """The 101 answer to a hixie-75/76 upgrade, byte for byte as upstream sends it.

    ``key3``: for hixie-76, the 8 challenge bytes the client sent after its head; the answer
    ends with the digest of the keys.  The request must have passed :func:`legacy_version`.
    """
    origin: bytes = environ["HTTP_ORIGIN"].encode("latin-1")
    location: bytes = _location(environ).encode("latin-1")
    if version == 75:
        return (
            b"HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
            b"Upgrade: WebSocket\r\n"
            b"Connection: Upgrade\r\n"
            b"WebSocket-Origin: " + origin + b"\r\n"
            b"WebSocket-Location: " + location + b"\r\n\r\n"
        )
    key1 = _key_number(environ["HTTP_SEC_WEBSOCKET_KEY1"])
    key2 = _key_number(environ["HTTP_SEC_WEBSOCKET_KEY2"])
    challenge = struct.pack(">II", key1, key2) + key3
    digest = hashlib.md5(challenge, usedforsecurity=False).digest()
    protocol: bytes = environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "default").encode("latin-1")
    return (
        b"HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
        b"Upgrade: WebSocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Origin: " + origin + b"\r\n"
        b"Sec-WebSocket-Protocol: " + protocol + b"\r\n"
        b"Sec-WebSocket-Location: " + location + b"\r\n"
        b"\r\n" + digest
    )
