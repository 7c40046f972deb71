"""The hub's file descriptors: who waits on which fd, and what the poller watches.

Per fd the hub keeps the listeners waiting to read and to write (:class:`_FdState`) and asks the
hub's poller (:mod:`eventlet.hubs._poller`: epoll, kqueue, poll, select, or the asyncio loop's
watcher) to watch the *union* of what they want.  The table calls the poller's ``register`` and
``modify`` through ``self._register`` and ``self._modify``, which the hub binds to them once
(:meth:`eventlet.hubs.hub.BaseHub._init_backend`), and its ``unregister`` through
``self._unregister``; the loop polls, and hands each ready fd to :meth:`FdTable._dispatch`.

Avoiding system calls per wait.  Upstream eventlet registers an fd with epoll at every wait and
unregisters it after.  Here an fd whose waiter went away stays registered ("kept") as long as it
belongs to an owner that promises to tell the hub when it is closed: the next wait on the same socket
then costs no system call at all.  An owner proves it is the same one with a *serial* number (never
reused, unlike fd numbers), so a new socket that receives a recycled fd number is registered afresh.
A kept fd that becomes ready with nobody waiting is unregistered then (a level-triggered poller would
otherwise report it again and again).  Raw fds waited on without a serial (``trampoline``) are
unregistered as soon as their last waiter leaves, like upstream.

Waking.  When the poller reports an fd ready, its listeners are woken by switching to them right
away from the hub.  A listener made by ``wait_fd`` is one-shot; one made by the upstream-compatible
:meth:`add` stays until :meth:`remove`.  ``notify_close(fd)`` wakes every waiter of a closing fd with an
``OSError(EBADF)`` so nobody sleeps forever on a dead descriptor, and ``mark_as_reopened(fd)`` (the fd
number now names another file) wakes them with :class:`IOClosed`; that wake-up goes through the ready
queue, and is dropped if the waiter has left meanwhile (woken by a timeout, say), so it can never
resume a green thread that is by then waiting for something else.

One reader at a time.  As upstream eventlet does, a second green thread that waits to read (or to
write) a socket or pipe that another one already waits on gets ``RuntimeError``: two readers of one
stream get its bytes in an unpredictable split, which is nearly always a bug.  The rule applies to
the waits of green I/O objects (``wait_fd`` with a serial: sockets, pipes, TLS sockets).  Raw fds
waited on without a serial (``trampoline``, a child's pidfd) signal a state that any number of green
threads may watch, and listeners made by :meth:`add` (``select``, ``poll``) are not counted; they are
all woken.  The check costs nothing in the usual case (it runs only when the fd already has a waiter
in that direction).  ``eventlet.debug.hub_prevent_multiple_readers(False)`` lifts it
(:data:`prevent_multiple_readers`); waiters of one direction then take turns: each readiness wakes
the longest-waiting one (a woken reader that waits again goes to the back), and the fd stays
watched while others wait.
"""

from __future__ import annotations

import errno
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from eventlet.hubs._poller import EV_ERROR, EV_READ, EV_WRITE

__all__ = [
    "EV_ERROR",
    "EV_READ",
    "EV_WRITE",
    "READ",
    "WRITE",
    "FdListener",
    "FdTable",
    "IOClosed",
    "new_serial",
]

logger = logging.getLogger("eventlet.hub")

READ = "read"
WRITE = "write"

_MASKS = {READ: EV_READ, WRITE: EV_WRITE}

_SERIAL = itertools.count(1)

#: Refuse a second ``wait_fd`` waiter in the same direction on one fd (see the module docstring);
#: set by :func:`eventlet.debug.hub_prevent_multiple_readers`.  Process-wide, as upstream's.
prevent_multiple_readers = True


class IOClosed(OSError):
    """What a green thread waiting on an fd gets when the hub learns the fd now names another file.

    Upstream eventlet's name (``eventlet.hubs.IOClosed``), raised by
    :meth:`FdTable.mark_as_reopened`.  A subclass of ``OSError``, so code catching socket errors
    catches it too.
    """


def new_serial() -> int:
    """Return a number never returned before: the identity an fd owner gives the hub."""
    return next(_SERIAL)


class FdListener:
    """One waiter on one fd: what the hub calls back when the fd is ready or closed."""

    # where_called: set only while the hub records listener stacks (``hub.set_debug_listeners``)
    __slots__ = ("cb", "evtype", "fileno", "mark_as_closed", "persistent", "spent", "tb", "where_called")

    def __init__(
        self,
        evtype: str,
        fileno: int,
        cb: Callable[[int], Any],
        tb: Callable[[BaseException], Any] | None,
        mark_as_closed: Callable[[], Any] | None = None,
    ) -> None:
        self.evtype: str = evtype
        self.fileno: int = fileno
        self.cb: Callable[[int], Any] = cb
        #: called with ``OSError(EBADF)`` on :meth:`FdTable.notify_close`; ``None`` once not wanted.
        self.tb: Callable[[BaseException], Any] | None = tb
        self.mark_as_closed: Callable[[], Any] | None = mark_as_closed
        #: True once the listener has been removed from the hub.
        self.spent: bool = False
        #: True for listeners made by :meth:`FdTable.add`: they stay until removed.
        self.persistent: bool = False
        # (``where_called``, the stack that made it, is set only while the hub records stacks)

    where_called: str

    @property
    def greenlet(self) -> Any:
        """The green thread this listener wakes (for a ``wait_fd`` waiter), else its callback.

        Upstream eventlet's listeners carry it; debugging aids and tests print it.  Derived from
        the callback (a waiter's callback is its greenlet's bound ``switch``), so the hot path
        stores nothing extra.
        """
        return getattr(self.cb, "__self__", self.cb)

    def __repr__(self) -> str:
        return f"<FdListener {self.evtype} fd={self.fileno} cb={self.cb!r}>"


class _FdState:
    """What the hub knows of one fd: its waiters and what the backend has registered."""

    __slots__ = ("readers", "registered", "serial", "writers")

    def __init__(self) -> None:
        self.readers: list[FdListener] = []
        self.writers: list[FdListener] = []
        self.registered = 0  # mask the backend currently watches
        self.serial = 0  # owner identity for keeping a registration alive; 0 = none

    def wanted(self) -> int:
        return (EV_READ if self.readers else 0) | (EV_WRITE if self.writers else 0)


class FdTable:
    """The fd half of a hub (a mixin of :class:`eventlet.hubs.hub.BaseHub`)."""

    _ready: deque[Any]  # hub.ReadyEntry: (callback, args) pairs and greenlets
    _LOOP_EXITS: tuple[type[BaseException], ...]
    _fds: dict[int, _FdState]

    #: the poller's operations, bound by the hub (see the module docstring)
    _register: Callable[[int, int], None]
    _modify: Callable[[int, int], None]
    #: BaseHub's methods, which the table calls
    _unregister: Callable[[int], None]
    _report_callback_error: Callable[[Any], None]

    def add(
        self,
        evtype: str,
        fileno: int,
        cb: Callable[[int], Any],
        tb: Callable[[BaseException], Any],
        mark_as_closed: Callable[[], Any] | None = None,
    ) -> FdListener:
        """Call ``cb(fileno)`` (from the hub) each time ``fileno`` is ready for ``evtype``.

        ``evtype`` is ``READ`` or ``WRITE``.  ``tb(exc)`` is called instead when the fd is closed
        through :meth:`notify_close`.  The listener stays until :meth:`remove` is called with it
        (upstream eventlet's contract); green code normally uses ``wait_fd`` instead.
        """
        mask = _MASKS.get(evtype)
        if mask is None:
            raise ValueError(f"evtype must be {READ!r} or {WRITE!r}, not {evtype!r}")
        listener = FdListener(evtype, fileno, cb, tb, mark_as_closed)
        listener.persistent = True
        self._add_listener(listener, mask, 0)
        return listener

    def remove(self, listener: FdListener) -> None:
        """Stop calling ``listener`` (and drop a pending close notice).  Idempotent."""
        listener.tb = None
        if not listener.spent:
            self._remove_listener(listener)

    def _add_listener(self, listener: FdListener, mask: int, serial: int) -> None:
        fd = listener.fileno
        state = self._fds.get(fd)
        if state is None:
            state = self._fds[fd] = _FdState()
        waiters = state.readers if mask == EV_READ else state.writers
        if waiters and serial and prevent_multiple_readers:
            self._refuse_second_waiter(listener, waiters)
        waiters.append(listener)
        registered = state.registered
        try:
            if registered and (serial == 0 or serial != state.serial):
                # The registration may belong to an earlier file that had this fd number (a raw
                # fd, without a serial, gives no way to tell: refresh its registration every time).
                self._reregister(fd, state, state.wanted())
            elif registered | mask != registered:
                # Through a local: CPython specialises reading an instance attribute, not a
                # method call through one (see eventlet.hubs.hub, "Kernel operations").
                if registered:
                    modify = self._modify
                    modify(fd, registered | mask)
                else:
                    register = self._register
                    register(fd, mask)
                state.registered = registered | mask
        except BaseException:
            # Not a pollable fd (closed, a regular file...): leave no trace of the listener.
            listener.spent = True
            (state.readers if mask == EV_READ else state.writers).remove(listener)
            if not state.readers and not state.writers:
                self._forget_fd(fd, state)
            raise
        state.serial = serial

    @staticmethod
    def _refuse_second_waiter(listener: FdListener, waiters: list[FdListener]) -> None:
        """Raise ``RuntimeError`` if a green thread already waits on this fd in this direction."""
        for other in waiters:
            if not other.persistent:
                raise RuntimeError(
                    f"Second simultaneous {listener.evtype} on fileno {listener.fileno} detected. "
                    "Make sure only one green thread reads (or writes) a given socket at a time, "
                    "for example with a pool or a lock; to allow it anyway, call "
                    "eventlet.debug.hub_prevent_multiple_readers(False). "
                    f"This green thread: {listener.greenlet!r}; the one already waiting: {other.greenlet!r}"
                )

    def _reregister(self, fd: int, state: _FdState, wanted: int) -> None:
        try:
            self._modify(fd, wanted)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            self._register(fd, wanted)
        state.registered = wanted

    def _remove_listener(self, listener: FdListener) -> None:
        listener.spent = True
        fd = listener.fileno
        state = self._fds.get(fd)
        if state is None:
            return
        waiters = state.readers if listener.evtype == READ else state.writers
        try:
            waiters.remove(listener)
        except ValueError:
            return
        if not state.readers and not state.writers and not state.serial:
            self._forget_fd(fd, state)

    def _forget_fd(self, fd: int, state: _FdState) -> None:
        del self._fds[fd]
        if state.registered:
            try:
                self._unregister(fd)
            except (OSError, ValueError, KeyError) as exc:
                # Closed without notify_close: the kernel already dropped it.
                logger.debug("fd %d was already gone from the poller: %r", fd, exc)

    def notify_close(self, fileno: int) -> None:
        """Tell the hub ``fileno`` is about to be closed: its waiters get ``OSError(EBADF)``."""
        self._obsolete(fileno, False)

    def _obsolete(self, fileno: int, reopened: bool) -> None:
        state = self._fds.get(fileno)
        if state is None:
            return
        listeners = state.readers + state.writers
        state.readers.clear()
        state.writers.clear()
        self._forget_fd(fileno, state)
        for listener in listeners:
            listener.spent = True
            if listener.mark_as_closed is not None:
                listener.mark_as_closed()
            self._ready.append((self._deliver_close, (listener, reopened)))

    @staticmethod
    def _deliver_close(listener: FdListener, reopened: bool = False) -> None:
        tb = listener.tb
        if tb is not None:  # None: the waiter left (timed out, was killed) before we got here
            listener.tb = None
            if reopened:
                tb(IOClosed(errno.ENOTCONN, "The file descriptor was reopened while a green thread waited"))
            else:
                tb(OSError(errno.EBADF, "The file descriptor was closed while a green thread waited"))

    def mark_as_reopened(self, fileno: int) -> None:
        """Tell the hub ``fileno`` now names a newly opened file.

        A kept registration of the old file is forgotten; green threads still waiting on the number
        (they waited on a file closed behind their back) get :class:`IOClosed`, as upstream.
        """
        self._obsolete(fileno, True)

    def _dispatch(self, fd: int, events: int) -> None:
        state = self._fds.get(fd)
        if state is None:
            return  # a stale event from this poll's batch: the fd was forgotten meanwhile
        woke = False
        if events & (EV_READ | EV_ERROR) and state.readers:
            woke = True
            readers = state.readers
            if len(readers) == 1 and not readers[0].persistent:
                # The usual case, self._wake(readers.pop(), fd) inlined (two Python calls fewer
                # for every wake-up of a green thread waiting on a socket).
                listener = readers.pop()
                listener.spent = True
                try:
                    listener.cb(fd)
                except self._LOOP_EXITS:
                    raise
                except BaseException:
                    self._report_callback_error(listener.cb)
            else:
                self._wake_readers(state, fd)
        if events & (EV_WRITE | EV_ERROR) and state.writers:
            woke = True
            writers = state.writers
            state.writers = []
            self._wake_all(state, writers, fd)
        if self._fds.get(fd) is not state:
            return  # a woken callback closed the fd
        wanted = (EV_READ if state.readers else 0) | (EV_WRITE if state.writers else 0)  # wanted()
        if wanted:
            if not woke and wanted != state.registered:
                # An event nobody waits for (a kept registration of the other direction):
                # narrow the registration so a level-triggered poller does not spin on it.
                self._modify(fd, wanted)
                state.registered = wanted
        elif not woke or not state.serial:
            # Ready with nobody waiting, or a raw fd whose waiter is done: stop watching it.
            self._forget_fd(fd, state)

    def _wake_readers(self, state: _FdState, fd: int) -> None:
        """Several readers: wake every :meth:`add` listener and the longest-waiting ``wait_fd`` one.

        The other ``wait_fd`` readers keep waiting (their turn comes at the next readiness), so
        readers allowed by ``hub_prevent_multiple_readers(False)`` take turns instead of racing.
        """
        readers = state.readers
        chosen = None
        for index, listener in enumerate(readers):
            if not listener.persistent:
                chosen = listener
                del readers[index]
                break
        waiting = [listener for listener in readers if not listener.persistent]
        woken = [listener for listener in readers if listener.persistent]
        if chosen is not None:
            woken.append(chosen)
        state.readers = waiting
        self._wake_all(state, woken, fd)

    def _wake_all(self, state: _FdState, listeners: list[FdListener], fd: int) -> None:
        for listener in listeners:
            if listener.spent:
                continue  # removed by a listener woken before it
            if listener.persistent:
                if listener.evtype == READ:
                    state.readers.append(listener)
                else:
                    state.writers.append(listener)
                self._call_listener(listener, fd)
            else:
                self._wake(listener, fd)

    def _wake(self, listener: FdListener, fd: int) -> None:
        listener.spent = True
        self._call_listener(listener, fd)

    def _call_listener(self, listener: FdListener, fd: int) -> None:
        try:
            listener.cb(fd)
        except self._LOOP_EXITS:
            raise
        except BaseException:
            self._report_callback_error(listener.cb)

    def _reregister_all(self) -> None:
        """Register every fd that has waiters with a fresh backend; forget the kept ones."""
        for fd, state in list(self._fds.items()):
            wanted = state.wanted()
            state.registered = 0
            if not wanted:
                del self._fds[fd]
                continue
            try:
                self._register(fd, wanted)
            except OSError:  # closed in the child: wake its waiters with the error
                self.notify_close(fd)
                continue
            state.registered = wanted

    def waits_on_fds(self) -> bool:
        """True if some green thread (or callback) waits for a file descriptor of this hub."""
        return any(state.readers or state.writers for state in self._fds.values())

    def get_readers(self) -> list[FdListener]:
        """Every listener waiting to read."""
        return [lst for state in self._fds.values() for lst in state.readers]

    def get_writers(self) -> list[FdListener]:
        """Every listener waiting to write."""
        return [lst for state in self._fds.values() for lst in state.writers]
