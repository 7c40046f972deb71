"""Upstream eventlet's ``eventlet.hubs.timer``: :class:`Timer` and :class:`LocalTimer`, the hub's
timer entries.

A timer is a small list, its own entry in the hub's queue: ``[deadline, sequence, callback, args,
hub, owner, seconds]``.  ``hub.schedule_call_global`` returns a :class:`Timer` (a list subclass with
upstream eventlet's attributes and methods), and upstream's lower-level way makes the same kind of
object::

    from eventlet.hubs import timer

    t = timer.Timer(0.5, print, "later").schedule()  # or get_hub().add_timer(t)
    t.cancel()

The hub's own hot paths (``sleep``, socket waits, :class:`~eventlet.timeout.Timeout`,
``spawn_after``) schedule plain lists with the same slots instead: about half the cost to make,
cheaper to index, and nobody outside sees them except through ``_as_timer`` (``get_timers()``,
``Timeout.timer``).  ``_cancel_entry`` cancels either kind.  Where the hub keeps its timers, and
in which order they fire, is :mod:`eventlet.hubs._timers`' job.
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

#: A timer entry: ``[deadline, sequence, callback, args, hub, owner, seconds]`` (a :class:`Timer`,
#: or a plain list for the hub's own hot paths).
Entry: TypeAlias = list[Any]

# Slots of a timer entry.
_DEADLINE, _SEQ, _CALLBACK, _ARGS, _HUB, _OWNER, _SECONDS = range(7)


def _arm_entry(
    hub: BaseHub, seconds: float, callback: Callable[..., Any], args: tuple[Any, ...], owner: Any
) -> Entry:
    """Schedule a plain-list timer entry on ``hub``: ``callback(*args)`` in ``seconds`` (a kernel
    operation: ``sleep`` and ``spawn_after`` arm their timers with it; ``_cancel_entry`` disarms).

    It costs what ``schedule_call_global`` costs minus the :class:`Timer` object and the keyword
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
    """Cancel a timer entry of the hub (a :class:`Timer`, or one of the plain-list entries that
    ``sleep``, socket waits, ``Timeout`` and ``spawn_after`` use): it will not fire.  Cancelling
    twice, or after it fired, does nothing."""
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


class Timer(list[Any]):
    """A callback the hub runs once at a deadline, unless cancelled first.

    ``hub.schedule_call_global(seconds, callback, *args, **kw)`` makes and schedules one.  Upstream
    eventlet's lower-level way works too: ``Timer(seconds, callback, *args, **kw)`` makes one
    that is not scheduled yet, and ``timer.schedule()`` (or ``hub.add_timer(timer)``) schedules it.
    It is a list underneath (the hub's queue entry); use the properties.
    """

    __slots__ = ()

    def __init__(self, seconds: float, cb: Callable[..., Any], *args: Any, **kw: Any) -> None:
        if kw:
            cb = _Keywords(cb, **kw)
        list.__init__(self, (0.0, 0, cb, args, None, None, seconds))

    @property
    def deadline(self) -> float:
        """The hub clock's reading when the timer is due (set when it is scheduled)."""
        return float(self[_DEADLINE])

    #: upstream eventlet's name (the attribute ``Timer.schedule`` set)
    scheduled_time = deadline

    @property
    def seconds(self) -> float:
        """The delay it was scheduled with."""
        return float(self[_SECONDS])

    @property
    def hub(self) -> BaseHub | None:
        """The hub that runs it (None until it is scheduled)."""
        hub: BaseHub | None = self[_HUB]
        return hub

    @property
    def callback(self) -> Callable[..., Any] | None:
        """What it will call; ``None`` once it has fired or been cancelled."""
        callback: Callable[..., Any] | None = self[_CALLBACK]
        return callback

    @property
    def args(self) -> tuple[Any, ...]:
        """The arguments of the callback (``()`` once fired or cancelled)."""
        args: tuple[Any, ...] = self[_ARGS]
        return args

    @property
    def tpl(self) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """``(callback, args, kwargs)`` until the timer fires or is cancelled (upstream's name).

        Like upstream's, it is gone (``AttributeError``) once the timer has fired or been cancelled.
        """
        callback = self[_CALLBACK]
        if callback is None:
            raise AttributeError("tpl: the timer has fired or been cancelled")
        if type(callback) is _Keywords:
            return callback.func, self[_ARGS], dict(callback.keywords)
        return callback, self[_ARGS], {}

    @property
    def greenlet(self) -> Any:
        """For ``schedule_call_local``: the green thread whose death cancels the timer."""
        return self[_OWNER]

    @property
    def pending(self) -> bool:
        """True until the timer has fired or been cancelled."""
        return self[_CALLBACK] is not None

    @property
    def called(self) -> bool:
        """True once the timer has fired or been cancelled (upstream eventlet's name)."""
        return self[_CALLBACK] is None

    #: Stop the timer from firing.  Cancelling twice, or after it fired, does nothing.
    cancel = _cancel_entry

    def copy(self) -> Timer:
        """A new, unscheduled timer with the same delay, callback and arguments (a
        :class:`LocalTimer`'s copy belongs to the calling green thread)."""
        callback, args, kw = self.tpl
        public = LocalTimer if isinstance(self, LocalTimer) else Timer
        return public(self[_SECONDS], callback, *args, **kw)

    def schedule(self) -> Timer:
        """Schedule it on the current thread's hub (``hub.add_timer``); return it."""
        _current_hub().add_timer(self)
        return self

    def __call__(self, *_ignored: Any) -> None:
        """Run the callback now, if the timer is still pending; it will not fire again."""
        callback = self[_CALLBACK]
        if callback is None:
            return
        args = self[_ARGS]
        owner = self[_OWNER]
        self.cancel()
        if owner is not None and owner.dead:
            return
        callback(*args)

    # Hashable by identity.  (No ``__eq__`` of our own: a Python-level comparison method would
    # slow down every comparison and search of the lists; a sequence number makes entries unique.)
    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)

    def __repr__(self) -> str:
        state = "pending" if self.pending else "done"
        return f"<{type(self).__name__} {state} in {self[_SECONDS]!r}s {self[_CALLBACK]!r}>"


class LocalTimer(Timer):
    """A :class:`Timer` that does not fire once the green thread that made it has ended.

    ``hub.schedule_call_local`` makes them; ``LocalTimer(seconds, callback, *args, **kw)`` makes
    one bound to the calling green thread, as upstream eventlet's does.
    """

    __slots__ = ()

    def __init__(self, seconds: float, cb: Callable[..., Any], *args: Any, **kw: Any) -> None:
        Timer.__init__(self, seconds, cb, *args, **kw)
        self[_OWNER] = getcurrent()

    @property
    def pending(self) -> bool:
        """True until it fires, is cancelled, or its green thread ends."""
        owner = self[_OWNER]
        return self[_CALLBACK] is not None and owner is not None and not owner.dead

    def cancel(self) -> None:
        """Stop the timer from firing (and forget its green thread, as upstream does)."""
        Timer.cancel(self)
        self[_OWNER] = None


class _HubTimer(Timer):
    """The hub's own timers: built from the entry tuple by the C list constructor (fast path)."""

    __slots__ = ()
    __init__ = list.__init__


class _HubLocalTimer(LocalTimer):
    """``schedule_call_local``'s timers, built like :class:`_HubTimer`."""

    __slots__ = ()
    __init__ = list.__init__


class _EntryTimer(Timer):
    """A :class:`Timer` standing for one of the hub's plain-list entries (introspection).

    The hub's own hot paths (``sleep``, socket waits, ``Timeout``, ``spawn_after``) schedule plain
    lists, which are cheaper to make and to index than a list subclass.  ``get_timers()`` and
    ``Timeout.timer`` show such an entry as one of these: a copy of it (index 7 is the entry
    itself) whose state and ``cancel`` are the entry's.
    """

    __slots__ = ()
    __init__ = list.__init__

    @property
    def callback(self) -> Callable[..., Any] | None:
        """What it will call; ``None`` once it has fired or been cancelled."""
        callback: Callable[..., Any] | None = self[7][_CALLBACK]
        return callback

    @property
    def args(self) -> tuple[Any, ...]:
        """The arguments of the callback (``()`` once fired or cancelled)."""
        args: tuple[Any, ...] = self[7][_ARGS]
        return args

    @property
    def pending(self) -> bool:
        """True until the timer has fired or been cancelled."""
        return self[7][_CALLBACK] is not None

    @property
    def called(self) -> bool:
        """True once the timer has fired or been cancelled."""
        return self[7][_CALLBACK] is None

    def cancel(self) -> None:
        """Cancel the entry this stands for."""
        _cancel_entry(self[7])
        self[_CALLBACK] = None
        self[_ARGS] = ()

    def __repr__(self) -> str:
        state = "pending" if self.pending else "done"
        return f"<Timer {state} in {self[_SECONDS]!r}s {self[7][_CALLBACK]!r}>"


def _as_timer(entry: Entry) -> Timer:
    """``entry`` as a :class:`Timer` (itself, or an :class:`_EntryTimer` for a plain entry)."""
    if isinstance(entry, Timer):
        return entry
    timer: Timer = _EntryTimer((*entry[:7], entry))
    return timer


def _entry_of(timer: Timer) -> Entry:
    """The hub's entry behind ``timer`` (the inverse of ``_as_timer``)."""
    entry: Entry = timer[7] if type(timer) is _EntryTimer else timer
    return entry
