"""pyOpenSSL's ``OpenSSL.SSL`` module with a green :class:`Connection`.

How it works
------------
pyOpenSSL drives OpenSSL directly on the socket's file descriptor, so the descriptor must be
non-blocking or every TLS call could stall the OS thread.  :class:`Connection` therefore takes over
the socket it is given (a plain or green ``socket.socket``: it is detached, and its timeout kept)
and puts a :class:`~eventlet.ssl._raw.GreenRawSocket` under itself.  Each TLS operation is then
tried first and, when OpenSSL answers ``WantReadError`` / ``WantWriteError``, the green thread
waits on the hub for that direction and tries again (with the same arguments, as OpenSSL
requires): the wait loop of :mod:`eventlet.ssl._retry`, the one the standard-library backend
uses too.  The socket's timeout bounds each operation and ends it with ``TimeoutError``; with a
timeout of ``0.0`` the ``Want*`` exceptions reach the caller, as in plain pyOpenSSL.

Everything else (errors, certificates, ``pending()``, memory BIOs) is pyOpenSSL's own behaviour.
A connection over a memory BIO (no socket) never waits.
"""

from __future__ import annotations

import socket as _stdsocket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventlet.ssl._raw import GreenRawSocket
from eventlet.ssl._retry import SOCKET_TIMEOUT, retry_loop, write_all
from OpenSSL import SSL as _SSL

globals().update({name: getattr(_SSL, name) for name in _SSL.__all__})
__all__ = list(_SSL.__all__)

R = TypeVar("R")

_BaseConnection = _SSL.Connection
#: The wait loop (see eventlet.ssl._retry) for pyOpenSSL's would-block errors:
#: ``green_call(sock, deadline, func, *args)``.
green_call = retry_loop(_SSL.WantReadError, _SSL.WantWriteError)


class Connection(_BaseConnection):
    """``OpenSSL.SSL.Connection`` whose I/O suspends only the calling green thread."""

    def __init__(self, context: _SSL.Context, socket: _stdsocket.socket | None = None) -> None:
        if socket is not None and not isinstance(socket, GreenRawSocket):
            socket = GreenRawSocket.take_over(socket)
        super().__init__(context, socket)

    def _green(self, func: Callable[..., R], *args: Any) -> R:
        sock = self._socket
        if sock is None:
            return func(self, *args)
        return green_call(sock, SOCKET_TIMEOUT, func, self, *args)  # type: ignore[arg-type]

    def do_handshake(self) -> None:
        """Run the TLS handshake."""
        self._green(_BaseConnection.do_handshake)

    def send(self, buf: Any, flags: int = 0) -> int:
        """Send some of ``buf``; return how many bytes went."""
        return self._green(_BaseConnection.send, buf, flags)

    write = send

    def sendall(self, buf: Any, flags: int = 0) -> int:
        """Send all of ``buf``; the timeout bounds the whole call."""
        sock = self._socket
        if sock is None:
            return _BaseConnection.sendall(self, buf, flags)
        return write_all(green_call, sock, buf, super().send)  # type: ignore[arg-type]

    def recv(self, bufsiz: int, flags: int | None = None) -> bytes:
        """Receive up to ``bufsiz`` decrypted bytes."""
        return self._green(_BaseConnection.recv, bufsiz, flags)

    read = recv

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int | None = None) -> int:
        """Receive into ``buffer``; return the byte count."""
        return self._green(_BaseConnection.recv_into, buffer, nbytes, flags)

    def shutdown(self) -> bool:
        """Send the TLS close alert (True once both sides have sent theirs)."""
        return self._green(_BaseConnection.shutdown)

    def accept(self) -> tuple[Connection, Any]:
        """Accept a connection on the listening socket; return a green server Connection."""
        client, address = self._socket.accept()  # type: ignore[union-attr]
        conn = Connection(self._context, client)
        conn.set_accept_state()
        return conn, address


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from OpenSSL.SSL import *  # type: ignore[assignment]  # noqa: F403
