"""Green ``_thread`` locks: ``LockType`` and ``RLock`` that block only the calling green thread.

Part of :mod:`eventlet.green.thread` (which exports these names, and under whose name the classes
are shown); kept apart because locks are the subtle part.

**State in a real lock.**  A :class:`LockType` keeps its locked/unlocked state in an OS lock and
only ever *tries* it (``acquire(False)``), so it is equally correct between green threads of one
OS thread and between OS threads; waiting is the green part.  A waiter queues a :class:`_Waiter`
and switches to its hub; ``release`` hands a wake-up to the first waiter still waiting, through
``call_soon`` if the waiter's hub is the releaser's, else through that hub's
``call_threadsafe``.  The woken waiter tries the real lock again and waits again if someone else
got it first: a free lock is offered to a waiter, not reserved for it.

**No stale wake-ups.**  A waiter that stops waiting (timeout, kill) marks itself inactive and
leaves the queue; a wake-up that reaches it anyway is passed on to the next waiter if the lock is
still free, so no release is lost and no green thread is resumed after it has moved on.

**Identity.**  :func:`get_ident` is ``id()`` of the current greenlet, except for an OS thread's
root greenlet (and any caller while greenlet is shutting down) which keeps the OS thread's ident;
:class:`RLock` owners are such idents.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet import hubs
from eventlet._patching.state import original_attr
from eventlet.hubs.timer import _arm_entry, _cancel_entry

__all__ = ["TIMEOUT_MAX", "LockType", "RLock", "allocate_lock", "get_ident", "real_get_ident"]

_real_allocate_lock: Callable[[], Any] = original_attr("_thread", "allocate_lock")
#: The OS thread's ident (the real ``_thread.get_ident``, even after patching).
real_get_ident: Callable[[], int] = original_attr("_thread", "get_ident")

#: The longest timeout a lock accepts (the real ``_thread.TIMEOUT_MAX``).
TIMEOUT_MAX: float = original_attr("_thread", "TIMEOUT_MAX")


def get_ident(gr: greenlet | None = None) -> int:
    """The current green thread's identity (``gr``'s, if given): an int never shared by two live ones.

    The root greenlet of an OS thread keeps the OS thread's ident.  So does any caller once
    greenlet is shutting down with the interpreter (``getcurrent()`` then raises RuntimeError, e.g.
    in logging's weakref callbacks at exit): no greenlet can switch any more, so the OS thread is
    the only identity left, and a lock taken there must still work.
    """
    if gr is None:
        try:
            current = getcurrent()
        except RuntimeError:  # "greenlet is being finalized": interpreter shutdown
            return real_get_ident()
    else:
        current = gr
    if current.parent is None:
        return real_get_ident()
    return id(current)


# ---------------------------------------------------------------------------------------------- locks
class _Waiter:
    __slots__ = ("active", "greenlet", "hub", "queued", "timed_out")

    def __init__(self, glet: greenlet, hub: hubs.BaseHub) -> None:
        self.greenlet = glet
        self.hub = hub
        self.active = True
        self.queued = False
        self.timed_out = False


def _expire(waiter: _Waiter) -> None:
    if waiter.active:  # pragma: no branch - the waiter cancels its timer when it stops waiting
        waiter.timed_out = True
        waiter.greenlet.switch()


class LockType:
    """A non-reentrant lock that blocks only the calling green thread (``_thread.LockType``)."""

    __slots__ = ("__weakref__", "_inner", "_waiters")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("type 'lock' is not an acceptable base type")  # as with _thread.lock

    def __init__(self) -> None:
        self._inner = _real_allocate_lock()
        self._waiters: deque[_Waiter] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock; wait for it unless ``blocking`` is false, for at most ``timeout`` seconds.

        Returns True if the lock was taken.
        """
        if not blocking:
            if timeout != -1:
                raise ValueError("can't specify a timeout for a non-blocking call")
            return bool(self._inner.acquire(False))
        if timeout != -1:
            if timeout < 0:
                raise ValueError("timeout value must be a non-negative number")
            if timeout > TIMEOUT_MAX:
                raise OverflowError("timeout value is too large")
        if self._inner.acquire(False):
            return True
        if timeout == 0:
            return False
        return self._wait(timeout)

    def _wait(self, timeout: float) -> bool:
        hub = hubs.get_hub()
        current = getcurrent()
        if current is hub.greenlet:
            raise RuntimeError("A lock held by a green thread cannot be waited for in the hub")
        waiter = _Waiter(current, hub)
        timer = _arm_entry(hub, timeout, _expire, (waiter,), None) if timeout > 0 else None
        try:
            while True:
                if not waiter.queued:
                    waiter.queued = True
                    self._waiters.append(waiter)
                if self._inner.acquire(False):
                    return True
                hub.switch()
                if waiter.timed_out:
                    acquired: bool = self._inner.acquire(False)
                    return acquired
        finally:
            waiter.active = False
            if timer is not None:
                _cancel_entry(timer)
            if waiter.queued:
                try:
                    self._waiters.remove(waiter)
                except ValueError:  # pragma: no cover - popped by another OS thread meanwhile
                    pass

    def _notify(self) -> None:
        """Hand a wake-up to the first waiter still waiting."""
        waiters = self._waiters
        while waiters:  # pragma: no branch - returns once a waiter is woken
            try:
                waiter = waiters.popleft()
            except IndexError:  # pragma: no cover - emptied by another OS thread meanwhile
                return
            waiter.queued = False
            if not waiter.active:  # pragma: no cover - it removes itself when it stops waiting
                continue
            if waiter.hub is hubs._hub_if_exists():
                waiter.hub.call_soon(self._resume, waiter)
            else:
                waiter.hub.call_threadsafe(self._resume, waiter)
            return

    def _resume(self, waiter: _Waiter) -> None:
        if waiter.active:
            waiter.greenlet.switch()
        elif not self._inner.locked():
            self._notify()  # it stopped waiting before it could use the wake-up: pass it on

    def release(self) -> None:
        """Release the lock (from any green thread); RuntimeError if it is not locked."""
        try:
            self._inner.release()
        except RuntimeError:
            raise RuntimeError("release unlocked lock") from None
        if self._waiters:
            self._notify()

    def locked(self) -> bool:
        """True if the lock is held."""
        return bool(self._inner.locked())

    def _at_fork_reinit(self) -> None:
        self._inner = _real_allocate_lock()
        self._waiters.clear()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._inner.locked() else "unlocked"
        return f"<{state} {type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"


def allocate_lock() -> LockType:
    """A new green :class:`LockType` (``_thread.allocate_lock``)."""
    return LockType()


class RLock:
    """A reentrant lock owned by a green thread (``_thread.RLock``)."""

    __slots__ = ("__weakref__", "_block", "_count", "_owner")

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:  # the C RLock ignores arguments too
        self._block = LockType()
        self._owner: int | None = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock, or count one more level if the calling green thread holds it."""
        me = get_ident()
        if self._owner == me:
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        """Undo one :meth:`acquire`; RuntimeError if the calling green thread does not hold it."""
        if self._owner != get_ident() or not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._block.release()

    def locked(self) -> bool:
        """True if some green thread holds the lock."""
        return self._block.locked()

    def _is_owned(self) -> bool:
        return self._owner == get_ident()

    def _recursion_count(self) -> int:
        return self._count if self._owner == get_ident() else 0

    def _release_save(self) -> tuple[int, int | None]:
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._block.release()
        return state

    def _acquire_restore(self, state: tuple[int, int | None]) -> None:
        self._block.acquire()
        self._count, self._owner = state

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        self._owner = None
        self._count = 0

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._block.locked() else "unlocked"
        name = f"{type(self).__module__}.{type(self).__qualname__}"
        return f"<{state} {name} object owner={self._owner or 0} count={self._count} at {id(self):#x}>"
