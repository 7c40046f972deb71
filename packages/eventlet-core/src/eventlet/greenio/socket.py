"""The green socket: a real ``socket.socket`` whose blocking calls suspend only the green thread.

How it works
------------
The operating-system socket under a :class:`GreenSocket` is *always* non-blocking.  The timeout the
user sees (``settimeout``, ``gettimeout``, ``setblocking``) is kept in a slot of the object and never
reaches the kernel.  Every potentially blocking call first makes the system call; only when the kernel
answers "would block" (``BlockingIOError``) does the green thread wait on the hub, and then it tries
again.  So the common case costs one method lookup and one system call, exactly like a plain socket.

Waiting goes through :func:`eventlet.hubs.wait_fd` with a *serial* the socket receives at creation:
the hub can then keep the fd registered between waits (no ``epoll_ctl`` per wait), on the promise that
the socket calls :func:`eventlet.hubs.notify_close` before its fd is closed or detached.  That call is
also what wakes a green thread blocked on the socket when another one closes it: the waiter gets
``OSError(EBADF)`` instead of sleeping forever.

Timeout semantics are the standard library's: ``None`` blocks, ``0.0`` raises ``BlockingIOError``,
a positive value raises ``TimeoutError("timed out")`` once that long has passed (for ``sendall``,
across the whole call).  Host names in addresses given to ``connect``, ``bind`` and ``sendto`` are
resolved through :mod:`eventlet._resolver` (worker threads) rather than inside the C call, which would
block the hub.

Upstream eventlet's contract, kept where programs rely on it: ``recv`` and ``recv_into`` of a
connection the peer reset return ``b""``/``0`` (its end) instead of raising ``ConnectionResetError``;
a zero-size read on a socket that may wait waits for readability; ``GreenSocket(obj)`` wraps any object
with a ``fileno()``; methods can be replaced on an instance; every new socket is announced to the hub
(``mark_as_reopened``), so waiters left on a recycled fd number are woken.
"""

from __future__ import annotations

import _socket
import errno
import logging
import operator
import os
import socket as _stdsocket
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

try:
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

from eventlet.greenio._address import resolve_address as _resolve_address
from eventlet.greenio._sendfile import sendfile_on_hub
from eventlet.greenio._waiting import (
    deadline_after,
    parse_timeout,
    release_deadlines,
    retry_until,
    shared_deadline,
    wait_until,
)
from eventlet.greenio._waiting import timed_out as _timed_out
from eventlet.greenthread import sleep
from eventlet.hubs import notify_close, notify_opened, wait_fd
from eventlet.hubs._deadline import SharedDeadline
from eventlet.hubs.hub import EV_READ, EV_WRITE, new_serial

# Also importable from here (eventlet-ssl does): deadline_after, parse_timeout, retry_until, wait_until,
# whose home is eventlet.greenio._waiting.
__all__ = ["GreenSocket"]

logger: logging.Logger = logging.getLogger("eventlet.greenio")

R = TypeVar("R")
_MsgResult = tuple[Any, list[tuple[int, int, bytes]], int, Any]

_ss = _socket.socket
_c_recv = _ss.recv
_c_recv_into = _ss.recv_into
_c_recvfrom = _ss.recvfrom
_c_recvfrom_into = _ss.recvfrom_into
_c_send = _ss.send
_c_sendto = _ss.sendto
_c_accept: Callable[[_socket.socket], tuple[int, Any]] = vars(_ss)["_accept"]
_c_connect = _ss.connect
_c_connect_ex = _ss.connect_ex  # (eventlet-ssl's raw socket uses these aliases too)
_c_fileno = _ss.fileno
_c_gettimeout = _ss.gettimeout
_c_settimeout = _ss.settimeout
_c_setblocking = _ss.setblocking
# None where the platform lacks them (Windows): GreenSocket then does not define its versions either
_c_recvmsg = cast("Callable[..., _MsgResult]", getattr(_ss, "recvmsg", None))
_c_recvmsg_into = cast("Callable[..., _MsgResult]", getattr(_ss, "recvmsg_into", None))
_c_sendmsg = cast("Callable[..., int]", getattr(_ss, "sendmsg", None))
_family_of = _ss.__dict__["family"].__get__
_type_of = _ss.__dict__["type"].__get__
_clock = time.monotonic
_MSG_DONTWAIT = getattr(_socket, "MSG_DONTWAIT", 0)


def _recvmsg_flags(args: tuple[Any, ...]) -> int:
    return int(args[2]) if len(args) > 2 else 0


def _keep_blocking_flag(sock: _socket.socket) -> None:
    """Give ``sock`` a zero C-level timeout (so no C call ever waits) but keep the fd's flag.

    (Windows cannot read the flag back: there the fd becomes non-blocking, which is what the caller
    of ``set_nonblocking=False`` said it already was.)
    """
    if _fcntl is None:  # pragma: no cover - Windows
        _c_settimeout(sock, 0.0)
        return
    fd = _c_fileno(sock)
    flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
    _c_settimeout(sock, 0.0)
    _fcntl.fcntl(fd, _fcntl.F_SETFL, flags)


def _wrap_fd(obj: Any) -> tuple[int, int, int, int, float | None]:
    """For ``GreenSocket(obj)``: a duplicate of ``obj``'s fd, its family, type, proto and timeout."""
    if isinstance(obj, _ss):
        family, type, proto, timeout = _family_of(obj), _type_of(obj), obj.proto, obj.gettimeout()
    else:
        family = type = proto = -1  # the kernel tells them from the fd
        gettimeout = getattr(obj, "gettimeout", None)
        timeout = gettimeout() if gettimeout is not None else _stdsocket.getdefaulttimeout()
    return os.dup(obj.fileno()), family, type, proto, timeout


class GreenSocket(_stdsocket.socket):
    """A ``socket.socket`` that cooperates with the hub (see the module docstring).

    Created like a standard socket (``GreenSocket(family, type, proto, fileno)``), or around an
    existing socket-like object (``GreenSocket(sock)``, upstream eventlet's form): anything with a
    ``fileno()`` method, such as a standard socket or a server's own socket wrapper.  The green
    socket then works on a duplicate of that fd, so the object passed in stays open and usable (both
    share one open file, which the green socket makes non-blocking).

    ``set_nonblocking=False`` (upstream's keyword) leaves the fd's blocking flag as it is, for a
    caller that knows it is non-blocking already; a blocking fd would then block the OS thread.
    Attributes can be set on an instance (``sock.setsockopt = ...``), as on upstream's.
    """

    __slots__ = ("__dict__", "_read_deadline", "_sent", "_serial", "_user_timeout", "_write_deadline")

    _user_timeout: float | None
    _serial: int
    #: the hub timers that timed waits share, per direction (see eventlet.hubs._deadline)
    _read_deadline: SharedDeadline | None
    _write_deadline: SharedDeadline | None
    #: True after a send: the next receive waits for readability before trying (see recv).
    _sent: bool

    def __init__(
        self,
        family: Any = -1,
        type: int = -1,
        proto: int = -1,
        fileno: Any = None,
        *,
        set_nonblocking: bool = True,
    ) -> None:
        if isinstance(family, int):
            _stdsocket.socket.__init__(self, family, type, proto, fileno)
            timeout = _c_gettimeout(self)
        else:
            fd, family, type, proto, timeout = _wrap_fd(family)
            try:
                _stdsocket.socket.__init__(self, family, type, proto, fd)
            except BaseException:
                os.close(fd)  # not a socket after all
                raise
        self._user_timeout = timeout
        if set_nonblocking:
            _c_settimeout(self, 0.0)
        else:
            _keep_blocking_flag(self)
        self._serial = new_serial()
        self._sent = False
        self._read_deadline = self._write_deadline = None
        notify_opened(_c_fileno(self))  # the hub drops what it knew of an earlier file with this number

    # ------------------------------------------------------------------ timeouts
    def settimeout(self, value: float | None) -> None:
        """Set the timeout of blocking operations: None (block), 0.0 (non-blocking) or seconds."""
        self._user_timeout = parse_timeout(value)

    def gettimeout(self) -> float | None:
        """The timeout set by :meth:`settimeout` (None: blocking)."""
        return self._user_timeout

    def setblocking(self, flag: bool) -> None:
        """``setblocking(True)`` is ``settimeout(None)``; ``setblocking(False)``, ``settimeout(0.0)``.

        Like the standard method it touches the fd (keeping it non-blocking), so that a closed or
        invalid fd raises ``OSError`` here rather than at the next call.
        """
        blocking = operator.index(flag)
        _c_setblocking(self, False)
        self._user_timeout = None if blocking else 0.0

    def getblocking(self) -> bool:
        """False only when the timeout is 0.0 (non-blocking mode)."""
        return self._user_timeout != 0.0

    @property
    def timeout(self) -> float | None:
        """The timeout set by :meth:`settimeout` (read-only, like the standard attribute)."""
        return self._user_timeout

    @property
    def fd(self) -> GreenSocket:
        """This socket (upstream eventlet's GreenSocket kept the real socket in ``fd``)."""
        return self

    @property
    def _sock(self) -> GreenSocket:
        """This socket: upstream's name for what ``socket.SocketIO`` subclasses are built on."""
        return self

    # ------------------------------------------------------------------ waiting
    def _wait_until(self, mask: int, deadline: float | None) -> None:
        wait_until(self, mask, deadline, self._serial)

    def _deadline(self) -> float | None:
        return deadline_after(self._user_timeout)

    def _recv_after_send(self, func: Callable[..., R], args: tuple[Any, ...], flags: int) -> R:
        """A receive right after a send on this socket: the answer is unlikely to be there yet.

        Wait for readability first instead of making a receive call that would very probably fail
        with EAGAIN (a system call saved per request/response round trip).  The hub watches the fd
        level-triggered, so data that is already there wakes the wait at once.
        """
        self._sent = False
        timeout = self._user_timeout
        if flags & _MSG_DONTWAIT or timeout == 0.0:
            return func(self, *args)
        fd = _c_fileno(self)
        if fd >= 0:
            if timeout is None:
                # The common case, inlined: a blocking socket waiting for its answer.
                wait_fd(fd, EV_READ, None, TimeoutError, self._serial)
                try:
                    return func(self, *args)
                except BlockingIOError:
                    pass
            else:
                # A socket with a timeout, inlined as well (retry_until's first wait): one clock
                # reading for the deadline, and the wait reuses the socket's armed timer.
                deadline = _clock() + timeout
                shared = self._read_deadline
                if shared is None:
                    shared = shared_deadline(self, EV_READ)
                wait_fd(fd, EV_READ, None, TimeoutError, self._serial, None, shared, deadline)
                try:
                    return func(self, *args)
                except BlockingIOError:
                    pass
                return retry_until(self, func, args, EV_READ, deadline, self._serial)
        return self._retry(func, EV_READ, args)

    def _retry(self, func: Callable[..., R], mask: int, args: tuple[Any, ...]) -> R:
        """The slow path: the call would have blocked; wait and try again until it completes."""
        return retry_until(self, func, args, mask, deadline_after(self._user_timeout), self._serial)

    # ------------------------------------------------------------------ receiving
    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        """Receive up to ``bufsize`` bytes (``b""`` at end of stream, or once the peer reset it).

        ``recv(0)`` on a socket with a timeout (or blocking) waits until it is readable, as a
        blocking socket with a timeout does, so it can time out.
        """
        try:
            if self._sent:
                return self._recv_after_send(_c_recv, (bufsize, flags), flags)
            try:
                data = _c_recv(self, bufsize, flags)
                if data or bufsize or self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                    return data
            except BlockingIOError:
                if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                    raise
            return self._retry(_c_recv, EV_READ, (bufsize, flags))
        except ConnectionResetError:
            return b""  # upstream eventlet's contract: a reset connection reads as its end

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """Receive into ``buffer``; return the number of bytes received (0: end, or reset).

        A zero-size read waits until the socket is readable, as :meth:`recv` does.
        """
        try:
            if self._sent:
                return self._recv_after_send(_c_recv_into, (buffer, nbytes, flags), flags)
            try:
                count = _c_recv_into(self, buffer, nbytes, flags)
                if count or nbytes or self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                    return count
                if memoryview(buffer).nbytes:
                    return count  # end of stream
            except BlockingIOError:
                if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                    raise
            return self._retry(_c_recv_into, EV_READ, (buffer, nbytes, flags))
        except ConnectionResetError:
            return 0

    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
        """Receive up to ``bufsize`` bytes and the sender's address."""
        if self._sent:
            return self._recv_after_send(_c_recvfrom, (bufsize, flags), flags)
        try:
            return _c_recvfrom(self, bufsize, flags)
        except BlockingIOError:
            if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                raise
        return self._retry(_c_recvfrom, EV_READ, (bufsize, flags))

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        """Receive into ``buffer``; return the byte count and the sender's address."""
        if self._sent:
            return self._recv_after_send(_c_recvfrom_into, (buffer, nbytes, flags), flags)
        try:
            return _c_recvfrom_into(self, buffer, nbytes, flags)
        except BlockingIOError:
            if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                raise
        return self._retry(_c_recvfrom_into, EV_READ, (buffer, nbytes, flags))

    if _c_recvmsg is not None:  # pragma: no branch - every POSIX system has them

        def recvmsg(self, *args: Any) -> tuple[bytes, list[tuple[int, int, bytes]], int, Any]:
            """``recvmsg(bufsize[, ancbufsize[, flags]])``: data, ancillary data, flags, address."""
            if self._sent:
                return self._recv_after_send(_c_recvmsg, args, _recvmsg_flags(args))
            try:
                return _c_recvmsg(self, *args)
            except BlockingIOError:
                if self._user_timeout == 0.0:
                    raise
            return self._retry(_c_recvmsg, EV_READ, args)

        def recvmsg_into(self, *args: Any) -> tuple[int, list[tuple[int, int, bytes]], int, Any]:
            """``recvmsg_into(buffers[, ancbufsize[, flags]])``: like recvmsg, into buffers."""
            if self._sent:
                return self._recv_after_send(_c_recvmsg_into, args, _recvmsg_flags(args))
            try:
                return _c_recvmsg_into(self, *args)
            except BlockingIOError:
                if self._user_timeout == 0.0:
                    raise
            return self._retry(_c_recvmsg_into, EV_READ, args)

        def sendmsg(self, *args: Any) -> int:
            """``sendmsg(buffers[, ancdata[, flags[, address]]])``: return the bytes sent."""
            self._sent = True
            try:
                return _c_sendmsg(self, *args)
            except BlockingIOError:
                if self._user_timeout == 0.0 or _recvmsg_flags(args) & _MSG_DONTWAIT:
                    raise
            return self._retry(_c_sendmsg, EV_WRITE, args)

    # ------------------------------------------------------------------ sending
    def send(self, data: Any, flags: int = 0) -> int:
        """Send some of ``data``; return how many bytes went."""
        self._sent = True
        try:
            return _c_send(self, data, flags)
        except BlockingIOError:
            if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                raise
        return self._retry(_c_send, EV_WRITE, (data, flags))

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``; with a timeout, it bounds the whole call."""
        self._sent = True
        try:
            sent = _c_send(self, data, flags)
        except BlockingIOError:
            if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                raise
            sent = 0
        else:
            if type(data) is bytes and sent == len(data):
                return
        self._sendall_rest(data, sent, flags)

    def _sendall_rest(self, data: Any, sent: int, flags: int) -> None:
        with memoryview(data) as view, view.cast("B") as octets:
            total = len(octets)
            deadline = self._deadline()
            while sent < total:
                try:
                    sent += _c_send(self, octets[sent:], flags)
                except BlockingIOError:
                    if self._user_timeout == 0.0 or flags & _MSG_DONTWAIT:
                        raise
                    self._wait_until(EV_WRITE, deadline)

    def sendto(self, data: Any, *args: Any) -> int:
        """``sendto(data[, flags], address)``: send a datagram; return the bytes sent."""
        if args and type(args[-1]) is tuple:
            args = (*args[:-1], _resolve_address(self, args[-1]))
        self._sent = True
        try:
            return _c_sendto(self, data, *args)
        except BlockingIOError:
            if self._user_timeout == 0.0 or (len(args) > 1 and args[0] & _MSG_DONTWAIT):
                raise
        return self._retry(_c_sendto, EV_WRITE, (data, *args))

    _sendfile_use_sendfile = sendfile_on_hub
    """``sendfile``'s zero-copy path (see :mod:`eventlet.greenio._sendfile`)."""

    # ------------------------------------------------------------------ connections
    def _accept(self) -> tuple[int, Any]:
        """Accept a connection: return its raw fd and the peer's address."""
        try:
            return _c_accept(self)
        except BlockingIOError:
            if self._user_timeout == 0.0:
                raise
        return self._retry(_c_accept, EV_READ, ())

    def accept(self) -> tuple[GreenSocket, Any]:
        """Accept a connection: return a new green socket and the peer's address."""
        fd, address = self._accept()
        sock = GreenSocket(_family_of(self), _type_of(self), self.proto, fileno=fd)
        if _stdsocket.getdefaulttimeout() is None and self._user_timeout:
            sock._user_timeout = None
        return sock, address

    def _connect_errno(self, address: Any) -> int:
        """Connect; return 0 or the errno of the failure (TimeoutError once the timeout passes)."""
        address = _resolve_address(self, address)
        try:
            _c_connect(self, address)
            return 0
        except BlockingIOError as exc:
            if self._user_timeout == 0.0:
                raise
            pending = exc.errno != errno.EAGAIN
        deadline = self._deadline()
        while not pending:
            # A UNIX socket whose listener's backlog is full: nothing is in progress, try again.
            remaining = 0.005 if deadline is None else min(0.005, deadline - _clock())
            if remaining <= 0.0:
                raise _timed_out()
            sleep(remaining)
            try:
                _c_connect(self, address)
                return 0
            except BlockingIOError as exc:
                pending = exc.errno != errno.EAGAIN
        self._wait_until(EV_WRITE, deadline)
        return self.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)

    def connect(self, address: Any) -> None:
        """Connect to ``address``; raise the stdlib's exception on failure."""
        err = self._connect_errno(address)
        if err:
            raise OSError(err, os.strerror(err))

    def connect_ex(self, address: Any) -> int:
        """Connect to ``address``; return 0 or an errno instead of raising OSError."""
        try:
            return self._connect_errno(address)
        except TimeoutError:
            return errno.EWOULDBLOCK
        except OSError as exc:
            if exc.errno is None or isinstance(exc, _socket.gaierror):
                raise
            return exc.errno

    def bind(self, address: Any) -> None:
        """Bind to ``address`` (a host name is resolved without blocking the hub)."""
        _ss.bind(self, _resolve_address(self, address))

    # ------------------------------------------------------------------ closing
    def _real_close(self, _ss: type[_socket.socket] = _ss, _notify: Any = notify_close) -> None:
        fd = _c_fileno(self)
        if fd >= 0:
            _notify(fd)
        if self._read_deadline is not None or self._write_deadline is not None:
            release_deadlines(self)
        _ss.close(self)

    def detach(self) -> int:
        """Give up the fd without closing it (blocking again if the timeout is None)."""
        fd = _c_fileno(self)
        if fd >= 0:
            notify_close(fd)
            release_deadlines(self)
            if self._user_timeout is None:
                try:
                    _c_setblocking(self, True)
                except OSError as exc:  # an fd closed behind our back: nothing left to restore
                    logger.debug("detach: cannot make fd %d blocking again: %s", fd, exc)
        return super().detach()
