"""A drop-in ``select`` module whose waits suspend only the calling green thread.

Every waiting function here follows one pattern: ask the real system call with a zero timeout first
(that answer is always the authoritative one); if nothing is ready, let the hub watch the fds and
switch away; when the hub reports something, or time is up, ask the real call again.  So results are
exactly the standard library's, and the green thread never blocks the OS thread.

``select``, ``poll`` and ``epoll`` objects are green.  ``epoll`` needs no per-fd work: the epoll fd
itself becomes readable when any of its fds has an event, so the hub waits on that one fd.
Exceptional conditions (``select``'s third list) are reported when the call wakes for another
reason or when the timeout expires; on their own they do not wake it early.  Other objects
(``kqueue``, ``kevent``, ``devpoll``) are the standard ones and would block: importing this module
keeps them, but ``monkey_patch()`` removes them from the standard ``select`` (see ``__deleted__``),
so that code choosing the best mechanism the module offers does not pick one that blocks.
"""

from __future__ import annotations

import operator
import select as _select
import time
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from eventlet.hubs import get_hub, notify_close, wait_fd
from eventlet.hubs.hub import EV_READ, READ, WRITE, FdListener, new_serial

globals().update(
    {
        name: value
        for name, value in vars(_select).items()
        if not (name.startswith("__") or isinstance(value, ModuleType))
    }
)

#: What monkey_patch() replaces in the standard ``select`` (those it has: no epoll on macOS...).
__patched__: list[str] = [name for name in ("epoll", "poll", "select") if hasattr(_select, name)]
#: What the standard module has that would block the hub here (upstream eventlet's attribute: the
#: names a monkey-patched ``select`` should not offer); monkey_patch() removes those it has.
__deleted__: list[str] = ["devpoll", "kqueue", "kevent"]

_clock = time.monotonic
_POLL_READ = _select.POLLIN | _select.POLLPRI
_POLL_WRITE = _select.POLLOUT


def get_fileno(obj: Any) -> int:
    """The file descriptor of ``obj``: an int itself, or what its ``fileno()`` returns.

    Raises ``TypeError`` for anything else, or when ``fileno()`` does not return an int (upstream
    eventlet's function, with its message).
    """
    fileno = getattr(obj, "fileno", None)
    if fileno is None:
        if isinstance(obj, int):
            return obj
        raise TypeError(f"Expected int or long, got {type(obj)}")
    fd = fileno()
    if not isinstance(fd, int):
        raise TypeError(f"Expected int or long, got {type(fd)}")
    return fd


_fileno = get_fileno


class _Wakeup:
    """Hub listeners for a set of fds that wake one green thread once (stale calls are ignored)."""

    __slots__ = ("active", "hub", "listeners", "timer", "waiter")

    def __init__(self, reads: Iterable[int], writes: Iterable[int], seconds: float | None) -> None:
        self.hub = hub = get_hub()
        self.waiter = getcurrent()
        self.active = True
        self.listeners: list[FdListener] = []
        for fd in reads:
            self.listeners.append(hub.add(READ, fd, self.ready, self.closed))
        for fd in writes:
            self.listeners.append(hub.add(WRITE, fd, self.ready, self.closed))
        self.timer = None if seconds is None else hub.schedule_call_global(seconds, self.ready, -1)

    def ready(self, _fd: int) -> None:
        if self.active:  # pragma: no branch - a woken waiter removes every listener first
            self.active = False
            self.waiter.switch()

    def closed(self, exc: BaseException) -> None:
        if self.active:
            self.active = False
            self.waiter.throw(exc)

    def wait(self) -> None:
        """Switch to the hub until an fd is ready or the time is up; then drop every listener."""
        try:
            while self.active:
                self.hub.switch()
        finally:
            self.active = False
            if self.timer is not None:
                self.timer.cancel()
            for listener in self.listeners:
                self.hub.remove(listener)


def _seconds(timeout: Any, message: str) -> float | None:
    """A select-style timeout in seconds (None: forever), validated like the stdlib."""
    if timeout is None:
        return None
    try:
        seconds = timeout if isinstance(timeout, float) else float(operator.index(timeout))
    except TypeError:
        raise TypeError(message) from None
    return seconds


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - _clock(), 0.0)


def select(rlist: Any, wlist: Any, xlist: Any, timeout: Any = None) -> tuple[list[Any], list[Any], list[Any]]:
    """Wait until some of the objects are ready, like ``select.select``, without blocking the hub."""
    seconds = _seconds(timeout, "timeout must be a float or None")
    if seconds is not None and seconds < 0:
        raise ValueError("timeout must be non-negative")
    ready = _select.select(rlist, wlist, xlist, 0)
    if ready[0] or ready[1] or ready[2] or seconds == 0:
        return ready
    deadline = None if seconds is None else _clock() + seconds
    reads = {_fileno(obj) for obj in rlist}
    writes = {_fileno(obj) for obj in wlist}
    while True:
        remaining = _remaining(deadline)
        if remaining == 0.0:
            return ready
        _Wakeup(reads, writes, remaining).wait()
        ready = _select.select(rlist, wlist, xlist, 0)
        if ready[0] or ready[1] or ready[2]:
            return ready


class poll:
    """A green ``select.poll`` object."""

    def __init__(self) -> None:
        self._poll = _select.poll()
        self._masks: dict[int, int] = {}

    def register(self, fd: Any, eventmask: int = _POLL_READ | _POLL_WRITE) -> None:
        """Watch ``fd`` for ``eventmask``."""
        self._poll.register(fd, eventmask)
        self._masks[_fileno(fd)] = eventmask

    def modify(self, fd: Any, eventmask: int) -> None:
        """Change what ``fd`` is watched for."""
        self._poll.modify(fd, eventmask)
        self._masks[_fileno(fd)] = eventmask

    def unregister(self, fd: Any) -> None:
        """Stop watching ``fd``."""
        self._poll.unregister(fd)
        del self._masks[_fileno(fd)]

    def poll(self, timeout: Any = None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` milliseconds (None or negative: forever) for events."""
        millis = _seconds(timeout, "timeout must be an integer or None")
        events = self._poll.poll(0)
        if events or millis == 0:
            return events
        deadline = None if millis is None or millis < 0 else _clock() + millis / 1000.0
        while True:
            remaining = _remaining(deadline)
            if remaining == 0.0:
                return events
            masks = self._masks
            reads = [fd for fd, mask in masks.items() if mask & _POLL_READ]
            writes = [fd for fd, mask in masks.items() if mask & _POLL_WRITE]
            _Wakeup(reads, writes, remaining).wait()
            events = self._poll.poll(0)
            if events:
                return events


class _Expired(Exception):
    """An epoll wait ran out of time (internal)."""


if hasattr(_select, "epoll"):  # pragma: no branch - Linux

    class epoll:
        """A green ``select.epoll`` object: waits on the hub for its own fd to become readable."""

        def __init__(self, sizehint: int = -1, flags: int = 0, *, _from: Any = None) -> None:
            self._epoll = _from if _from is not None else _select.epoll(sizehint, flags)
            self._serial = new_serial()

        @classmethod
        def fromfd(cls, fd: int) -> epoll:
            """An epoll object over an existing epoll fd (taken over)."""
            return cls(_from=_select.epoll.fromfd(fd))

        @property
        def closed(self) -> bool:
            """True once closed."""
            return bool(self._epoll.closed)

        def fileno(self) -> int:
            """The epoll fd."""
            return int(self._epoll.fileno())

        def close(self) -> None:
            """Close the epoll fd (waking any green thread polling it with OSError(EBADF))."""
            if not self._epoll.closed:
                notify_close(self._epoll.fileno())
                self._epoll.close()

        def __enter__(self) -> epoll:
            if self._epoll.closed:
                raise ValueError("I/O operation on closed epoll object")
            return self

        def __exit__(self, *exc_info: object) -> None:
            self.close()

        def register(
            self, fd: Any, eventmask: int = _select.EPOLLIN | _select.EPOLLPRI | _select.EPOLLOUT
        ) -> None:
            """Watch ``fd`` for ``eventmask``."""
            self._epoll.register(fd, eventmask)

        def modify(self, fd: Any, eventmask: int) -> None:
            """Change what ``fd`` is watched for."""
            self._epoll.modify(fd, eventmask)

        def unregister(self, fd: Any) -> None:
            """Stop watching ``fd``."""
            self._epoll.unregister(fd)

        def poll(self, timeout: Any = None, maxevents: int = -1) -> list[tuple[int, int]]:
            """Wait up to ``timeout`` seconds (None or negative: forever) for events."""
            seconds = _seconds(timeout, "timeout must be an integer or None")
            events = self._epoll.poll(0, maxevents)
            if events or seconds == 0:
                return events
            deadline = None if seconds is None or seconds < 0 else _clock() + seconds
            fd = self._epoll.fileno()
            while True:
                remaining = _remaining(deadline)
                if remaining == 0.0:
                    return events
                try:
                    wait_fd(fd, EV_READ, remaining, _Expired(), self._serial)
                except _Expired:
                    pass
                events = self._epoll.poll(0, maxevents)
                if events:
                    return events


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from select import *  # type: ignore[assignment]  # noqa: F403
