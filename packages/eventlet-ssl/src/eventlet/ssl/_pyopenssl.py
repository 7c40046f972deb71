"""Green TLS on pyOpenSSL, behind the standard library's ``SSLSocket`` API.

How it works
------------
:class:`PyOpenSSLSocket` *is* the socket (a :class:`~eventlet.ssl._raw.GreenRawSocket`, so
``fileno``, ``getpeername``, ``settimeout``, ``makefile`` and closing behave as on any socket) and
it owns a green :class:`eventlet.green.OpenSSL.SSL.Connection` bound to its own file descriptor.
Reads and writes go through the connection, which waits on the hub whenever OpenSSL wants I/O.
pyOpenSSL's exceptions are translated into the standard library's, so code written against
``ssl.SSLSocket`` works unchanged on either backend:

===============================================  ==============================================
pyOpenSSL                                        here
===============================================  ==============================================
``ZeroReturnError`` (close alert received)       ``b""`` / ``0`` from reads
``SysCallError(-1, "Unexpected EOF")``           ``b""`` if ``suppress_ragged_eofs``, otherwise
                                                 ``ssl.SSLEOFError``
``SysCallError(errno, ...)``                     ``OSError`` of that errno
``WantReadError`` / ``WantWriteError``           waited on; ``ssl.SSLWantReadError`` /
                                                 ``ssl.SSLWantWriteError`` if non-blocking
``Error`` with a failed certificate check        ``ssl.SSLCertVerificationError`` (with
                                                 ``verify_code`` and ``verify_message``)
any other ``Error``                              ``ssl.SSLError``
===============================================  ==============================================

Secure by default: a client whose context verifies peers (``VERIFY_PEER``) also checks the host
name, inside the handshake, the way the standard library does (OpenSSL's ``X509_VERIFY_PARAM``
host/IP check, reached through the cffi bindings pyOpenSSL itself uses, since pyOpenSSL has no
public call for it).  These translations, which involve no socket, live in
:mod:`eventlet.ssl._pyopenssl_compat`.
"""

from __future__ import annotations

import errno
import ipaddress
import socket as _stdsocket
from typing import Any, overload

from OpenSSL import SSL
from OpenSSL._util import lib as _lib

from eventlet.green.OpenSSL.SSL import Connection
from eventlet.ssl._pyopenssl_compat import cert_to_dict, set_expected_host, translate_error
from eventlet.ssl._raw import GreenRawSocket
from eventlet.ssl._tlssocket import TLSSocketMethods

__all__ = ["PyOpenSSLSocket", "translate_error", "wrap_pyopenssl"]

#: Set on a Context (by create_default_context) to force hostname checking on or off.
CHECK_HOSTNAME_ATTR = "_eventlet_check_hostname"


class PyOpenSSLSocket(TLSSocketMethods, GreenRawSocket):
    """A green TLS socket on pyOpenSSL with the ``ssl.SSLSocket`` API (see the module docstring).

    Created by :func:`eventlet.ssl.wrap_socket` when given an ``OpenSSL.SSL.Context``.
    """

    _sslobj: Connection | None
    _context: SSL.Context
    server_side: bool
    server_hostname: str | None
    suppress_ragged_eofs: bool
    do_handshake_on_connect: bool
    _handshaken: bool
    _session: Any

    # ------------------------------------------------------------------ the TLS connection
    def _tls(self) -> Connection:
        conn = self._sslobj
        if conn is None:
            raise ValueError("Read or write on closed or unwrapped TLS socket.")
        return conn

    def _start(self) -> None:
        """Create the TLS connection over this socket (once it is connected)."""
        conn = Connection(self._context, self)
        if self.server_side:
            conn.set_accept_state()
        else:
            conn.set_connect_state()
            hostname = self.server_hostname
            if hostname:
                try:
                    ipaddress.ip_address(hostname)
                except ValueError:
                    conn.set_tlsext_host_name(hostname.encode("idna"))
                if self._check_hostname:
                    set_expected_host(conn, hostname)
            if self._session is not None:
                conn.set_session(self._session)
        self._sslobj = conn

    @property
    def _check_hostname(self) -> bool:
        forced = getattr(self._context, CHECK_HOSTNAME_ATTR, None)
        if forced is not None:
            return bool(forced)
        return bool(self._context.get_verify_mode() & SSL.VERIFY_PEER)

    @property
    def context(self) -> SSL.Context:
        """The ``OpenSSL.SSL.Context`` this socket uses."""
        return self._context

    # ------------------------------------------------------------------ handshake
    def do_handshake(self, block: bool = False) -> None:
        """Run the TLS handshake (``block=True`` waits even on a non-blocking socket)."""
        conn = self._tls()
        saved, self._green_timeout = self._green_timeout, self._handshake_timeout(block)
        try:
            conn.do_handshake()
        except TimeoutError:
            raise TimeoutError("The handshake operation timed out") from None
        except SSL.Error as exc:
            raise translate_error(exc, conn) from exc
        finally:
            self._green_timeout = saved
        self._handshaken = True
        self._deferred_handshake = False

    def _ensure_handshake(self) -> Connection:
        """The TLS connection, its handshake done (on every read and write: ``_tls`` inlined)."""
        conn = self._sslobj
        if conn is None:
            raise ValueError("Read or write on closed or unwrapped TLS socket.")
        if not self._handshaken:
            self.do_handshake()
        return conn

    def connect(self, address: Any) -> None:
        """Connect, then (with ``do_handshake_on_connect``) run the handshake."""
        self._before_connect()
        GreenRawSocket.connect(self, address)
        self._after_connect()

    def connect_ex(self, address: Any) -> int:
        """Like :meth:`connect`, returning an errno instead of raising OSError."""
        self._before_connect()
        err = GreenRawSocket.connect_ex(self, address)
        if not err:
            self._after_connect()
        return err

    def _before_connect(self) -> None:
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")

    def _after_connect(self) -> None:
        self._start()
        if self.do_handshake_on_connect:
            self.do_handshake()

    def _wrap_accepted(self, sock: _stdsocket.socket, context: Any, **options: Any) -> PyOpenSSLSocket:
        return wrap_pyopenssl(sock, context, **options)

    # ------------------------------------------------------------------ data
    @overload
    def read(self, len: int = 1024, buffer: None = None) -> bytes: ...
    @overload
    def read(self, len: int, buffer: bytearray | memoryview) -> int: ...
    def read(self, len: int = 1024, buffer: Any = None) -> bytes | int:
        """Read up to ``len`` decrypted bytes (into ``buffer`` if given); ``b""``/0 at EOF."""
        conn = self._ensure_handshake()
        try:
            if buffer is None:
                return conn.recv(len)
            return conn.recv_into(buffer, len)
        except (SSL.ZeroReturnError, SSL.SysCallError) as exc:
            if isinstance(exc, SSL.ZeroReturnError) or (self.suppress_ragged_eofs and exc.args[0] == -1):
                return b"" if buffer is None else 0
            raise translate_error(exc, conn) from exc
        except SSL.Error as exc:
            raise translate_error(exc, conn) from exc

    def write(self, data: Any) -> int:
        """Encrypt and send all of ``data``; return its length."""
        conn = self._ensure_handshake()
        try:
            return conn.sendall(data)
        except SSL.Error as exc:
            raise translate_error(exc, conn) from exc

    _write_all = write  # write sends all of it already

    # ------------------------------------------------------------------ closing
    def unwrap(self) -> PyOpenSSLSocket:
        """Run the TLS closing handshake; return this socket, now a plain green socket."""
        conn = self._tls()
        try:
            while not conn.shutdown():
                # Our alert went; wait for the peer's (reading raises ZeroReturnError on it).
                try:
                    conn.recv(1)
                except SSL.ZeroReturnError:
                    break
        except SSL.Error as exc:
            raise translate_error(exc, conn) from exc
        self._sslobj = None
        return self

    def _real_close(self, *args: Any) -> None:
        conn, self._sslobj = self._sslobj, None
        if conn is not None:
            # Closing without a close alert must not spoil the session for resumption (OpenSSL
            # drops the session of a connection it sees as not shut down; TLS >= 1.1 allows it,
            # and the standard library's sockets keep it too).
            conn.set_shutdown(conn.get_shutdown() | SSL.SENT_SHUTDOWN)
        super()._real_close(*args)

    # ------------------------------------------------------------------ information
    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's certificate: a dict (empty if unverified), DER bytes, or None."""
        conn = self._ensure_handshake()
        cert = conn.get_peer_certificate(as_cryptography=True)
        if cert is None:
            return None
        if binary_form:
            from cryptography.hazmat.primitives.serialization import Encoding

            return cert.public_bytes(Encoding.DER)
        if not self._context.get_verify_mode() & SSL.VERIFY_PEER:
            return {}
        return cert_to_dict(cert)

    def selected_alpn_protocol(self) -> str | None:
        """The protocol ALPN selected, or None."""
        if self._sslobj is None:
            return None
        protocol = self._ensure_handshake().get_alpn_proto_negotiated()
        return protocol.decode() if protocol else None

    def version(self) -> str | None:
        """The TLS version negotiated (``"TLSv1.3"``...), or None."""
        if self._deferred_handshake and self._sslobj is not None:
            self._ensure_handshake()
        if self._sslobj is None or not self._handshaken:
            return None
        return self._sslobj.get_protocol_version_name()

    def cipher(self) -> tuple[str, str, int] | None:
        """``(name, protocol, secret bits)`` of the cipher in use, or None."""
        if self._deferred_handshake and self._sslobj is not None:
            self._ensure_handshake()
        if self._sslobj is None or not self._handshaken:
            return None
        conn = self._sslobj
        return (conn.get_cipher_name(), conn.get_cipher_version(), conn.get_cipher_bits())  # type: ignore[return-value]

    @property
    def session(self) -> SSL.Session | None:
        """The TLS session, to pass as ``session=`` to a later connection for resumption."""
        return None if self._sslobj is None else self._sslobj.get_session()

    @property
    def session_reused(self) -> bool | None:
        """Whether the handshake resumed an earlier session (None before there is one)."""
        if self._sslobj is None:
            return None
        return bool(_lib.SSL_session_reused(self._sslobj._ssl))


def wrap_pyopenssl(
    sock: _stdsocket.socket,
    context: SSL.Context,
    server_side: bool = False,
    do_handshake_on_connect: bool = True,
    suppress_ragged_eofs: bool = True,
    server_hostname: str | None = None,
    session: SSL.Session | None = None,
    handshake_timeout: float | None = None,
) -> PyOpenSSLSocket:
    """Wrap ``sock`` (plain or green, connected or not) in a :class:`PyOpenSSLSocket`."""
    if sock.type != _stdsocket.SOCK_STREAM:
        raise NotImplementedError("only stream sockets are supported")
    if server_side and server_hostname:
        raise ValueError("server_hostname can only be specified in client mode")
    if server_side and session is not None:
        raise ValueError("session can only be specified in client mode")
    timeout = sock.gettimeout()
    self = PyOpenSSLSocket(sock.family, sock.type, sock.proto, sock.detach())
    try:
        self._green_timeout = timeout
        self._context = context
        self._sslobj = None
        self._handshaken = False
        self._session = session
        self.server_side = server_side
        self.server_hostname = server_hostname
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self.do_handshake_on_connect = do_handshake_on_connect
        self.handshake_timeout = handshake_timeout
        if self._check_hostname and not server_side and not server_hostname:
            raise ValueError("check_hostname requires server_hostname")
        try:
            self.getpeername()
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:
                raise
            return self
        self._start()
        if do_handshake_on_connect:
            if timeout == 0.0:
                raise ValueError("do_handshake_on_connect should not be specified for non-blocking sockets")
            self.do_handshake()
    except BaseException:
        self.close()
        raise
    return self
