"""Green queues: :class:`Queue`, :class:`LightQueue`, :class:`PriorityQueue`, :class:`LifoQueue`.

Hand-over instead of wake-and-retry
-----------------------------------
Blocked getters and putters wait in FIFO deques of small ``_Waiter`` records.  Whoever makes
progress possible does the other side's work on its behalf:

* ``put`` with a getter waiting gives the item straight to the oldest getter (``waiter.item = x``)
  and queues its wake-up on the hub's ready queue: no trip through the container, no retry loop.
  A waiting getter therefore implies an empty container.  On a ``maxsize=0`` channel the putter
  then yields, so that the getter runs with the item before ``put`` returns (as upstream: a
  channel's ``put`` returns once the item was received).
* ``get`` that frees a slot moves the oldest blocked putter's item into the container (or, on a
  ``maxsize=0`` channel, takes it straight from the putter) and wakes that putter: its ``put`` is
  already done when it resumes.  A waiting putter therefore implies a full container.  Called
  from the hub itself (``get_nowait`` in a hub callback), it switches to the putter at once.

A woken green thread only reads its waiter: no lock, no re-check of the container, one hub round trip
per hand-off.  Timeouts are plain hub timers that merely wake the waiter; on resuming it sees which
came first, and a hand-over always wins over an expired timeout, so an item is never dropped.

Leaving early
-------------
A getter that leaves by an exception (``kill``, an enclosing :class:`eventlet.Timeout`) after it was
handed an item passes the item on: to the next getter, else back to the front of the container.  A
putter that leaves before its item was accepted withdraws it; once accepted, the item stays queued.
Wake-ups that arrive after their waiter left find ``waiter.greenlet`` cleared and do nothing.
"""

from __future__ import annotations

import heapq
import queue as _stdlib_queue
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from greenlet import getcurrent

from eventlet.greenthread import sleep
from eventlet.hubs import get_hub
from eventlet.hubs.timer import _CALLBACK, Entry, _arm_entry, _cancel_entry

__all__ = ["Empty", "Full", "LifoQueue", "LightQueue", "PriorityQueue", "Queue"]

T = TypeVar("T")

#: Raised by ``get`` on an empty queue (the standard library's class, as upstream).
Empty = _stdlib_queue.Empty
#: Raised by ``put`` on a full queue (the standard library's class, as upstream).
Full = _stdlib_queue.Full

_NONE: Any = object()  # "no item" in a waiter: never a user's item


# A waiter is a 3-item list, ``[greenlet or None, item, hub]``, not an object: creating a list costs
# a third of creating even a slotted instance, and one is made per blocking call.
#   [0] the blocked greenlet, cleared when it leaves the wait (later wake-ups then do nothing);
#   [1] what it gives (a putter; _NONE once accepted) or got (a getter; _NONE until handed one);
#   [2] the hub it sleeps on, which wakes it: ``(_wake, (waiter,))`` goes straight onto its ready
#       queue (what ``hub.call_soon`` does, without the call; the asyncio hub notices it too).
_Waiter = list[Any]


def _wake(waiter: _Waiter) -> None:
    """Resume ``waiter`` if it is still waiting (runs in the hub)."""
    green = waiter[0]
    if green is not None:
        green.switch()


class LightQueue(Generic[T]):
    """A FIFO queue of items between green threads, without :meth:`Queue.task_done` bookkeeping.

    ``maxsize`` ``None`` (or negative) means unbounded; ``0`` makes a channel where every ``put``
    waits for a ``get`` to take the item.  Subclasses may override ``_init``, ``_put``, ``_get``
    (and ``_unget``, which puts an item back at the head) to change the ordering.
    """

    #: The container (set by ``_init``): a deque, or a list for the priority and LIFO queues.
    queue: Any

    def __init__(self, maxsize: int | None = None) -> None:
        self.maxsize: int | None = None if maxsize is None or maxsize < 0 else maxsize
        #: ``maxsize == 0`` (kept by ``resize``): a plain attribute is tested faster than ``None == 0``
        self._channel = self.maxsize == 0
        self.getters: deque[_Waiter] = deque()
        self.putters: deque[_Waiter] = deque()
        self._tasks = 0  # items put and not yet marked done (only Queue reads it)
        self._init(self.maxsize)
        # Bind the deque's own methods when a subclass did not override the hooks: C calls.
        cls = type(self)
        plain = cls._init is LightQueue._init
        self._push: Callable[[Any], None] = (
            self.queue.append if plain and cls._put is LightQueue._put else self._put
        )
        self._pop: Callable[[], Any] = (
            self.queue.popleft if plain and cls._get is LightQueue._get else self._get
        )

    # ------------------------------------------------------------------ container hooks
    def _init(self, maxsize: int | None) -> None:
        self.queue: Any = deque()

    def _put(self, item: Any) -> None:
        self.queue.append(item)

    def _get(self) -> Any:
        return self.queue.popleft()

    def _unget(self, item: Any) -> None:
        """Put back, at the head of the queue, an item that was taken but could not be delivered."""
        self.queue.appendleft(item)

    # ------------------------------------------------------------------ introspection
    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {self._format()}>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def _format(self) -> str:
        result = f"maxsize={self.maxsize!r}"
        if self.queue:
            result += f" queue={self.queue!r}"
        if self.getters:
            result += f" getters[{len(self.getters)}]"
        if self.putters:
            result += f" putters[{len(self.putters)}]"
        return result

    def qsize(self) -> int:
        """The number of items in the queue (not counting items held by blocked putters)."""
        return len(self.queue)

    def empty(self) -> bool:
        """True if the queue holds no item."""
        return not self.queue

    def full(self) -> bool:
        """True if a ``put`` would block.  An unbounded queue is never full."""
        return self.maxsize is not None and len(self.queue) >= self.maxsize

    def getting(self) -> int:
        """The number of green threads blocked in ``get``."""
        return len(self.getters)

    def putting(self) -> int:
        """The number of green threads blocked in ``put``."""
        return len(self.putters)

    def resize(self, size: int | None) -> None:
        """Change ``maxsize`` (``None``/negative: unbounded); blocked putters that now fit proceed."""
        self.maxsize = None if size is None or size < 0 else size
        self._channel = self.maxsize == 0
        self._admit_putters()

    # ------------------------------------------------------------------ put
    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        """Put ``item`` into the queue.

        If the queue is full, wait (at most ``timeout`` seconds, if given) for a free slot, then
        raise :class:`Full`.  With ``block=False`` (or ``timeout <= 0``) raise :class:`Full` at once.
        Never blocks while a getter is waiting: the item is handed to it.
        """
        getters = self.getters
        if getters:
            waiter = getters.popleft()
            waiter[1] = item
            self._tasks += 1
            resume = waiter[2].resume  # a local first: see eventlet.hubs.hub
            resume((_wake, (waiter,)))
            if self._channel:
                sleep(0)  # a channel: the getter runs with the item before the putter goes on
            return
        maxsize = self.maxsize
        if maxsize is None or len(self.queue) < maxsize:
            self._push(item)
            self._tasks += 1
            return
        if not block or (timeout is not None and timeout <= 0):
            raise Full
        self._wait_put(item, timeout)

    def put_nowait(self, item: T) -> None:
        """``put(item, block=False)``."""
        self.put(item, False)

    def _wait_put(self, item: Any, timeout: float | None) -> None:
        hub = get_hub()
        waiter = [getcurrent(), item, hub]
        self.putters.append(waiter)
        timer = None if timeout is None else _arm_entry(hub, timeout, _wake, (waiter,), None)
        try:
            while waiter[1] is not _NONE:
                if timer is not None and timer[_CALLBACK] is None:
                    break
                hub.switch()
        finally:
            waiter[0] = None
            if timer is not None:
                _cancel_entry(timer)
            if waiter[1] is not _NONE:  # not accepted: withdraw it
                self.putters.remove(waiter)
        if waiter[1] is not _NONE:
            raise Full

    def _admit_putters(self) -> None:
        """Move blocked putters' items into the container while there is room."""
        putters = self.putters
        while putters and (self.maxsize is None or len(self.queue) < self.maxsize):
            waiter = putters.popleft()
            self._push(waiter[1])
            self._tasks += 1
            waiter[1] = _NONE
            resume = waiter[2].resume  # a local first: see eventlet.hubs.hub
            resume((_wake, (waiter,)))

    # ------------------------------------------------------------------ get
    def get(self, block: bool = True, timeout: float | None = None) -> T:
        """Remove and return the oldest item.

        If the queue is empty, wait (at most ``timeout`` seconds, if given) for one, then raise
        :class:`Empty`.  With ``block=False`` (or ``timeout <= 0``) raise :class:`Empty` at once.
        """
        if self.queue:
            item: T = self._pop()
            if self.putters:
                self._admit_putters()
            return item
        if self.putters:  # a channel (maxsize 0), or a queue shrunk by resize: take from a putter
            waiter = self.putters.popleft()
            item = waiter[1]
            waiter[1] = _NONE
            self._tasks += 1
            hub = waiter[2]
            if getcurrent() is hub.greenlet:
                _wake(waiter)  # called from the hub (a callback): the putter finishes its put now
            else:
                resume = hub.resume  # a local first: see eventlet.hubs.hub
                resume((_wake, (waiter,)))
            return item
        if not block or (timeout is not None and timeout <= 0):
            raise Empty
        # Wait (inline: this is the hot path of a consumer that keeps up with its producer).
        hub = get_hub()
        waiter = [getcurrent(), _NONE, hub]
        self.getters.append(waiter)
        timer = None if timeout is None else _arm_entry(hub, timeout, _wake, (waiter,), None)
        try:
            while waiter[1] is _NONE:
                if timer is not None and timer[_CALLBACK] is None:
                    break
                hub.switch()
        except BaseException:
            self._leave_get(waiter, timer)
            raise
        waiter[0] = None
        if timer is not None:
            _cancel_entry(timer)
        item = waiter[1]
        if item is _NONE:
            self.getters.remove(waiter)
            raise Empty
        return item

    def get_nowait(self) -> T:
        """``get(block=False)``."""
        return self.get(False)

    def _leave_get(self, waiter: _Waiter, timer: Entry | None) -> None:
        """A getter leaves by an exception: withdraw, or pass on the item it was handed."""
        waiter[0] = None
        if timer is not None:
            _cancel_entry(timer)
        if waiter[1] is _NONE:
            self.getters.remove(waiter)
        else:
            self._redeliver(waiter[1])

    def _redeliver(self, item: Any) -> None:
        """An item handed to a getter that left: give it to the next getter, or queue it first."""
        getters = self.getters
        if getters:
            waiter = getters.popleft()
            waiter[1] = item
            resume = waiter[2].resume  # a local first: see eventlet.hubs.hub
            resume((_wake, (waiter,)))
        else:
            self._unget(item)


class Queue(LightQueue[T]):
    """A :class:`LightQueue` that also counts unfinished tasks: :meth:`task_done` and :meth:`join`.

    Like :class:`queue.Queue`: every item put counts as a task until a consumer calls
    :meth:`task_done` for it.
    """

    def __init__(self, maxsize: int | None = None) -> None:
        super().__init__(maxsize)
        self._joiners: list[_Waiter] = []

    def _format(self) -> str:
        result = super()._format()
        if self._tasks:
            result += f" tasks={self._tasks}"
        return result

    @property
    def unfinished_tasks(self) -> int:
        """Items put and not yet marked done with :meth:`task_done`."""
        return self._tasks

    def task_done(self) -> None:
        """Mark one previously got item as processed; wake :meth:`join` callers when none is left.

        Raises ValueError if called more times than items were put.
        """
        if self._tasks <= 0:
            raise ValueError("task_done() called too many times")
        self._tasks -= 1
        if self._tasks == 0 and self._joiners:
            joiners = self._joiners
            self._joiners = []
            call_soon = get_hub().call_soon
            for waiter in joiners:
                waiter[1] = True
                call_soon(_wake, waiter)

    def join(self, timeout: float | None = None) -> bool:
        """Block until every item put has been marked done; True, or False if ``timeout`` passed.

        (Upstream eventlet's ``join`` takes no timeout and returns None; the extra is compatible.)
        """
        if self._tasks == 0:
            return True
        hub = get_hub()
        waiter = [getcurrent(), _NONE, hub]
        self._joiners.append(waiter)
        timer = None if timeout is None else _arm_entry(hub, timeout, _wake, (waiter,), None)
        try:
            while waiter[1] is _NONE:
                if timer is not None and timer[_CALLBACK] is None:
                    return False
                hub.switch()
        finally:
            waiter[0] = None
            if timer is not None:
                _cancel_entry(timer)
            if waiter[1] is _NONE:
                self._joiners.remove(waiter)
        return True


class PriorityQueue(Queue[T]):
    """A :class:`Queue` that returns the lowest item first (entries like ``(priority, data)``)."""

    def _init(self, maxsize: int | None) -> None:
        self.queue: Any = []

    def _put(self, item: Any) -> None:
        heapq.heappush(self.queue, item)

    def _get(self) -> Any:
        return heapq.heappop(self.queue)

    def _unget(self, item: Any) -> None:
        heapq.heappush(self.queue, item)


class LifoQueue(Queue[T]):
    """A :class:`Queue` that returns the most recently added item first."""

    def _init(self, maxsize: int | None) -> None:
        self.queue: Any = []

    def _put(self, item: Any) -> None:
        self.queue.append(item)

    def _get(self) -> Any:
        return self.queue.pop()

    def _unget(self, item: Any) -> None:
        self.queue.append(item)
