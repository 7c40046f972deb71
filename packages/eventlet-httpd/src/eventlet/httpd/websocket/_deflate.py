"""permessage-deflate (RFC 7692): header parsing, negotiation and the codec.

Negotiation is asymmetric. The client *offers* one or more parameter sets;
the server picks the first it can honour and answers with the parameters in
force; the client then checks that answer against what it offered. An offer
the server cannot honour (unknown or repeated parameter, bad window size) is
simply skipped, so a bad offer means "no compression", never a failed
handshake. A bad *answer* fails the client handshake, as the RFC requires.

The codec compresses each message with a sync flush and strips the trailing
``00 00 ff ff`` that the flush emits; the receiver appends it back. When the
local side promised "no context takeover" we flush with ``Z_FULL_FLUSH``
instead, which also forgets the sliding window, so one compressor object is
reused without ever referring to an earlier message. The decompressor always
keeps its window: a peer without context takeover never refers back anyway.

Zip bombs: decompression is bounded with ``max_length`` to one byte more than
the room left under the message size limit, so a tiny frame can never expand
to more than the limit in memory.

zlib cannot compress raw deflate with an 8-bit window, so window size 8 is
refused whenever it would bind our own compressor.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from eventlet.httpd.websocket._frames import CloseCode, WebSocketProtocolError

__all__ = [
    "EXTENSION_NAME",
    "DeflateConfig",
    "DeflateParams",
    "PerMessageDeflate",
    "accept_response",
    "client_offer",
    "negotiate",
    "parse_extension_header",
]

EXTENSION_NAME = "permessage-deflate"
_MARKER = b"\x00\x00\xff\xff"
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SPACE_RE = re.compile(r"[ \t]*")
_BITS_RE = re.compile(r"(?:[89]|1[0-5])\Z")
_PARAMS = (
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
)

Extension = tuple[str, list[tuple[str, "str | None"]]]


def parse_extension_header(value: str) -> list[Extension]:
    """Parse a ``Sec-WebSocket-Extensions`` value into ``[(name, [(param, value)])]``.

    Names and parameter names are lower-cased; a parameter without ``=`` has
    value None; quoted values are unquoted. Raises ValueError on bad syntax.
    """
    result: list[Extension] = []
    pos, end = 0, len(value)
    while True:
        pos = _SPACE_RE.match(value, pos).end()  # type: ignore[union-attr]
        if pos < end and value[pos] == ",":
            pos += 1
            continue
        if pos >= end:
            return result
        m = _TOKEN_RE.match(value, pos)
        if m is None:
            raise ValueError(f"expected an extension name at {pos} in {value!r}")
        name, pos = m.group().lower(), m.end()
        params: list[tuple[str, str | None]] = []
        while True:
            pos = _SPACE_RE.match(value, pos).end()  # type: ignore[union-attr]
            if pos >= end or value[pos] != ";":
                break
            pos = _SPACE_RE.match(value, pos + 1).end()  # type: ignore[union-attr]
            m = _TOKEN_RE.match(value, pos)
            if m is None:
                raise ValueError(f"expected a parameter name at {pos} in {value!r}")
            pname, pos = m.group().lower(), m.end()
            pvalue: str | None = None
            pos = _SPACE_RE.match(value, pos).end()  # type: ignore[union-attr]
            if pos < end and value[pos] == "=":
                pos = _SPACE_RE.match(value, pos + 1).end()  # type: ignore[union-attr]
                m = _TOKEN_RE.match(value, pos)
                if m is not None:
                    pvalue = m.group()
                else:
                    m = _QUOTED_RE.match(value, pos)
                    if m is None:
                        raise ValueError(f"expected a parameter value at {pos} in {value!r}")
                    pvalue = re.sub(r"\\(.)", r"\1", m.group(1))
                pos = m.end()
            params.append((pname, pvalue))
        result.append((name, params))
        if pos < end and value[pos] != ",":
            raise ValueError(f"expected ',' at {pos} in {value!r}")


@dataclass(frozen=True)
class DeflateConfig:
    """Local preferences for permessage-deflate, for either role.

    On a server these tighten what any client offer gets; on a client they are
    what is offered. Window sizes are 9..15 (None: no preference).
    ``compress_level`` is the zlib level; messages shorter than
    ``min_compress_size`` bytes are sent uncompressed.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | None = None
    compress_level: int = 6
    min_compress_size: int = 0

    def __post_init__(self) -> None:
        for bits in (self.server_max_window_bits, self.client_max_window_bits):
            if bits is not None and not 9 <= bits <= 15:
                raise ValueError(f"window bits must be within 9..15, not {bits}")


@dataclass(frozen=True)
class DeflateParams:
    """Parameters in force once permessage-deflate has been negotiated."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15
    compress_level: int = 6
    min_compress_size: int = 0


def _check_params(params: list[tuple[str, str | None]]) -> dict[str, str | None]:
    """Validate permessage-deflate parameters (either direction); ValueError if bad."""
    seen: dict[str, str | None] = {}
    for name, value in params:
        if name not in _PARAMS:
            raise ValueError(f"unknown parameter {name}")
        if name in seen:
            raise ValueError(f"repeated parameter {name}")
        if name.endswith("context_takeover"):
            if value is not None:
                raise ValueError(f"{name} takes no value")
        elif value is None:
            if name == "server_max_window_bits":
                raise ValueError("server_max_window_bits needs a value")
        elif not _BITS_RE.match(value):
            raise ValueError(f"bad {name} value {value!r}")
        seen[name] = value
    return seen


def negotiate(offers: list[Extension], config: DeflateConfig) -> tuple[DeflateParams, str] | None:
    """Server side: pick the first acceptable offer; return params and response value."""
    for name, raw in offers:
        if name != EXTENSION_NAME:
            continue
        try:
            offer = _check_params(raw)
        except ValueError:
            continue
        response = [EXTENSION_NAME]
        snct = "server_no_context_takeover" in offer or config.server_no_context_takeover
        if snct:
            response.append("server_no_context_takeover")
        cnct = "client_no_context_takeover" in offer or config.client_no_context_takeover
        if cnct:
            response.append("client_no_context_takeover")
        server_bits = 15
        offered = offer.get("server_max_window_bits")
        if offered is not None or config.server_max_window_bits is not None:
            server_bits = min(int(offered or 15), config.server_max_window_bits or 15)
            if server_bits < 9:
                continue  # zlib cannot compress raw deflate with an 8-bit window
            response.append(f"server_max_window_bits={server_bits}")
        client_bits = 15
        if "client_max_window_bits" in offer:
            offered = offer["client_max_window_bits"]
            if offered is not None or config.client_max_window_bits is not None:
                client_bits = min(int(offered or 15), config.client_max_window_bits or 15)
                response.append(f"client_max_window_bits={client_bits}")
        params = DeflateParams(
            snct, cnct, server_bits, client_bits, config.compress_level, config.min_compress_size
        )
        return params, "; ".join(response)
    return None


def client_offer(config: DeflateConfig) -> str:
    """Client side: the ``Sec-WebSocket-Extensions`` value offering ``config``."""
    parts = [EXTENSION_NAME]
    if config.server_no_context_takeover:
        parts.append("server_no_context_takeover")
    if config.client_no_context_takeover:
        parts.append("client_no_context_takeover")
    if config.server_max_window_bits is not None:
        parts.append(f"server_max_window_bits={config.server_max_window_bits}")
    if config.client_max_window_bits is not None:
        parts.append(f"client_max_window_bits={config.client_max_window_bits}")
    else:
        parts.append("client_max_window_bits")
    return "; ".join(parts)


def accept_response(raw: list[tuple[str, str | None]], config: DeflateConfig) -> DeflateParams:
    """Client side: check the server's answer to :func:`client_offer`; ValueError if bad."""
    answer = _check_params(raw)
    snct = "server_no_context_takeover" in answer
    if config.server_no_context_takeover and not snct:
        raise ValueError("server ignored server_no_context_takeover")
    cnct = "client_no_context_takeover" in answer or config.client_no_context_takeover
    server_bits = int(answer.get("server_max_window_bits") or 15)
    if config.server_max_window_bits is not None:
        if "server_max_window_bits" not in answer:
            raise ValueError("server ignored server_max_window_bits")
        if server_bits > config.server_max_window_bits:
            raise ValueError("server_max_window_bits larger than offered")
    client_bits = 15
    if "client_max_window_bits" in answer:
        value = answer["client_max_window_bits"]
        if value is None:
            raise ValueError("client_max_window_bits needs a value in a response")
        client_bits = int(value)
        if client_bits < 9 or client_bits > (config.client_max_window_bits or 15):
            raise ValueError(f"unusable client_max_window_bits={client_bits}")
    return DeflateParams(
        snct, cnct, server_bits, client_bits, config.compress_level, config.min_compress_size
    )


class PerMessageDeflate:
    """Compressor and decompressor of one connection, oriented by role."""

    __slots__ = ("_comp", "_dec", "_flush", "_remote_bits", "min_size")

    def __init__(self, params: DeflateParams, is_server: bool) -> None:
        if is_server:
            local_bits, remote_bits = params.server_max_window_bits, params.client_max_window_bits
            no_takeover = params.server_no_context_takeover
        else:
            local_bits, remote_bits = params.client_max_window_bits, params.server_max_window_bits
            no_takeover = params.client_no_context_takeover
        self._comp = zlib.compressobj(params.compress_level, zlib.DEFLATED, -local_bits)
        self._flush = zlib.Z_FULL_FLUSH if no_takeover else zlib.Z_SYNC_FLUSH
        self._remote_bits = remote_bits
        self._dec = zlib.decompressobj(-remote_bits)
        self.min_size: int = params.min_compress_size

    def compress(self, data: bytes) -> bytes:
        """Compress one whole message (the flush always ends with the marker)."""
        comp = self._comp
        return (comp.compress(data) + comp.flush(self._flush))[:-4]

    def decompress(self, payload: bytes, final: bool, limit: int | None) -> bytes:
        """Decompress one fragment of a message; ``limit`` bytes at most (None: no limit).

        Raises WebSocketProtocolError 1009 past the limit and 1002 for corrupt data.
        """
        dec = self._dec
        if dec.eof:  # an earlier fragment ended the deflate stream (BFINAL)
            if payload:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "data after end of deflate stream")
            out = b""
        else:
            try:
                data = payload + _MARKER if final else payload
                out = dec.decompress(data, 0 if limit is None else limit + 1)
            except zlib.error as exc:
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, f"bad deflate data: {exc}") from exc
            if limit is not None and len(out) > limit:
                raise WebSocketProtocolError(CloseCode.MESSAGE_TOO_BIG, "message too big")
            if dec.eof and dec.unused_data != (_MARKER if final else b""):
                raise WebSocketProtocolError(CloseCode.PROTOCOL_ERROR, "data after end of deflate stream")
        if final and dec.eof:
            self._dec = zlib.decompressobj(-self._remote_bits)
        return out
