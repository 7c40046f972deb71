"""Pools of reusable items (connections, say): :class:`Pool` and :class:`TokenPool`.

A pool creates items on demand up to ``max_size`` and hands returned items to waiting green
threads directly, oldest waiter first (and lets that waiter run before ``put`` returns).  A waiter
may instead be handed a *slot*: the right to create an item itself (when a creation failed, or the
pool grew), so that a failing ``create`` never leaves a waiter blocked while the pool is below its
limit.  A waiter that leaves by an exception (``kill``,
an enclosing :class:`eventlet.Timeout`) after it was handed an item or a slot passes it on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from greenlet import getcurrent, greenlet

from eventlet.greenthread import sleep
from eventlet.hubs import get_hub

__all__ = ["Pool", "Token", "TokenPool"]

T = TypeVar("T")

_NONE: Any = object()  # nothing handed over yet
_SLOT: Any = object()  # handed the right to create an item


class _Waiter:
    """A green thread blocked in :meth:`Pool.get`."""

    __slots__ = ("greenlet", "item")

    def __init__(self, green: greenlet) -> None:
        self.greenlet: greenlet | None = green
        self.item: Any = _NONE


def _wake(waiter: _Waiter) -> None:
    """Resume ``waiter`` if it is still waiting (runs in the hub)."""
    green = waiter.greenlet
    if green is not None:
        green.switch()


class Pool(Generic[T]):
    """Hands out items, creating at most ``max_size`` of them; :meth:`get` blocks when all are out.

    Give ``create`` (a function of no arguments returning a new item) or override :meth:`create` in
    a subclass.  ``min_size`` items are created at once.  ``order_as_stack=True`` reuses the most
    recently returned item first (LIFO) instead of rotating through them (FIFO)::

        pool = Pool(max_size=10, create=connect)
        with pool.item() as conn:
            conn.send(b"...")
    """

    def __init__(
        self,
        min_size: int = 0,
        max_size: int = 4,
        order_as_stack: bool = False,
        create: Callable[[], T] | None = None,
    ) -> None:
        self.min_size = min_size
        self.max_size: int = max_size
        self.order_as_stack = order_as_stack
        #: Items in existence: free, checked out, or being created.
        self.current_size: int = 0
        self.free_items: deque[T] = deque()
        self._waiters: deque[_Waiter] = deque()
        self._factory = create
        for _ in range(min_size):
            self.current_size += 1
            self.free_items.append(self.create())

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} size={self.current_size}/{self.max_size} "
            f"free={len(self.free_items)} waiting={len(self._waiters)}>"
        )

    def create(self) -> T:
        """Make a new item.  Override this, or pass ``create`` to the constructor."""
        if self._factory is None:
            raise NotImplementedError("Implement create() in a subclass or pass create= to Pool()")
        return self._factory()

    def get(self) -> T:
        """Take an item: a free one, else a new one if below ``max_size``, else wait for one."""
        if self.free_items:
            return self.free_items.popleft()
        if self.current_size < self.max_size:
            self.current_size += 1
            return self._create_in_slot()
        hub = get_hub()
        waiter = _Waiter(getcurrent())
        self._waiters.append(waiter)
        try:
            while waiter.item is _NONE:
                hub.switch()
        except BaseException:
            waiter.greenlet = None
            item: T = waiter.item
            if item is _NONE:
                self._waiters.remove(waiter)
            elif item is _SLOT:
                self._give_back_slot()
            else:
                self._return(item)
            raise
        waiter.greenlet = None
        item = waiter.item
        if item is _SLOT:
            return self._create_in_slot()
        return item

    def _create_in_slot(self) -> T:
        """Create an item for a slot already counted in ``current_size``."""
        try:
            return self.create()
        except BaseException:
            self._give_back_slot()
            raise

    def _give_back_slot(self) -> None:
        self.current_size -= 1
        self._offer_slots()

    def _offer_slots(self) -> None:
        """Let waiters create items while the pool is below its limit."""
        waiters = self._waiters
        while waiters and self.current_size < self.max_size:
            self.current_size += 1
            self._hand(waiters.popleft(), _SLOT)

    def _hand(self, waiter: _Waiter, item: Any) -> None:
        waiter.item = item
        get_hub().call_soon(_wake, waiter)

    def put(self, item: T) -> None:
        """Return an item to the pool: to the oldest waiter if any, else to the free items.

        A waiter handed the item runs before ``put`` returns (the caller yields once, as upstream's
        ``put`` does), so an item whose waiter left meanwhile (timed out, killed) is back among the
        free items by then.  If the pool was shrunk below its current size, the item is dropped.
        """
        if self._return(item):
            sleep(0)  # (returns at once when called from the hub)

    def _return(self, item: T) -> bool:
        """``put`` without the yield; True if the item was handed to a waiter."""
        if self.current_size > self.max_size:
            self.current_size -= 1
            return False
        if self._waiters:
            self._hand(self._waiters.popleft(), item)
            return True
        if self.order_as_stack:
            self.free_items.appendleft(item)
        else:
            self.free_items.append(item)
        return False

    @contextmanager
    def item(self) -> Iterator[T]:
        """A context manager: ``get`` an item on entry and ``put`` it back on exit."""
        obj = self.get()
        try:
            yield obj
        finally:
            self.put(obj)

    def resize(self, new_size: int) -> None:
        """Change ``max_size``.  Items beyond it are dropped as they are put back; growing the pool
        lets waiters create new items at once."""
        self.max_size = new_size
        self._offer_slots()

    def free(self) -> int:
        """How many :meth:`get` calls could succeed now without blocking."""
        return len(self.free_items) + self.max_size - self.current_size

    def waiting(self) -> int:
        """The number of green threads blocked in :meth:`get`."""
        return len(self._waiters)


class Token:
    """An opaque object handed out by a :class:`TokenPool`."""

    __slots__ = ()


class TokenPool(Pool[Token]):
    """A pool of :class:`Token` objects: limits how many green threads use a resource at once."""

    def create(self) -> Token:
        """A new token."""
        return Token()
