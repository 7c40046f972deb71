"""Upstream eventlet's ``eventlet.hubs.timer``: :class:`Timer` and :class:`LocalTimer`, the hub's
timers.

The hub keeps each timer as an *entry*, a plain list: ``[deadline, sequence, callback, args, hub,
owner, seconds]``.  Its own hot paths (``sleep``, socket waits, :class:`~eventlet.timeout.Timeout`,
``spawn_after``) schedule bare entries (``_arm_entry``) and cancel them (``_cancel_entry``).
Everybody else gets a :class:`Timer`, a handle on an entry with upstream eventlet's attributes
and methods: ``hub.schedule_call_global`` returns one, and upstream's lower-level way makes one::

    from eventlet.hubs import timer

    t = timer.Timer(0.5, print, "later").schedule()  # or get_hub().add_timer(t)
    t.cancel()

Why a handle and not the entry itself: the hub indexes entries on every path, and indexing a
plain list is one specialised bytecode where a list subclass's goes through the generic item
protocol; making the handle and the list costs less than making a list subclass from a tuple.
The hub holds the entry only, never the handle, so no cycle outlives a timer: a handle nobody
keeps is freed at once and its timer still fires.  ``get_timers()`` and ``Timeout.timer`` give
new handles on the entries (``_as_timer``), equal to any other handle on the same entry.  Where
the hub keeps its entries, and in which order they fire, is :mod:`eventlet.hubs._timers`' job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from greenlet import getcurrent

if TYPE_CHECKING:  # pragma: no cover - imported for the type checker only
    from eventlet.hubs.hub import BaseHub

__all__ = ["LocalTimer", "Timer"]

#: The hub rebuilds its timer store when it holds more than this many timers, at least half of
#: them cancelled (upstream eventlet's rule).
COMPACT_THRESHOLD = 1000
_HALF_THRESHOLD = COMPACT_THRESHOLD // 2
#: Cancelling checks that rule at every 16th cancelled timer the hub holds (the rest of the time
#: it costs a bit test, not a method call); compaction comes at most 15 cancels late.
_CHECK_MASK = 15


def _no_hub_yet() -> BaseHub:
    raise RuntimeError("eventlet.hubs is not imported yet")


#: The current OS thread's hub (``eventlet.hubs.get_hub``, which sets this when it is imported:
#: the hub choice sits above this module, so it is handed down instead of imported back).
_current_hub: Callable[[], BaseHub] = _no_hub_yet

#: A timer entry: ``[deadline, sequence, callback, args, hub, owner, seconds]``, a plain list (a
#: :class:`Timer` is a handle on one).
Entry: TypeAlias = list[Any]

# Slots of a timer entry.
_DEADLINE, _SEQ, _CALLBACK, _ARGS, _HUB, _OWNER, _SECONDS = range(7)


def _arm_entry(
    hub: BaseHub, seconds: float, callback: Callable[..., Any], args: tuple[Any, ...], owner: Any
) -> Entry:
    """Schedule a plain-list timer entry on ``hub``: ``callback(*args)`` in ``seconds`` (a kernel
    operation: ``spawn_after`` and the timed waits of ``Event``, ``Semaphore``, the queues and the
    green locks arm their timers with it, ``sleep`` and ``Timeout`` inline its steps;
    ``_cancel_entry`` disarms).

    It costs what ``schedule_call_global`` costs minus the :class:`Timer` handle and the keyword
    arguments: a list, a clock reading, an append to the hub's incoming timers and a comparison
    with the earliest deadline the hub holds.  ``owner``: a greenlet whose death cancels the timer
    (as ``schedule_call_local``'s), or ``None``.
    """
    now = hub.clock()
    deadline = now + seconds if seconds > 0 else now
    entry = [deadline, 0, callback, args, hub, owner, seconds]
    hub._incoming.append(entry)
    if deadline < hub._next_due:
        hub._next_due = deadline
    return entry


def _cancel_entry(entry: Entry) -> None:
    """Cancel a timer entry of the hub: it will not fire.  Cancelling twice, or after it fired,
    does nothing.  (:meth:`Timer.cancel` does the same to its entry.)"""
    # (literal slot numbers, as on the hub's other hot paths: a constant is cheaper than a global)
    if entry[2] is not None:  # _CALLBACK
        entry[2] = None
        entry[3] = ()  # _ARGS
        hub = entry[4]  # _HUB
        if hub is not None:
            incoming = hub._incoming
            if incoming and incoming[-1] is entry:
                incoming.pop()  # the last one scheduled: as though it never was
            else:
                cancelled = hub.timers_canceled = hub.timers_canceled + 1
                if cancelled > _HALF_THRESHOLD and not cancelled & _CHECK_MASK:
                    hub._compact_if_mostly_cancelled()


class _Keywords(functools.partial[Any]):
    """A callback scheduled with keyword arguments (``Timer.tpl`` gives them back apart)."""

    __slots__ = ()


class Timer:
    """A callback the hub runs once at a deadline, unless cancelled first.

    ``hub.schedule_call_global(seconds, callback, *args, **kw)`` makes and schedules one.  Upstream
    eventlet's lower-level way works too: ``Timer(seconds, callback, *args, **kw)`` makes one
    that is not scheduled yet, and ``timer.schedule()`` (or ``hub.add_timer(timer)``) schedules it.

    It is a handle on one of the hub's entries (a plain list): two handles on the same entry are
    equal and hash alike (``hub.get_timers()`` gives such handles).
    """

    __slots__ = ("_entry",)

    _entry: Entry

    def __init__(self, seconds: float, cb: Callable[..., Any], *args: Any, **kw: Any) -> None:
        if kw:
            cb = _Keywords(cb, **kw)
        self._entry = [0.0, 0, cb, args, None, None, seconds]

    @property
    def deadline(self) -> float:
        """The hub clock's reading when the timer is due (set when it is scheduled)."""
        return float(self._entry[_DEADLINE])

    #: upstream eventlet's name (the attribute ``Timer.schedule`` set)
    scheduled_time = deadline

    @property
    def seconds(self) -> float:
        """The delay it was scheduled with."""
        return float(self._entry[_SECONDS])

    @property
    def hub(self) -> BaseHub | None:
        """The hub that runs it (None until it is scheduled)."""
        hub: BaseHub | None = self._entry[_HUB]
        return hub

    @property
    def callback(self) -> Callable[..., Any] | None:
        """What it will call; ``None`` once it has fired or been cancelled."""
        callback: Callable[..., Any] | None = self._entry[_CALLBACK]
        return callback

    @property
    def args(self) -> tuple[Any, ...]:
        """The arguments of the callback (``()`` once fired or cancelled)."""
        args: tuple[Any, ...] = self._entry[_ARGS]
        return args

    @property
    def tpl(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """``(callback, args, kwargs)`` until the timer fires or is cancelled (upstream's name).

        Like upstream's, it is gone (``AttributeError``) once the timer has fired or been cancelled.
        """
        callback = self._entry[_CALLBACK]
        if callback is None:
            raise AttributeError("tpl: the timer has fired or been cancelled")
        if type(callback) is _Keywords:
            return callback.func, self._entry[_ARGS], dict(callback.keywords)
        return callback, self._entry[_ARGS], {}

    @property
    def greenlet(self) -> Any:
        """For ``schedule_call_local``: the green thread whose death cancels the timer."""
        return self._entry[_OWNER]

    @property
    def pending(self) -> bool:
        """True until the timer has fired or been cancelled."""
        return self._entry[_CALLBACK] is not None

    @property
    def called(self) -> bool:
        """True once the timer has fired or been cancelled (upstream eventlet's name)."""
        return self._entry[_CALLBACK] is None

    def cancel(self) -> None:
        """Stop the timer from firing.  Cancelling twice, or after it fired, does nothing."""
        # _cancel_entry(self._entry), inlined on purpose: the call would cost a Python frame, a
        # sixth of what scheduling and cancelling a timer costs.
        entry = self._entry
        if entry[2] is not None:  # _CALLBACK
            entry[2] = None
            entry[3] = ()  # _ARGS
            hub = entry[4]  # _HUB
            if hub is not None:
                incoming = hub._incoming
                if incoming and incoming[-1] is entry:
                    incoming.pop()
                else:
                    cancelled = hub.timers_canceled = hub.timers_canceled + 1
                    if cancelled > _HALF_THRESHOLD and not cancelled & _CHECK_MASK:
                        hub._compact_if_mostly_cancelled()

    def copy(self) -> Timer:
        """A new, unscheduled timer with the same delay, callback and arguments (a
        :class:`LocalTimer`'s copy belongs to the calling green thread)."""
        callback, args, kw = self.tpl
        public = LocalTimer if isinstance(self, LocalTimer) else Timer
        return public(self._entry[_SECONDS], callback, *args, **kw)

    def schedule(self) -> Timer:
        """Schedule it on the current thread's hub (``hub.add_timer``); return it."""
        _current_hub().add_timer(self)
        return self

    def __call__(self, *_ignored: Any) -> None:
        """Run the callback now, if the timer is still pending; it will not fire again."""
        entry = self._entry
        callback = entry[_CALLBACK]
        if callback is None:
            return
        args = entry[_ARGS]
        owner = entry[_OWNER]
        self.cancel()
        if owner is not None and owner.dead:
            return
        callback(*args)

    def __eq__(self, other: object) -> bool:
        """Two handles are equal when they stand for the same entry of the hub."""
        if isinstance(other, Timer):
            return self._entry is other._entry
        return NotImplemented

    def __hash__(self) -> int:
        return id(self._entry)

    def __repr__(self) -> str:
        state = "pending" if self.pending else "done"
        name = "LocalTimer" if isinstance(self, LocalTimer) else "Timer"
        return f"<{name} {state} in {self._entry[_SECONDS]!r}s {self._entry[_CALLBACK]!r}>"


class LocalTimer(Timer):
    """A :class:`Timer` that does not fire once the green thread that made it has ended.

    ``hub.schedule_call_local`` makes them; ``LocalTimer(seconds, callback, *args, **kw)`` makes
    one bound to the calling green thread, as upstream eventlet's does.
    """

    __slots__ = ()

    def __init__(self, seconds: float, cb: Callable[..., Any], *args: Any, **kw: Any) -> None:
        Timer.__init__(self, seconds, cb, *args, **kw)
        self._entry[_OWNER] = getcurrent()

    @property
    def pending(self) -> bool:
        """True until it fires, is cancelled, or its green thread ends."""
        owner = self._entry[_OWNER]
        return self._entry[_CALLBACK] is not None and owner is not None and not owner.dead

    def cancel(self) -> None:
        """Stop the timer from firing (and forget its green thread, as upstream does)."""
        Timer.cancel(self)
        self._entry[_OWNER] = None


class _HubTimer(Timer):
    """A :class:`Timer` handle the hub makes for an entry it scheduled: made without ``__init__``
    (the hub sets ``_entry``), which costs a Python call."""

    __slots__ = ()
    __init__ = object.__init__


class _HubLocalTimer(LocalTimer):
    """A :class:`LocalTimer` handle made by the hub, like :class:`_HubTimer`."""

    __slots__ = ()
    __init__ = object.__init__


def _as_timer(entry: Entry) -> Timer:
    """A :class:`Timer` handle on ``entry`` (a :class:`LocalTimer` if a green thread owns it)."""
    timer: Timer = _HubTimer() if entry[_OWNER] is None else _HubLocalTimer()
    timer._entry = entry
    return timer


def _entry_of(timer: Timer) -> Entry:
    """The hub's entry behind ``timer`` (the inverse of ``_as_timer``)."""
    return timer._entry
