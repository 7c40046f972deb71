"""One DNS query over UDP or TCP on green sockets: :func:`udp` and :func:`tcp`.

Part of :mod:`eventlet.support.greendns`.  They take the arguments of dnspython's
``dns.query.udp`` and ``dns.query.tcp`` and return the same ``dns.message.Message``, but wait on the
hub instead of blocking the OS thread.  ``timeout`` bounds the whole exchange: past it they raise
``dns.exception.Timeout``.  A socket given as ``sock`` is used as it is and left open.
"""

from __future__ import annotations

import struct
import time
from typing import Any

import dns.exception
import dns.inet
import dns.message
import dns.query

from eventlet.green import socket

__all__ = ["DNS_QUERY_TIMEOUT", "tcp", "udp"]

#: Default seconds a query may take.
DNS_QUERY_TIMEOUT = 10.0

_LENGTH = struct.Struct("!H")


def _endpoints(
    where: str, port: int, af: int | None, source: str | None, source_port: int
) -> tuple[int, tuple[Any, ...], tuple[Any, ...] | None]:
    """The address family, the server's address and the local one to bind (None: any)."""
    if af is None:
        try:
            af = dns.inet.af_for_address(where)
        except ValueError:
            af = socket.AF_INET
    if af == socket.AF_INET6:
        return af, (where, port, 0, 0), None if source is None else (source, source_port, 0, 0)
    return af, (where, port), None if source is None else (source, source_port)


def _same_address(af: int, got: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    """True if a datagram came from ``expected`` (the host compared as binary, so ``0::1 == ::1``)."""
    try:
        return bool(
            dns.inet.inet_pton(af, got[0]) == dns.inet.inet_pton(af, expected[0]) and got[1] == expected[1]
        )
    except (ValueError, OSError, dns.exception.SyntaxError):
        return False


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _arm(sock: Any, deadline: float | None) -> None:
    """Give ``sock`` what is left of the time; raise ``dns.exception.Timeout`` if nothing is."""
    if deadline is None:
        sock.settimeout(None)
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0.0:
        raise dns.exception.Timeout()
    sock.settimeout(remaining)


def _within(sock: Any, deadline: float | None, func: Any, *args: Any) -> Any:
    """``func(*args)`` with the time left; its socket timeout becomes ``dns.exception.Timeout``."""
    _arm(sock, deadline)
    try:
        return func(*args)
    except TimeoutError:
        raise dns.exception.Timeout() from None


def _read_exactly(sock: Any, count: int, deadline: float | None) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = _within(sock, deadline, sock.recv, count - len(data))
        if not chunk:
            raise EOFError("the DNS server closed the connection")
        data += chunk
    return bytes(data)


def udp(
    q: dns.message.Message,
    where: str,
    timeout: float | None = DNS_QUERY_TIMEOUT,
    port: int = 53,
    af: int | None = None,
    source: str | None = None,
    source_port: int = 0,
    ignore_unexpected: bool = False,
    one_rr_per_rrset: bool = False,
    ignore_trailing: bool = False,
    raise_on_truncation: bool = False,
    sock: Any = None,
    ignore_errors: bool = False,
) -> dns.message.Message:
    """Send ``q`` to ``where`` over UDP and return the response (see ``dns.query.udp``).

    A datagram from another address raises ``dns.query.UnexpectedSource`` (is skipped with
    ``ignore_unexpected``); one that is not a response to ``q`` raises ``dns.query.BadResponse``
    (is skipped, like malformed ones, with ``ignore_errors``).
    """
    af, destination, local = _endpoints(where, port, af, source, source_port)
    own = sock is None
    s = socket.socket(af, socket.SOCK_DGRAM) if own else sock
    try:
        if own and local is not None:
            s.bind(local)
        deadline = _deadline(timeout)
        _within(s, deadline, s.sendto, q.to_wire(), destination)
        while True:
            _arm(s, deadline)
            try:
                wire, sender = s.recvfrom(65535)
            except TimeoutError:
                continue  # _arm raises Timeout once the deadline has passed
            if not _same_address(af, sender, destination):
                if ignore_unexpected:
                    continue
                raise dns.query.UnexpectedSource(f"got a response from {sender} instead of {destination}")
            try:
                response = dns.message.from_wire(
                    wire,
                    keyring=q.keyring,
                    request_mac=q.mac,
                    one_rr_per_rrset=one_rr_per_rrset,
                    ignore_trailing=ignore_trailing,
                    raise_on_truncation=raise_on_truncation,
                )
            except dns.message.Truncated as exc:
                if ignore_errors and not q.is_response(exc.message()):
                    continue
                raise
            except Exception:
                if ignore_errors:
                    continue
                raise
            if q.is_response(response):
                return response
            if not ignore_errors:
                raise dns.query.BadResponse()
    finally:
        if own:
            s.close()


def tcp(
    q: dns.message.Message,
    where: str,
    timeout: float | None = DNS_QUERY_TIMEOUT,
    port: int = 53,
    af: int | None = None,
    source: str | None = None,
    source_port: int = 0,
    one_rr_per_rrset: bool = False,
    ignore_trailing: bool = False,
    sock: Any = None,
) -> dns.message.Message:
    """Send ``q`` to ``where`` over TCP and return the response (see ``dns.query.tcp``).

    A given ``sock`` must be connected already.  Raises ``EOFError`` if the server closes the
    connection early, ``dns.query.BadResponse`` if the answer is not a response to ``q``.
    """
    af, destination, local = _endpoints(where, port, af, source, source_port)
    own = sock is None
    s = socket.socket(af, socket.SOCK_STREAM) if own else sock
    try:
        deadline = _deadline(timeout)
        if own:
            if local is not None:
                s.bind(local)
            _within(s, deadline, s.connect, destination)
        wire = q.to_wire()
        _within(s, deadline, s.sendall, _LENGTH.pack(len(wire)) + wire)
        (length,) = _LENGTH.unpack(_read_exactly(s, _LENGTH.size, deadline))
        answer = _read_exactly(s, length, deadline)
    finally:
        if own:
            s.close()
    response = dns.message.from_wire(
        answer,
        keyring=q.keyring,
        request_mac=q.mac,
        one_rr_per_rrset=one_rr_per_rrset,
        ignore_trailing=ignore_trailing,
    )
    if not q.is_response(response):
        raise dns.query.BadResponse()
    return response
