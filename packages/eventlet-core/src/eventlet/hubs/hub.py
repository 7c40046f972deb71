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
   marks it and counts it; dead entries are dropped when they reach the top, and once more than half
   of the stored timers are dead the loop rebuilds the store in place, so cancel is O(1) and nothing
   fills with garbage.  A turn fires only the timers due when it started looking.  Popping from a
   heap of 100,000 tuples costs microseconds (cache misses), so when the heap is large a new timer
   whose time slot (1/256 s) has not begun goes to an unsorted per-slot bucket instead; a bucket is
   sorted into the heap when its slot begins, minus the timers cancelled meanwhile, which never
   touch the heap at all (timeouts are mostly cancelled).
3. **File descriptors**: per fd, the listeners waiting to read and to write.  The backend (epoll,
   kqueue, poll, select) sits behind a narrow interface of four methods (``_register``,
   ``_modify``, ``_unregister``, ``_poll``).  The hub asks the backend for the *union* of what the
   listeners of an fd want.  The asyncio hub replaces ``run`` and ``_poll`` by the asyncio loop's own
   machinery and keeps the rest.

Avoiding system calls per wait.  Upstream eventlet registers an fd with epoll at every wait and
unregisters it after.  Here an fd whose waiter went away stays registered ("kept") as long as it
belongs to an owner that promises to tell the hub when it is closed: the next wait on the same socket
then costs no system call at all.  An owner proves it is the same one with a *serial* number (never
reused, unlike fd numbers), so a new socket that receives a recycled fd number is registered afresh.
A kept fd that becomes ready with nobody waiting is unregistered then (a level-triggered poller would
otherwise report it again and again).  Raw fds waited on without a serial (``trampoline``) are
unregistered as soon as their last waiter leaves, like upstream.

Waking.  When the poller reports an fd ready, every listener on it is woken, by switching to it right
away from the hub (several green threads may wait on one fd; the ones that find nothing to read wait
again).  A listener made by ``wait_fd`` is one-shot; one made by the upstream-compatible :meth:`add`
stays until :meth:`remove`.  ``notify_close(fd)`` wakes every waiter of a closing fd with an
``OSError(EBADF)`` so nobody sleeps forever on a dead descriptor; that wake-up goes through the ready
queue, and is dropped if the waiter has left meanwhile (woken by a timeout, say), so it can never
resume a green thread that is by then waiting for something else.

Errors.  An exception escaping a callback is logged on the ``eventlet.hub`` logger and the loop goes
on; only ``KeyboardInterrupt`` and ``SystemExit`` leave the loop, to reach the main greenlet (and
``GreenletExit`` thrown into the hub greenlet itself, which ends it quietly).

Other threads talk to a hub only through ``call_threadsafe``, which queues a callback and writes to a
wake-up fd (an eventfd on Linux, a pipe elsewhere) that the hub always watches.
"""

from __future__ import annotations

import errno
import heapq
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from greenlet import GreenletExit, getcurrent, greenlet

__all__ = ["EV_READ", "EV_WRITE", "READ", "WRITE", "BaseHub", "FdListener", "Timer", "new_serial"]

logger = logging.getLogger("eventlet.hub")

READ = "read"
WRITE = "write"

#: Event bits shared by all backends (they match select.POLLIN/POLLOUT and EPOLLIN/EPOLLOUT).
EV_READ = 0x001
EV_WRITE = 0x004
EV_ERROR = 0x008 | 0x010 | 0x020  # POLLERR | POLLHUP | POLLNVAL: wake everybody

_MASKS = {READ: EV_READ, WRITE: EV_WRITE}

_SERIAL = itertools.count(1)

#: Rebuild the timer heap when it holds more than this many cancelled entries (and over half).
COMPACT_THRESHOLD = 1000
#: Timer buckets: a heap smaller than this takes every new timer; a larger one takes only the timers
#: of slots that have begun, the others wait in a bucket per slot of 1/SLOTS_PER_SECOND seconds.
SMALL_HEAP = 256
SLOTS_PER_SECOND = 256


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
        deadline: float = 0.0,
    ) -> None:
        self.hub = hub
        self.seconds = seconds
        self.callback: Callable[..., Any] | None = callback
        self.args = args
        #: the hub clock's reading when the timer is due (set when it is scheduled)
        self.deadline = deadline
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
            self.hub._cancelled_timers += 1

    def __repr__(self) -> str:
        state = "pending" if self.callback is not None else "done"
        return f"<Timer {state} in {self.seconds!r}s {self.callback!r}>"


class FdListener:
    """One waiter on one fd: what the hub calls back when the fd is ready or closed."""

    __slots__ = ("cb", "evtype", "fileno", "mark_as_closed", "persistent", "spent", "tb")

    def __init__(
        self,
        evtype: str,
        fileno: int,
        cb: Callable[[int], Any],
        tb: Callable[[BaseException], Any] | None,
        mark_as_closed: Callable[[], Any] | None = None,
    ) -> None:
        self.evtype = evtype
        self.fileno = fileno
        self.cb = cb
        #: called with ``OSError(EBADF)`` on :meth:`BaseHub.notify_close`; ``None`` once not wanted.
        self.tb = tb
        self.mark_as_closed = mark_as_closed
        #: True once the listener has been removed from the hub.
        self.spent = False
        #: True for listeners made by :meth:`BaseHub.add`: they stay until removed.
        self.persistent = False

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
    SYSTEM_EXCEPTIONS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)
    #: what ends the loop instead of being logged: the above, and GreenletExit thrown into the hub
    #: greenlet itself (it is being killed, or garbage-collected after :meth:`close`)
    _LOOP_EXITS: tuple[type[BaseException], ...] = (*SYSTEM_EXCEPTIONS, GreenletExit)

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.greenlet = greenlet(self.run)
        self._ready: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = itertools.count()
        self._cancelled_timers = 0  # cancelled entries still stored, in the heap or the buckets
        # Timers far enough ahead wait unsorted in per-slot buckets (see the module docstring).
        self._buckets: dict[float, list[tuple[float, int, Timer]]] = {}
        self._bucket_keys: list[float] = []  # heap of the slots that have a bucket
        self._bucketed = 0  # entries in the buckets
        self._near_time = 0.0  # the slots before this time were merged: their timers go to the heap
        self._fds: dict[int, _FdState] = {}
        self._threadsafe: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._wake_pending = False
        self.stopping = False
        self.running = False
        self.closed = False
        #: callbacks run from the ready queue (a measure of how busy the hub is)
        self.switches = 0
        #: log exceptions escaping hub callbacks (see ``eventlet.debug.hub_exceptions``)
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

    def is_idle_frame(self, frame: FrameType) -> bool:
        """True if ``frame``, the top of the hub's thread, means the hub sleeps in its poller."""
        return frame.f_code.co_name == "_poll" and frame.f_locals.get("self") is self

    # ------------------------------------------------------------------ switching
    def switch(self) -> Any:
        """Switch from the current green thread to the hub; return what wakes it.

        Raises RuntimeError when called from the hub itself (it would wait for itself).
        """
        current = getcurrent()
        hub_greenlet = self.greenlet
        if current is hub_greenlet:
            raise RuntimeError("Cannot switch to the hub from the hub: this would block forever")
        switch_out = getattr(current, "switch_out", None)
        if switch_out is not None:
            switch_out()
        if hub_greenlet.dead:
            # The loop was aborted (or died of KeyboardInterrupt): start a new one, and make the
            # current greenlet come back to it when it ends.
            hub_greenlet = self.greenlet = greenlet(self.run, hub_greenlet.parent)
            if current.parent is not None:
                current.parent = hub_greenlet
        return hub_greenlet.switch()

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
        deadline = self.clock() + seconds if seconds > 0 else self.clock()
        timer = Timer(self, seconds, callback, args, None, deadline)
        entry = (deadline, next(self._timer_seq), timer)
        heap = self._timers
        if len(heap) < SMALL_HEAP or deadline < self._near_time:
            heapq.heappush(heap, entry)
        else:
            slot = deadline * SLOTS_PER_SECOND // 1
            try:
                self._buckets[slot].append(entry)
            except KeyError:
                self._buckets[slot] = [entry]
                heapq.heappush(self._bucket_keys, slot)
            self._bucketed += 1
        return timer

    def schedule_call_local(self, seconds: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Like :meth:`schedule_call_global`, but cancelled if the calling green thread dies first."""
        timer = self.schedule_call_global(seconds, callback, *args)
        timer.greenlet = getcurrent()
        return timer

    def add_timer(self, timer: Timer) -> Timer:
        """Schedule an existing :class:`Timer` (upstream eventlet's lower-level entry point)."""
        if timer.hub is not self:
            raise ValueError("This timer was made for another hub")
        seconds = timer.seconds
        deadline = timer.deadline = self.clock() + seconds if seconds > 0 else self.clock()
        heapq.heappush(self._timers, (deadline, next(self._timer_seq), timer))
        return timer

    def _merge_buckets(self, now: float) -> None:
        """Move the buckets of every slot that has begun by ``now`` into the heap."""
        limit = now * SLOTS_PER_SECOND // 1
        keys = self._bucket_keys
        buckets = self._buckets
        heap = self._timers
        while keys and keys[0] <= limit:
            entries = buckets.pop(heapq.heappop(keys))
            self._bucketed -= len(entries)
            live = [entry for entry in entries if entry[2].callback is not None]
            self._cancelled_timers -= len(entries) - len(live)
            if len(live) > len(heap):
                heap.extend(live)
                heapq.heapify(heap)
            else:
                for entry in live:
                    heapq.heappush(heap, entry)
        near_time = (limit + 1) / SLOTS_PER_SECOND
        if near_time > self._near_time:
            self._near_time = near_time

    def _compact_timers(self) -> None:
        """Drop the cancelled entries from the heap and the buckets, in place (a firing loop may
        hold the heap list)."""
        heap = self._timers
        heap[:] = [entry for entry in heap if entry[2].callback is not None]
        heapq.heapify(heap)
        buckets = self._buckets
        for slot in list(buckets):
            live = [entry for entry in buckets[slot] if entry[2].callback is not None]
            if live:
                buckets[slot] = live
            else:
                del buckets[slot]
        self._bucket_keys = sorted(buckets)  # a sorted list is a heap
        self._bucketed = sum(len(entries) for entries in buckets.values())
        self._cancelled_timers = 0

    def _too_many_cancelled(self) -> bool:
        cancelled = self._cancelled_timers
        return cancelled > COMPACT_THRESHOLD and cancelled * 2 > len(self._timers) + self._bucketed

    def _fire_timers(self, now: float) -> None:
        """Run every timer due at ``now`` (and drop the cancelled ones on the way)."""
        if self._bucket_keys:
            self._merge_buckets(now)
        if self._cancelled_timers > COMPACT_THRESHOLD and self._too_many_cancelled():
            self._compact_timers()
        timers = self._timers
        pop = heapq.heappop
        system = self._LOOP_EXITS
        while timers:
            entry = timers[0]
            if entry[0] > now:
                break
            pop(timers)
            timer = entry[2]
            callback = timer.callback
            if callback is None:
                self._cancelled_timers -= 1
                continue
            args = timer.args
            timer.callback = None
            timer.args = ()
            owner = timer.greenlet
            if owner is not None and owner.dead:
                continue
            try:
                callback(*args)
            except system:
                raise
            except BaseException:
                self._report_callback_error(callback)

    def _next_deadline(self) -> float | None:
        """When the next timer is due (or the next bucket of timers has to be sorted in)."""
        if self._cancelled_timers > COMPACT_THRESHOLD and self._too_many_cancelled():
            self._compact_timers()
        timers = self._timers
        while timers and timers[0][2].callback is None:
            heapq.heappop(timers)
            self._cancelled_timers -= 1
        deadline = timers[0][0] if timers else None
        keys = self._bucket_keys
        if keys:
            start = keys[0] / SLOTS_PER_SECOND
            if deadline is None or start < deadline:
                return start
        return deadline

    def _timer_entries(self) -> list[tuple[float, int, Timer]]:
        """Every stored timer entry, heap and buckets (for introspection)."""
        entries = list(self._timers)
        for bucket in self._buckets.values():
            entries += bucket
        return entries

    # ------------------------------------------------------------------ file descriptors
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
        if mask == EV_READ:
            state.readers.append(listener)
        else:
            state.writers.append(listener)
        registered = state.registered
        try:
            if registered and serial != state.serial:
                # The registration may belong to an earlier file that had this fd number.
                self._reregister(fd, state, state.wanted())
            elif registered | mask != registered:
                if registered:
                    self._modify(fd, registered | mask)
                else:
                    self._register(fd, mask)
                state.registered = registered | mask
        except BaseException:
            # Not a pollable fd (closed, a regular file...): leave no trace of the listener.
            listener.spent = True
            (state.readers if mask == EV_READ else state.writers).remove(listener)
            if not state.readers and not state.writers:
                self._forget_fd(fd, state)
            raise
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
            except (OSError, ValueError, KeyError) as exc:
                # Closed without notify_close: the kernel already dropped it.
                logger.debug("fd %d was already gone from the poller: %r", fd, exc)

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
            self._ready.append((self._deliver_close, (listener,)))

    @staticmethod
    def _deliver_close(listener: FdListener) -> None:
        tb = listener.tb
        if tb is not None:  # None: the waiter left (timed out, was killed) before we got here
            listener.tb = None
            tb(OSError(errno.EBADF, "The file descriptor was closed while a green thread waited"))

    def mark_as_reopened(self, fileno: int) -> None:
        """Forget any kept registration of ``fileno``: it now names a different file."""
        state = self._fds.get(fileno)
        if state is not None and not state.readers and not state.writers:
            self._forget_fd(fileno, state)

    def _dispatch(self, fd: int, events: int) -> None:
        state = self._fds.get(fd)
        if state is None:
            return  # a stale event from this poll's batch: the fd was forgotten meanwhile
        woke = False
        if events & (EV_READ | EV_ERROR) and state.readers:
            woke = True
            readers = state.readers
            if len(readers) == 1 and not readers[0].persistent:
                self._wake(readers.pop(), fd)
            else:
                state.readers = []
                self._wake_all(state, readers, fd)
        if events & (EV_WRITE | EV_ERROR) and state.writers:
            woke = True
            writers = state.writers
            state.writers = []
            self._wake_all(state, writers, fd)
        if self._fds.get(fd) is not state:
            return  # a woken callback closed the fd
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

    # ------------------------------------------------------------------ wake-up fd
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
        except BlockingIOError:  # pragma: no cover - a spurious readiness report
            pass
        self._wake_pending = False
        threadsafe = self._threadsafe
        ready = self._ready
        while threadsafe:
            ready.append(threadsafe.popleft())

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        """The hub greenlet's body: loop until :meth:`abort`."""
        if self.running:
            raise RuntimeError("The hub is already running")
        if self.closed:
            raise RuntimeError("The hub is closed")
        self.running = True
        self.stopping = False
        ready = self._ready
        clock = self.clock
        wakeup = self._wakeup_r
        system = self._LOOP_EXITS
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
                        except system:
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
                for fd, events in self._poll(timeout):
                    if fd == wakeup:
                        self._drain_wakeup()
                    else:
                        self._dispatch(fd, events)
                if self._timers or self._bucket_keys:
                    self._fire_timers(clock())
        finally:
            self.running = False
            self.stopping = False

    def _report_callback_error(self, callback: Any) -> None:
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
        """Release the hub's fds and forget its pending work.  The hub must not be running."""
        if self.closed:
            return
        if getcurrent() is self.greenlet:
            raise RuntimeError("Cannot close the hub from inside its own loop")
        self.closed = True
        for fd, state in list(self._fds.items()):
            self._forget_fd(fd, state)
        try:
            self._unregister(self._wakeup_r)
        except (OSError, ValueError, KeyError) as exc:  # pragma: no cover - defensive
            logger.debug("wake-up fd already unregistered: %r", exc)
        self._close_backend()
        if self._wakeup_r != self._wakeup_w:  # pragma: no cover - platforms without eventfd
            os.close(self._wakeup_w)
        os.close(self._wakeup_r)
        self._ready.clear()
        self._threadsafe.clear()
        for entry in self._timer_entries():
            entry[2].callback = None
        self._timers.clear()
        self._buckets.clear()
        self._bucket_keys.clear()
        self._bucketed = 0
        self._cancelled_timers = 0

    def _reinit_after_fork(self) -> None:
        """In a forked child: give this hub its own backend and wake-up fd (the parent keeps its)."""
        self._close_backend()
        self._init_backend()
        self._renew_wakeup()
        self._register(self._wakeup_r, EV_READ)
        self._reregister_all()

    def _renew_wakeup(self) -> None:
        """A wake-up fd of the child's own, under the same number(s): the running loop knows them."""
        new_r, new_w = self._make_wakeup()
        os.dup2(new_r, self._wakeup_r)
        os.close(new_r)
        if new_w != new_r:  # pragma: no cover - platforms without eventfd
            os.dup2(new_w, self._wakeup_w)
            os.close(new_w)
        self._threadsafe.clear()
        self._wake_pending = False
        self.thread_ident = threading.get_ident()

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

    # ------------------------------------------------------------------ introspection
    def get_readers(self) -> list[FdListener]:
        """Every listener waiting to read."""
        return [lst for state in self._fds.values() for lst in state.readers]

    def get_writers(self) -> list[FdListener]:
        """Every listener waiting to write."""
        return [lst for state in self._fds.values() for lst in state.writers]

    def get_timers(self) -> list[Timer]:
        """The pending timers, soonest first."""
        return [entry[2] for entry in sorted(self._timer_entries()) if entry[2].callback is not None]

    def get_timers_count(self) -> int:
        """How many timers are pending."""
        return len(self._timers) + self._bucketed - self._cancelled_timers

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
    """A callback that does nothing (used to wake a hub from another thread)."""
