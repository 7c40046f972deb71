"""Timeouts and waits shared by every green socket: deadlines, waiting for readiness, retrying.

A green socket keeps the timeout the user set in the object and its fd non-blocking in the kernel.
When a call would block, the socket turns that timeout into a ``time.monotonic()`` deadline
(:func:`deadline_after`) and waits on the hub until the fd is ready (:func:`wait_until`), then tries
again (:func:`retry_until`).  Past the deadline the wait raises ``TimeoutError("timed out")``, as the
standard library's socket timeouts do.  These functions take the socket as an argument rather than
being methods, so that the TLS sockets of eventlet-ssl (which are not :class:`GreenSocket` subclasses)
share them; :mod:`eventlet.greenio.socket` re-exports them under their historical import path.
"""

from __future__ import annotations

import _socket
import errno
import operator
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eventlet.hubs import wait_fd
from eventlet.hubs._deadline import SharedDeadline
from eventlet.hubs.hub import EV_READ

__all__ = ["deadline_after", "parse_timeout", "retry_until", "shared_deadline", "wait_until"]

R = TypeVar("R")

_c_fileno = _socket.socket.fileno
_clock = time.monotonic


def timed_out() -> TimeoutError:
    """The exception a green socket raises when its timeout passes (the standard library's)."""
    return TimeoutError("timed out")


def deadline_after(timeout: float | None) -> float | None:
    """The ``time.monotonic()`` deadline ``timeout`` seconds from now (None: no deadline)."""
    return None if timeout is None else _clock() + timeout


def shared_deadline(sock: Any, mask: int) -> SharedDeadline:
    """The hub timer that ``sock``'s timed waits for ``mask`` share (made on the first one).

    A green socket of ours keeps it in its ``_read_deadline`` or ``_write_deadline`` attribute
    (None until then); see :mod:`eventlet.hubs._deadline`.
    """
    shared = SharedDeadline(timed_out)
    if mask == EV_READ:
        sock._read_deadline = shared
    else:
        sock._write_deadline = shared
    return shared


def release_deadlines(sock: Any) -> None:
    """Cancel the timers ``sock``'s timed waits armed (it is closing); see :func:`shared_deadline`."""
    for shared in (sock._read_deadline, sock._write_deadline):
        if shared is not None:
            shared.release()


def wait_until(sock: Any, mask: int, deadline: float | None, serial: int = 0) -> None:
    """Block the green thread until ``sock`` is ready for ``mask`` (``EV_READ``/``EV_WRITE``).

    ``deadline`` is a ``time.monotonic()`` time (None: wait for ever); past it, raises
    ``TimeoutError("timed out")`` as the standard library's socket timeouts do.  A closed socket
    raises ``OSError(EBADF)``.  ``serial`` is the owner's hub serial (see ``eventlet.hubs.wait_fd``).
    ``sock`` is a green socket of ours: its timed waits share a hub timer per direction, kept in
    its ``_read_deadline`` and ``_write_deadline`` attributes (see :func:`shared_deadline`).
    """
    fd = _c_fileno(sock)
    if fd < 0:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    if deadline is None:
        wait_fd(fd, mask, None, TimeoutError, serial)
        return
    if deadline <= _clock():
        raise timed_out()
    shared = sock._read_deadline if mask == EV_READ else sock._write_deadline
    if shared is None:
        shared = shared_deadline(sock, mask)
    wait_fd(fd, mask, None, TimeoutError, serial, None, shared, deadline)


def retry_until(
    sock: _socket.socket,
    func: Callable[..., R],
    args: tuple[Any, ...],
    mask: int,
    deadline: float | None,
    serial: int = 0,
) -> R:
    """The slow path of a non-blocking call that would have blocked: wait, then call again.

    Calls ``func(sock, *args)`` each time ``sock`` is ready for ``mask``, until it stops raising
    ``BlockingIOError``; see :func:`wait_until` for ``deadline`` and ``serial``.  Shared by the green
    sockets of every distribution (eventlet-ssl's TLS sockets too).
    """
    while True:
        wait_until(sock, mask, deadline, serial)
        try:
            return func(sock, *args)
        except BlockingIOError:
            pass


def parse_timeout(value: Any) -> float | None:
    """Validate a timeout the way ``socket.settimeout`` does; return it as a float (or None)."""
    if value is None:
        return None
    seconds = value if isinstance(value, float) else float(operator.index(value))
    if seconds != seconds:
        raise ValueError("Invalid value NaN (not a number)")
    if seconds < 0.0:
        raise ValueError("Timeout value out of range")
    return seconds
