"""Upstream eventlet's frame-level websocket helpers, kept for code that reaches for them.

``RFC6455WebSocket`` reads messages through the protocol core; upstream's object also had a
reader of single frames (``_recv_frame``, returning a ``Message`` whose ``getvalue``
decompresses and decodes) and a masking helper (``_apply_mask``), which upstream's tests and
some tools call directly.  :class:`FrameReader` provides them (with the same checks as
upstream: reserved bits, opcodes, masking direction, control frame rules, the frame size
limit), along with upstream's exception classes.  The reader takes bytes from the socket
itself, so it must not be mixed with ``wait()`` on one connection.
"""

from __future__ import annotations

import codecs
import struct
import zlib
from typing import Any

from eventlet.httpd.websocket._compat_handshake import deflate_params
from eventlet.httpd.websocket._frames import mask_payload

__all__ = [
    "ConnectionClosedError",
    "FailedConnectionError",
    "FrameMessage",
    "FrameReader",
    "ProtocolError",
    "UTF8Decoder",
]

_MARKER = b"\x00\x00\xff\xff"
_KNOWN_OPCODES = (0, 1, 2, 8, 9, 0xA)


class ConnectionClosedError(Exception):
    """The peer closed the connection (raised by the frame-level helpers)."""


class FailedConnectionError(Exception):
    """The peer broke the protocol; ``status`` is the close code to send, ``message`` why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.message = message
        self.status = status


class ProtocolError(ValueError):
    """A frame that may not be sent (a fragmented or oversized control frame, a bad opcode)."""


class UTF8Decoder:
    """Incremental, strict UTF-8 decoding of a text message's fragments."""

    def __init__(self) -> None:
        self.decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()

    def reset(self) -> None:
        """Forget a partial character."""
        self.decoder.reset()

    def decode(self, data: bytes, final: bool = False) -> str:
        """Decode ``data`` (``UnicodeDecodeError`` if it is not UTF-8)."""
        return self.decoder.decode(data, final)


class FrameMessage:
    """The payload of one frame (and its continuations) read by ``_recv_frame``."""

    def __init__(
        self,
        opcode: int,
        max_frame_length: int,
        decoder: UTF8Decoder | None = None,
        decompressor: Any = None,
    ) -> None:
        self.decoder = decoder
        self.data: list[bytes] = []
        self.finished: bool = False
        self.opcode = opcode
        self.decompressor = decompressor
        self.max_frame_length = max_frame_length

    def push(self, data: bytes, final: bool = False) -> None:
        """Add a frame's payload."""
        self.finished = final
        self.data.append(data)

    def getvalue(self) -> str | bytes:
        """The payload so far: decompressed (if compressed), decoded (if text)."""
        data = b"".join(self.data)
        if not self.opcode & 8 and self.decompressor:
            data = self.decompressor.decompress(data + _MARKER, self.max_frame_length)
            if self.decompressor.unconsumed_tail:
                raise FailedConnectionError(
                    1009,
                    f"Incoming compressed frame exceeds length limit of {self.max_frame_length} bytes.",
                )
        if self.decoder:
            return self.decoder.decode(data, self.finished)
        return data


class FrameReader:
    """Mixin of ``RFC6455WebSocket``: upstream's frame-level reader and masking helper."""

    _buf: Any
    _deflate_dec: Any
    socket: Any
    client: bool
    max_frame_length: int
    extensions: dict[str, dict[str, Any]]

    @staticmethod
    def _apply_mask(data: bytes, mask: Any, length: int | None = None, offset: int = 0) -> bytes:
        """XOR ``data[:length]`` with the 4-byte ``mask``, starting ``offset`` bytes into it."""
        if length is None:
            length = len(data)
        key = bytes(mask)
        shift = offset % 4
        return mask_payload(bytes(data[:length]), key[shift:] + key[:shift])

    def _get_bytes(self, numbytes: int) -> bytes:
        """Exactly ``numbytes`` bytes, from what is buffered, then from the socket."""
        data = self._buf[:numbytes]
        self._buf = self._buf[numbytes:]
        while len(data) < numbytes:
            more = self.socket.recv(numbytes - len(data))
            if not more:
                raise ConnectionClosedError()
            data += more
        return bytes(data)

    def _get_permessage_deflate_dec(self, rsv1: int) -> Any:
        """A zlib decompressor for a compressed frame read by ``_recv_frame`` (None if plain)."""
        options = self.extensions.get("permessage-deflate")
        if options is None or not rsv1:
            return None
        params = deflate_params(options)
        if self.client:
            bits, fresh = params.server_max_window_bits, params.server_no_context_takeover
        else:
            bits, fresh = params.client_max_window_bits, params.client_no_context_takeover
        if fresh:
            return zlib.decompressobj(-bits)
        if self._deflate_dec is None:
            self._deflate_dec = zlib.decompressobj(-bits)
        return self._deflate_dec

    def _recv_frame(self, message: FrameMessage | None = None) -> FrameMessage:
        """Read one frame from the socket (upstream's frame-level reader; module docstring).

        ``message`` is the fragmented message this frame may continue.  Raises
        :class:`FailedConnectionError` for a frame the peer may not send and
        :class:`ConnectionClosedError` when the socket closes.
        """
        b0, b1 = self._get_bytes(2)
        finished = bool(b0 & 0x80)
        rsv1 = b0 & 0x40
        if b0 & 0x30 or (rsv1 and "permessage-deflate" not in self.extensions):
            raise FailedConnectionError(1002, "RSV bits must be 0 unless an extension defines them.")
        opcode = b0 & 0x0F
        if opcode not in _KNOWN_OPCODES:
            raise FailedConnectionError(1002, "Unknown opcode received.")
        masked = bool(b1 & 0x80)
        if masked == self.client:
            raise FailedConnectionError(1002, "A client must mask its frames, a server must not.")
        length = b1 & 0x7F
        if opcode & 8:
            if not finished:
                raise FailedConnectionError(1002, "Control frames must not be fragmented.")
            if length > 125:
                raise FailedConnectionError(1002, "Control frames must be 125 bytes or less.")
        elif opcode and message:
            raise FailedConnectionError(1002, "A new message inside a fragmented one.")
        elif not opcode and not message:
            raise FailedConnectionError(1002, "A continuation frame without a message.")
        if length == 126:
            (length,) = struct.unpack("!H", self._get_bytes(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._get_bytes(8))
        if length > self.max_frame_length:
            raise FailedConnectionError(
                1009,
                f"Incoming frame of {length} bytes is above length limit of {self.max_frame_length} bytes.",
            )
        key = self._get_bytes(4) if masked else None
        payload = self._get_bytes(length)
        if key is not None:
            payload = mask_payload(payload, key)
        if message is None or opcode & 8:
            decoder = UTF8Decoder() if opcode == 1 else None
            decompressor = self._get_permessage_deflate_dec(rsv1)
            message = FrameMessage(opcode, self.max_frame_length, decoder, decompressor)
        message.push(payload, final=finished)
        return message
