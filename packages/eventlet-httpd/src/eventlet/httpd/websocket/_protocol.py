"""Sans-IO websocket protocol core (RFC 6455, RFC 7692): bytes in, events out.

Nothing here touches a socket. A transport feeds received bytes to
:meth:`WebSocketConnection.receive_data`, which returns events (:class:`Message`,
:class:`Ping`, :class:`Pong`, :class:`Close`); the ``send_*`` methods return the
bytes to write; :meth:`WebSocketConnection.data_to_send` returns what the
connection wants written on its own behalf (pong replies, the close reply, the
close frame failing the connection after a :class:`WebSocketProtocolError`).

Writes must reach the socket in the order the bytes were produced (deflate with
context takeover depends on it), so a transport shared by several green
threads holds one lock around "produce bytes + write them".

Parsing works on whole frames. Incomplete input is kept in a bytearray together
with the number of bytes the next frame needs, so a large frame arriving in
many small reads is appended to, not re-parsed each time, and a byte-by-byte
feed costs one length comparison per byte. An unfragmented, uncompressed
message takes a short path: one slice, one unmask, one decode.

The closing handshake: after we send a close frame, incoming messages and
pings are still parsed and checked but no longer reported; only the peer's
close is. After we receive a close frame, we answer it (echoing its code)
unless we already sent ours, and ignore any later bytes.

The opening handshake lives in :mod:`eventlet.httpd.websocket._handshake` and the
event types in :mod:`eventlet.httpd.websocket._events`; their public names are
re-exported here so that this module is the one import.
"""

from __future__ import annotations

import codecs
import os
from typing import Any

from eventlet.httpd.websocket._deflate import DeflateConfig, DeflateParams, PerMessageDeflate
from eventlet.httpd.websocket._events import Close, Event, Message, Ping, Pong
from eventlet.httpd.websocket._frames import (
    CloseCode,
    Opcode,
    WebSocketClosedError,
    WebSocketError,
    WebSocketProtocolError,
    build_close_payload,
    build_frame,
    mask_payload,
    parse_close_payload,
)
from eventlet.httpd.websocket._handshake import (
    ClientHandshake,
    HandshakeError,
    ServerHandshake,
    accept_key,
    server_handshake,
)

__all__ = [
    "ClientHandshake",
    "Close",
    "CloseCode",
    "DeflateConfig",
    "DeflateParams",
    "Event",
    "HandshakeError",
    "Message",
    "Opcode",
    "Ping",
    "Pong",
    "ServerHandshake",
    "WebSocketClosedError",
    "WebSocketConnection",
    "WebSocketError",
    "WebSocketProtocolError",
    "accept_key",
    "server_handshake",
]

DEFAULT_MAX_MESSAGE_SIZE = 8 << 20
DEFAULT_MAX_FRAGMENTS = 1024
"""Default limit of frames in one message (each frame costs a parse, however small)."""
_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


class WebSocketConnection:
    """One websocket connection after the opening handshake, in either role.

    ``deflate`` are the negotiated permessage-deflate parameters (None: off).
    Messages larger than ``max_message_size`` bytes (after decompression) fail
    the connection with 1009; None means no limit. A message in more than
    ``max_fragments`` frames fails it with 1008 (policy violation), so that a
    stream of empty continuation frames cannot cost unbounded CPU for one
    message; None means no limit. Sent messages whose payload
    exceeds ``fragment_size`` are split into frames of that size. With
    ``auto_pong`` every ping is answered through :meth:`data_to_send`.
    """

    def __init__(
        self,
        is_server: bool = True,
        *,
        deflate: DeflateParams | None = None,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        max_fragments: int | None = DEFAULT_MAX_FRAGMENTS,
        fragment_size: int | None = None,
        auto_pong: bool = True,
    ) -> None:
        if fragment_size is not None and fragment_size < 1:
            raise ValueError("fragment_size must be positive")
        self.is_server = is_server
        self.max_message_size = max_message_size
        self.max_fragments: int = (1 << 63) if max_fragments is None else max_fragments
        self.fragment_size = fragment_size
        self.auto_pong = auto_pong
        self._deflate = None if deflate is None else PerMessageDeflate(deflate, is_server)
        # Compressed frames may be slightly larger than the text they carry.
        self._max_wire = None if max_message_size is None else max_message_size + 1024
        self._fast_limit = (1 << 63) - 1 if max_message_size is None else max_message_size
        self._buf = bytearray()
        self._need = 2
        self._pending: list[bytes] = []
        self._msg_opcode = 0  # opcode of the fragmented message in progress, 0 if none
        self._msg_compressed = False
        self._msg_size = 0
        self._msg_frames = 0
        self._msg_parts: list[Any] = []
        self._decoder: codecs.IncrementalDecoder | None = None
        self.close_sent: bool = False
        """Whether a close frame was produced (by us or as a reply)."""
        self.close_received: bool = False
        """Whether the peer's close frame arrived."""
        self.failed: bool = False
        """Whether the connection failed on a protocol error."""
        self.close_code: int | None = None
        """The code of the peer's close frame once received."""
        self.close_reason: str | None = None
        """The reason of the peer's close frame once received."""

    @property
    def closed(self) -> bool:
        """True once the closing handshake finished or the connection failed."""
        return self.failed or (self.close_sent and self.close_received)

    @property
    def deflate(self) -> PerMessageDeflate | None:
        """The permessage-deflate codec in force (None: not negotiated)."""
        return self._deflate

    def set_deflate(self, params: DeflateParams | None) -> None:
        """Replace the permessage-deflate parameters (a fresh codec; None turns it off).

        For transports whose extensions are decided after the connection object exists
        (upstream eventlet's ``RFC6455WebSocket.extensions`` may be reassigned).
        """
        self._deflate = None if params is None else PerMessageDeflate(params, self.is_server)

    def _mask(self) -> bytes | None:
        return None if self.is_server else os.urandom(4)

    # -- receiving ---------------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Feed received bytes; return the complete events they finish.

        Raises WebSocketProtocolError when the peer broke the protocol; the close frame
        to send is then in :meth:`data_to_send` and the error's ``events`` holds
        what arrived intact before the fault. Bytes after a close are ignored.
        """
        if self.close_received or self.failed:
            return []
        buf = self._buf
        if buf:
            buf += data
            if len(buf) < self._need:
                return []
            data = bytes(buf)
            buf.clear()
        else:
            if type(data) is not bytes:
                data = bytes(data)
            if len(data) < self._need:
                buf += data
                return []
        events: list[Event] = []
        try:
            pos = self._parse(data, events)
        except WebSocketProtocolError as exc:
            self.failed = True
            if not self.close_sent:
                self.close_sent = True
                reason = exc.reason.encode("utf-8")[:123].decode("utf-8", "ignore")
                payload = build_close_payload(exc.code, reason)
                self._pending.append(build_frame(Opcode.CLOSE, payload, mask=self._mask()))
            exc.events = list(events)
            raise
        if pos < len(data) and not self.close_received:
            buf += memoryview(data)[pos:]
        return events

    def _parse(self, data: bytes, events: list[Event]) -> int:
        pos, end = 0, len(data)
        server = self.is_server
        while True:
            avail = end - pos
            if avail < 2:
                self._need = 2
                return pos
            b0, b1 = data[pos], data[pos + 1]
            length = b1 & 0x7F
            hlen = 2
            if length == 126:
                hlen = 4
                if avail < 4:
                    self._need = 4
                    self._check_start(b0, b1)
                    return pos
                length = (data[pos + 2] << 8) | data[pos + 3]
            elif length == 127:
                hlen = 10
                if avail < 10:
                    self._need = 10
                    self._check_start(b0, b1)
                    return pos
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
            masked = b1 & 0x80
            if masked:
                hlen += 4
            opcode, fin, rsv = b0 & 0x0F, b0 & 0x80, b0 & 0x70
            bad_mask = bool(masked) != server
            # Fast accept of a whole uncompressed text/binary frame; else the full check.
            if (
                (b0 == 0x81 or b0 == 0x82)
                and not bad_mask
                and not self._msg_opcode
                and length <= self._fast_limit
            ):
                pass
            else:
                self._check_header(opcode, fin, rsv, length, bad_mask)
            total = hlen + length
            if avail < total:
                self._need = total
                return pos
            payload = data[pos + hlen : pos + total]
            if masked:
                payload = mask_payload(payload, data[pos + hlen - 4 : pos + hlen])
            pos += total
            if opcode >= 8:
                if self._control(opcode, payload, events):
                    return pos
            elif fin and not rsv and opcode:  # whole uncompressed message: short path
                if opcode == Opcode.TEXT:
                    try:
                        text = payload.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise WebSocketProtocolError(CloseCode.INVALID_DATA, "invalid UTF-8 in text") from exc
                    if not self.close_sent:
                        events.append(Message(text))
                elif not self.close_sent:
                    events.append(Message(payload))
            else:
                self._fragment(opcode, fin, rsv, payload, events)

    def _check_start(self, b0: int, b1: int) -> None:
        """Reject what a frame's first two bytes already show, before its length has arrived.

        Continuation frames are left to the full check, which is the one place that counts
        a message's frames.
        """
        opcode = b0 & 0x0F
        if opcode:
            length = 126 if opcode >= 8 else 0  # a control frame may not need an extended length
            self._check_header(opcode, b0 & 0x80, b0 & 0x70, length, bool(b1 & 0x80) != self.is_server)

    def _check_header(self, opcode: int, fin: int, rsv: int, length: int, bad_mask: bool) -> None:
        """Reject a frame header as soon as it is known, before its payload arrives."""
        if bad_mask:
            side = "unmasked client" if self.is_server else "masked server"
            raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"{side} frame")
        if length >> 63:
            raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "frame length too large")
        if opcode >= 8:
            if opcode > Opcode.PONG:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"reserved opcode {opcode}")
            if rsv:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "reserved bits on a control frame")
            if not fin:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "fragmented control frame")
            if length > 125:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "control frame longer than 125")
            return
        if opcode > Opcode.BINARY:
            raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"reserved opcode {opcode}")
        if opcode:
            if self._msg_opcode:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "new message inside a fragmented one")
            compressed = rsv == 0x40 and self._deflate is not None
            size = length
        else:
            if not self._msg_opcode:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "continuation without a message")
            self._msg_frames += 1
            if self._msg_frames >= self.max_fragments:
                raise WebSocketProtocolError(CloseCode.POLICY_VIOLATION, "too many fragments in one message")
            compressed = self._msg_compressed
            size = self._msg_size + length
        if rsv and not (compressed and opcode):
            raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"unexpected reserved bits {rsv >> 4}")
        limit = self.max_message_size
        if limit is not None:
            if compressed:
                if length > self._max_wire:  # type: ignore[operator]
                    raise WebSocketProtocolError(CloseCode.MESSAGE_TOO_BIG, "message too big")
            elif size > limit:
                if opcode:  # one frame: upstream eventlet's wording, which its clients may check
                    raise WebSocketProtocolError(
                        CloseCode.MESSAGE_TOO_BIG,
                        f"Incoming frame of {length} bytes is above length limit of {limit} bytes.",
                    )
                raise WebSocketProtocolError(CloseCode.MESSAGE_TOO_BIG, "message too big")

    def _control(self, opcode: int, payload: bytes, events: list[Event]) -> bool:
        """Handle a control frame; return True when it was the peer's close."""
        if opcode == Opcode.CLOSE:
            code, reason = parse_close_payload(payload)
            self.close_received = True
            self.close_code, self.close_reason = code, reason
            if not self.close_sent:
                self.close_sent = True
                self._pending.append(build_frame(Opcode.CLOSE, payload[:2], mask=self._mask()))
            events.append(Close(code, reason))
            return True
        if self.close_sent:
            return False
        if opcode == Opcode.PING:
            events.append(Ping(payload))
            if self.auto_pong:
                self._pending.append(build_frame(Opcode.PONG, payload, mask=self._mask()))
        else:
            events.append(Pong(payload))
        return False

    def _fragment(self, opcode: int, fin: int, rsv: int, payload: bytes, events: list[Event]) -> None:
        """Add one frame of a fragmented and/or compressed message."""
        if opcode:
            self._msg_opcode = opcode
            self._msg_compressed = bool(rsv)
            self._msg_size = 0
            self._msg_frames = 0
            self._msg_parts = []
            self._decoder = _Utf8Decoder() if opcode == Opcode.TEXT else None
        if self._msg_compressed:
            limit = self.max_message_size
            room = None if limit is None else limit - self._msg_size
            payload = self._deflate.decompress(payload, bool(fin), room)  # type: ignore[union-attr]
        self._msg_size += len(payload)
        if self._decoder is not None:
            try:
                self._msg_parts.append(self._decoder.decode(payload, bool(fin)))
            except UnicodeDecodeError as exc:
                raise WebSocketProtocolError(CloseCode.INVALID_DATA, "invalid UTF-8 in text") from exc
        else:
            self._msg_parts.append(payload)
        if fin:
            parts, self._msg_parts = self._msg_parts, []
            self._msg_opcode = 0
            if not self.close_sent:
                events.append(Message("".join(parts) if self._decoder else b"".join(parts)))

    # -- sending -----------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Return (and forget) the bytes the connection produced on its own."""
        if not self._pending:
            return b""
        out = b"".join(self._pending)
        self._pending.clear()
        return out

    def send(self, data: str | bytes | bytearray | memoryview) -> bytes:
        """Frame a text message for ``str``, else a binary one; return the bytes."""
        if isinstance(data, str):
            return self._data_frames(Opcode.TEXT, data.encode("utf-8"))
        return self._data_frames(Opcode.BINARY, bytes(data))

    def send_text(self, text: str) -> bytes:
        """Frame a text message; return the bytes to write."""
        return self._data_frames(Opcode.TEXT, text.encode("utf-8"))

    def send_binary(self, data: bytes | bytearray | memoryview) -> bytes:
        """Frame a binary message; return the bytes to write."""
        return self._data_frames(Opcode.BINARY, bytes(data))

    def _data_frames(self, opcode: int, payload: bytes) -> bytes:
        if self.close_sent:
            raise WebSocketClosedError("cannot send a message after the close frame")
        rsv1 = False
        deflate = self._deflate
        if deflate is not None and len(payload) >= deflate.min_size:
            payload = deflate.compress(payload)
            rsv1 = True
        size = self.fragment_size
        if size is None or len(payload) <= size:
            return build_frame(opcode, payload, True, rsv1, self._mask())
        last = len(payload) - size
        frames = [build_frame(opcode, payload[:size], False, rsv1, self._mask())]
        for start in range(size, len(payload), size):
            chunk = payload[start : start + size]
            frames.append(build_frame(0, chunk, start >= last, False, self._mask()))
        return b"".join(frames)

    def _control_frame(self, opcode: int, payload: bytes) -> bytes:
        if self.close_sent:
            raise WebSocketClosedError("cannot send a frame after the close frame")
        if len(payload) > 125:
            raise ValueError("control frame payload longer than 125 bytes")
        return build_frame(opcode, payload, mask=self._mask())

    def send_ping(self, payload: bytes | bytearray | memoryview = b"") -> bytes:
        """Frame a ping (payload up to 125 bytes); return the bytes to write."""
        return self._control_frame(Opcode.PING, bytes(payload))

    def send_pong(self, payload: bytes | bytearray | memoryview = b"") -> bytes:
        """Frame an unsolicited pong; return the bytes to write."""
        return self._control_frame(Opcode.PONG, bytes(payload))

    def send_close(self, code: int | None = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bytes:
        """Start (or finish) the closing handshake; return the bytes to write.

        Returns ``b""`` when a close frame was already produced. ``code=None``
        sends an empty close payload. Raises ValueError for a code that may
        not be sent or a reason longer than 123 bytes.
        """
        if self.close_sent:
            return b""
        payload = build_close_payload(code, reason)
        self.close_sent = True
        return build_frame(Opcode.CLOSE, payload, mask=self._mask())
