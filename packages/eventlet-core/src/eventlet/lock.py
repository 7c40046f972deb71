"""A green mutual-exclusion lock, API-compatible with :class:`threading.Lock`."""

from __future__ import annotations

from eventlet.semaphore import Semaphore

__all__ = ["Lock"]


class Lock(Semaphore):
    """A lock: a :class:`~eventlet.semaphore.Semaphore` of one token that refuses a double release.

    ``acquire(blocking=True, timeout=-1)``, ``release()``, ``locked()`` and the context manager
    behave as in :class:`threading.Lock`; waiters get the lock in FIFO order.  Unlike an RLock it
    has no owner: any green thread may release it.
    """

    def release(self, blocking: bool = True) -> bool:
        """Release the lock, handing it to the oldest waiter if any.

        Raises RuntimeError if the lock is not locked.
        """
        if self.counter > 0:
            raise RuntimeError("release unlocked lock")
        return super().release(blocking)

    def _at_fork_reinit(self) -> None:
        """Make the lock unlocked with no waiters (for :mod:`threading` after fork)."""
        self.counter = 1
        self._waiters.clear()
