"""Upstream eventlet's ``RFC6455WebSocket``, on the sans-IO protocol core.

The object has upstream's constructor, attributes and methods, for the server (built by
``eventlet.websocket.WebSocketWSGI``) and for the client side (``client=True``: frames are
masked, which scripts use after doing their own handshake).  Parsing, validation,
permessage-deflate, the size limit and the closing handshake are the core's
(:class:`~eventlet.httpd.websocket._protocol.WebSocketConnection`); this module maps them onto
upstream's behaviour:

* ``wait()`` returns the next message (``str`` or ``bytes``) and ``None`` once the connection
  is closed: the peer's close frame (answered, then the socket is closed), the peer vanishing,
  or a protocol error (the close frame with its code is sent, then the socket is closed), or
  ``close()`` called by another green thread.  An ``OSError`` while receiving (reset,
  timeout) closes the connection with 1011 and is raised, as upstream does.  Unlike
  upstream, an :class:`eventlet.Timeout` around ``wait()`` leaves the connection usable.
* ``send(message)``: ``str`` as text, bytes-like as binary, compressed when permessage-deflate
  was negotiated.  Frames are produced and written under one lock, so concurrent senders keep
  the compressor's order.  After the close frame was sent, ``OSError(EPIPE)``.
* ``close(close_data=None)`` sends a close frame (empty, or ``(code, reason)``), shuts the
  socket down and closes it; ``close()`` twice does nothing more.
* ``max_frame_length`` bounds a whole message, fragments together and after decompression
  (upstream bounded each frame, so a fragmented message could grow without limit).

``extensions`` may be reassigned (upstream's tests do); the core's codec follows.
``_pack_message`` is upstream's frame builder; upstream's frame-level reader (``_recv_frame``)
comes from :mod:`eventlet.httpd.websocket._compat_frames`.
"""

from __future__ import annotations

import collections
import errno
import os
import socket as _stdsocket
import struct
from collections.abc import Iterator
from typing import Any

from eventlet.httpd.websocket._compat_frames import (
    ConnectionClosedError,
    FailedConnectionError,
    FrameMessage,
    FrameReader,
    ProtocolError,
    UTF8Decoder,
)
from eventlet.httpd.websocket._compat_handshake import deflate_params
from eventlet.httpd.websocket._events import Close, Message
from eventlet.httpd.websocket._frames import WebSocketClosedError, WebSocketProtocolError, build_frame
from eventlet.httpd.websocket._legacy import DEFAULT_MAX_FRAME_LENGTH, WebSocket, _shutdown_failed, logger
from eventlet.httpd.websocket._protocol import WebSocketConnection

__all__ = [
    "ConnectionClosedError",
    "FailedConnectionError",
    "ProtocolError",
    "RFC6455WebSocket",
]

_RECV_SIZE = 65536


class RFC6455WebSocket(FrameReader, WebSocket):
    """An RFC 6455 websocket on ``sock`` (upstream eventlet's class; see the module docstring).

    ``version`` is 13 (or 8 for hybi-10 clients), ``protocol`` the chosen subprotocol,
    ``client`` whether this is the client end, ``extensions`` upstream's dict of negotiated
    extensions (``{"permessage-deflate": {...}}``), ``max_frame_length`` the largest message
    accepted (1009 beyond).
    """

    Message = FrameMessage
    UTF8Decoder = UTF8Decoder

    def __init__(
        self,
        sock: Any,
        environ: dict[str, Any],
        version: int = 13,
        protocol: str | None = None,
        client: bool = False,
        extensions: dict[str, dict[str, Any]] | None = None,
        max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
    ) -> None:
        super().__init__(sock, environ, version, max_frame_length=max_frame_length)
        self.client = client
        self.protocol = protocol
        self._ws = WebSocketConnection(is_server=not client, max_message_size=max_frame_length)
        self._buf = b""  # received bytes not yet given to the core (the handshake's leftovers)
        self._events: collections.deque[Any] = collections.deque()
        self._failed = False
        self._ended = False
        self._eof = False  # the peer closed its end of the TCP connection
        self._reading = 0
        self._deflate_dec: Any = None
        self._remote_close_data: bytes | None = None
        self.extensions = extensions or {}
        self.iterator: Iterator[str | bytes] = self._iter_frames()

    @property
    def extensions(self) -> dict[str, dict[str, Any]]:
        """The negotiated extensions; assigning them changes the codec in use."""
        return self._extensions

    @extensions.setter
    def extensions(self, value: dict[str, dict[str, Any]]) -> None:
        self._extensions = value
        options = value.get("permessage-deflate") if value else None
        self._ws.set_deflate(None if options is None else deflate_params(options))
        self._deflate_dec = None

    # -- sending -------------------------------------------------------------------------

    def _send(self, frame: bytes) -> None:
        """Write ``frame`` (after any reply the core has queued) under the send lock."""
        with self._sendlock:
            pending = self._ws.data_to_send()
            data = pending + frame if pending else frame
            if data:
                self.socket.sendall(data)

    def send(self, message: Any, **kw: Any) -> None:
        """Send ``message``: ``str`` as text, bytes-like as binary.

        Keywords are :meth:`_pack_message`'s (``control_code``, ``continuation``, ``final``).
        """
        if kw:
            kw["masked"] = self.client
            frame = self._pack_message(message, **kw)
            self._send(frame)
            if kw.get("control_code") == 8:  # a close frame: the core must not send another
                self._ws.close_sent = True
            return
        if not isinstance(message, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"a websocket message is str or bytes, not {type(message).__name__}")
        ws = self._ws
        with self._sendlock:
            try:
                data = ws.send(message)
            except WebSocketClosedError:
                raise OSError(errno.EPIPE, "the websocket is closed") from None
            pending = ws.data_to_send()
            self.socket.sendall(pending + data if pending else data)

    def _pack_message(
        self,
        message: str | bytes | bytearray | memoryview,
        masked: bool = False,
        continuation: bool = False,
        final: bool = True,
        control_code: int | None = None,
    ) -> bytes:
        """One frame carrying ``message`` (upstream's helper).

        A whole data message is compressed when permessage-deflate is on; fragments are sent
        uncompressed (RFC 7692 compresses a message, not a frame).  ``masked`` frames always
        carry a mask, empty ones too (RFC 6455 requires it of every client frame).
        """
        is_text = isinstance(message, str)
        payload = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        rsv1 = False
        if control_code:
            if control_code not in (8, 9, 0xA):
                raise ProtocolError("Unknown control opcode.")
            if continuation or not final:
                raise ProtocolError("Control frame cannot be a fragment.")
            if len(payload) > 125:
                raise ProtocolError("Control frame data too large (>125).")
            opcode = control_code
        else:
            opcode = 0 if continuation else (1 if is_text else 2)
            codec = self._ws.deflate
            if codec is not None and payload and final and not continuation:
                payload = codec.compress(payload)
                rsv1 = True
        return build_frame(opcode, payload, final, rsv1, os.urandom(4) if masked else None)

    # -- receiving -----------------------------------------------------------------------

    def wait(self) -> str | bytes | None:
        """The next message; ``None`` once the connection is closed (module docstring)."""
        events = self._events
        ws = self._ws
        while True:
            while events:
                event = events.popleft()
                if type(event) is Message:
                    return event.data
                if type(event) is Close:
                    code = event.code
                    self._remote_close_data = (
                        b"" if code == 1005 else struct.pack("!H", code) + event.reason.encode()
                    )
                    self._end()
                    return None
            if self._failed or self._ended or self._eof:
                self._end()
                return None
            data = self._buf
            if data:
                self._buf = b""
            else:
                data = self._recv()
                if not data:
                    self._eof = True
                    return None
            try:
                events.extend(ws.receive_data(data))
            except WebSocketProtocolError as exc:
                logger.info("%s: websocket failed: %s", self.log_context, exc)
                events.extend(exc.events)
                self._failed = True
            if ws.close_sent:
                self.websocket_closed: bool = True
            try:
                self._send(b"")  # pongs, the close reply or the failure's close frame
            except OSError as exc:
                logger.debug("%s: the peer went away: %s", self.log_context, exc)
                self._failed = True

    def _recv(self) -> bytes:
        self._reading += 1
        try:
            return bytes(self.socket.recv(_RECV_SIZE))
        except OSError:
            if self._ended:  # close() was called by another green thread: closed, not failed
                return b""
            if not self.websocket_closed:
                self.close((1011, "Internal Server Error"))
            raise
        finally:
            self._reading -= 1

    def _end(self) -> None:
        """The closing handshake is over (or the connection failed): close the socket."""
        if self._ended:
            return
        self._ended = True
        self.websocket_closed = True
        try:
            self.socket.shutdown(_stdsocket.SHUT_WR)
        except OSError as exc:
            _shutdown_failed(self.log_context, exc)
        finally:
            self.socket.close()

    def _iter_frames(self) -> Iterator[str | bytes]:
        """The messages, until the connection closes (upstream's ``iterator``)."""
        while True:
            message = self.wait()
            if message is None:
                return
            yield message

    # -- closing -------------------------------------------------------------------------

    def _send_closing_frame(
        self, ignore_send_errors: bool = False, close_data: tuple[int, str | bytes] | None = None
    ) -> None:
        """Send a close frame once: empty, or ``close_data`` = ``(code, reason)``."""
        if self.version not in (8, 13) or self.websocket_closed or self._ws.close_sent:
            self.websocket_closed = True
            return
        payload = b""
        if close_data is not None:
            status, reason = close_data
            payload = struct.pack("!H", status) + (
                reason.encode("utf-8") if isinstance(reason, str) else reason
            )
        try:
            self.send(payload, control_code=8)
        except OSError:
            if not ignore_send_errors:
                raise
        self.websocket_closed = True

    def close(self, close_data: tuple[int, str | bytes] | None = None) -> None:
        """Send a close frame (``close_data`` = ``(code, reason)``), then close the socket."""
        if not self._ended:
            self._send_closing_frame(True, close_data)
            self._end()

    def _linger(self, seconds: float) -> None:
        """After the handler: wait up to ``seconds`` for the peer's close frame, then close.

        Closing the socket at once could reset the connection before the peer has read the
        close frame (RFC 6455 section 7.1.1 lets the client close the TCP connection first).
        """
        from eventlet.timeout import Timeout

        try:
            if not (self._ended or self._failed or self._eof or self._reading):
                with Timeout(seconds, False):
                    self.wait()  # after our close frame, the core reports only the peer's close
        except OSError as exc:
            logger.debug("%s: the peer went away while closing: %s", self.log_context, exc)
        finally:
            self._end()
