"""A drop-in ``os`` module whose reads, writes and waits for children suspend only the green thread.

``read`` and ``write`` on a non-blocking fd try the call and wait on the hub when it would block.  On a
*blocking* pipe, socket or terminal they wait for readiness first, then make one call that cannot block
for long (a read returns what is there; a write is limited to ``PIPE_BUF`` bytes, which a pipe reported
writable always takes).  Regular files are read and written directly: the kernel never makes them wait.

``waitpid`` (and ``wait``, ``wait3``, ``wait4``) wait for a given child through a pidfd on Linux: the
hub watches it and the green thread sleeps until the child exits.  Where a pidfd cannot be used (any
child, ``WUNTRACED``/``WCONTINUED``, other systems) they fall back to polling with ``WNOHANG`` and
short, growing sleeps (1 ms to 50 ms).  Everything else is the standard ``os`` module.
"""

from __future__ import annotations

import os as _os
import stat as _stat
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from eventlet.greenio.pipe import GreenPipe
from eventlet.greenthread import sleep
from eventlet.hubs import wait_fd
from eventlet.hubs.hub import EV_READ, EV_WRITE

_PATCHED = ("fdopen", "read", "wait", "wait3", "wait4", "waitpid", "write")

globals().update(
    {
        name: value
        for name, value in vars(_os).items()
        if not (name.startswith("__") or isinstance(value, ModuleType) or name in _PATCHED)
    }
)
from os import path as path  # noqa: E402 - the standard module

__all__ = [name for name in getattr(_os, "__all__", ()) if name != "__all__"]
__patched__: list[str] = list(_PATCHED)

R = TypeVar("R", bound=tuple[Any, ...])  # (pid, status, ...): pid 0 while the child runs

_read = _os.read
_write = _os.write
_PIPE_BUF = getattr(_os, "PIPE_BUF", None) or 512
_UNPOLLABLE = (_stat.S_ISREG, _stat.S_ISDIR, _stat.S_ISBLK)
_NO_PIDFD = getattr(_os, "WUNTRACED", 0) | getattr(_os, "WCONTINUED", 0)


def _pollable(fd: int) -> bool:
    mode = _os.fstat(fd).st_mode
    return not any(test(mode) for test in _UNPOLLABLE)


def read(fd: int, n: int) -> bytes:
    """Read at most ``n`` bytes from ``fd`` (``b""`` at end of file), green."""
    if _os.get_blocking(fd):
        if _pollable(fd):
            wait_fd(fd, EV_READ)
        return _read(fd, n)
    while True:
        try:
            return _read(fd, n)
        except BlockingIOError:
            wait_fd(fd, EV_READ)


def write(fd: int, data: Any) -> int:
    """Write (some of) ``data`` to ``fd``; return the number of bytes written, green."""
    if _os.get_blocking(fd):
        if not _pollable(fd):
            return _write(fd, data)
        wait_fd(fd, EV_WRITE)
        with memoryview(data) as view, view.cast("B") as octets:
            return _write(fd, octets[:_PIPE_BUF])
    while True:
        try:
            return _write(fd, data)
        except BlockingIOError:
            wait_fd(fd, EV_WRITE)


def fdopen(fd: int, mode: str = "r", buffering: int = -1, *args: Any, **kwargs: Any) -> Any:
    """A green file object over ``fd`` (see :func:`eventlet.greenio.GreenPipe`)."""
    return GreenPipe(fd, mode, buffering, *args, **kwargs)


def _green_wait(call: Callable[[int], R], pid: int, options: int) -> R:
    """Run a ``wait*`` call without blocking: ``call(options)`` must return (pid, ...)."""
    if options & _os.WNOHANG:
        return call(options)
    options |= _os.WNOHANG
    pidfd = -1
    if pid > 0 and not options & _NO_PIDFD and hasattr(_os, "pidfd_open"):
        try:
            pidfd = _os.pidfd_open(pid)
        except OSError:
            pidfd = -1  # no such process (waitpid will say so), or no pidfd support: poll
    try:
        delay = 0.001
        while True:
            result = call(options)
            if result[0]:
                return result
            if pidfd >= 0:
                wait_fd(pidfd, EV_READ)
            else:
                sleep(delay)
                delay = min(delay * 2, 0.05)
    finally:
        if pidfd >= 0:
            _os.close(pidfd)


def waitpid(pid: int, options: int) -> tuple[int, int]:
    """``os.waitpid`` that suspends only the green thread."""
    return _green_wait(lambda opts: _os.waitpid(pid, opts), pid, options)


def wait() -> tuple[int, int]:
    """``os.wait``: wait for any child, green."""
    return waitpid(-1, 0)


if hasattr(_os, "wait4"):  # pragma: no branch - every POSIX system has it

    def wait4(pid: int, options: int) -> tuple[int, int, Any]:
        """``os.wait4`` that suspends only the green thread."""
        return _green_wait(lambda opts: _os.wait4(pid, opts), pid, options)

    def wait3(options: int) -> tuple[int, int, Any]:
        """``os.wait3`` that suspends only the green thread."""
        return _green_wait(_os.wait3, -1, options)


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from os import *  # type: ignore[assignment]  # noqa: F403
