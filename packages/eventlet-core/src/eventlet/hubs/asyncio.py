"""The asyncio hub: green threads and asyncio coroutines sharing one thread and one event loop.

The hub greenlet runs ``loop.run_forever()`` on an asyncio event loop of its own, so coroutines
(started from green code with :func:`eventlet.asyncio.spawn_for_awaitable`) and green threads take
turns in the same OS thread.  What the other hubs do in their own loop is spread over loop
callbacks here:

* **A turn** (``_turn``) runs the entries of the hub's ready queue that were queued when it started,
  then the timers that are due.  It is scheduled with ``loop.call_soon`` whenever the ready queue is
  not empty, so green threads yielding with ``sleep(0)`` interleave fairly with asyncio callbacks.
* **Timers** stay in the base hub's heap (cheap to cancel); one ``loop.call_at`` handle wakes the
  hub for the earliest deadline and is replaced when an earlier timer appears.
* **Monkey patching** must not reach asyncio: its loop waiting on a green selector would wait
  through the hub, that is, through itself; its thread pool (``asyncio.to_thread``,
  ``run_in_executor``, the default ``getaddrinfo``) must start OS threads, not green ones.  So,
  as upstream eventlet does, creating this hub (and ``monkey_patch()`` while this hub is chosen)
  puts ``asyncio`` and ``concurrent.futures.thread`` on the unpatched standard modules for good
  (see :func:`eventlet.patcher.original`): their ``socket``, ``selectors``, ``threading``,
  ``queue``, ``subprocess``... are the originals, before and after patching, while the program's
  own code gets the green ones.  The loop's selector comes from the original ``selectors`` too.
* **File descriptors** are watched with ``loop.add_reader``/``add_writer`` by the hub's backend,
  a :class:`LoopWatcher` (the poller interface of :mod:`eventlet.hubs._poller` without ``poll``:
  the loop calls back instead of being asked); its callbacks go to the base hub's ``_dispatch``,
  so kept registrations and serials work as in the other hubs.
* **The loop body** (:meth:`Hub._loop`) is ``loop.run_forever()``; the base hub's ``run`` keeps
  the rest (refusing a running or closed hub, the flags, forgetting a queued ``sleep(0)``).

Green threads put work on the ready queue directly (``sleep``, ``spawn``, ``Event.send``...), without
telling asyncio.  But a green thread always gives control back to the hub greenlet, which is then
inside one of the loop callbacks this module installs; each of them ends with ``_reschedule``,
which asks the loop for another turn if the ready queue is not empty or an earlier timer appeared.
Coroutines running in the loop that want to wake a green thread use :meth:`Hub.call_soon`, which
does the same.

A coroutine runs in the hub greenlet, so it must not call blocking green functions (``sleep``,
socket reads): that raises RuntimeError, as calling them from any hub callback does.  It awaits a
green thread instead (``await gt``).
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit, getcurrent

from eventlet._patching import state as patcher_state
from eventlet.hubs.hub import EV_READ, EV_WRITE, BaseHub

_INF = math.inf

__all__ = ["Hub", "LoopWatcher", "is_available"]


def _import_for_the_hub(name: str) -> ModuleType:
    """Import ``name``; what that loads first (``asyncio`` loads ``ssl``) is eventlet's doing, so
    monkey patching later warns about none of it."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    before = set(sys.modules)
    module = importlib.import_module(name)
    patcher_state.STATE.imported_for_hub.update(sys.modules.keys() - before)
    return module


if TYPE_CHECKING:
    import asyncio
else:
    asyncio = _import_for_the_hub("asyncio")


def _runs_asyncio(name: str) -> bool:
    """True for the modules kept unpatched: asyncio's, and its default executor's."""
    return name == "asyncio" or name.startswith("asyncio.") or name == "concurrent.futures.thread"


def _keep_asyncio_unpatched() -> None:
    """Put ``asyncio`` and ``concurrent.futures.thread`` on the unpatched standard modules for good.

    Idempotent; called when this hub is created and before ``monkey_patch()`` patches while this
    hub is chosen.  Code outside these modules keeps the green modules.
    """
    _import_for_the_hub("concurrent.futures.thread")  # asyncio imports it for its first executor
    modules = [
        module
        for name, module in list(sys.modules.items())
        if _runs_asyncio(name) and isinstance(module, ModuleType)
    ]
    patcher_state.STATE.isolate(modules)


def is_available() -> bool:
    """Always True (asyncio is part of the standard library)."""
    return True


class LoopWatcher:
    """The asyncio hub's backend: watches fds through an asyncio loop's ``add_reader``/``add_writer``.

    The :class:`~eventlet.hubs._poller.FdWatcher` interface, without ``poll``: the loop waits
    (in its own selector) and, when an fd is ready, calls ``on_ready(fd, EV_READ)`` or
    ``on_ready(fd, EV_WRITE)`` from inside ``run_forever``, one call per ready direction.  The
    loop is not the watcher's: :meth:`close` withdraws the fds it added and leaves it open.

    Unlike the pollers, it asks the kernel nothing when an fd is registered (the loop's selector
    raises for a closed fd only if it is epoll's, at ``add_reader``), ``modify`` of an unregistered
    fd registers it, and ``unregister`` of an unknown one does nothing.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, on_ready: Callable[[int, int], Any]) -> None:
        self._loop: asyncio.AbstractEventLoop | None = loop
        self._on_ready = on_ready
        self._masks: dict[int, int] = {}

    def _live_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            raise ValueError("I/O operation on a closed poller")
        return loop

    def register(self, fd: int, mask: int) -> None:
        """Watch ``fd`` for the directions of ``mask`` (or replace its mask)."""
        self._change(fd, self._masks.get(fd, 0), mask)

    def modify(self, fd: int, mask: int) -> None:
        """Watch ``fd`` for ``mask`` instead: add the directions that are new, remove the others."""
        self._change(fd, self._masks.get(fd, 0), mask)

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (nothing if it is not watched)."""
        self._change(fd, self._masks.get(fd, 0), 0)

    def _change(self, fd: int, old: int, new: int) -> None:
        loop = self._live_loop()
        on_ready = self._on_ready
        if new & EV_READ:
            if not old & EV_READ:
                loop.add_reader(fd, on_ready, fd, EV_READ)
        elif old & EV_READ:
            loop.remove_reader(fd)
        if new & EV_WRITE:
            if not old & EV_WRITE:
                loop.add_writer(fd, on_ready, fd, EV_WRITE)
        elif old & EV_WRITE:
            loop.remove_writer(fd)
        if new:
            self._masks[fd] = new
        else:
            self._masks.pop(fd, None)

    def close(self) -> None:
        """Withdraw every fd this watcher added from the loop; every operation then raises ``ValueError``."""
        loop = self._loop
        if loop is None:
            return
        if not loop.is_closed():
            for fd in list(self._masks):
                self.unregister(fd)
        self._masks.clear()
        self._loop = None


class Hub(BaseHub):
    """A hub that runs on an asyncio event loop (``hub.loop``)."""

    name = "asyncio"

    @staticmethod
    def _before_monkey_patch() -> None:
        _keep_asyncio_unpatched()

    def _init_backend(self) -> None:
        """Make the hub's asyncio loop and watch fds through it (a :class:`LoopWatcher`)."""
        _keep_asyncio_unpatched()
        #: the selectors module the loop polls with: the original one, never the green one
        self.selectors: ModuleType = patcher_state.original("selectors")
        self.loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop(self._make_selector())
        # As upstream: asyncio.get_event_loop() in this thread is the hub's loop, also before it runs.
        asyncio.set_event_loop(self.loop)
        self._loop_thread = patcher_state.original_attr("_thread", "get_ident")()
        self.clock: Callable[[], float] = self.loop.time
        self._use_watcher(LoopWatcher(self.loop, self._on_fd))
        self._turn_pending = False
        self._wake_handle: asyncio.TimerHandle | None = None
        self._wake_deadline = 0.0

    def _make_selector(self) -> Any:
        """The loop's selector: before the loop sleeps, it gives queued green work a turn.

        Coroutines run in asyncio's own callbacks, and may queue green work without telling the
        loop (``eventlet.spawn`` in a coroutine); the loop always selects before it sleeps, so
        that is where such work is noticed.
        """
        hub = self

        # the base is chosen at run time (the original selectors module under monkey patching)
        class HubSelector(self.selectors.DefaultSelector):  # type: ignore[misc,name-defined]
            def select(self, timeout: float | None = None) -> Any:
                if hub._ready and not hub._turn_pending:
                    hub._turn_pending = True
                    hub.loop.call_soon(hub._turn)
                    timeout = 0
                return super().select(timeout)

        return HubSelector()

    # ------------------------------------------------------------------ the backend
    def _reregister(self, fd: int, state: Any, wanted: int) -> None:
        # The fd number may name a new file: the loop's selector must forget the old one first
        # (a selector "modify" with an unchanged mask would not tell the kernel anything).
        self._unregister(fd)
        self._register(fd, wanted)
        state.registered = wanted

    def _close_backend(self) -> None:
        if self._wake_handle is not None:
            self._wake_handle.cancel()
            self._wake_handle = None
        if patcher_state.original_attr("_thread", "get_ident")() == self._loop_thread:
            # The thread that set it: asking its policy creates no loop (it was set there).
            policy = asyncio.get_event_loop_policy()
            try:
                current = policy.get_event_loop()
            except RuntimeError:  # the program set none since
                current = None
            if current is self.loop:
                policy.set_event_loop(None)
        self.poller.close()
        self.loop.close()

    def is_idle_frame(self, frame: FrameType) -> bool:
        """True if the top frame is the loop's selector waiting for events."""
        return frame.f_code.co_name == "select" and isinstance(
            frame.f_locals.get("self"), self.selectors.BaseSelector
        )

    # ------------------------------------------------------------------ scheduling
    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` from the hub soon; callable from coroutines and green code."""
        self._ready.append((callback, args))
        if not self._turn_pending:
            self._turn_pending = True
            self.loop.call_soon(self._turn)

    def _on_fd(self, fd: int, mask: int) -> None:
        try:
            if fd == self._wakeup.read_fd:
                self._drain_wakeup()
            else:
                self._dispatch(fd, mask)
        except GreenletExit:
            self._killed()
            return
        self._reschedule()

    def _killed(self) -> None:
        """GreenletExit was thrown into the hub greenlet: end the loop (asyncio would log it)."""
        self.stopping: bool = True
        self.loop.stop()

    def _turn(self, due: float = 0.0) -> None:
        """Run the queued callbacks, then the timers due (at ``due`` at the earliest)."""
        self._turn_pending = False
        count = len(self._ready)
        try:
            if count:
                self._run_ready(count)
            if self._next_due != _INF:
                now = self.clock()
                now = now if now > due else due
                if now >= self._next_due:
                    self._fire_timers(now)
        except GreenletExit:
            self._killed()
            return
        self._reschedule()

    def _on_timer(self) -> None:
        # asyncio runs a timer up to its clock resolution early: fire what it was set for anyway.
        self._wake_handle = None
        self._turn(self._wake_deadline)

    def _reschedule(self) -> None:
        """After any callback of ours: ask the loop for the next turn or timer wake-up."""
        if self.stopping:
            self.loop.stop()
            return
        if self._ready:
            if not self._turn_pending:
                self._turn_pending = True
                self.loop.call_soon(self._turn)
            return
        deadline = self._next_deadline()
        if deadline is None:
            return
        handle = self._wake_handle
        if handle is not None:
            if self._wake_deadline <= deadline:
                return
            handle.cancel()
        self._wake_deadline = deadline
        self._wake_handle = self.loop.call_at(deadline, self._on_timer)

    # ------------------------------------------------------------------ the loop
    def _loop(self) -> None:
        """The loop body: the asyncio loop, until :meth:`abort` stops it (``BaseHub.run`` is the shell)."""
        try:
            self._turn_pending = True
            self.loop.call_soon(self._turn)
            self.loop.run_forever()
        finally:
            if self._wake_handle is not None:
                self._wake_handle.cancel()
                self._wake_handle = None

    def abort(self, wait: bool = False) -> None:
        """Stop the loop after the current callback; ``wait`` switches to the hub so it does."""
        if self.running and getcurrent() is self.greenlet:
            self.stopping = True
            self.loop.stop()
            return
        super().abort(wait)

    def close(self) -> None:
        """Stop the loop if the hub greenlet is suspended inside it, then release everything."""
        if self.running and not self.greenlet.dead and getcurrent() is not self.greenlet:
            self.abort(wait=True)
        super().close()

    def _reinit_after_fork(self) -> None:
        """In a forked child: give the loop its own selector and self-pipe, and us a wake-up fd.

        asyncio has no public way to do this on a running loop, so this uses the private
        ``_selector``, ``_close_self_pipe`` and ``_make_self_pipe`` of the selector event loop
        (present from Python 3.4 to 3.13); the parent's loop is not touched.  The loop stays this
        thread's event loop, and its running loop if it runs (asyncio 3.12+ resets both in a child).
        """
        loop: Any = self.loop
        old_selector = loop._selector
        self_pipe = {loop._ssock.fileno(), loop._csock.fileno()}
        selector = self._make_selector()
        for key in list(old_selector.get_map().values()):
            if key.fd not in self_pipe and key.fd != self._wakeup_r:
                selector.register(key.fileobj, key.events, key.data)
        loop._selector = selector
        old_selector.close()
        loop._close_self_pipe()
        loop._make_self_pipe()
        self._unregister(self._wakeup_r)  # the parent's: left out of the new selector above
        self._renew_wakeup()
        self._register(self._wakeup_r, EV_READ)
        # asyncio (3.12+) forgets its loops in a forked child; this one goes on running here.
        asyncio.set_event_loop(loop)
        if self.running:
            asyncio.events._set_running_loop(loop)
