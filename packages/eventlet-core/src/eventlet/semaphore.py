"""Semaphores for green threads: :class:`Semaphore`, :class:`BoundedSemaphore`, :class:`CappedSemaphore`.

Fairness by hand-over
---------------------
A release that finds green threads waiting does not raise the counter: it hands the token straight
to the oldest waiter (marks it granted and queues its wake-up with ``hub.call_soon``).  Nobody can
barge in between the release and the waiter's resumption, so waiters acquire in strict FIFO order,
and the common invariant "``counter > 0`` implies nobody waits" keeps the uncontended
:meth:`Semaphore.acquire` to one comparison and one subtraction.

Giving up without losing a token
--------------------------------
A waiter with a timeout arms a plain hub timer that only wakes it; when it resumes it looks at what
happened: granted wins over timed out (the acquire then succeeds), so a token handed over in the same
hub turn as the timeout is never dropped.  A waiter that leaves by an exception (``kill``, an
enclosing :class:`eventlet.Timeout`) removes itself, or, if it had already been granted the token,
releases it again so that the next waiter gets it.

The counter may go negative through :meth:`Semaphore._adjust` (a :class:`~eventlet.GreenPool`
shrunk below the number of running threads): releases then repay that debt before anybody is woken.
"""

from __future__ import annotations

from collections import deque
from types import TracebackType
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.timer import _CALLBACK, _arm_entry, _cancel_entry

__all__ = ["BoundedSemaphore", "CappedSemaphore", "Semaphore"]


class _Waiter:
    """One green thread blocked in :meth:`Semaphore.acquire`."""

    __slots__ = ("granted", "greenlet")

    def __init__(self, green: greenlet) -> None:
        self.greenlet: greenlet | None = green
        self.granted = False


def _wake(waiter: _Waiter) -> None:
    """Resume ``waiter`` if it is still waiting (runs in the hub)."""
    green = waiter.greenlet
    if green is not None:
        green.switch()


class Semaphore:
    """A counter of available tokens; :meth:`acquire` takes one, blocking while there is none.

    Waiters are served first come, first served.  Usable as a context manager.
    """

    def __init__(self, value: int = 1) -> None:
        try:
            value = int(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Semaphore() expects an int value, got {value!r}: {exc}") from None
        if value < 0:
            raise ValueError(f"Semaphore() expects a value >= 0, got {value!r}")
        #: Tokens available now (negative: releases owed before anybody can acquire).
        self.counter: int = value
        self._waiters: deque[_Waiter] = deque()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} c={self.counter} _w[{len(self._waiters)}]>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} c={self.counter} _w[{len(self._waiters)}]>"

    def locked(self) -> bool:
        """True if :meth:`acquire` would block."""
        return self.counter <= 0

    def bounded(self) -> bool:
        """Always False: a plain semaphore's release never blocks (see :class:`CappedSemaphore`)."""
        return False

    @property
    def balance(self) -> int:
        """Tokens available minus green threads waiting: negative when acquirers are queued."""
        return self.counter - len(self._waiters)

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a token; return True, or False if it could not be had in time.

        ``blocking=False`` never waits.  ``timeout`` (seconds; ``-1`` or ``None``: forever, as in
        :mod:`threading`) bounds the wait.  Raises ValueError for a negative timeout, or for a
        timeout together with ``blocking=False``.
        """
        if timeout is not None:
            if timeout == -1:
                timeout = None
            elif timeout < 0:
                raise ValueError("timeout value must be strictly positive")
            elif not blocking:
                raise ValueError("can't specify timeout for non-blocking acquire")
        if self.counter > 0:
            self.counter -= 1
            return True
        if not blocking:
            return False
        return self._wait(timeout)

    def _wait(self, timeout: float | None) -> bool:
        hub = get_hub()
        waiter = _Waiter(getcurrent())
        self._waiters.append(waiter)
        timer = None if timeout is None else _arm_entry(hub, timeout, _wake, (waiter,), None)
        try:
            while not waiter.granted:
                if timer is not None and timer[_CALLBACK] is None:
                    break
                hub.switch()
        except BaseException:
            waiter.greenlet = None
            if timer is not None:
                _cancel_entry(timer)
            if waiter.granted:
                Semaphore.release(self)  # pass the token on: nothing is lost
            else:
                self._waiters.remove(waiter)
            raise
        waiter.greenlet = None
        if timer is not None:
            _cancel_entry(timer)
        if waiter.granted:
            return True
        self._waiters.remove(waiter)
        return False

    def release(self, blocking: bool = True) -> bool:
        """Give a token back, waking the oldest waiter if any.  Returns True.

        ``blocking`` is ignored; it exists for compatibility with :class:`CappedSemaphore`.
        """
        waiters = self._waiters
        if waiters and self.counter >= 0:
            waiter = waiters.popleft()
            waiter.granted = True
            get_hub().call_soon(_wake, waiter)
        else:
            self.counter += 1
        return True

    def _adjust(self, delta: int) -> None:
        """Add ``delta`` tokens (may be negative, leaving a debt); wake waiters the new ones serve."""
        self.counter += delta
        waiters = self._waiters
        while waiters and self.counter > 0:
            self.counter -= 1
            waiter = waiters.popleft()
            waiter.granted = True
            get_hub().call_soon(_wake, waiter)

    def _at_fork_reinit(self) -> None:
        """Forget the waiters (they do not exist in a forked child); used by :mod:`threading`."""
        self._waiters.clear()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class BoundedSemaphore(Semaphore):
    """A :class:`Semaphore` that raises ValueError when released more often than acquired."""

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        #: The initial value, which the counter may never exceed.
        self.original_counter: int = self.counter

    def release(self, blocking: bool = True) -> bool:
        """Give a token back; raise ValueError if that would exceed the initial value."""
        if self.counter >= self.original_counter:
            raise ValueError("Semaphore released too many times")
        return super().release(blocking)


class CappedSemaphore:
    """A semaphore whose count stays within ``0..limit``: both directions block at their bound.

    :meth:`acquire` waits while the count is 0; :meth:`release` waits while it is at ``limit``.
    """

    def __init__(self, count: int, limit: int) -> None:
        if count < 0:
            raise ValueError(f"CappedSemaphore must be initialized with a positive number, got {count}")
        if limit is None or count > limit:
            raise ValueError("'count' cannot be more than 'limit'")
        self.lower_bound: Semaphore = Semaphore(count)
        self.upper_bound: Semaphore = Semaphore(limit - count)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} b={self.balance}>"

    def locked(self) -> bool:
        """True if :meth:`acquire` would block."""
        return self.lower_bound.locked()

    def bounded(self) -> bool:
        """True if :meth:`release` would block."""
        return self.upper_bound.locked()

    @property
    def balance(self) -> int:
        """Like :attr:`Semaphore.balance`, accounting for blocked releasers too."""
        return self.lower_bound.balance - self.upper_bound.balance

    def acquire(self, blocking: bool = True) -> bool:
        """Decrement the count, waiting while it is 0; False if ``blocking`` is False and it is."""
        if not blocking and self.locked():
            return False
        # Make room for a blocked releaser first: with limit 0 the two meet half-way.
        self.upper_bound.release()
        try:
            return self.lower_bound.acquire()
        except BaseException:
            self.upper_bound._adjust(-1)
            raise

    def release(self, blocking: bool = True) -> bool:
        """Increment the count, waiting while it is at the limit; False if not ``blocking`` and it is."""
        if not blocking and self.bounded():
            return False
        self.lower_bound.release()
        try:
            return self.upper_bound.acquire()
        except BaseException:
            self.lower_bound._adjust(-1)
            raise

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: Any) -> None:
        self.release()
