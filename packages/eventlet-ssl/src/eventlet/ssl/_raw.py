"""The cooperative plain-socket layer under every green TLS socket.

Both TLS engines (the standard library's ``_ssl`` and OpenSSL through pyOpenSSL) read and write the
file descriptor themselves, so the descriptor must be non-blocking at the kernel level or a TLS call
would stall the whole OS thread.  :class:`GreenRawSocket` keeps it that way: the C-level timeout of
the socket is always ``0.0`` and the timeout the user asked for lives in an attribute of the Python
object.  A call that would block raises ``BlockingIOError`` in C; the green thread then waits on the
hub (:func:`eventlet.hubs.wait_fd`, with a serial so the hub keeps the fd registered between waits)
and tries again.

The class is written against the kernel only (no dependency on the green socket of eventlet-core),
and it is a *mixin-friendly* subclass of ``socket.socket``: ``GreenSSLSocket`` puts it right under
``ssl.SSLSocket`` in its method resolution order, so every ``super().recv(...)`` or
``super().connect(...)`` that the standard ``SSLSocket`` makes on an unwrapped or unconnected
socket lands here and cooperates.  Instances may be created without ``__init__`` running (the
standard library builds ``SSLSocket`` objects with ``cls.__new__`` and ``socket.__init__``), so the
green state is set up in ``__new__``.
"""

from __future__ import annotations

import _socket
import errno
import os
import socket as _stdsocket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventlet.greenio._waiting import (
    deadline_after,
    parse_timeout,
    release_deadlines,
    retry_until,
    wait_until,
)

# The standard socket's C methods, unbound (core's aliases: one copy for both green sockets).
from eventlet.greenio.socket import (
    _c_accept,
    _c_connect_ex,
    _c_fileno,
    _c_recv,
    _c_recv_into,
    _c_recvfrom,
    _c_recvfrom_into,
    _c_send,
    _c_sendto,
    _c_settimeout,
)
from eventlet.hubs import notify_close
from eventlet.hubs.hub import EV_READ, EV_WRITE, new_serial

if TYPE_CHECKING:  # pragma: no cover - imported for the type checker only
    from eventlet.hubs._deadline import SharedDeadline

__all__ = ["GreenRawSocket", "deadline_after", "parse_timeout"]

R = TypeVar("R")

_ss = _socket.socket


def _resolve(sock: _ss, address: Any) -> Any:
    """Resolve a host name in an (host, port) address without blocking the hub."""
    if type(address) is tuple and address and isinstance(address[0], str):
        host = address[0]
        try:
            _socket.inet_pton(sock.family, host.partition("%")[0])
        except (OSError, ValueError):
            if sock.family in (_socket.AF_INET, _socket.AF_INET6) and host:
                from eventlet.green import socket as green_socket

                infos = green_socket.getaddrinfo(host, None, sock.family, _socket.SOCK_STREAM)
                return (infos[0][4][0], *address[1:])
    return address


class GreenRawSocket(_stdsocket.socket):
    """A ``socket.socket`` whose blocking calls suspend only the calling green thread."""

    _green_timeout: float | None
    _green_serial: int
    #: the hub timers that timed waits share, per direction (see eventlet.hubs._deadline)
    _read_deadline: SharedDeadline | None
    _write_deadline: SharedDeadline | None

    def __new__(cls, *args: Any, **kwargs: Any) -> GreenRawSocket:
        self = super().__new__(cls, *args, **kwargs)
        self._green_timeout = None
        self._green_serial = new_serial()
        self._read_deadline = self._write_deadline = None
        return self

    def __init__(self, family: Any = -1, type: int = -1, proto: int = -1, fileno: Any = None) -> None:
        _stdsocket.socket.__init__(self, family, type, proto, fileno)
        self._green_timeout = _stdsocket.getdefaulttimeout()
        _c_settimeout(self, 0.0)

    @classmethod
    def take_over(cls, sock: _stdsocket.socket) -> GreenRawSocket:
        """A green raw socket owning ``sock``'s fd and timeout; ``sock`` is detached."""
        timeout = sock.gettimeout()
        raw = cls(sock.family, sock.type, sock.proto, sock.detach())
        raw._green_timeout = timeout
        return raw

    # ------------------------------------------------------------------ timeouts
    def settimeout(self, value: float | None) -> None:
        """Set the timeout of blocking calls: None (block), 0.0 (non-blocking) or seconds."""
        self._green_timeout = parse_timeout(value)
        _c_settimeout(self, 0.0)

    def gettimeout(self) -> float | None:
        """The timeout set by :meth:`settimeout`."""
        return self._green_timeout

    def setblocking(self, flag: bool) -> None:
        """``True`` is ``settimeout(None)``; ``False`` is ``settimeout(0.0)``."""
        self.settimeout(None if flag else 0.0)

    def getblocking(self) -> bool:
        """False only in non-blocking mode (timeout 0.0)."""
        return self._green_timeout != 0.0

    @property
    def timeout(self) -> float | None:
        """The timeout set by :meth:`settimeout` (read-only)."""
        return self._green_timeout

    # ------------------------------------------------------------------ waiting
    def _wait(self, mask: int, deadline: float | None) -> None:
        """Wait until the fd is ready for ``mask``; TimeoutError once ``deadline`` passes."""
        wait_until(self, mask, deadline, self._green_serial)

    def _io(self, func: Callable[..., R], mask: int, *args: Any) -> R:
        """Call ``func(self, *args)`` until it stops raising BlockingIOError (or time runs out)."""
        try:
            return func(self, *args)
        except BlockingIOError:
            if self._green_timeout == 0.0:
                raise
        return retry_until(self, func, args, mask, deadline_after(self._green_timeout), self._green_serial)

    # ------------------------------------------------------------------ plain I/O
    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receive up to ``bufsize`` bytes (``b""`` at end of stream)."""
        return self._io(_c_recv, EV_READ, bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """Receive into ``buffer``; return the byte count."""
        return self._io(_c_recv_into, EV_READ, buffer, nbytes, flags)

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
        """Receive up to ``bufsize`` bytes and the sender's address."""
        return self._io(_c_recvfrom, EV_READ, bufsize, flags)

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        """Receive into ``buffer``; return the byte count and the sender's address."""
        return self._io(_c_recvfrom_into, EV_READ, buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        """Send some of ``data``; return how many bytes went."""
        return self._io(_c_send, EV_WRITE, data, flags)

    def sendto(self, data: Any, *args: Any) -> int:
        """``sendto(data[, flags], address)``."""
        return self._io(_c_sendto, EV_WRITE, data, *args)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``; a timeout bounds the whole call."""
        with memoryview(data) as view, view.cast("B") as octets:
            total = len(octets)
            sent = 0
            deadline = deadline_after(self._green_timeout)
            while sent < total:
                try:
                    sent += _c_send(self, octets[sent:], flags)
                except BlockingIOError:
                    if self._green_timeout == 0.0:
                        raise
                    self._wait(EV_WRITE, deadline)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send a file's contents (through :meth:`send`, so it cooperates)."""
        sent: int = self._sendfile_use_send(file, offset, count)  # type: ignore[attr-defined]
        return sent

    # ------------------------------------------------------------------ connections
    def _accept(self) -> tuple[int, Any]:
        """Accept a connection: its raw fd and the peer's address."""
        return self._io(_c_accept, EV_READ)

    def connect_ex(self, address: Any) -> int:
        """Connect; return 0 or an errno (EWOULDBLOCK once the timeout passes)."""
        err = _c_connect_ex(self, _resolve(self, address))
        if err not in (errno.EINPROGRESS, errno.EWOULDBLOCK) or self._green_timeout == 0.0:
            return err
        try:
            self._wait(EV_WRITE, deadline_after(self._green_timeout))
        except TimeoutError:
            return errno.EWOULDBLOCK
        return self.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)

    def connect(self, address: Any) -> None:
        """Connect to ``address``; raise OSError (TimeoutError after the timeout) on failure."""
        err = GreenRawSocket.connect_ex(self, address)
        if err == errno.EWOULDBLOCK and self._green_timeout != 0.0:
            raise TimeoutError("timed out")
        if err:
            raise OSError(err, os.strerror(err))

    # ------------------------------------------------------------------ closing
    def _real_close(self, *args: Any) -> None:
        fd = _c_fileno(self)
        if fd >= 0:
            notify_close(fd)
        release_deadlines(self)
        super()._real_close(*args)  # type: ignore[misc]

    def detach(self) -> int:
        """Give up the fd without closing it (blocking again if the timeout is None)."""
        fd = _c_fileno(self)
        if fd >= 0:
            notify_close(fd)
            release_deadlines(self)
            if self._green_timeout is None:
                _c_settimeout(self, None)
        return super().detach()
