"""The PROXY protocol (versions 1 and 2), as HAProxy and cloud load balancers send it.

A load balancer that forwards TCP connections (not HTTP) cannot add headers; instead it
writes, before the first byte of the client's data, a header naming the client: version 1 is a
text line (``PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\\r\\n``), version 2 a binary block that
starts with a fixed 12-byte signature.  With the server's ``proxy_protocol`` on, a connection
from a trusted peer (``forwarded_allow_ips``) must start with one, read before the TLS handshake
if any; its source address becomes the connection's client.  ``LOCAL`` (v2) and ``UNKNOWN``
(v1) headers, which balancers send for their own health checks, keep the real peer.  From an
untrusted peer no header is expected: a PROXY line from it is just a malformed request.

:func:`header_length` and :func:`parse_header` are sans-IO; :func:`read_header` reads exactly the
header off a green socket (peeking, so nothing after it is consumed: the TLS handshake or the
HTTP parser gets every byte that follows).
"""

from __future__ import annotations

import ipaddress
import socket as _stdsocket
from collections.abc import Callable
from typing import Any

__all__ = ["V2_SIGNATURE", "ProxyHeaderError", "header_length", "parse_header", "read_header"]

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
_V1_MAX = 107  # the longest version 1 line, CRLF included (the specification's limit)
_V2_MAX = 16 + 4096  # a generous bound on the version 2 address block (TLVs included)
_V1_PROTOCOLS = {"TCP4": 4, "TCP6": 6}


class ProxyHeaderError(ValueError):
    """The connection does not start with a valid PROXY protocol header."""


def header_length(data: bytes) -> int:
    """The length of the header at the start of ``data``; -1 if more bytes are needed.

    Raises :class:`ProxyHeaderError` as soon as ``data`` cannot start a valid header.
    """
    if data[:1] == b"\r":
        if not V2_SIGNATURE.startswith(data[:12]):
            raise ProxyHeaderError("not a PROXY protocol header")
        if len(data) < 16:
            return -1
        total = 16 + int.from_bytes(data[14:16], "big")
        if total > _V2_MAX:
            raise ProxyHeaderError("PROXY v2 header too long")
        return total if len(data) >= total else -1
    if not b"PROXY "[: len(data)] == data[:6]:
        raise ProxyHeaderError("not a PROXY protocol header")
    end = data.find(b"\r\n", 0, _V1_MAX)
    if end >= 0:
        return end + 2
    if len(data) >= _V1_MAX:
        raise ProxyHeaderError("PROXY v1 line too long")
    return -1


def parse_header(header: bytes) -> tuple[str, int] | None:
    """The client ``(address, port)`` of a complete header; None for LOCAL/UNKNOWN."""
    if header.startswith(V2_SIGNATURE):
        return _parse_v2(header)
    return _parse_v1(header)


def _parse_v1(header: bytes) -> tuple[str, int] | None:
    try:
        line = header[:-2].decode("ascii")
    except UnicodeDecodeError:
        raise ProxyHeaderError("PROXY v1 line is not ASCII") from None
    parts = line.split(" ")
    if len(parts) >= 2 and parts[1] == "UNKNOWN":
        return None
    if len(parts) != 6 or parts[1] not in _V1_PROTOCOLS:
        raise ProxyHeaderError("malformed PROXY v1 line")
    _, proto, source, destination, source_port, destination_port = parts
    version = _V1_PROTOCOLS[proto]
    for text in (source, destination):
        try:
            if ipaddress.ip_address(text).version != version:
                raise ValueError
        except ValueError:
            raise ProxyHeaderError(f"bad {proto} address in PROXY v1 line") from None
    for text in (source_port, destination_port):
        if not text.isdigit() or (len(text) > 1 and text[0] == "0") or int(text) > 65535:
            raise ProxyHeaderError("bad port in PROXY v1 line")
    return source, int(source_port)


def _parse_v2(header: bytes) -> tuple[str, int] | None:
    version_command = header[12]
    if version_command >> 4 != 2:
        raise ProxyHeaderError("unsupported PROXY protocol version")
    command = version_command & 0x0F
    if command == 0:  # LOCAL: the balancer's own connection
        return None
    if command != 1:
        raise ProxyHeaderError("unknown PROXY v2 command")
    family = header[13] >> 4
    body = header[16:]
    if family == 1 and len(body) >= 12:  # AF_INET
        return str(ipaddress.IPv4Address(body[:4])), int.from_bytes(body[8:10], "big")
    if family == 2 and len(body) >= 36:  # AF_INET6
        return str(ipaddress.IPv6Address(body[:16])), int.from_bytes(body[32:34], "big")
    if family in (0, 3):  # AF_UNSPEC, AF_UNIX: no address to report
        return None
    raise ProxyHeaderError("malformed PROXY v2 address block")


def read_header(sock: Any, recv: Callable[..., bytes] | None = None) -> tuple[str, int] | None:
    """Read the header off ``sock`` (peeking first, never past its end); see :func:`parse_header`.

    ``recv`` defaults to ``sock.recv``; raises :class:`ProxyHeaderError` or ``OSError``.
    """
    recv = recv or sock.recv
    taken = b""
    while True:
        peeked = recv(_V2_MAX - len(taken), _stdsocket.MSG_PEEK)
        if not peeked:
            raise ProxyHeaderError("connection closed in the PROXY protocol header")
        data = taken + peeked
        length = header_length(data)
        if length < 0:
            taken += _recv_exactly(recv, len(peeked))  # all of it belongs to the header
            continue
        taken += _recv_exactly(recv, length - len(taken))
        return parse_header(taken)


def _recv_exactly(recv: Callable[..., bytes], size: int) -> bytes:
    parts = []
    while size > 0:
        chunk = recv(size)
        if not chunk:
            raise ProxyHeaderError("connection closed in the PROXY protocol header")
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)
