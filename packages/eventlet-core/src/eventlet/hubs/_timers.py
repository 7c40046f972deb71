"""The hub's timers: :class:`Timer` and the queue that decides which timer fires next.

A timer *is* its own queue entry: a small list ``[deadline, sequence, callback, args, hub, owner,
seconds]``.  The heap orders entries by deadline, then by the order they were scheduled (the
sequence number is unique, so two entries never compare further than that).  Making the entry and
the public object one thing saves an allocation per timer, and the hub's hot paths read and write
list slots directly instead of calling methods.  Cancelling sets the callback slot to ``None`` and
counts the dead entry; dead entries are dropped when they come first (top of the heap, head of the
run, see below) or as a bucket is sorted in, and once more than half of the stored timers are dead
everything is rebuilt in place, so cancel is O(1) and nothing fills with garbage.

Buckets.  Popping from a heap of 100,000 entries costs microseconds (cache misses), and most
timers (timeouts) are cancelled long before they are due.  So while the heap is large, a new timer
whose time slot (1/256 s) has not begun goes to an unsorted per-slot bucket instead (an append);
when its slot begins, a bucket's timers, minus those cancelled meanwhile (which never touch a
heap at all), are sorted by deadline and appended to the *run*: a deque already in deadline order,
since slots begin in order and each slot's timers are due before the next slot's.  Sorting on a
float key is C work (~0.25 µs a timer) where a heap of thousands of entries costs ~0.8 µs a pop.
A firing pass takes the earlier of the heap's top and the run's head (deadline, then scheduling
order), and runs only the timers due when it started looking.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

if TYPE_CHECKING:  # pragma: no cover - imported for the type checker only
    from eventlet.hubs.hub import BaseHub

__all__ = ["COMPACT_THRESHOLD", "SLOTS_PER_SECOND", "SMALL_HEAP", "Timer", "TimerQueue"]

#: Rebuild the timer store when it holds more than this many cancelled entries (and over half).
COMPACT_THRESHOLD = 1000
#: A heap smaller than this takes every new timer; a larger one takes only the timers of slots
#: that have begun, the others wait in a bucket per slot of 1/SLOTS_PER_SECOND seconds.
SMALL_HEAP = 256
SLOTS_PER_SECOND = 256

# Slots of a timer entry.
_DEADLINE, _SEQ, _CALLBACK, _ARGS, _HUB, _OWNER, _SECONDS = range(7)
_deadline_of = itemgetter(_DEADLINE)


class Timer(list[Any]):
    """A callback the hub runs once at a deadline, unless cancelled first.

    Made by :meth:`TimerQueue.schedule_call_global` (or ``Timer(hub, seconds, callback, args)``
    then ``hub.add_timer``).  It is a list underneath (the hub's queue entry); use the properties.
    """

    __slots__ = ()

    def __init__(
        self,
        hub: BaseHub,
        seconds: float,
        callback: Callable[..., Any],
        args: tuple[Any, ...] = (),
        owner: Any = None,
    ) -> None:
        list.__init__(self, (0.0, 0, callback, args, hub, owner, seconds))

    @property
    def deadline(self) -> float:
        """The hub clock's reading when the timer is due (set when it is scheduled)."""
        return float(self[_DEADLINE])

    @property
    def seconds(self) -> float:
        """The delay it was scheduled with."""
        return float(self[_SECONDS])

    @property
    def hub(self) -> BaseHub:
        """The hub that runs it."""
        hub: BaseHub = self[_HUB]
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

    def cancel(self) -> None:
        """Stop the timer from firing.  Cancelling twice, or after it fired, does nothing."""
        if self[_CALLBACK] is not None:
            self[_CALLBACK] = None
            self[_ARGS] = ()
            self[_HUB]._cancelled_timers += 1

    # Hashable by identity.  (No ``__eq__`` of our own: a Python-level comparison method would
    # slow down every comparison the heap makes; a sequence number makes every entry unique.)
    def __hash__(self) -> int:  # type: ignore[override]
        return id(self)

    def __repr__(self) -> str:
        state = "pending" if self[_CALLBACK] is not None else "done"
        return f"<Timer {state} in {self[_SECONDS]!r}s {self[_CALLBACK]!r}>"


class _HubTimer(Timer):
    """The hub's own timers: built from the entry tuple by the C list constructor (fast path)."""

    __slots__ = ()
    __init__ = list.__init__


class TimerQueue:
    """The timer half of a hub (a mixin of :class:`eventlet.hubs.hub.BaseHub`)."""

    clock: Callable[[], float]
    _LOOP_EXITS: tuple[type[BaseException], ...]

    def _report_callback_error(self, callback: Any) -> None:  # pragma: no cover - BaseHub's
        raise NotImplementedError

    def _init_timers(self) -> None:
        self._timers: list[Timer] = []  # a heap
        self._run: deque[Timer] = deque()  # the buckets of the slots begun, sorted (see above)
        self._timer_seq = itertools.count()
        self._cancelled_timers = 0  # cancelled entries still stored: heap, run or buckets
        self._buckets: dict[float, list[Timer]] = {}
        self._bucket_keys: list[float] = []  # heap of the slots that have a bucket
        self._bucketed = 0  # entries in the buckets
        self._near_time = 0.0  # the slots before this time were merged: their timers go to the heap

    def schedule_call_global(self, seconds: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run ``callback(*args)`` in ``seconds``; return a :class:`Timer` that can cancel it."""
        now = self.clock()
        deadline = now + seconds if seconds > 0 else now
        timer: Timer = _HubTimer((deadline, next(self._timer_seq), callback, args, self, None, seconds))
        heap = self._timers
        if len(heap) < SMALL_HEAP or deadline < self._near_time:
            heapq.heappush(heap, timer)
        else:
            slot = deadline * SLOTS_PER_SECOND // 1
            bucket = self._buckets.get(slot)
            if bucket is None:
                self._buckets[slot] = [timer]
                heapq.heappush(self._bucket_keys, slot)
            else:
                bucket.append(timer)
            self._bucketed += 1
        return timer

    def schedule_call_local(self, seconds: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Like :meth:`schedule_call_global`, but cancelled if the calling green thread dies first."""
        timer = self.schedule_call_global(seconds, callback, *args)
        timer[_OWNER] = getcurrent()
        return timer

    def add_timer(self, timer: Timer) -> Timer:
        """Schedule an existing :class:`Timer` (upstream eventlet's lower-level entry point)."""
        if timer[_HUB] is not self:
            raise ValueError("This timer was made for another hub")
        seconds = timer[_SECONDS]
        now = self.clock()
        timer[_DEADLINE] = now + seconds if seconds > 0 else now
        timer[_SEQ] = next(self._timer_seq)
        heapq.heappush(self._timers, timer)
        return timer

    def _merge_buckets(self, now: float) -> None:
        """Sort the buckets of every slot that has begun by ``now`` onto the end of the run."""
        limit = now * SLOTS_PER_SECOND // 1
        keys = self._bucket_keys
        buckets = self._buckets
        run = self._run
        while keys and keys[0] <= limit:
            entries = buckets.pop(heapq.heappop(keys))
            self._bucketed -= len(entries)
            live = [entry for entry in entries if entry[_CALLBACK] is not None]
            self._cancelled_timers -= len(entries) - len(live)
            live.sort(key=_deadline_of)  # stable: equal deadlines stay in scheduling order
            run.extend(live)
        near_time = (limit + 1) / SLOTS_PER_SECOND
        if near_time > self._near_time:
            self._near_time = near_time

    def _compact_timers(self) -> None:
        """Drop the cancelled entries from the heap, the run and the buckets, in place (a firing
        loop may hold the heap and the run)."""
        heap = self._timers
        heap[:] = [entry for entry in heap if entry[_CALLBACK] is not None]
        heapq.heapify(heap)
        run = self._run
        live = [entry for entry in run if entry[_CALLBACK] is not None]
        run.clear()
        run.extend(live)
        buckets = self._buckets
        for slot in list(buckets):
            live = [entry for entry in buckets[slot] if entry[_CALLBACK] is not None]
            if live:
                buckets[slot] = live
            else:
                del buckets[slot]
        self._bucket_keys = sorted(buckets)  # a sorted list is a heap
        self._bucketed = sum(len(entries) for entries in buckets.values())
        self._cancelled_timers = 0

    def _too_many_cancelled(self) -> bool:
        cancelled = self._cancelled_timers
        stored = len(self._timers) + len(self._run) + self._bucketed
        return cancelled > COMPACT_THRESHOLD and cancelled * 2 > stored

    def _fire_timers(self, now: float) -> None:
        """Run every timer due at ``now`` (and drop the cancelled ones on the way)."""
        if self._bucket_keys:
            self._merge_buckets(now)
        if self._cancelled_timers > COMPACT_THRESHOLD and self._too_many_cancelled():
            self._compact_timers()
        timers = self._timers
        run = self._run
        pop = heapq.heappop
        popleft = run.popleft
        system = self._LOOP_EXITS
        while True:
            if run and not (timers and timers[0] < run[0]):  # (deadline, sequence) order
                entry = run[0]
                if entry[0] > now:
                    break
                popleft()
            elif timers:
                entry = timers[0]
                if entry[0] > now:
                    break
                pop(timers)
            else:
                break
            callback = entry[2]
            if callback is None:
                self._cancelled_timers -= 1
                continue
            args = entry[3]
            entry[2] = None
            entry[3] = ()
            owner = entry[5]
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
        while timers and timers[0][2] is None:
            heapq.heappop(timers)
            self._cancelled_timers -= 1
        run = self._run
        while run and run[0][2] is None:
            run.popleft()
            self._cancelled_timers -= 1
        deadline: float | None = timers[0][0] if timers else None
        if run and (deadline is None or run[0][0] < deadline):
            deadline = run[0][0]
        keys = self._bucket_keys
        if keys:
            start = keys[0] / SLOTS_PER_SECOND
            if deadline is None or start < deadline:
                return start
        return deadline

    def _timer_entries(self) -> list[tuple[float, int, Timer]]:
        """Every stored timer as ``(deadline, sequence, timer)``: heap, run, buckets (introspection)."""
        entries = [*self._timers, *self._run]
        for bucket in self._buckets.values():
            entries += bucket
        return [(timer[_DEADLINE], timer[_SEQ], timer) for timer in entries]

    def _clear_timers(self) -> None:
        """Forget every timer (closing the hub): they count as neither pending nor cancelled."""
        for _deadline, _seq, timer in self._timer_entries():
            timer[_CALLBACK] = None
            timer[_ARGS] = ()
        self._timers.clear()
        self._run.clear()
        self._buckets.clear()
        self._bucket_keys.clear()
        self._bucketed = 0
        self._cancelled_timers = 0

    def get_timers(self) -> list[Timer]:
        """The pending timers, soonest first."""
        return [entry[2] for entry in sorted(self._timer_entries()) if entry[2][_CALLBACK] is not None]

    def get_timers_count(self) -> int:
        """How many timers are pending."""
        return len(self._timers) + len(self._run) + self._bucketed - self._cancelled_timers
