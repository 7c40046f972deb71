"""The socket methods both green TLS socket classes share, written once around their engines.

:class:`~eventlet.ssl._stdlib.GreenSSLSocket` (the standard library's ``_ssl``) and
:class:`~eventlet.ssl._pyopenssl.PyOpenSSLSocket` (pyOpenSSL) differ in how they read, write,
shake hands and close TLS.  Everything around that is the same and lives here, in
:class:`TLSSocketMethods`, which both put first among their bases:

* the data calls of ``socket.socket`` as ``ssl.SSLSocket`` defines them: while TLS is on,
  ``recv``/``recv_into``/``send``/``sendall`` go through the class's ``read``/``write`` and
  refuse ``flags``, and the datagram and ancillary-data calls are refused (they would bypass the
  encryption); before the socket is connected, and after ``unwrap()``, they are the plain
  cooperative calls of :class:`~eventlet.ssl._raw.GreenRawSocket`;
* ``accept()``, which wraps the new connection server-side and defers its handshake to its first
  use, so that a client that stalls mid-handshake never stalls the accepting green thread;
* the timeout that bounds a handshake.

A class using it provides ``_sslobj`` (its TLS engine object, None while TLS is off), ``read``,
``write``, ``_write_all`` (send all of a buffer, one deadline) and ``_wrap_accepted``.
"""

from __future__ import annotations

import socket as _stdsocket
from typing import TYPE_CHECKING, Any, NoReturn

from eventlet.ssl._raw import GreenRawSocket

__all__ = ["TLSSocketMethods"]

if TYPE_CHECKING:
    _Base = GreenRawSocket
else:  # a mixin: GreenSSLSocket needs ssl.SSLSocket between it and GreenRawSocket
    _Base = object


class TLSSocketMethods(_Base):
    """The ``socket.socket`` methods of a green TLS socket (see the module docstring)."""

    _sslobj: Any
    _context: Any
    suppress_ragged_eofs: bool
    do_handshake_on_connect: bool
    #: Bounds the handshake instead of the socket's timeout (None: the socket's timeout).
    handshake_timeout: float | None = None
    #: Where ``accept()`` takes the context of new connections from (a ReloadableServerContext).
    context_source: Any = None
    #: The handshake is still to run, on the first use (sockets made by ``accept()``).
    _deferred_handshake: bool = False

    if TYPE_CHECKING:  # what the backend's class provides

        def read(self, len: int = 1024, buffer: Any = None) -> Any:
            """Read up to ``len`` decrypted bytes (into ``buffer`` if given); ``b""``/0 at EOF."""

        def write(self, data: Any) -> int:
            """Encrypt and send ``data``; return how many bytes went."""

        def _write_all(self, data: Any) -> object:
            """Encrypt and send all of ``data``, the socket's timeout bounding the whole call."""

        def _wrap_accepted(self, sock: _stdsocket.socket, context: Any, **options: Any) -> TLSSocketMethods:
            """``sock``, accepted, wrapped with ``context`` and the wrap function's ``options``."""

    # ------------------------------------------------------------------ data
    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        """Receive up to ``buflen`` decrypted bytes (plain recv while TLS is off)."""
        if self._sslobj is None:
            return GreenRawSocket.recv(self, buflen, flags)
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to recv() on {self.__class__}")
        data: bytes = self.read(buflen)
        return data

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        """Receive into ``buffer`` (at most ``nbytes``, default its size); return the byte count."""
        if self._sslobj is None:
            return GreenRawSocket.recv_into(self, buffer, nbytes or 0, flags)
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to recv_into() on {self.__class__}")
        if not nbytes:
            with memoryview(buffer) as view:
                nbytes = view.nbytes or 1024
        count: int = self.read(nbytes, buffer)
        return count

    def send(self, data: Any, flags: int = 0) -> int:
        """Send ``data`` over TLS; return how many bytes went (plain send while TLS is off)."""
        if self._sslobj is None:
            return GreenRawSocket.send(self, data, flags)
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to send() on {self.__class__}")
        return self.write(data)

    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``; the timeout bounds the whole call."""
        if self._sslobj is None:
            GreenRawSocket.sendall(self, data, flags)
            return
        if flags:
            raise ValueError(f"non-zero flags not allowed in calls to sendall() on {self.__class__}")
        self._write_all(data)

    def pending(self) -> int:
        """Decrypted bytes buffered inside the engine, readable without touching the socket."""
        sslobj = self._sslobj
        return 0 if sslobj is None else int(sslobj.pending())

    def _refuse(self, name: str) -> NoReturn:
        raise ValueError(f"{name} not allowed on instances of {self.__class__}")

    def recvfrom(self, buflen: int = 1024, flags: int = 0) -> tuple[bytes, Any]:
        """Refused while TLS is on (no datagrams over TLS); plain ``recvfrom`` otherwise."""
        if self._sslobj is not None:
            self._refuse("recvfrom")
        return GreenRawSocket.recvfrom(self, buflen, flags)

    def recvfrom_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> tuple[int, Any]:
        """Refused while TLS is on; plain ``recvfrom_into`` otherwise."""
        if self._sslobj is not None:
            self._refuse("recvfrom_into")
        return GreenRawSocket.recvfrom_into(self, buffer, nbytes or 0, flags)

    def sendto(self, data: Any, flags_or_addr: Any, addr: Any = None) -> int:
        """Refused while TLS is on; plain ``sendto`` otherwise."""
        if self._sslobj is not None:
            self._refuse("sendto")
        if addr is None:
            return GreenRawSocket.sendto(self, data, flags_or_addr)
        return GreenRawSocket.sendto(self, data, flags_or_addr, addr)

    def recvmsg(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: ancillary data does not go through TLS."""
        raise NotImplementedError(f"recvmsg not allowed on instances of {self.__class__}")

    def recvmsg_into(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: ancillary data does not go through TLS."""
        raise NotImplementedError(f"recvmsg_into not allowed on instances of {self.__class__}")

    def sendmsg(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: it would send the data unencrypted."""
        raise NotImplementedError(f"sendmsg not allowed on instances of {self.__class__}")

    def shutdown(self, how: int) -> None:
        """Shut down the socket (TLS is abandoned: no close alert)."""
        self._sslobj = None
        GreenRawSocket.shutdown(self, how)

    # ------------------------------------------------------------------ handshake, server side
    def _handshake_timeout(self, block: bool) -> float | None:
        """The timeout of a handshake (``block``: wait even on a non-blocking socket)."""
        timeout = self._green_timeout if self.handshake_timeout is None else self.handshake_timeout
        if timeout == 0.0 and block:
            return None
        return timeout

    def accept(self) -> tuple[Any, Any]:
        """Accept a connection and wrap it server-side; its handshake runs on its first use."""
        fd, address = self._accept()
        plain = _stdsocket.socket(self.family, self.type, self.proto, fileno=fd)
        if _stdsocket.getdefaulttimeout() is None and self._green_timeout:
            plain.setblocking(True)
        source = self.context_source
        conn = self._wrap_accepted(
            plain,
            self._context if source is None else source.context,
            server_side=True,
            do_handshake_on_connect=False,
            suppress_ragged_eofs=self.suppress_ragged_eofs,
            handshake_timeout=self.handshake_timeout,
        )
        conn._deferred_handshake = self.do_handshake_on_connect
        return conn, address
