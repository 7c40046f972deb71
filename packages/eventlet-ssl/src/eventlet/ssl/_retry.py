"""The one wait loop of green TLS: call the TLS engine, wait on the hub when it wants I/O, again.

Both TLS engines work on a non-blocking file descriptor and say so when they cannot go on: the
standard library's ``_ssl`` raises ``ssl.SSLWantReadError`` / ``ssl.SSLWantWriteError``, pyOpenSSL
raises ``OpenSSL.SSL.WantReadError`` / ``WantWriteError``.  The answer is the same for both: wait
until the socket is ready in the direction asked for, then make the *same* call again (OpenSSL
requires the same arguments), until it returns.  :func:`retry_loop` writes that loop once and
gives each backend its copy, specialised to its two exception classes; :func:`write_all` sends a
whole buffer through such a loop under one deadline.

Deadlines are monotonic times (or None: no limit).  :data:`SOCKET_TIMEOUT` asks for the socket's
own timeout, counted from the first wait, so that an operation that completes at once never reads
the clock; on a non-blocking socket (timeout ``0.0``) it lets the engine's want-read/want-write
error through to the caller, as the plain libraries do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from eventlet.hubs.hub import EV_READ, EV_WRITE
from eventlet.ssl._raw import GreenRawSocket, deadline_after

__all__ = ["SOCKET_TIMEOUT", "RetryLoop", "retry_loop", "write_all"]

R = TypeVar("R")

#: A deadline meaning "the socket's timeout, from the first wait" (a real one is a time >= 0).
SOCKET_TIMEOUT = -1.0
#: The most handed to the engine in one write (it encrypts records of 16 KiB at the most).
WRITE_CHUNK = 1 << 20

_clock = time.monotonic


class RetryLoop(Protocol):
    """``loop(sock, deadline, func, *args)``: ``func(*args)``, waiting on ``sock`` while it wants I/O."""

    def __call__(
        self, sock: GreenRawSocket, deadline: float | None, func: Callable[..., R], /, *args: Any
    ) -> R:
        """Return what ``func(*args)`` returns once it stops asking for I/O."""
        ...


def retry_loop(want_read: type[Exception], want_write: type[Exception]) -> RetryLoop:
    """The wait loop for an engine whose would-block errors are ``want_read`` and ``want_write``.

    The loop asks the engine first and consults the hub only when the engine says it needs the
    wire, so bytes the engine already holds are never waited for.  ``TimeoutError`` ends it once
    the deadline passes.
    """

    def loop(sock: GreenRawSocket, deadline: float | None, func: Callable[..., R], /, *args: Any) -> R:
        while True:
            try:
                return func(*args)
            except want_read:
                if deadline == SOCKET_TIMEOUT and sock._green_timeout == 0.0:
                    raise
                mask = EV_READ
            except want_write:
                if deadline == SOCKET_TIMEOUT and sock._green_timeout == 0.0:
                    raise
                mask = EV_WRITE
            if deadline == SOCKET_TIMEOUT:
                deadline = deadline_after(sock._green_timeout)
            sock._wait(mask, deadline)

    return loop


def write_all(loop: RetryLoop, sock: GreenRawSocket, data: Any, write: Callable[[Any], int]) -> int:
    """Send all of ``data`` with ``write(chunk)`` through ``loop``; return its length.

    The socket's timeout bounds the whole call, not each chunk.  (A hot path: the deadline is
    computed here rather than by a call.)
    """
    timeout = sock._green_timeout
    if timeout is None:
        deadline: float | None = None
    elif timeout == 0.0:
        deadline = SOCKET_TIMEOUT
    else:
        deadline = _clock() + timeout
    with memoryview(data) as view, view.cast("B") as octets:
        total = len(octets)
        sent = 0
        while sent < total:
            sent += loop(sock, deadline, write, octets[sent : sent + WRITE_CHUNK])
    return total
