"""Hubs: choosing one, getting the current thread's, and waiting on file descriptors.

Each OS thread has its own hub, created on first use by :func:`get_hub`.  Which kind is created is,
in order: what :func:`use_hub` chose, the ``EVENTLET_HUB`` environment variable, then the best
backend the platform has (epolls on Linux, kqueue on macOS and the BSDs, poll elsewhere on POSIX,
selects on Windows).
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs._choice import _DEFAULT_ORDER as _DEFAULT_ORDER
from eventlet.hubs._choice import BUILTIN_HUBS as BUILTIN_HUBS
from eventlet.hubs._choice import HubError, get_default_hub, get_hub, set_hub, use_hub
from eventlet.hubs._choice import _before_monkey_patch as _before_monkey_patch
from eventlet.hubs._choice import _hub_if_exists as _hub_if_exists
from eventlet.hubs._choice import _registry as _registry
from eventlet.hubs._choice import _resolve as _resolve
from eventlet.hubs._choice import builtin_hub_names as builtin_hub_names
from eventlet.hubs._deadline import SharedDeadline, _monotonic
from eventlet.hubs._fds import IOClosed
from eventlet.hubs._sleep import PLAIN_GREENLETS, _thread_hubs
from eventlet.hubs._timeout import Timeout as _Timeout
from eventlet.hubs.hub import EV_READ, EV_WRITE, READ, WRITE, BaseHub, FdListener, Timer
from eventlet.hubs.timer import _CHECK_MASK, _HALF_THRESHOLD

__all__ = [
    "READ",
    "WRITE",
    "BaseHub",
    "FdListener",
    "HubError",
    "IOClosed",
    "Timer",
    "get_default_hub",
    "get_hub",
    "notify_close",
    "notify_opened",
    "set_hub",
    "trampoline",
    "use_hub",
    "wait_fd",
]


_throw = greenlet.throw  # a wait's timeout: _throw(waiter, exception)


def _throw_made(waiter: greenlet, make: Callable[[], BaseException]) -> None:
    """A wait's timeout whose exception is made only now (see :func:`wait_fd`)."""
    waiter.throw(make())


def wait_fd(
    fileno: int,
    mask: int,
    timeout: float | None = None,
    timeout_exc: BaseException | type[BaseException] | Callable[[], BaseException] = TimeoutError,
    serial: int = 0,
    mark_as_closed: Callable[[], Any] | None = None,
    shared: SharedDeadline | None = None,
    deadline: float = 0.0,
) -> Any:
    """Block the current green thread until ``fileno`` is ready (the fast path behind sockets).

    ``mask`` is ``EV_READ`` or ``EV_WRITE``.  With ``timeout``, ``timeout_exc`` is raised once it
    passes: an exception, an exception class, or a function (a plain ``def``) that makes the
    exception, called only if the timeout fires (the usual wait, which the fd wins, then builds
    no exception).  ``serial`` is the owner's identity (see :func:`eventlet.hubs.hub.new_serial`);
    an owner that promises :func:`notify_close` before closing lets the hub keep the fd
    registered between waits.

    With ``shared`` (a :class:`~eventlet.hubs._deadline.SharedDeadline`), the wait ends at
    ``deadline`` (a ``time.monotonic()`` reading; ``timeout`` and ``timeout_exc`` are ignored) on
    the hub timer that an fd's waits in one direction share: a green socket's timeout (see
    :mod:`eventlet.hubs._deadline`).
    """
    try:
        hub = _thread_hubs.hub  # get_hub(), inlined
    except AttributeError:
        hub = get_hub()
    current = getcurrent()
    hub_greenlet = hub.greenlet
    if current is hub_greenlet:
        raise RuntimeError("Cannot wait for a file descriptor from the hub itself")
    listener = FdListener(
        READ if mask == EV_READ else WRITE, fileno, current.switch, current.throw, mark_as_closed
    )
    hub._add_listener(listener, mask, serial)
    # Straight to the hub's greenlet when nothing can hook the switch (as sleep does; see
    # eventlet.hubs._sleep): hub.switch() otherwise.
    plain = type(current) in PLAIN_GREENLETS and not hub_greenlet.dead
    if shared is not None and shared.waiter is not None:
        # Another green thread waits in this direction already (allowed by
        # eventlet.debug.hub_prevent_multiple_readers(False)): this wait gets a timer of its own.
        timeout = deadline - _monotonic()
        timeout_exc = shared.timeout_exc
        shared = None
    if timeout is None and shared is None:
        try:
            return hub_greenlet.switch() if plain else hub.switch()
        finally:
            listener.tb = None  # drop a close notice queued for us, if we leave for another reason
            if not listener.spent:
                hub._remove_listener(listener)
    timer: list[Any] | None = None  # the one-off timer, without shared
    if shared is not None:
        # The armed timer of the fd's direction fires no later than this deadline (the steady
        # state: two attribute writes), or one is armed for it.
        clock = hub.clock
        due = deadline if clock is _monotonic else clock() + (deadline - _monotonic())
        entry = shared.entry
        if entry is None or entry[2] is None or entry[0] > due or entry[4] is not hub:
            shared.arm(hub, due)
        shared.waiter = current
        shared.deadline = deadline
    else:
        # hub.schedule_call_global(timeout, greenlet.throw, current, timeout_exc), inlined with a
        # plain-list entry: usually the fd wins and the timer is cancelled, which must cost next
        # to nothing (see eventlet.hubs._timers).
        seconds = 0.0 if timeout is None else timeout  # (never None here)
        now = hub.clock()
        due = now + seconds if seconds > 0 else now
        thrower: Callable[..., Any] = _throw_made if type(timeout_exc) is FunctionType else _throw
        timer = [due, 0, thrower, (current, timeout_exc), hub, None, timeout]
        hub._incoming.append(timer)
        if due < hub._next_due:
            hub._next_due = due
    try:
        return hub_greenlet.switch() if plain else hub.switch()
    finally:
        if shared is not None:
            shared.waiter = None
        elif timer is not None and timer[2] is not None:
            timer[2] = None
            timer[3] = ()
            incoming = hub._incoming
            if incoming and incoming[-1] is timer:
                incoming.pop()
            else:
                cancelled = hub.timers_canceled = hub.timers_canceled + 1
                if cancelled > _HALF_THRESHOLD and not cancelled & _CHECK_MASK:
                    hub._compact_if_mostly_cancelled()
        listener.tb = None
        if not listener.spent:
            hub._remove_listener(listener)


def trampoline(
    fd: Any,
    read: bool = False,
    write: bool = False,
    timeout: float | None = None,
    timeout_exc: BaseException | type[BaseException] | None = None,
    mark_as_closed: Callable[[], Any] | None = None,
) -> Any:
    """Suspend the current green thread until ``fd`` is readable (``read``) or writable (``write``).

    ``fd`` is an int or has a ``fileno()`` method.  With ``timeout``, raise ``timeout_exc`` once it
    passes (default: :class:`eventlet.Timeout`, as upstream).  Raises ``OSError(EBADF)`` if the fd
    is closed through :func:`notify_close` meanwhile; ``mark_as_closed`` is called first then.
    """
    if timeout_exc is None:
        timeout_exc = _Timeout
    if read == write:
        raise ValueError("trampoline waits for exactly one of read=True or write=True")
    fileno = fd if isinstance(fd, int) else fd.fileno()
    mask = EV_READ if read else EV_WRITE
    return wait_fd(fileno, mask, timeout, timeout_exc, mark_as_closed=mark_as_closed)


def notify_close(fd: int) -> None:
    """Tell this thread's hub that ``fd`` is being closed; its waiters get ``OSError(EBADF)``."""
    hub = _hub_if_exists()
    if hub is not None:
        hub.notify_close(fd)


def notify_opened(fd: int) -> None:
    """Tell this thread's hub that ``fd`` is a newly opened file.

    It drops any kept registration of the number, and green threads still waiting on it (on the file
    that had the number before) get :class:`IOClosed`.
    """
    hub = _hub_if_exists()
    if hub is not None:
        hub.mark_as_reopened(fd)
