"""The hub: one loop per OS thread that decides which green thread runs next.

How it works
------------
Every green thread is a greenlet whose parent is the hub's greenlet.  A green thread that has to wait
(for a socket, for time, for an event) registers *how it wants to be woken* and switches to the hub;
the hub then runs whoever is ready and, when nobody is, sleeps in the operating system's poller.

The hub keeps three kinds of pending work, checked in this order on each turn of the loop:

1. **The ready queue** (``_ready``): a FIFO of ``(callback, args)`` pairs to run as soon as possible.
   ``sleep(0)``, ``spawn`` and waking a waiter of an ``Event`` or ``Queue`` all go here.  It is a plain
   ``deque`` so the common operations never touch the timer heap: that is where most of the speed over
   upstream eventlet comes from.  A turn runs only the entries that were queued before it started, so a
   green thread that keeps yielding cannot starve I/O.
2. **Timers** (``_timers``): a binary heap of ``(deadline, sequence, Timer)``.  Cancelling a timer only
   marks it; dead entries are skipped when they reach the top and the heap is rebuilt when more than
   half of it is dead, so cancel is O(1) and the heap never fills with garbage.
3. **File descriptors**: per fd, the listeners waiting to read and to write.  The backend (epoll,
   kqueue, poll, select) sits behind a narrow interface of four methods (``_register``,
   ``_modify``, ``_unregister``, ``_poll``).  The hub asks the backend for the *union* of what the
   listeners of an fd want.

Avoiding system calls per wait.  Upstream eventlet registers an fd with epoll at every wait and
unregisters it after.  Here an fd whose waiter went away stays registered ("stale") as long as it
belongs to a socket that promises to tell the hub when it is closed: the next wait on the same socket
then costs no system call at all.  A socket proves it is the same one with a *serial* number (never
reused, unlike fd numbers), so a new socket that receives a recycled fd number is registered afresh.
A stale fd that becomes ready with nobody waiting is unregistered then.  Raw fds waited on through
``trampoline`` (no serial) are unregistered as soon as their last waiter leaves, like upstream.

Waking.  When the poller reports an fd ready, every listener on it is woken (several green threads may
wait on one fd; the ones that find nothing to read wait again).  ``notify_close(fd)`` wakes every
waiter of a closing fd with an ``OSError(EBADF)`` so nobody sleeps forever on a dead descriptor.

Other threads talk to a hub only through ``call_threadsafe``, which queues a callback and writes a byte
to a wake-up pipe (an eventfd on Linux) that the hub always watches.
"""

from __future__ import annotations

import errno
import heapq
import itertools
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from greenlet import GreenletExit, getcurrent, greenlet

__all__ = ["READ", "WRITE", "BaseHub", "FdListener", "Timer"]

logger = logging.getLogger("eventlet.hub")

READ = "read"
WRITE = "write"

#: Event bits shared by all backends (they match select.POLLIN/POLLOUT and EPOLLIN/EPOLLOUT).
EV_READ = 0x001
EV_WRITE = 0x004
EV_ERROR = 0x008 | 0x010 | 0x020  # POLLERR | POLLHUP | POLLNVAL: wake everybody

_MASKS = {READ: EV_READ, WRITE: EV_WRITE}

_SERIAL = itertools.count(1)


def new_serial() -> int:
    """Return a number never returned before: the identity an fd owner gives the hub."""
    return next(_SERIAL)


class Timer:
    """A callback the hub will run once at a deadline, unless cancelled first."""

    __slots__ = ("args", "callback", "deadline", "greenlet", "hub", "seconds")

    def __init__(
        self,
        hub: BaseHub,
        seconds: float,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        owner: Any = None,
    ) -> None:
        self.hub = hub
        self.seconds = seconds
        self.callback: Callable[..., Any] | None = callback
        self.args = args
        self.deadline = 0.0
        #: for ``schedule_call_local``: the green thread whose death cancels this timer.
        self.greenlet = owner

    @property
    def pending(self) -> bool:
        """True until the timer has fired or been cancelled."""
        return self.callback is not None

    @property
    def called(self) -> bool:
        """True once the timer has fired or been cancelled (upstream eventlet's name)."""
        return self.callback is None

    def cancel(self) -> None:
        """Stop the timer from firing.  Cancelling twice, or after it fired, does nothing."""
        if self.callback is not None:
            self.callback = None
            self.args = ()
            self.hub._timer_cancelled()

    def __repr__(self) -> str:
        state = "pending" if self.callback is not None else "done"
        return f"<Timer {state} in {self.seconds!r}s {self.callback!r}>"


class FdListener:
    """One waiter on one fd: what the hub calls back when the fd is ready or closed."""

    __slots__ = ("cb", "evtype", "fileno", "mark_as_closed", "spent", "tb")

    def __init__(
        self,
        evtype: str,
        fileno: int,
        cb: Callable[[int], Any],
        tb: Callable[[BaseException], Any],
        mark_as_closed: Callable[[], Any] | None = None,
    ) -> None:
        self.evtype = evtype
        self.fileno = fileno
        self.cb = cb
        self.tb = tb
        self.mark_as_closed = mark_as_closed
        #: True once the listener has been removed from the hub.
        self.spent = False

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


class BaseHub:
    """The scheduling loop.  Subclasses provide the I/O backend.

    Green code rarely uses a hub directly; it calls ``eventlet.sleep``, waits on sockets and uses the
    synchronisation primitives, which all reduce to :meth:`switch` plus a way to be switched back.
    """

    READ = READ
    WRITE = WRITE
    #: backend name, as accepted by ``eventlet.hubs.use_hub``
    name = "base"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.greenlet = greenlet(self.run)
        self._ready: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = itertools.count()
        self._cancelled_timers = 0
        self._fds: dict[int, _FdState] = {}
        self._threadsafe: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._wake_pending = False
        self.stopping = False
        self.running = False
        self.switches = 0
        self.debug_exceptions = True
        self.thread_ident = threading.get_ident()
        self._wakeup_r, self._wakeup_w = self._make_wakeup()
        self._init_backend()
        self._register(self._wakeup_r, EV_READ)

    # ------------------------------------------------------------------ backend interface
    def _init_backend(self) -> None:  # pragma: no cover - every backend overrides it
        raise NotImplementedError

    def _register(self, fd: int, mask: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _modify(self, fd: int, mask: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _unregister(self, fd: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:  # pragma: no cover
        raise NotImplementedError

    def _close_backend(self) -> None:
        """Release the backend's own resources (an epoll fd, say)."""

    # ------------------------------------------------------------------ switching
    def switch(self) -> Any:
        """Switch from the current green thread to the hub; return what wakes it.

        Raises RuntimeError when called from the hub itself (it would wait for itself).
        """
        current = getcurrent()
        if current is self.greenlet:
            raise RuntimeError("Cannot switch to the hub from the hub: this would block forever")
        switch_out = getattr(current, "switch_out", None)
        if switch_out is not None:
            switch_out()
        if self.greenlet.dead:
            self.greenlet = greenlet(self.run)
        return self.greenlet.switch()

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` from the hub on its next turn (FIFO with other such calls)."""
        self._ready.append((callback, args))

    def call_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        """Like :meth:`call_soon`, from any OS thread: wakes the hub if it is sleeping."""
        self._threadsafe.append((callback, args))
        if not self._wake_pending:
            self._wake_pending = True
            try:
                self._write_wakeup()
            except OSError:  # pragma: no cover - the pipe is full: the hub is awake anyway
                pass

    # ------------------------------------------------------------------ timers
    def schedule_call_global(self, seconds: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` in ``seconds``; return a :class:`Timer` that can cancel it."""
        timer = Timer(self, seconds, callback, args)
        self._add_timer(timer)
        return timer

    def schedule_call_local(self, seconds: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Like :meth:`schedule_call_global`, but cancelled if the calling green thread dies first."""
        timer = Timer(self, seconds, callback, args, owner=getcurrent())
        self._add_timer(timer)
        return timer

    def add_timer(self, timer: Timer) -> Timer:
        """Schedule an existing :class:`Timer` (upstream eventlet's lower-level entry point)."""
        self._add_timer(timer)
        return timer

    def _add_timer(self, timer: Timer) -> None:
        deadline = self.clock() + (timer.seconds if timer.seconds > 0 else 0.0)
        timer.deadline = deadline
        heapq.heappush(self._timers, (deadline, next(self._timer_seq), timer))

    def _timer_cancelled(self) -> None:
        self._cancelled_timers += 1
        timers = self._timers
        if self._cancelled_timers > 1000 and self._cancelled_timers * 2 > len(timers):
            self._timers = [entry for entry in timers if entry[2].callback is not None]
            heapq.heapify(self._timers)
            self._cancelled_timers = 0

    def _fire_timers(self, now: float) -> None:
        timers = self._timers
        pop = heapq.heappop
        while timers:
            entry = timers[0]
            timer = entry[2]
            callback = timer.callback
            if callback is None:
                pop(timers)
                self._cancelled_timers -= 1
                continue
            if entry[0] > now:
                break
            pop(timers)
            args = timer.args
            timer.callback = None
            timer.args = ()
            owner = timer.greenlet
            if owner is not None and owner.dead:
                continue
            try:
                callback(*args)
            except self.SYSTEM_EXCEPTIONS:
                raise
            except BaseException:
                self._report_callback_error(callback)

    def _next_deadline(self) -> float | None:
        timers = self._timers
        while timers and timers[0][2].callback is None:
            heapq.heappop(timers)
            self._cancelled_timers -= 1
        return timers[0][0] if timers else None

    # ------------------------------------------------------------------ file descriptors
    def add(
        self,
        evtype: str,
        fileno: int,
        cb: Callable[[int], Any],
        tb: Callable[[BaseException], Any],
        mark_as_closed: Callable[[], Any] | None = None,
    ) -> FdListener:
        """Call ``cb(fileno)`` when ``fileno`` is ready for ``evtype`` (READ or WRITE).

        ``tb(exc)`` is called instead when the fd is closed through :meth:`notify_close`.  The
        listener stays until :meth:`remove` is called with it (upstream eventlet's contract).
        """
        listener = FdListener(evtype, fileno, cb, tb, mark_as_closed)
        self._add_listener(listener, _MASKS[evtype], 0)
        return listener

    def remove(self, listener: FdListener) -> None:
        """Stop calling ``listener``.  Removing a spent listener does nothing."""
        if not listener.spent:
            self._remove_listener(listener)

    def _add_listener(self, listener: FdListener, mask: int, serial: int) -> None:
        fd = listener.fileno
        state = self._fds.get(fd)
        if state is None:
            state = self._fds[fd] = _FdState()
        if mask == EV_READ:
            state.readers.append(listener)
        else:
            state.writers.append(listener)
        wanted = state.wanted()
        if state.registered and (serial == 0 or state.serial != serial):
            # The registration might belong to an earlier file that had this fd number.
            self._reregister(fd, state, wanted)
        elif state.registered | wanted != state.registered:
            if state.registered:
                self._modify(fd, state.registered | wanted)
                state.registered |= wanted
            else:
                self._register(fd, wanted)
                state.registered = wanted
        state.serial = serial

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
            except (OSError, ValueError, KeyError):
                pass  # already closed: the kernel dropped it (nothing to undo)

    def notify_close(self, fileno: int) -> None:
        """Tell the hub ``fileno`` is about to be closed: its waiters get ``OSError(EBADF)``."""
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
            exc = OSError(errno.EBADF, "The file descriptor was closed while a green thread waited")
            self.call_soon(listener.tb, exc)

    def mark_as_reopened(self, fileno: int) -> None:
        """Forget any kept registration of ``fileno``: it now names a different file."""
        state = self._fds.get(fileno)
        if state is not None and not state.readers and not state.writers:
            self._forget_fd(fileno, state)

    def _wait_fd(self, fd: int, mask: int, serial: int | None) -> FdListener:
        """Register the current greenlet to be switched to (with ``fd``) when ``fd`` is ready."""
        current = getcurrent()
        listener = FdListener(READ if mask == EV_READ else WRITE, fd, current.switch, current.throw)
        self._add_listener(listener, mask, serial or 0)
        return listener

    def _dispatch(self, fd: int, events: int) -> None:
        state = self._fds.get(fd)
        if state is None:
            # Not ours any more (or a stale event from a poll result): stop watching it.
            return
        woke = False
        if events & (EV_READ | EV_ERROR) and state.readers:
            woke = True
            readers = state.readers
            if len(readers) == 1:
                self._wake(readers.pop(), fd)
            else:
                state.readers = []
                for listener in readers:
                    self._wake(listener, fd)
        if events & (EV_WRITE | EV_ERROR) and state.writers:
            woke = True
            writers = state.writers
            state.writers = []
            for listener in writers:
                self._wake(listener, fd)
        if self._fds.get(fd) is not state:
            return  # a woken callback closed or re-registered the fd
        wanted = state.wanted()
        if wanted:
            if not woke and wanted != state.registered:
                # An event nobody waits for (a kept registration of the other direction):
                # narrow the registration so a level-triggered poller does not spin on it.
                self._modify(fd, wanted)
                state.registered = wanted
        elif not woke or not state.serial:
            # Ready with nobody waiting, or a raw fd whose waiter is done: stop watching it.
            self._forget_fd(fd, state)

    def _wake(self, listener: FdListener, fd: int) -> None:
        listener.spent = True
        try:
            listener.cb(fd)
        except self.SYSTEM_EXCEPTIONS:
            raise
        except BaseException:
            self._report_callback_error(listener.cb)

    # ------------------------------------------------------------------ wake-up pipe
    def _make_wakeup(self) -> tuple[int, int]:
        eventfd = getattr(os, "eventfd", None)
        if eventfd is not None:
            fd = eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            return fd, fd
        r, w = os.pipe()  # pragma: no cover - platforms without eventfd
        os.set_blocking(r, False)  # pragma: no cover
        os.set_blocking(w, False)  # pragma: no cover
        return r, w  # pragma: no cover

    def _write_wakeup(self) -> None:
        if self._wakeup_r == self._wakeup_w:
            os.eventfd_write(self._wakeup_w, 1)
        else:  # pragma: no cover - platforms without eventfd
            os.write(self._wakeup_w, b"\0")

    def _drain_wakeup(self) -> None:
        try:
            os.read(self._wakeup_r, 4096)
        except OSError:  # pragma: no cover - spurious readiness
            pass
        self._wake_pending = False
        threadsafe = self._threadsafe
        ready = self._ready
        while threadsafe:
            ready.append(threadsafe.popleft())

    # ------------------------------------------------------------------ the loop
    SYSTEM_EXCEPTIONS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)

    def run(self) -> None:
        """The hub greenlet's body: loop until :meth:`abort`."""
        if self.running:
            raise RuntimeError("The hub is already running")
        self.running = True
        self.stopping = False
        ready = self._ready
        clock = self.clock
        wakeup = self._wakeup_r
        try:
            while not self.stopping:
                count = len(ready)
                if count:
                    self.switches += count
                    popleft = ready.popleft
                    for _ in range(count):
                        callback, args = popleft()
                        try:
                            callback(*args)
                        except self.SYSTEM_EXCEPTIONS:
                            raise
                        except BaseException:
                            self._report_callback_error(callback)
                if self.stopping:
                    break
                if ready or self._threadsafe:
                    timeout: float | None = 0.0
                else:
                    deadline = self._next_deadline()
                    timeout = None if deadline is None else max(deadline - clock(), 0.0)
                timeout = self._adjust_poll_timeout(timeout)
                for fd, events in self._poll(timeout):
                    if fd == wakeup:
                        self._drain_wakeup()
                    else:
                        self._dispatch(fd, events)
                if self._timers:
                    self._fire_timers(clock())
        finally:
            self.running = False
            self.stopping = False

    def _adjust_poll_timeout(self, timeout: float | None) -> float | None:
        """Hook for hubs that manage time differently (the virtual clock of eventlet.testing)."""
        return timeout

    def _report_callback_error(self, callback: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, GreenletExit):
            return
        if self.debug_exceptions:
            logger.error("Exception in hub callback %r", callback, exc_info=True)

    def abort(self, wait: bool = False) -> None:
        """Ask the loop to stop after the current turn; ``wait`` switches to it so it does."""
        self.stopping = True
        if self.thread_ident != threading.get_ident():
            self.call_threadsafe(_ignore)
        elif wait and self.running and getcurrent() is not self.greenlet:
            self.switch()

    def close(self) -> None:
        """Release the hub's fds.  The hub must not be running."""
        for fd, state in list(self._fds.items()):
            self._forget_fd(fd, state)
        try:
            self._unregister(self._wakeup_r)
        except (OSError, ValueError, KeyError):
            pass  # the backend may already be closed
        self._close_backend()
        if self._wakeup_r != self._wakeup_w:  # pragma: no cover - platforms without eventfd
            os.close(self._wakeup_w)
        os.close(self._wakeup_r)

    def _reinit_after_fork(self) -> None:
        """In a forked child: give this hub its own backend and wake-up fd (the parent keeps its)."""
        old_wakeup = {self._wakeup_r, self._wakeup_w}
        self._close_backend()
        self._init_backend()
        self._wakeup_r, self._wakeup_w = self._make_wakeup()
        for fd in old_wakeup:
            os.close(fd)
        self._register(self._wakeup_r, EV_READ)
        self._threadsafe.clear()
        self._wake_pending = False
        self.thread_ident = threading.get_ident()
        for fd, state in list(self._fds.items()):
            wanted = state.wanted()
            if not wanted:
                del self._fds[fd]
                continue
            try:
                self._register(fd, wanted)
            except OSError:  # closed in the child: wake its waiters with the error
                state.registered = 0
                self.notify_close(fd)
                continue
            state.registered = wanted

    # ------------------------------------------------------------------ introspection
    def get_readers(self) -> list[FdListener]:
        """Every listener waiting to read."""
        return [lst for state in self._fds.values() for lst in state.readers]

    def get_writers(self) -> list[FdListener]:
        """Every listener waiting to write."""
        return [lst for state in self._fds.values() for lst in state.writers]

    def get_timers_count(self) -> int:
        """How many timers are pending."""
        return sum(1 for entry in self._timers if entry[2].callback is not None)

    def statistics(self) -> dict[str, int]:
        """Counts for monitoring: ready callbacks, pending timers, fd listeners, switches made."""
        readers = sum(len(s.readers) for s in self._fds.values())
        writers = sum(len(s.writers) for s in self._fds.values())
        return {
            "ready": len(self._ready),
            "timers": self.get_timers_count(),
            "readers": readers,
            "writers": writers,
            "listeners": readers + writers,
            "fds_registered": sum(1 for s in self._fds.values() if s.registered),
            "switches": self.switches,
        }


def _ignore(*_args: Any) -> None:
    """A callback that does nothing (the wake-up pipe's listener)."""
