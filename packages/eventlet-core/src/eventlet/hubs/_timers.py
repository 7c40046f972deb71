"""The hub's timer store: where its timers wait, and which one fires next.

The timers themselves are :mod:`eventlet.hubs.timer`'s entries: each a plain list,
``[deadline, sequence, callback, args, hub, owner, seconds]`` (a :class:`Timer` is a handle on
one; the store holds entries only).  Timers fire in deadline order, then in the order they were
scheduled (the sequence number, unique, given as they are placed).

Where a timer lives, from its scheduling to its end:

* **Incoming.**  Scheduling appends the entry to a deque and lowers ``_next_due``, a bound
  below every deadline the hub holds; nothing more.  The hub looks at its timers only when that
  bound is reached (a turn with nothing due costs one comparison), and only then are the incoming
  timers placed, in the order they were scheduled, getting their sequence numbers.  Most timers
  are timeouts and most timeouts are cancelled long before: cancelling the timer scheduled last
  pops it off the deque again (``with Timeout(5): ...`` that did not wait, even around a
  ``sleep(0)``), and an incoming timer cancelled otherwise is dropped when the deque is placed, so
  neither ever touches anything else.  (A deque, not a list: a list that is emptied frees its
  array and the next append allocates one again, an allocation per timer when each is cancelled
  right after it was scheduled; a deque keeps its block.)
* **Near deque or buckets.**  The incoming timers are placed as a batch: numbered in scheduling
  order and sorted by deadline (stable), both in C.  Those due in a time slot (1/256 s) that has
  already begun or in the next one, and, while the near deque is short, the earliest of the others,
  go to the *near* deque, kept sorted by deadline: an append when they all come after it (timers of
  one delay), a binary search and insert (C) for a few, one stable merge sort (C) for many.
  The others go to an unsorted per-slot bucket (an append): most of them are timeouts that will
  be cancelled long before their slot, and a cancelled one never costs more than that.  When a
  slot begins, its bucket's live timers are sorted by deadline (stable) and appended to the
  *run*, a deque already in deadline order, since slots begin in order and each slot's timers are
  due before the next slot's.  Sorting on a float key is C work; a binary heap would compare lists
  in Python's comparison machinery twice per level, for every timer pushed and popped.
* **Firing.**  A firing pass takes the earlier of the two heads (deadline, then scheduling order:
  the sequence number), and runs only the timers due when it started looking.

Cancelling sets the callback slot to ``None``.  A cancelled timer that is still stored counts in
``timers_canceled`` (upstream eventlet's name) until it is dropped: when it comes first (at the
head of the near deque or of the run), as the incoming list is placed or a bucket is sorted in, or
when the hub holds more than :data:`COMPACT_THRESHOLD` timers and at least half of them are
cancelled, at which point everything is rebuilt in place (upstream's rule, checked as timers are
cancelled).  So cancelling is O(1) and nothing fills with garbage.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterable
from itertools import chain, repeat
from operator import itemgetter, setitem
from typing import TYPE_CHECKING, Any, cast

from greenlet import getcurrent

from eventlet.hubs.timer import (
    _ARGS,
    _CALLBACK,
    _DEADLINE,
    _HUB,
    _SECONDS,
    _SEQ,
    COMPACT_THRESHOLD,
    Entry,
    LocalTimer,
    Timer,
    _arm_entry,
    _as_timer,
    _HubTimer,
    _Keywords,
)

if TYPE_CHECKING:  # pragma: no cover - imported for the type checker only
    from eventlet.hubs.hub import BaseHub

__all__ = [
    "COMPACT_THRESHOLD",
    "SLOTS_PER_SECOND",
    "SMALL_HEAP",
    "LocalTimer",
    "Timer",
    "TimerQueue",
]

#: A near deque shorter than this takes every new timer; a longer one takes only the timers of
#: slots that have begun, the others wait in a bucket per slot of 1/SLOTS_PER_SECOND seconds.
#: (The name is from when that was a heap.)
SMALL_HEAP = 256
SLOTS_PER_SECOND = 256
#: Up to this many timers placed at once are inserted one by one (a binary search and an insert in
#: C); more are merged with one sort (C, stable) of the near deque and them.
_INSERT_EACH = 8
#: Timers due before the end of the slot after the last one begun go to the near deque: short
#: sleeps and waits, which fire before a bucket would be worth it, skip the buckets.
_NEAR_AHEAD = 1 / SLOTS_PER_SECOND

_deadline_of = itemgetter(_DEADLINE)
_INF = math.inf
#: runs an iterator to its end in C, keeping nothing (``_consume(map(f, ...))`` is a C loop)
_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend


class TimerQueue:
    """The timer half of a hub (a mixin of :class:`eventlet.hubs.hub.BaseHub`)."""

    clock: Callable[[], float]
    debug_exceptions: bool
    _LOOP_EXITS: tuple[type[BaseException], ...]
    #: BaseHub's method, which a firing pass calls for a timer that raised
    _report_callback_error: Callable[[Any], None]

    def _init_timers(self) -> None:
        self._incoming: deque[Entry] = deque()  # scheduled since the last timer pass, in order
        self._near: deque[Entry] = deque()  # sorted: timers of slots begun, or while it is short
        self._run: deque[Entry] = deque()  # the buckets of the slots begun, sorted (see above)
        self._timer_seq = 0  # the last sequence number given
        #: cancelled timers still stored: incoming, near, run or buckets (upstream eventlet's name)
        self.timers_canceled: int = 0
        self._buckets: dict[float, list[Entry]] = {}
        self._bucket_keys: list[float] = []  # heap of the slots that have a bucket
        self._bucketed = 0  # entries in the buckets
        self._near_time = 0.0  # the slots before this time were merged: their timers go to near
        #: at most the earliest deadline, incoming or stored (and the next bucket's slot start):
        #: every path that schedules a timer lowers it, so a turn of the hub compares it with now
        self._next_due = _INF

    # ------------------------------------------------------------------ scheduling
    def schedule_call_global(
        self, seconds: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Timer:
        """Run ``callback(*args, **kwargs)`` in ``seconds``; return a :class:`Timer` that can cancel it."""
        if kwargs:
            callback = _Keywords(callback, **kwargs)
        # _arm_entry(self, seconds, callback, args, None), inlined: the call would add 5% to a
        # timer scheduled and cancelled (the timers_cancel_now row).
        now = self.clock()
        deadline = now + seconds if seconds > 0 else now
        entry = [deadline, 0, callback, args, self, None, seconds]
        self._incoming.append(entry)
        if deadline < self._next_due:
            self._next_due = deadline
        timer: Timer = _HubTimer()
        timer._entry = entry
        return timer

    def schedule_call_local(
        self, seconds: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Timer:
        """Like :meth:`schedule_call_global`, but it does not fire if the calling green thread has
        ended by then (a :class:`LocalTimer`)."""
        if kwargs:
            callback = _Keywords(callback, **kwargs)
        hub = cast("BaseHub", self)  # (this is BaseHub's mixin)
        return _as_timer(_arm_entry(hub, seconds, callback, args, getcurrent()))

    def add_timer(self, timer: Timer) -> float:
        """Schedule a :class:`Timer` made by ``Timer(seconds, callback, ...)``, from now.

        Returns its deadline on the hub's clock (upstream's ``scheduled_time``).  A timer is
        scheduled once: one that is scheduled already, has fired or was cancelled is refused with
        ``ValueError`` (``timer.copy()`` makes a fresh one).
        """
        entry = timer._entry
        if entry[_CALLBACK] is None:
            raise ValueError("This timer has fired or was cancelled; schedule timer.copy() instead")
        if entry[_HUB] is not None:
            raise ValueError("This timer is scheduled already")
        seconds = entry[_SECONDS]
        now = self.clock()
        deadline = entry[_DEADLINE] = now + seconds if seconds > 0 else now
        entry[_HUB] = self
        self._incoming.append(entry)
        if deadline < self._next_due:
            self._next_due = deadline
        return float(deadline)

    def set_timer_exceptions(self, value: bool) -> None:
        """Log exceptions escaping timer callbacks, or not (upstream eventlet's switch; the same
        flag as :func:`eventlet.debug.hub_exceptions`)."""
        self.debug_exceptions = bool(value)

    def set_timer_recorder(self, record: Callable[[Entry], Any] | None) -> None:
        """Call ``record(entry)`` for every timer scheduled from now on; ``None`` stops it.

        Introspection (``eventlet.debug.hub_timer_stacks``): every way of scheduling a timer, the
        inlined ones of ``Timeout`` and socket waits included, appends it to the incoming deque, so
        that deque is swapped for one that reports each append while a recorder is set, and a
        hub without one pays nothing.
        """
        entries = self._incoming
        self._incoming = deque(entries) if record is None else _RecordingIncoming(entries, record)

    # ------------------------------------------------------------------ the store
    def _place_incoming(self) -> None:
        """Move the incoming timers into the near deque or their buckets; drop the cancelled ones.

        (``_next_due`` already covers them: scheduling lowered it.)  The per-timer work is C
        where it can be: sequence numbers are set by ``map`` over the batch, the batch is sorted
        by deadline once, a binary search splits off the timers that go to buckets, and the rest
        are merged into the near deque with one stable sort, or appended when they all come after
        it (timers of one delay, as a pool of sleepers schedules them).
        """
        incoming = self._incoming
        if self.timers_canceled:
            # Some stored timer is cancelled, maybe an incoming one: drop those.
            timers = [timer for timer in incoming if timer[2] is not None]
            self.timers_canceled -= len(incoming) - len(timers)
        else:
            timers = list(incoming)
        incoming.clear()
        count = len(timers)
        if not count:
            return
        seq = self._timer_seq
        _consume(map(setitem, timers, repeat(_SEQ, count), range(seq + 1, seq + 1 + count)))
        self._timer_seq = seq + count
        near = self._near
        if count == 1:
            timer = timers[0]
            deadline = timer[0]
            if len(near) >= SMALL_HEAP and deadline >= self._near_time + _NEAR_AHEAD:
                self._to_buckets(timers)
            elif not near or near[-1][0] <= deadline:
                near.append(timer)
            else:
                insort(near, timer, key=_deadline_of)  # after equal deadlines: scheduling order
        else:
            timers.sort(key=_deadline_of)  # stable: equal deadlines stay in scheduling order
            # The near deque takes the timers due before the end of the slot after the last one
            # begun, and, while it is short, the earliest others up to SMALL_HEAP.
            near_count = bisect_left(timers, self._near_time + _NEAR_AHEAD, key=_deadline_of)
            room = SMALL_HEAP - len(near)
            if near_count < room:
                near_count = min(room, count)
            if near_count < count:
                self._to_buckets(timers[near_count:])
                del timers[near_count:]
            if timers:
                if not near or near[-1][0] <= timers[0][0]:
                    near.extend(timers)  # all due after the near deque's last
                elif len(timers) <= _INSERT_EACH:
                    for timer in timers:
                        insort(near, timer, key=_deadline_of)
                else:
                    # Stable: the deque's entries stay before new ones of equal deadline.
                    merged = sorted(chain(near, timers), key=_deadline_of)
                    near.clear()
                    near.extend(merged)
        if near and near[0][2] is None:
            self._drop_dead_heads()

    def _to_buckets(self, timers: list[Entry]) -> None:
        """Put ``timers`` (sorted by deadline) in the buckets of their slots."""
        buckets = self._buckets
        bucket: list[Entry] | None = None
        current = -1.0
        for timer in timers:
            slot = timer[0] * SLOTS_PER_SECOND // 1
            if slot != current:
                current = slot
                bucket = buckets.get(slot)
                if bucket is None:
                    bucket = buckets[slot] = []
                    heapq.heappush(self._bucket_keys, slot)
            bucket.append(timer)  # type: ignore[union-attr]
        self._bucketed += len(timers)

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
            self.timers_canceled -= len(entries) - len(live)
            live.sort(key=_deadline_of)  # stable: equal deadlines stay in scheduling order
            run.extend(live)

    def _compact_timers(self) -> None:
        """Drop the cancelled entries from every list, in place (a firing loop may hold them)."""
        for queue in (self._near, self._run):
            live = [entry for entry in queue if entry[_CALLBACK] is not None]
            queue.clear()
            queue.extend(live)
        buckets = self._buckets
        for slot in list(buckets):
            live = [entry for entry in buckets[slot] if entry[_CALLBACK] is not None]
            if live:
                buckets[slot] = live
            else:
                del buckets[slot]
        self._bucket_keys = sorted(buckets)  # a sorted list is a heap
        self._bucketed = sum(len(entries) for entries in buckets.values())
        incoming = self._incoming
        live = [entry for entry in incoming if entry[_CALLBACK] is not None]
        incoming.clear()
        incoming.extend(live)
        self.timers_canceled = 0
        self._update_next_due()

    def _compact_if_mostly_cancelled(self) -> None:
        """Compact if more than COMPACT_THRESHOLD timers are stored and at least half of them are
        cancelled (upstream's rule).  Cancelling calls it once ``timers_canceled`` is over half the
        threshold (the rule cannot hold before), at every 16th cancelled timer."""
        stored = len(self._incoming) + len(self._near) + len(self._run) + self._bucketed
        if stored > COMPACT_THRESHOLD and self.timers_canceled * 2 >= stored:
            self._compact_timers()

    def _update_next_due(self) -> None:
        """Set ``_next_due`` from the heads of the near deque and of the run, the next bucket's
        slot and the incoming timers (those that callbacks scheduled during a firing pass, say)."""
        incoming = self._incoming
        self._next_due = min(map(_deadline_of, incoming)) if incoming else _INF
        self._lower_bound_to_heads()

    # ------------------------------------------------------------------ firing
    def _fire_timers(self, now: float) -> None:
        """Run every timer due at ``now`` (and drop the cancelled ones on the way).

        The hub calls it when ``now`` has reached ``_next_due``: the incoming timers are placed
        first (only then), so a timer cancelled before any timer was due never costs more.
        """
        near_time = (now * SLOTS_PER_SECOND // 1 + 1) / SLOTS_PER_SECOND  # the end of now's slot
        if near_time > self._near_time:
            self._near_time = near_time  # (its bucket, if any, is merged below)
        if self._incoming:
            self._place_incoming()
        if self._bucket_keys:
            self._merge_buckets(now)
        # From here every timer stored is in the near deque, the run or a bucket: the bound
        # starts again from nothing, and each timer scheduled by a callback lowers it as usual,
        # so the pass's end need not look through them (see _lower_bound_to_heads).
        self._next_due = _INF
        near = self._near
        run = self._run
        near_popleft = near.popleft
        run_popleft = run.popleft
        system = self._LOOP_EXITS
        try:
            while True:
                # The earlier of the two heads, by deadline, then by scheduling order.  Usually
                # only one of them has timers: then its head is taken, and put back if not due.
                if run:
                    entry = run[0]
                    if near:
                        head = near[0]
                        if head[0] < entry[0] or (head[0] == entry[0] and head[1] < entry[1]):
                            if head[0] > now:
                                break
                            near_popleft()
                            entry = head
                        elif entry[0] > now:
                            break
                        else:
                            run_popleft()
                    elif entry[0] > now:
                        break
                    else:
                        run_popleft()
                elif near:
                    entry = near_popleft()
                    if entry[0] > now:
                        near.appendleft(entry)
                        break
                else:
                    break
                # (a timer entry has seven slots: see eventlet.hubs.timer)
                _deadline, _seq, callback, args, _hub, owner, _seconds = entry
                if callback is None:
                    self.timers_canceled -= 1
                    continue
                entry[2] = None
                entry[3] = ()
                if owner is not None and owner.dead:
                    continue
                try:
                    callback(*args)
                except system:
                    raise
                except BaseException:
                    self._report_callback_error(callback)
        finally:
            self._lower_bound_to_heads()

    def _lower_bound_to_heads(self) -> None:
        """Lower ``_next_due`` to the heads of the near deque and of the run and to the next
        bucket's slot.  At the end of a firing pass that is the whole update: the pass began the
        bound again from nothing, and every timer its callbacks scheduled (now incoming) lowered
        it, so they need no look (:meth:`_update_next_due` looks through them)."""
        due = self._next_due
        near = self._near
        if near and near[0][0] < due:
            due = near[0][0]
        run = self._run
        if run and run[0][0] < due:
            due = run[0][0]
        keys = self._bucket_keys
        if keys:
            start = keys[0] / SLOTS_PER_SECOND
            if start < due:
                due = start
        self._next_due = due

    def _next_deadline(self) -> float | None:
        """When the next timer may be due (or the next bucket of timers has to be sorted in)."""
        near = self._near
        run = self._run
        if (near and near[0][2] is None) or (run and run[0][2] is None):
            self._drop_dead_heads()  # rather than wake up for a cancelled timer
        due = self._next_due
        return None if due == _INF else due

    def _drop_dead_heads(self) -> None:
        """Drop the cancelled timers at the heads of the near deque and of the run."""
        for queue in (self._near, self._run):
            while queue and queue[0][2] is None:
                queue.popleft()
                self.timers_canceled -= 1
        self._update_next_due()

    # ------------------------------------------------------------------ introspection
    def _timer_entries(self) -> list[tuple[float, int, Entry]]:
        """Every stored timer as ``(deadline, sequence, timer)``: near, run, buckets, incoming.

        Incoming timers have no sequence number yet: they get the ones they will be given.
        """
        entries: list[Entry] = [*self._near, *self._run]
        for bucket in self._buckets.values():
            entries += bucket
        found = [(timer[_DEADLINE], timer[_SEQ], timer) for timer in entries]
        seq = self._timer_seq
        found += [(timer[_DEADLINE], seq + i, timer) for i, timer in enumerate(self._incoming, 1)]
        return found

    def _clear_timers(self) -> None:
        """Forget every timer (closing the hub): they count as neither pending nor cancelled."""
        for _deadline, _seq, timer in self._timer_entries():
            timer[_CALLBACK] = None
            timer[_ARGS] = ()
        self._incoming.clear()
        self._near.clear()
        self._run.clear()
        self._buckets.clear()
        self._bucket_keys.clear()
        self._bucketed = 0
        self.timers_canceled = 0
        self._next_due = _INF

    def get_timers(self) -> list[Timer]:
        """The pending timers, soonest first (as :class:`Timer` handles on the hub's entries)."""
        found = sorted(self._timer_entries())
        return [_as_timer(entry) for _deadline, _seq, entry in found if entry[_CALLBACK] is not None]

    def get_timers_count(self) -> int:
        """How many timers the hub holds, the cancelled ones it has not dropped yet included
        (``timers_canceled`` of them), as upstream eventlet counts."""
        return len(self._incoming) + len(self._near) + len(self._run) + self._bucketed

    @property
    def timers(self) -> list[tuple[float, Timer]]:
        """Upstream eventlet's view of the stored timers: ``(deadline, timer)`` pairs, soonest first
        (a sorted list is a heap, as upstream's is).  A snapshot, cancelled timers not dropped yet
        included."""
        return [(deadline, _as_timer(entry)) for deadline, _seq, entry in sorted(self._timer_entries())]


class _RecordingIncoming(deque[Entry]):
    """The incoming deque while a recorder is set (see :meth:`TimerQueue.set_timer_recorder`)."""

    __slots__ = ("record",)

    def __init__(self, entries: deque[Entry], record: Callable[[Entry], Any]) -> None:
        deque.__init__(self, entries)
        self.record = record

    def append(self, entry: Entry) -> None:
        """Append ``entry``, then report it."""
        deque.append(self, entry)
        self.record(entry)
