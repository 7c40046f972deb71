"""RFC 6455 framing primitives: opcodes, close codes, masking, frame building.

This module holds the stateless pieces of the websocket wire format. The
stateful parser lives in :mod:`eventlet.httpd.websocket._protocol`; it inlines header
decoding for speed and calls back in here for masking and close payloads.

Masking XORs the payload with a 4-byte key repeated. A per-byte Python loop
costs ~50 ns a byte; instead we turn both the payload and the repeated key
into one big integer each and XOR those, which runs at memory speed inside
CPython's long arithmetic. Byte order does not matter as long as it is the
same for all three conversions.
"""

from __future__ import annotations

import enum
import struct

__all__ = [
    "CONTROL_OPCODES",
    "DATA_OPCODES",
    "CloseCode",
    "Opcode",
    "WebSocketClosedError",
    "WebSocketError",
    "WebSocketProtocolError",
    "build_close_payload",
    "build_frame",
    "is_valid_close_code",
    "mask_payload",
    "parse_close_payload",
]

_PACK_16 = struct.Struct("!BBH").pack
_PACK_64 = struct.Struct("!BBQ").pack


class Opcode(enum.IntEnum):
    """Frame opcodes defined by RFC 6455 section 5.2."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


DATA_OPCODES = frozenset((Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY))
CONTROL_OPCODES = frozenset((Opcode.CLOSE, Opcode.PING, Opcode.PONG))


class CloseCode(enum.IntEnum):
    """Close status codes from RFC 6455 section 7.4 and the IANA registry."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


class WebSocketError(Exception):
    """Base class of every error raised by the websocket protocol core."""


class WebSocketProtocolError(WebSocketError):
    """The peer broke the protocol; the connection must be failed.

    ``code`` is the close code to send (1002, 1007, 1009, ...), ``reason`` a
    short human-readable explanation. ``events`` holds the events that were
    fully received in the same :meth:`receive_data` call before the failure,
    so that nothing the peer sent correctly is lost.
    """

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} (close code {code})")
        self.code = code
        self.reason = reason
        self.events: list[object] = []


class WebSocketClosedError(WebSocketError):
    """A message was sent after the closing handshake started."""


def is_valid_close_code(code: int) -> bool:
    """Return whether ``code`` may appear in a close frame on the wire."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def mask_payload(data: bytes, key: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``key`` repeated (masking is its own inverse)."""
    n = len(data)
    repeated = (key * ((n >> 2) + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


def build_frame(
    opcode: int,
    payload: bytes,
    fin: bool = True,
    rsv1: bool = False,
    mask: bytes | None = None,
) -> bytes:
    """Serialize one frame; ``mask`` is the 4-byte key for client frames, else None."""
    b0 = opcode | (0x80 if fin else 0) | (0x40 if rsv1 else 0)
    n = len(payload)
    mbit = 0 if mask is None else 0x80
    if n < 126:
        header = bytes((b0, n | mbit))
    elif n < 65536:
        header = _PACK_16(b0, 126 | mbit, n)
    else:
        header = _PACK_64(b0, 127 | mbit, n)
    if mask is None:
        return header + payload
    return header + mask + mask_payload(payload, mask)


def build_close_payload(code: int | None, reason: str = "") -> bytes:
    """Encode a close payload; ``code=None`` means an empty payload.

    Raises ValueError for codes that may not be sent, a reason without a code,
    or a reason longer than the 123 bytes a control frame leaves for it.
    """
    if code is None:
        if reason:
            raise ValueError("a close reason requires a close code")
        return b""
    if not is_valid_close_code(code):
        raise ValueError(f"invalid close code {code}")
    encoded = reason.encode("utf-8")
    if len(encoded) > 123:
        raise ValueError("close reason longer than 123 bytes")
    return code.to_bytes(2, "big") + encoded


def parse_close_payload(payload: bytes) -> tuple[int, str]:
    """Decode and validate a received close payload into ``(code, reason)``.

    An empty payload yields 1005 (no status received). Raises WebSocketProtocolError
    with 1002 for a one-byte payload or a code that may not be sent, and 1007
    for a reason that is not UTF-8.
    """
    if not payload:
        return CloseCode.NO_STATUS_RCVD, ""
    if len(payload) == 1:
        raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "close payload of one byte")
    code = int.from_bytes(payload[:2], "big")
    if not is_valid_close_code(code):
        raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebSocketProtocolError(CloseCode.INVALID_DATA, "close reason is not UTF-8") from exc
    return code, reason
