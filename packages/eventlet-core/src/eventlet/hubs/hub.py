"""The hub: one loop per OS thread that decides which green thread runs next.

How it works
------------
Every green thread is a greenlet whose parent is the hub's greenlet.  A green thread that has to wait
(for a socket, for time, for an event) registers *how it wants to be woken* and switches to the hub;
the hub then runs whoever is ready and, when nobody is, sleeps in the operating system's poller.

The hub keeps three kinds of pending work.  Each turn of the loop (:meth:`BaseHub.run`) does, in
this order:

1. **The ready queue** (``_ready``): a FIFO of ``(callback, args)`` pairs to run as soon as possible,
   and of bare greenlets to switch to.  ``sleep(0)``, ``spawn`` and waking a waiter of an ``Event`` or
   ``Queue`` all go here.  It is a plain ``deque`` so the common operations never touch the timer
   heap: that is where most of the speed over upstream eventlet comes from.  The two hottest entries,
   a green thread yielding with ``sleep(0)`` and a new one starting, are the greenlet itself: no tuple
   or bound method to allocate, so fewer objects for the garbage collector to chase.  A turn runs
   only the entries that were queued before it started.
2. **File descriptors** (:mod:`eventlet.hubs._fds`): the loop asks the poller which fds are ready
   and wakes their waiters.  When nothing is ready to run, it sleeps in the poller until the next
   timer is due.  When callbacks are still queued (a *busy* turn) it must not sleep, and a poll
   with timeout 0 is a system call that finds nothing most of the time (a ping-pong between two
   green threads would pay one per message), so a busy turn polls only if 64 busy turns or 1 ms
   have gone by since the last poll: green threads that keep yielding cannot starve I/O, and
   cooperative switching does not pay for a system call each time.
3. **Timers** (:mod:`eventlet.hubs._timers`): the timers due by then fire.  The hub keeps a bound
   below every deadline it holds (``_next_due``), lowered by whoever schedules a timer, so a turn
   with no timer due costs one comparison and never looks at the timers themselves.

Errors.  An exception escaping a callback, and one that ends a green thread nobody waits for, is
reported by :func:`report_exception` and the loop goes on; only ``KeyboardInterrupt`` and
``SystemExit`` leave the loop, to reach the main greenlet (and ``GreenletExit`` thrown into the hub
greenlet itself, which ends it quietly).

Other threads talk to a hub only through ``call_threadsafe``, which queues a callback and writes to a
wake-up fd (:mod:`eventlet.hubs._wakeup`) that the hub always watches; a busy turn polls at once
when such a callback is waiting.  The hub of the main thread also makes that fd the process's
signal wake-up fd, so a signal (Ctrl-C) always ends its sleep in the poller.

The I/O backend.  The hub does not know epoll from select: it composes a *poller*
(:attr:`BaseHub.poller`), made by its class's :attr:`~BaseHub.poller_class`, an object with five
operations, ``register``, ``modify``, ``unregister``, ``poll`` and ``close``, whose contract
:mod:`eventlet.hubs._poller` states.  ``epolls.Hub``, ``kqueue.Hub``, ``poll.Hub`` and
``selects.Hub`` only name their poller.  The operations are bound to the hub's own attributes once
(``_register``, ``_modify``, ``_poll``; again in a forked child), so a wait pays no extra lookup
or call for the composition.

:meth:`BaseHub.run` is a shell (it refuses a running or closed hub, keeps the ``running`` and
``stopping`` flags, and forgets a queued ``sleep(0)`` of the greenlet it returns to) around the loop
itself, :meth:`BaseHub._loop`.  The asyncio hub (:mod:`eventlet.hubs.asyncio`) replaces only
``_loop``, by its asyncio loop's ``run_forever``; its backend is a watcher over that loop
(``add_reader``/``add_writer``) that calls back instead of being polled.

Kernel operations
-----------------
The primitives (green threads, queues, events, timeouts, green sockets) use the hub only through
these operations; nothing outside :mod:`eventlet.hubs` reads or writes the hub's private state.

* :attr:`BaseHub.resume` ``(entry)``: queue a ready entry for the next turn, a greenlet to switch
  to (a green thread to start, or one that yields) or a ``(callback, args)`` pair to call.  This is
  the hottest operation (``sleep(0)``, ``spawn``, every wake-up of a ``Queue`` waiter), so it is the
  ready queue's own ``append``, bound once when the hub is made.  On a hot path, read it into a
  local and call that (``resume = hub.resume; resume(entry)``): CPython (3.11 at least) specialises
  reading an instance attribute, not a method call through one, so ``hub.resume(entry)`` written
  as one expression costs ~0.1 µs more, while the local costs what ``hub._ready.append(entry)``
  did.
* :attr:`BaseHub.withdraw` ``(entry)``: take back an entry queued with ``resume`` that has not run
  yet (a green thread woken by an exception before its turn); ``ValueError`` if it is not queued.
* :meth:`BaseHub.call_soon` and :meth:`BaseHub.call_threadsafe`: ``resume((callback, args))``, the
  second from any OS thread.
* :meth:`~eventlet.hubs._timers.TimerQueue.schedule_call_global` and ``schedule_call_local``:
  call back at a time.  ``spawn_after`` uses the lighter pair of :mod:`eventlet.hubs.timer`:
  ``_arm_entry`` schedules a plain-list entry and ``_cancel_entry`` disarms it; socket waits,
  ``Timeout`` and ``sleep`` inline the same steps, inside :mod:`eventlet.hubs`.
* ``sleep`` itself (:mod:`eventlet.hubs._sleep`, re-exported by :mod:`eventlet.greenthread`): a
  kernel trap, the hottest user of the ready queue and the timers.
* :func:`eventlet.hubs.wait_fd` (green sockets and pipes) and :func:`eventlet.hubs.trampoline`:
  wait for a file descriptor to be readable or writable; :meth:`~eventlet.hubs._fds.FdTable.add`
  and :meth:`~eventlet.hubs._fds.FdTable.remove` keep a callback on one (upstream's interface).
* :meth:`BaseHub.switch`: give the OS thread to the hub until one of the above wakes the caller.

Introspection for tests and debugging: :meth:`BaseHub.pending_callbacks`,
:meth:`BaseHub.statistics`, :meth:`~eventlet.hubs._fds.FdTable.waits_on_fds` (read-only), and
:meth:`BaseHub.set_debug_listeners` and
:meth:`~eventlet.hubs._timers.TimerQueue.set_timer_recorder` (where fd waits and timers are made).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, ClassVar, TypeAlias

from greenlet import GreenletExit, getcurrent, greenlet

from eventlet.hubs._fds import (
    EV_ERROR,
    EV_READ,
    EV_WRITE,
    READ,
    WRITE,
    FdListener,
    FdTable,
    _FdState,
    new_serial,
)
from eventlet.hubs._poller import FdWatcher, Poller
from eventlet.hubs._timers import COMPACT_THRESHOLD, SLOTS_PER_SECOND, SMALL_HEAP, Timer, TimerQueue
from eventlet.hubs._wakeup import WakeupFd

__all__ = [
    "COMPACT_THRESHOLD",
    "EV_ERROR",
    "EV_READ",
    "EV_WRITE",
    "READ",
    "SLOTS_PER_SECOND",
    "SMALL_HEAP",
    "WRITE",
    "BaseHub",
    "FdListener",
    "ReadyEntry",
    "Timer",
    "_FdState",
    "new_serial",
    "report_exception",
]

logger: logging.Logger = logging.getLogger("eventlet.hub")

# The "eventlet.*" loggers stay silent until the application configures logging (the convention for
# libraries; this module is imported before anything of ours logs).  The one exception is
# report_exception(), which also prints, as Python does for an exception that ends a thread.
_package_logger = logging.getLogger("eventlet")
if not any(isinstance(handler, logging.NullHandler) for handler in _package_logger.handlers):
    _package_logger.addHandler(logging.NullHandler())


def report_exception(hub: BaseHub | None, message: str, subject: object) -> None:
    """Report the exception being handled, which nobody else will see and must not pass unseen.

    Two channels, each with its own switch.  The traceback is printed to ``sys.stderr`` (looked up
    now, so a redirection is honoured) unless ``hub.debug_exceptions`` is off
    (:func:`eventlet.debug.hub_exceptions`): what upstream eventlet does, and what Python does for an
    exception that ends a thread.  It is also logged on ``eventlet.hub`` at ERROR level, which shows
    nothing until the application configures logging.  ``message % subject`` says what failed.
    """
    exc_info = sys.exc_info()
    logger.error(message, subject, exc_info=exc_info)
    stream = sys.stderr
    if stream is None or not getattr(hub, "debug_exceptions", True):
        return
    text = "".join(traceback.format_exception(*exc_info))
    try:
        stream.write(f"{message % (subject,)}:\n{text}")
        stream.flush()
    except (OSError, ValueError) as exc:  # stderr closed or broken: the log record is all we can do
        logger.debug("could not print the report to stderr: %r", exc)


_UNKNOWN: Any = object()  # "not looked up yet" in a cache

#: What the ready queue holds: ``(callback, args)``, or a greenlet to switch to without arguments.
ReadyEntry: TypeAlias = tuple[Callable[..., Any], tuple[Any, ...]] | greenlet

#: A busy turn (callbacks still queued) polls for I/O only after this many busy turns...
BUSY_POLL_TURNS = 64
#: ... or this many seconds since the last poll, whichever comes first.
BUSY_POLL_INTERVAL = 0.001
#: At most this many attributes in a hub's ``__dict__`` (those ``__init__`` sets, and those the
#: debugging switches may add).  CPython (3.11 to 3.13) shares the keys of its instances' dicts
#: only up to 30 keys (``SHARED_KEYS_MAX_SIZE``); beyond, every attribute read and write in the
#: loop loses its specialisation: 32 attributes made ``with Timeout(1.0): sleep(0)`` 16% slower.
#: ``tests/core/test_hub.py`` checks the count.
MAX_HUB_ATTRIBUTES = 30
#: An idle hub reads the clock again to sleep until a timer due within this many seconds; a later
#: one is timed from the clock's last reading (the turn's start), which may make it a turn late.
FAR_DEADLINE = 1.0


class BaseHub(TimerQueue, FdTable):
    """The scheduling loop.  Subclasses name their I/O backend: :attr:`poller_class`.

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

    #: Kernel operation: queue a greenlet to switch to, or a ``(callback, args)`` pair to call, on
    #: the next turn (the ready queue's ``append``, bound at hub creation: see the module docstring).
    resume: Callable[[ReadyEntry], None]
    #: Kernel operation: take back an entry queued by :attr:`resume` that has not run yet
    #: (``ValueError`` if it is not queued).
    withdraw: Callable[[ReadyEntry], None]
    #: the detector :func:`eventlet.debug.hub_blocking_detection` runs for this hub (None: off)
    blocking_detector: Any = None
    #: print unhandled exceptions to stderr, besides logging them (``debug.hub_exceptions``)
    debug_exceptions: bool = True
    #: The class of the hub's poller (a :class:`~eventlet.hubs._poller.Poller`): each backend's
    #: hub class sets it (``epolls.Hub.poller_class`` is :class:`~eventlet.hubs.epolls.EpollPoller`).
    poller_class: ClassVar[type[Poller]]
    #: The hub's I/O backend, made by :meth:`_init_backend` (a new one in a forked child).
    poller: FdWatcher
    #: The poller's ``poll``, bound once (see :meth:`_init_backend`).
    _poll: Callable[[float | None], Iterable[tuple[int, int]]]

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.greenlet: greenlet = greenlet(self.run)
        self._ready: deque[ReadyEntry] = deque()
        self.resume = self._ready.append
        self.withdraw = self._ready.remove
        self._init_timers()
        self._fds: dict[int, _FdState] = {}
        self._threadsafe: deque[ReadyEntry] = deque()
        #: each greenlet class's ``switch_out`` hook (or None), as :meth:`switch` found it
        self._switch_out_hooks: dict[type, Callable[[Any], Any] | None] = {}
        self._wake_pending = False
        self.stopping: bool = False
        self.running: bool = False
        self.closed: bool = False
        #: callbacks run from the ready queue (a measure of how busy the hub is)
        self.switches: int = 0
        self.thread_ident: int = threading.get_ident()
        in_main_thread = threading.current_thread() is threading.main_thread()
        self._wakeup = WakeupFd(byte_writes=in_main_thread)
        self._init_backend()
        self._register(self._wakeup_r, EV_READ)
        if in_main_thread:
            self._wakeup.claim_signals()

    # ------------------------------------------------------------------ the backend
    def _init_backend(self) -> None:
        """Make the poller (:attr:`poller_class`) and bind its operations: at creation, and in a
        forked child.

        The fd table and the loop call ``self._register``, ``self._modify`` and ``self._poll``:
        the poller's own methods, bound here once, so a wait costs no extra attribute lookup or
        call layer (for epoll and poll, ``register`` and ``modify`` are the kernel object's own).
        """
        poller = self.poller_class()
        self._use_watcher(poller)
        self._poll = poller.poll

    def _use_watcher(self, watcher: FdWatcher) -> None:
        """Make ``watcher`` the hub's backend: bind the operations the fd table calls on waits.

        ``unregister``, off the wait path, is called through :meth:`_unregister`: every instance
        attribute counts, see :data:`MAX_HUB_ATTRIBUTES`.
        """
        self.poller = watcher
        self._register = watcher.register
        self._modify = watcher.modify

    def _unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (the poller's ``unregister``)."""
        self.poller.unregister(fd)

    @property
    def _wakeup_r(self) -> int:
        """The wake-up fd the loop watches (the same number after a fork's renewal)."""
        return self._wakeup.read_fd

    def _close_backend(self) -> None:
        """Release the backend's own resources (an epoll fd, say)."""
        self.poller.close()

    def is_idle_frame(self, frame: FrameType) -> bool:
        """True if ``frame``, the top of the hub's thread, means the hub sleeps in its poller."""
        return frame.f_code.co_name == "poll" and frame.f_locals.get("self") is self.poller

    # ------------------------------------------------------------------ switching
    def switch(self) -> Any:
        """Switch from the current green thread to the hub; return what wakes it.

        Raises RuntimeError when called from the hub itself (it would wait for itself).
        """
        current = getcurrent()
        hub_greenlet = self.greenlet
        if current is hub_greenlet:
            raise RuntimeError("Cannot switch to the hub from the hub: this would block forever")
        # A class-level hook only, looked up once per class: getattr() of a missing attribute of a
        # class raises and catches an AttributeError inside (~0.4 µs on 3.11), a dict lookup does not.
        cls = type(current)
        hooks = self._switch_out_hooks
        switch_out = hooks.get(cls, _UNKNOWN)
        if switch_out is _UNKNOWN:
            switch_out = hooks[cls] = getattr(cls, "switch_out", None)
        if switch_out is not None:
            switch_out(current)
        if hub_greenlet.dead:
            hub_greenlet = self._new_loop_greenlet(current)
        return hub_greenlet.switch()

    def _new_loop_greenlet(self, current: greenlet) -> greenlet:
        """The loop was aborted (or died of KeyboardInterrupt): start a new one.

        The green threads of the dead loop greenlet (its children) and the current greenlet come
        back to the new one when they end, not to the dead one's parent (the main greenlet).
        """
        dead = self.greenlet
        hub_greenlet = self.greenlet = greenlet(self.run, dead.parent)
        dead.parent = hub_greenlet
        if current.parent is not None:
            current.parent = hub_greenlet
        return hub_greenlet

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` from the hub on its next turn (FIFO with other such calls)."""
        self._ready.append((callback, args))

    def call_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        """Like :meth:`call_soon`, from any OS thread: wakes the hub if it is sleeping.

        A hub that is closed runs nothing any more: the call is dropped (and logged at debug level),
        since the thread making it, a worker finishing late, say, has nobody to report to.
        """
        if self.closed:
            logger.debug("call_threadsafe(%r) on a closed hub: dropped", callback)
            return
        self._threadsafe.append((callback, args))
        if not self._wake_pending:
            self._wake_pending = True
            self._wakeup.write()

    def _report_callback_error(self, callback: Any) -> None:
        report_exception(self, "Exception in hub callback %r", callback)

    def _run_ready(self, count: int) -> None:
        """Run the first ``count`` entries of the ready queue (one turn's worth)."""
        self.switches += count
        popleft = self._ready.popleft
        system = self._LOOP_EXITS
        for _ in range(count):
            entry = popleft()
            try:
                if type(entry) is tuple:
                    entry[0](*entry[1])
                else:
                    # a greenlet: a green thread to resume (sleep(0)) or to start (spawn)
                    entry.switch()  # type: ignore[union-attr]  # mypy cannot narrow on type() here
            except system:
                raise
            except BaseException:
                self._report_callback_error(entry[0] if type(entry) is tuple else entry)

    # ------------------------------------------------------------------ wake-up fd
    def _drain_wakeup(self) -> None:
        self._wakeup.drain()
        self._wake_pending = False
        threadsafe = self._threadsafe
        ready = self._ready
        while threadsafe:
            ready.append(threadsafe.popleft())

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        """The hub greenlet's body: run :meth:`_loop` until :meth:`abort`.

        The shell every hub shares: it refuses a running or closed hub, sets and clears the
        ``running`` and ``stopping`` flags however the loop ends, and afterwards forgets a queued
        ``sleep(0)`` of the greenlet it returns to.
        """
        if self.running:
            raise RuntimeError("The hub is already running")
        if self.closed:
            raise RuntimeError("The hub is closed")
        self.running = True
        self.stopping = False
        try:
            self._loop()
        finally:
            self.running = False
            self.stopping = False
        self._forget_parent_yield()

    def _loop(self) -> None:
        """The loop itself: turns of ready queue, poll, timers (see the module docstring).

        Returns when :attr:`stopping` is set; the asyncio hub replaces it by its event loop.
        """
        ready = self._ready
        clock = self.clock
        wakeup = self._wakeup_r
        busy_turns = 0
        now = last_poll = clock()
        while not self.stopping:
            count = len(ready)
            if count:
                self._run_ready(count)
                if self.stopping:
                    break
            if ready:
                # Busy: poll (without sleeping) only now and then; see the module docstring.
                busy_turns += 1
                now = clock()
                if (
                    busy_turns < BUSY_POLL_TURNS
                    and now - last_poll < BUSY_POLL_INTERVAL
                    and not self._threadsafe
                ):
                    if now >= self._next_due:
                        self._fire_timers(now)
                    continue
                timeout: float | None = 0.0
            elif self._threadsafe:
                timeout = 0.0
            else:
                deadline = self._next_deadline()
                if deadline is None:
                    timeout = None
                else:
                    # From the clock's last reading: a far deadline (a socket timeout, say)
                    # can be a turn late; a near one is worth reading the clock again.
                    timeout = deadline - now
                    if timeout < FAR_DEADLINE:
                        timeout = deadline - clock()
                        if timeout < 0.0:
                            timeout = 0.0
            poll = self._poll  # read anew each turn: a forked child binds its own poller
            for fd, events in poll(timeout):
                if fd == wakeup:
                    self._drain_wakeup()
                else:
                    self._dispatch(fd, events)
            busy_turns = 0
            now = last_poll = clock()
            if now >= self._next_due:
                self._fire_timers(now)

    def _forget_parent_yield(self) -> None:
        """The loop stopped: returning resumes the hub greenlet's parent, so a ``sleep(0)`` of the
        parent still queued must not resume it a second time when the loop runs again."""
        parent = self.greenlet.parent
        if parent is not None and parent in self._ready:
            self._ready.remove(parent)

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
        self._wakeup.close()
        self._ready.clear()
        self._threadsafe.clear()
        self._clear_timers()

    def _reinit_after_fork(self) -> None:
        """In a forked child: give this hub its own backend and wake-up fd (the parent keeps its)."""
        self._close_backend()
        self._init_backend()
        self._renew_wakeup()
        self._register(self._wakeup_r, EV_READ)
        self._reregister_all()

    def _renew_wakeup(self) -> None:
        """A wake-up fd of the child's own, under the same number(s): the running loop knows them."""
        self._wakeup.renew()
        self._threadsafe.clear()
        self._wake_pending = False
        self.thread_ident = threading.get_ident()

    # ------------------------------------------------------------------ debugging
    def set_debug_listeners(self, value: bool) -> None:
        """Record, in each fd listener made from now on, the stack that made it (``where_called``).

        :func:`eventlet.debug.format_hub_listeners` prints it.  Off, nothing is recorded and
        waiting costs nothing extra: the recording method is swapped in on this hub only.
        """
        if value:
            self._add_listener = self._add_listener_recording  # type: ignore[method-assign]
        else:
            self.__dict__.pop("_add_listener", None)

    def _add_listener_recording(self, listener: FdListener, mask: int, serial: int) -> None:
        listener.where_called = "".join(traceback.format_stack()[:-2])
        FdTable._add_listener(self, listener, mask, serial)

    # ------------------------------------------------------------------ introspection
    def pending_callbacks(self) -> list[Any]:
        """What the hub is due to run: the ready queue's greenlets and callbacks, then the pending timers'.

        A snapshot, in the order of the ready queue, then of the timers' deadlines (for tests and
        debugging: :func:`eventlet.testing.isolation.green_threads_of` finds green threads with it).
        """
        pending: list[Any] = [entry[0] if type(entry) is tuple else entry for entry in self._ready]
        pending += [timer.callback for timer in self.get_timers()]
        return pending

    def statistics(self) -> dict[str, int]:
        """Counts for monitoring: ready callbacks, pending timers (cancelled ones not counted), fd
        listeners, switches made."""
        readers = sum(len(s.readers) for s in self._fds.values())
        writers = sum(len(s.writers) for s in self._fds.values())
        return {
            "ready": len(self._ready),
            "timers": self.get_timers_count() - self.timers_canceled,
            "readers": readers,
            "writers": writers,
            "listeners": readers + writers,
            "fds_registered": sum(1 for s in self._fds.values() if s.registered),
            "switches": self.switches,
        }


def _ignore(*_args: Any) -> None:
    """A callback that does nothing (used to wake a hub from another thread)."""
