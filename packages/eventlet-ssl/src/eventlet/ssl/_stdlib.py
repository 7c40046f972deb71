"""Green TLS on the standard library's ``ssl`` module.

How it works
------------
:class:`GreenSSLSocket` is an ``ssl.SSLSocket`` whose method resolution order puts
:class:`~eventlet.ssl._raw.GreenRawSocket` between it and ``socket.socket``::

    GreenSSLSocket -> ssl.SSLSocket -> GreenRawSocket -> socket.socket

So the standard ``SSLSocket`` code keeps doing the bookkeeping (creating the ``_ssl`` object,
``connect`` then handshake, ``getpeercert``, ``cipher``, sessions...), and every plain-socket call
it makes through ``super()`` is the cooperative one.  The kernel socket is non-blocking and its
C-level timeout is ``0.0``, so the ``_ssl`` object never waits itself: it raises
``SSLWantReadError`` / ``SSLWantWriteError``, and :meth:`GreenSSLSocket._call` waits on the hub for
the matching direction, then calls again.  The user's timeout bounds the whole operation and ends
it with ``TimeoutError``, the type the standard library raises.

No hang on buffered data: the TLS object is asked *first*; the hub is consulted only after it says
it needs more bytes from the wire.  Decrypted bytes already inside OpenSSL (``pending()``) are
therefore returned at once even though the socket itself has nothing to read.  One exception, for
speed: a blocking read right after a write (a request, then its answer) waits for the socket first
when nothing decrypted is pending, saving the failed read and the ``SSLWantReadError`` that asking
OpenSSL would cost; OpenSSL reads from the socket no further than the record it needs, so no
complete record can be sitting unseen inside it (TLS echo: about 20% less server CPU).

Servers: ``accept()`` on a listening green TLS socket does *not* run the handshake in the
accepting green thread (a client that stalls would then stall every accept).  The handshake is
deferred to the first operation on the accepted socket, in whichever green thread uses it.
"""

from __future__ import annotations

import _ssl
import socket as _stdsocket
import ssl as _stdssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventlet.hubs.hub import EV_READ, EV_WRITE
from eventlet.ssl._raw import GreenRawSocket, deadline_after

__all__ = ["GreenSSLContext", "GreenSSLSocket", "wrap_stdlib"]

R = TypeVar("R")

_WantRead = _stdssl.SSLWantReadError
_WantWrite = _stdssl.SSLWantWriteError
_SSLError = _stdssl.SSLError
_ERROR_EOF = _stdssl.SSL_ERROR_EOF
_FIRST = -1.0  # sentinel deadline: "not computed yet" (a real deadline is a monotonic time >= 0)


class GreenSSLSocket(_stdssl.SSLSocket, GreenRawSocket):
    """An ``ssl.SSLSocket`` whose handshake, reads and writes cooperate with the hub.

    Obtained from :func:`eventlet.ssl.wrap_socket` or a :class:`GreenSSLContext`'s
    ``wrap_socket``.  The upstream-eventlet form ``GreenSSLSocket(sock, keyfile=..., certfile=...,
    server_side=..., ...)`` is accepted too and means :func:`eventlet.ssl.wrap_ssl`.
    """

    # Set by ssl.SSLSocket._create (declared for type checkers).
    _sslobj: Any
    _context: Any
    suppress_ragged_eofs: bool
    do_handshake_on_connect: bool

    _deferred_handshake = False
    #: the last operation was a write: the answer is probably not there yet (see :meth:`read`)
    _wrote_last = False
    handshake_timeout: float | None = None
    #: Where ``accept()`` takes the context of new connections from (a ReloadableServerContext).
    context_source: Any = None

    def __new__(cls, *args: Any, **kwargs: Any) -> GreenSSLSocket:
        if args and isinstance(args[0], _stdsocket.socket):
            from eventlet.ssl._api import wrap_ssl

            return wrap_ssl(*args, **kwargs)  # type: ignore[return-value]
        return super().__new__(cls, *args, **kwargs)  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Instances come from ``__new__`` (see the class docstring); nothing to do here."""

    # ------------------------------------------------------------------ the wait loop
    def _call(self, deadline: float | None, func: Callable[..., R], *args: Any) -> R:
        """Call a TLS operation until it stops asking for I/O; wait on the hub in between.

        ``deadline`` is a monotonic time, None (no limit) or ``_FIRST``: use the socket's timeout
        (and in non-blocking mode let ``SSLWantReadError``/``SSLWantWriteError`` through).
        """
        while True:
            try:
                return func(*args)
            except _WantRead:
                if deadline == _FIRST and self._green_timeout == 0.0:
                    raise
                mask = EV_READ
            except _WantWrite:
                if deadline == _FIRST and self._green_timeout == 0.0:
                    raise
                mask = EV_WRITE
            if deadline == _FIRST:
                deadline = deadline_after(self._green_timeout)
            self._wait(mask, deadline)

    def _finish_deferred(self) -> None:
        self._deferred_handshake = False
        self.do_handshake()

    # ------------------------------------------------------------------ handshake
    def do_handshake(self, block: bool = False) -> None:
        """Run the TLS handshake (``block=True`` waits even on a non-blocking socket)."""
        self._check_connected()  # type: ignore[attr-defined]
        self._deferred_handshake = False
        timeout = self._green_timeout
        if self.handshake_timeout is not None:
            timeout = self.handshake_timeout
        if timeout == 0.0 and block:
            timeout = None
        if timeout == 0.0:
            self._sslobj.do_handshake()
            return
        try:
            self._call(deadline_after(timeout), self._sslobj.do_handshake)
        except TimeoutError:
            raise TimeoutError("The handshake operation timed out") from None

    # ------------------------------------------------------------------ data
    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """Read up to ``len`` decrypted bytes (into ``buffer`` if given); ``b""``/0 at EOF."""
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("Read on closed or unwrapped SSL socket.")
        if self._deferred_handshake:
            self._finish_deferred()
        if self._wrote_last:
            self._wrote_last = False
            if self._green_timeout is None and not sslobj.pending():
                # A read right after a write (a request and its answer): the answer is very
                # probably not in yet, and asking OpenSSL first would cost a failed read system
                # call and an SSLWantReadError.  Nothing decrypted is waiting (pending() is 0)
                # and OpenSSL reads no further than the record it needs, so waiting for the
                # socket first cannot miss data already received.
                self._wait(EV_READ, None)
        try:
            if buffer is not None:
                return self._call(_FIRST, sslobj.read, len, buffer)
            return self._call(_FIRST, sslobj.read, len)
        except _SSLError as exc:
            if exc.args[0] == _ERROR_EOF and self.suppress_ragged_eofs:
                return b"" if buffer is None else 0
            raise

    def write(self, data: Any) -> int:
        """Encrypt and send all of ``data``; return its length."""
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError("Write on closed or unwrapped SSL socket.")
        if self._deferred_handshake:
            self._finish_deferred()
        written: int = self._call(_FIRST, sslobj.write, data)
        self._wrote_last = True
        return written

    def send(self, data: Any, flags: int = 0) -> int:
        """Send ``data`` over TLS (plain send once unwrapped)."""
        if self._sslobj is None:
            return GreenRawSocket.send(self, data, flags)
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to send() on {type(self)}")
        return self.write(data)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``; the timeout bounds the whole call."""
        sslobj = self._sslobj
        if sslobj is None:
            GreenRawSocket.sendall(self, data, flags)
            return
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to sendall() on {type(self)}")
        if self._deferred_handshake:
            self._finish_deferred()
        timeout = self._green_timeout
        deadline = _FIRST if timeout == 0.0 else deadline_after(timeout)
        with memoryview(data) as view, view.cast("B") as octets:
            total = len(octets)
            sent = 0
            while sent < total:
                sent += self._call(deadline, sslobj.write, octets[sent : sent + 1048576])
        self._wrote_last = True

    def unwrap(self) -> GreenSSLSocket:
        """Run the TLS closing handshake; return this socket, now a plain green socket."""
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError(f"No SSL wrapper around {self}")
        self._call(_FIRST, sslobj.shutdown)
        self._sslobj = None
        return self

    # ------------------------------------------------------------------ information
    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's certificate (as ``ssl.SSLSocket.getpeercert``)."""
        if self._deferred_handshake:
            self._finish_deferred()
        return super().getpeercert(binary_form)

    def selected_alpn_protocol(self) -> str | None:
        """The protocol ALPN selected, or None."""
        if self._deferred_handshake:
            self._finish_deferred()
        return super().selected_alpn_protocol()

    def version(self) -> str | None:
        """The TLS version negotiated (``"TLSv1.3"``...), or None before the handshake."""
        if self._deferred_handshake:
            self._finish_deferred()
        return super().version()

    def cipher(self) -> tuple[str, str, int] | None:
        """``(name, protocol, secret bits)`` of the cipher in use, or None."""
        if self._deferred_handshake:
            self._finish_deferred()
        return super().cipher()

    # ------------------------------------------------------------------ server side
    def accept(self) -> tuple[GreenSSLSocket, Any]:
        """Accept a connection and wrap it server-side; its handshake runs on first use."""
        fd, address = self._accept()
        plain = _stdsocket.socket(self.family, self.type, self.proto, fileno=fd)
        if _stdsocket.getdefaulttimeout() is None and self._green_timeout:
            plain.setblocking(True)
        source = self.context_source
        conn = wrap_stdlib(
            plain,
            self._context if source is None else source.context,
            server_side=True,
            do_handshake_on_connect=False,
            suppress_ragged_eofs=self.suppress_ragged_eofs,
        )
        conn._deferred_handshake = self.do_handshake_on_connect
        conn.handshake_timeout = self.handshake_timeout
        return conn, address


def wrap_stdlib(
    sock: _stdsocket.socket,
    context: _stdssl.SSLContext,
    server_side: bool = False,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    server_hostname: str | None = None,
    session: _stdssl.SSLSession | None = None,
    handshake_timeout: float | None = None,
) -> GreenSSLSocket:
    """Wrap ``sock`` in a :class:`GreenSSLSocket` with any ``ssl.SSLContext``."""
    # With a handshake timeout the handshake is run here, not by _create (which would use the
    # socket's timeout).
    conn: GreenSSLSocket = GreenSSLSocket._create(  # type: ignore[attr-defined]
        sock,
        server_side=server_side,
        do_handshake_on_connect=do_handshake_on_connect if handshake_timeout is None else False,
        suppress_ragged_eofs=suppress_ragged_eofs,
        server_hostname=server_hostname,
        context=context,
        session=session,
    )
    if handshake_timeout is None:
        return conn
    conn.handshake_timeout = handshake_timeout
    if not do_handshake_on_connect:
        return conn
    if conn._sslobj is None:
        conn.do_handshake_on_connect = True  # not connected yet: connect() will run it
        return conn
    try:
        conn.do_handshake()
    except BaseException:
        conn.close()
        raise
    return conn


def _c_property(name: str, convert: Callable[[Any], Any]) -> Any:
    """A context property going straight to the C base class.

    The standard ``SSLContext`` setters find the C descriptor through ``super(SSLContext, ...)``
    with the *module global* ``SSLContext``; once ``monkey_patch()`` has made that name this
    class, they would find themselves and recurse forever.  These do not depend on that name.
    """
    raw = _ssl._SSLContext.__dict__[name]

    def get(self: Any) -> Any:
        return convert(raw.__get__(self))

    def set(self: Any, value: Any) -> None:
        raw.__set__(self, value)

    return property(get, set, doc=f"The context's ``{name}`` (as ``ssl.SSLContext.{name}``).")


class GreenSSLContext(_stdssl.SSLContext):
    """An ``ssl.SSLContext`` whose ``wrap_socket`` returns :class:`GreenSSLSocket` objects."""

    sslsocket_class: type[_stdssl.SSLSocket] = GreenSSLSocket
    if not TYPE_CHECKING:  # for type checkers, the standard properties (and their types) stay
        options = _c_property("options", _stdssl.Options)
        verify_flags = _c_property("verify_flags", _stdssl.VerifyFlags)
        verify_mode = _c_property("verify_mode", _stdssl.VerifyMode)
        minimum_version = _c_property("minimum_version", _stdssl.TLSVersion)
        maximum_version = _c_property("maximum_version", _stdssl.TLSVersion)
