"""Green TLS on the standard library's ``ssl`` module.

How it works
------------
:class:`GreenSSLSocket` is an ``ssl.SSLSocket`` whose method resolution order puts
:class:`~eventlet.ssl._raw.GreenRawSocket` between it and ``socket.socket``::

    GreenSSLSocket -> TLSSocketMethods -> ssl.SSLSocket -> GreenRawSocket -> socket.socket

So the standard ``SSLSocket`` code keeps doing the bookkeeping (creating the ``_ssl`` object,
``connect`` then handshake, ``getpeercert``, ``cipher``, sessions...), and every plain-socket call
it makes through ``super()`` is the cooperative one.  The kernel socket is non-blocking and its
C-level timeout is ``0.0``, so the ``_ssl`` object never waits itself: it raises
``SSLWantReadError`` / ``SSLWantWriteError``, and the wait loop of :mod:`eventlet.ssl._retry` (the
one both backends use) waits on the hub for the matching direction, then calls again.  The user's
timeout bounds the whole operation and ends it with ``TimeoutError``, the type the standard library
raises.

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
The socket methods around the engine (``recv``, ``send``, ``sendall``, ``accept``...) are those of
:class:`~eventlet.ssl._tlssocket.TLSSocketMethods`, shared with the pyOpenSSL backend.

Upstream eventlet's forms live here too, as they only ever make standard-library sockets: the
constructor call ``GreenSSLSocket(sock, keyfile=..., ...)`` and the old ``ssl.wrap_socket``
arguments (:func:`wrap_legacy`, behind :func:`eventlet.ssl.wrap_ssl`).
"""

from __future__ import annotations

import _ssl
import socket as _stdsocket
import ssl as _stdssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventlet.hubs.hub import EV_READ
from eventlet.ssl._raw import GreenRawSocket, deadline_after
from eventlet.ssl._retry import SOCKET_TIMEOUT, retry_loop, write_all
from eventlet.ssl._tlssocket import TLSSocketMethods

__all__ = ["GreenSSLContext", "GreenSSLSocket", "wrap_legacy", "wrap_stdlib"]

_SSLError = _stdssl.SSLError
_ERROR_EOF = _stdssl.SSL_ERROR_EOF
#: The wait loop (see eventlet.ssl._retry) for the standard library's would-block errors.
_call = retry_loop(_stdssl.SSLWantReadError, _stdssl.SSLWantWriteError)


class GreenSSLSocket(TLSSocketMethods, _stdssl.SSLSocket, GreenRawSocket):
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

    #: the last operation was a write: the answer is probably not there yet (see :meth:`read`)
    _wrote_last = False

    def __new__(cls, *args: Any, **kwargs: Any) -> GreenSSLSocket:
        if args and isinstance(args[0], _stdsocket.socket):
            return wrap_legacy(*args, **kwargs)
        return super().__new__(cls, *args, **kwargs)  # type: ignore[return-value]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Instances come from ``__new__`` (see the class docstring); nothing to do here."""

    def _finish_deferred(self) -> None:
        self._deferred_handshake = False
        self.do_handshake()

    # ------------------------------------------------------------------ handshake
    def do_handshake(self, block: bool = False) -> None:
        """Run the TLS handshake (``block=True`` waits even on a non-blocking socket)."""
        self._check_connected()  # type: ignore[attr-defined]
        self._deferred_handshake = False
        timeout = self._handshake_timeout(block)
        if timeout == 0.0:
            self._sslobj.do_handshake()
            return
        try:
            _call(self, deadline_after(timeout), self._sslobj.do_handshake)
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
                return _call(self, SOCKET_TIMEOUT, sslobj.read, len, buffer)
            return _call(self, SOCKET_TIMEOUT, sslobj.read, len)
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
        written: int = _call(self, SOCKET_TIMEOUT, sslobj.write, data)
        self._wrote_last = True
        return written

    def _write_all(self, data: Any) -> None:
        """Send all of ``data`` (for ``sendall``)."""
        if self._deferred_handshake:
            self._finish_deferred()
        write_all(_call, self, data, self._sslobj.write)
        self._wrote_last = True

    def unwrap(self) -> GreenSSLSocket:
        """Run the TLS closing handshake; return this socket, now a plain green socket."""
        sslobj = self._sslobj
        if sslobj is None:
            raise ValueError(f"No SSL wrapper around {self}")
        _call(self, SOCKET_TIMEOUT, sslobj.shutdown)
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
    def _wrap_accepted(self, sock: _stdsocket.socket, context: Any, **options: Any) -> GreenSSLSocket:
        return wrap_stdlib(sock, context, **options)


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


_PINNED_VERSIONS = {
    getattr(_stdssl, name, None): version
    for name, version in (
        ("PROTOCOL_TLSv1", _stdssl.TLSVersion.TLSv1),
        ("PROTOCOL_TLSv1_1", _stdssl.TLSVersion.TLSv1_1),
        ("PROTOCOL_TLSv1_2", _stdssl.TLSVersion.TLSv1_2),
    )
}
_PINNED_VERSIONS.pop(None, None)
_DEFAULT_PROTOCOLS = (
    None,
    _stdssl.PROTOCOL_TLS_CLIENT,
    _stdssl.PROTOCOL_TLS_SERVER,
    _stdssl.PROTOCOL_TLS,  # deprecated alias, same value
)


def wrap_legacy(
    sock: _stdsocket.socket,
    keyfile: str | None = None,
    certfile: str | None = None,
    server_side: bool = False,
    cert_reqs: _stdssl.VerifyMode | int = _stdssl.CERT_NONE,
    ssl_version: int | None = None,
    ca_certs: str | None = None,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    ciphers: str | None = None,
    *,
    server_hostname: str | None = None,
    context: _stdssl.SSLContext | None = None,
) -> GreenSSLSocket:
    """The old ``ssl.wrap_socket`` arguments on this backend (see :func:`eventlet.ssl.wrap_ssl`).

    Also what ``GreenSSLSocket(sock, ...)`` means.  ``context``, an ``ssl.SSLContext`` here,
    replaces the context arguments.
    """
    options: dict[str, Any] = {
        "server_side": server_side,
        "do_handshake_on_connect": do_handshake_on_connect,
        "suppress_ragged_eofs": suppress_ragged_eofs,
    }
    if context is not None:
        if not isinstance(context, _stdssl.SSLContext):
            raise TypeError(f"an ssl.SSLContext is needed here, not {type(context).__name__}")
        return wrap_stdlib(sock, context, server_hostname=server_hostname, **options)
    if keyfile and not certfile:
        raise ValueError("certfile must be specified")
    if ssl_version in _DEFAULT_PROTOCOLS:
        pinned = None
    elif ssl_version in _PINNED_VERSIONS:
        pinned = _PINNED_VERSIONS[ssl_version]
    else:
        raise ValueError(f"ssl_version {ssl_version!r} is not supported")
    if server_side:
        ctx = GreenSSLContext(_stdssl.PROTOCOL_TLS_SERVER)
    else:
        ctx = GreenSSLContext(_stdssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = bool(server_hostname) and cert_reqs != _stdssl.CERT_NONE
    ctx.verify_mode = _stdssl.VerifyMode(cert_reqs)
    if pinned is not None:
        ctx.minimum_version = ctx.maximum_version = pinned
    else:
        ctx.minimum_version = _stdssl.TLSVersion.TLSv1_2
    if ca_certs:
        ctx.load_verify_locations(ca_certs)
    elif ctx.verify_mode != _stdssl.CERT_NONE:
        ctx.load_default_certs(_stdssl.Purpose.CLIENT_AUTH if server_side else _stdssl.Purpose.SERVER_AUTH)
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    if ciphers:
        ctx.set_ciphers(ciphers)
    return wrap_stdlib(sock, ctx, server_hostname=None if server_side else server_hostname, **options)
