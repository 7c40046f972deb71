"""Waiting for a child process to exit without polling.

A watcher answers one question, cooperatively: *has this child exited yet?*  It never reaps the
child (the caller does that with ``waitpid(pid, WNOHANG)`` so ``Popen`` keeps its own bookkeeping),
so a watcher may report an exit more than once, and the caller treats a report as a hint to check.

* Linux: ``os.pidfd_open(pid)`` gives an fd that becomes readable when the child exits; the green
  thread waits on it in the hub like on a socket.  The hub wakes within one loop turn of the exit.
* macOS and the BSDs: a private kqueue watching ``EVFILT_PROC``/``NOTE_EXIT`` for the pid; the
  kqueue fd itself is pollable, so the hub waits on it the same way.
* Windows, other platforms, and the forced thread mode: a real OS thread blocks until the exit
  (``waitid(..., WNOWAIT)`` on POSIX, ``WaitForSingleObject`` on Windows) and hands the news back to
  the hub through ``call_threadsafe``.
"""

from __future__ import annotations

import errno
import os
import select
import sys
from collections.abc import Callable
from typing import Any, Protocol

from eventlet.hubs import notify_close, wait_fd
from eventlet.hubs.hub import EV_READ
from eventlet.processes._sync import ThreadCall

__all__ = ["ExitWatcher", "exit_watcher"]


class ExitWatcher(Protocol):
    """Something that can wait, cooperatively, for one child to exit."""

    def wait(self, timeout: float | None) -> bool:
        """Block the green thread until the child has (probably) exited; False on timeout."""

    def close(self) -> None:
        """Release what the watcher holds.  It may be used again afterwards (it reopens)."""


class _Expired(Exception):
    """Thrown into a waiting green thread by its timer."""


class PidfdWatcher:
    """Linux: wait on a pidfd in the hub."""

    __slots__ = ("_fd", "_pid")

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._fd = -1

    def wait(self, timeout: float | None) -> bool:
        """Wait for the pidfd to become readable (the child exited) or ``timeout``."""
        if self._fd < 0:
            try:
                self._fd = os.pidfd_open(self._pid)
            except ProcessLookupError:
                return True  # gone already: reaped by someone else
        try:
            wait_fd(self._fd, EV_READ, timeout, _Expired())
        except _Expired:
            return False
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise
            # another green thread closed the watcher: the child has been reaped
        return True

    def close(self) -> None:
        """Close the pidfd (waking any other waiter with EBADF)."""
        fd = self._fd
        if fd >= 0:
            self._fd = -1
            notify_close(fd)
            os.close(fd)


class KqueueWatcher:  # pragma: no cover - macOS and the BSDs only
    """macOS and the BSDs: a private kqueue that becomes readable on NOTE_EXIT."""

    __slots__ = ("_kq", "_pid")

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._kq: Any = None

    def wait(self, timeout: float | None) -> bool:
        """Wait for the kqueue to report the exit, or ``timeout``."""
        if self._kq is None:
            kq = select.kqueue()  # type: ignore[attr-defined,unused-ignore]
            event = select.kevent(  # type: ignore[attr-defined,unused-ignore]
                self._pid,
                filter=select.KQ_FILTER_PROC,  # type: ignore[attr-defined,unused-ignore]
                flags=select.KQ_EV_ADD,  # type: ignore[attr-defined,unused-ignore]
                fflags=select.KQ_NOTE_EXIT,  # type: ignore[attr-defined,unused-ignore]
            )
            try:
                kq.control([event], 0, 0)
            except ProcessLookupError:
                kq.close()
                return True
            self._kq = kq
        try:
            wait_fd(self._kq.fileno(), EV_READ, timeout, _Expired())
        except _Expired:
            return False
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise
        return True

    def close(self) -> None:
        """Close the kqueue."""
        kq = self._kq
        if kq is not None:
            self._kq = None
            notify_close(kq.fileno())
            kq.close()


def _posix_block_until_exit(pid: int) -> None:
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        pass  # reaped by someone else: it has exited all the same


def _windows_block_until_exit(handle: int) -> None:  # pragma: no cover - Windows only
    import _winapi  # type: ignore[import-not-found,unused-ignore]

    _winapi.WaitForSingleObject(handle, _winapi.INFINITE)  # type: ignore[attr-defined,unused-ignore]


class ThreadWatcher:
    """A real OS thread blocks until the exit; the green waiter waits for that thread."""

    __slots__ = ("_args", "_block", "_call")

    def __init__(self, block: Callable[..., Any], *args: Any) -> None:
        self._block = block
        self._args = args
        self._call: ThreadCall | None = None

    def wait(self, timeout: float | None) -> bool:
        """Start the waiting thread if needed and wait for it, or ``timeout``."""
        call = self._call
        if call is None:
            call = self._call = ThreadCall(self._block, *self._args)
        return call.wait(timeout)

    def close(self) -> None:
        """Nothing to release: the thread ends by itself when the child exits."""


def exit_watcher(pid: int, io_mode: str = "poll", handle: int | None = None) -> ExitWatcher:
    """The best watcher for child ``pid`` (``handle``: its process handle, on Windows)."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return ThreadWatcher(_windows_block_until_exit, handle)
    if io_mode == "poll":
        if hasattr(os, "pidfd_open") and _pidfd_works():
            return PidfdWatcher(pid)
        if hasattr(select, "kqueue"):  # pragma: no cover - macOS and the BSDs
            return KqueueWatcher(pid)
    return ThreadWatcher(_posix_block_until_exit, pid)


def _pidfd_works(_cache: list[bool] = []) -> bool:  # noqa: B006 - a deliberate one-entry cache
    """Whether the running kernel supports pidfd_open (Linux 5.3+); asked once."""
    if not _cache:
        try:
            os.close(os.pidfd_open(os.getpid()))
        except OSError:  # pragma: no cover - kernels older than 5.3
            _cache.append(False)
        else:
            _cache.append(True)
    return _cache[0]
