"""Upstream eventlet's ``eventlet.greenio.base``: the green socket and its helpers, by that name.

Programs (and upstream's tests) import :class:`GreenSocket` and the errno sets from here; they are
the objects of :mod:`eventlet.greenio`.  ``CONNECT_ERR`` and ``CONNECT_SUCCESS`` are the errnos of
a non-blocking ``connect_ex`` that is still in progress, and that has succeeded.
"""

from __future__ import annotations

import errno
import socket as _socket
import sys
from typing import Any

from eventlet.greenio import SOCKET_BLOCKING, SOCKET_CLOSED, GreenSocket, set_nonblocking, shutdown_safe

__all__ = [
    "CONNECT_ERR",
    "CONNECT_SUCCESS",
    "SOCKET_BLOCKING",
    "SOCKET_CLOSED",
    "_GLOBAL_DEFAULT_TIMEOUT",
    "GreenSocket",
    "set_nonblocking",
    "shutdown_safe",
    "socket_timeout",
]

if sys.platform == "win32":  # pragma: no cover - Windows says WSAEINVAL for a connect in progress
    _IN_PROGRESS = {errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK, errno.WSAEINVAL}
else:
    _IN_PROGRESS = {errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK}
#: errnos of a non-blocking ``connect_ex`` still in progress
CONNECT_ERR = frozenset(_IN_PROGRESS)
#: what ``connect_ex`` returns once connected
CONNECT_SUCCESS = frozenset({0, errno.EISCONN})
#: the exception a socket timeout raises (``TimeoutError``)
socket_timeout = _socket.timeout
#: the "no timeout given" marker of the ``socket`` module
_GLOBAL_DEFAULT_TIMEOUT: Any = vars(_socket)["_GLOBAL_DEFAULT_TIMEOUT"]
