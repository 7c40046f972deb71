"""Green I/O objects: sockets and pipes whose blocking calls suspend only the calling green thread.

:class:`GreenSocket` (also ``eventlet.green.socket.socket``) is a real ``socket.socket``;
:func:`GreenPipe` opens green file objects over pipes and other non-blocking fds.  The helpers below
keep upstream eventlet's ``eventlet.greenio`` names working.
"""

from __future__ import annotations

import errno
import os
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

#: errnos meaning "the operation would block" (upstream eventlet's name)
SOCKET_BLOCKING = frozenset({errno.EAGAIN, errno.EWOULDBLOCK})
#: errnos meaning "the peer or the socket is gone" (upstream eventlet's name)
SOCKET_CLOSED = frozenset({errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.EPIPE, errno.EBADF})


def set_nonblocking(fd: Any) -> None:
    """Put ``fd`` (an int or an object with ``fileno()``) in non-blocking mode."""
    os.set_blocking(fd if isinstance(fd, int) else fd.fileno(), False)


def shutdown_safe(sock: Any) -> Any:
    """``sock.shutdown(SHUT_RDWR)``, ignoring the error of a socket that is not connected."""
    import socket

    try:
        return sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:
        if exc.errno != errno.ENOTCONN:
            raise
        return None
