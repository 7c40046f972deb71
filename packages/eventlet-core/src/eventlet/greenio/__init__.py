"""Green I/O objects: sockets and pipes whose blocking calls suspend only the calling green thread.

:class:`GreenSocket` (also ``eventlet.green.socket.socket``) is a real ``socket.socket``;
:func:`GreenPipe` opens green file objects over pipes and other non-blocking fds.  The helpers below
keep upstream eventlet's ``eventlet.greenio`` names working.
"""

from __future__ import annotations

import errno
import os
import socket as _socket
from typing import Any

from eventlet.greenio.pipe import GreenFileIO, GreenPipe
from eventlet.greenio.socket import GreenSocket

__all__ = [
    "SOCKET_BLOCKING",
    "SOCKET_CLOSED",
    "GreenFileIO",
    "GreenPipe",
    "GreenSocket",
    "set_nonblocking",
    "shutdown_safe",
]

#: upstream eventlet's name for the raw file object a socket's ``makefile`` wraps (programs subclass it)
_fileobject = _socket.SocketIO

#: errnos meaning "the operation would block" (upstream eventlet's name)
SOCKET_BLOCKING = frozenset({errno.EAGAIN, errno.EWOULDBLOCK})
#: errnos meaning "the peer or the socket is gone" (upstream eventlet's name)
SOCKET_CLOSED = frozenset({errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EPIPE, errno.EBADF})


def set_nonblocking(fd: Any) -> None:
    """Put ``fd`` (an int or an object with ``fileno()``) in non-blocking mode."""
    os.set_blocking(fd if isinstance(fd, int) else fd.fileno(), False)


#: errnos :func:`shutdown_safe` ignores: the socket is not connected, or already closed.
_SHUTDOWN_IGNORED = frozenset({errno.ENOTCONN, errno.EBADF, errno.ENOTSOCK})


def shutdown_safe(sock: Any) -> Any:
    """Shut down both directions of ``sock`` if it is still connected; return what shutdown returns.

    Works on plain and TLS sockets (``shutdown(SHUT_RDWR)``) and on pyOpenSSL connections, whose
    ``shutdown()`` takes no argument.  A socket that is not connected or already closed is not an
    error here: servers call this on connections the peer may have dropped.
    """
    try:
        try:
            return sock.shutdown(_socket.SHUT_RDWR)
        except TypeError:
            return sock.shutdown()  # pyOpenSSL's Connection.shutdown() takes no argument
    except OSError as exc:
        if exc.errno not in _SHUTDOWN_IGNORED:
            raise
        return None
