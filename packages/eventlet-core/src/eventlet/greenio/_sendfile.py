"""``GreenSocket.sendfile``'s zero-copy path: ``os.sendfile`` waiting on the hub when the socket is full.

The standard library's ``socket.sendfile`` tries ``self._sendfile_use_sendfile`` first and falls back
to a read/send loop when that raises its private ``_GiveupOnSendfile``.  Its own version waits with
``selectors`` on a blocking socket, which would block the hub; :func:`sendfile_on_hub` is the
replacement :class:`~eventlet.greenio.socket.GreenSocket` installs under that name: it sends with
``os.sendfile`` on the non-blocking fd and, when the kernel buffer is full, waits on the hub under the
socket's timeout (which bounds the whole transfer).  The giving-up rules are the standard library's:
a file without a usable fd, or a first ``os.sendfile`` call that fails, falls back to the send loop.
"""

from __future__ import annotations

import _socket
import io
import os
import socket as _stdsocket
from typing import TYPE_CHECKING, Any

from eventlet.hubs.hub import EV_WRITE

if TYPE_CHECKING:
    from eventlet.greenio.socket import GreenSocket

__all__ = ["sendfile_on_hub"]

_c_fileno = _socket.socket.fileno
_GiveupOnSendfile: type[Exception] = vars(_stdsocket)["_GiveupOnSendfile"]
_check_sendfile_params = vars(_stdsocket.socket)["_check_sendfile_params"]


def sendfile_on_hub(self: GreenSocket, file: Any, offset: int = 0, count: int | None = None) -> int:
    """``sendfile``'s zero-copy path (os.sendfile), waiting on the hub when the socket is full."""
    _check_sendfile_params(self, file, offset, count)
    if not hasattr(os, "sendfile"):  # pragma: no cover - Windows
        raise _GiveupOnSendfile("os.sendfile() not available on this platform")
    try:
        fileno = file.fileno()
        size = os.fstat(fileno).st_size
    except (AttributeError, io.UnsupportedOperation, OSError) as err:
        raise _GiveupOnSendfile(err) from err
    if not size:
        return 0
    if self._user_timeout == 0.0:
        raise ValueError("non-blocking sockets are not supported")
    deadline = self._deadline()
    block = min(count or size, 1 << 30)
    total = 0
    try:
        while True:
            if count:
                block = count - total
                if block <= 0:
                    break
            try:
                sent = os.sendfile(_c_fileno(self), fileno, offset, block)
            except BlockingIOError:
                self._wait_until(EV_WRITE, deadline)
                continue
            except OSError as err:
                if total == 0:
                    raise _GiveupOnSendfile(err) from err
                raise
            if sent == 0:
                break
            offset += sent
            total += sent
        return total
    finally:
        if total > 0 and hasattr(file, "seek"):
            file.seek(offset)
