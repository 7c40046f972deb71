"""What upstream eventlet 0.41.3 still keeps in ``eventlet.coros``: :class:`metaphore`.

The rest of that old module (``event``, ``Queue``, ``Channel``...) was removed upstream long ago; their
successors are :class:`eventlet.Event`, :class:`eventlet.Queue` and ``Queue(0)``.
"""

from __future__ import annotations

from eventlet.event import Event

__all__ = ["metaphore"]


class metaphore:  # (upstream's name, lower case)
    """A counter that makes :meth:`wait` block while it is above zero: "wait for all of them".

    The reverse of a semaphore: start a count of outstanding jobs with :meth:`inc`, have each job
    call :meth:`dec` when done, and :meth:`wait` returns once the count is back to zero (at once
    if it is zero already)::

        done = metaphore()
        done.inc(len(jobs))
        for job in jobs:
            eventlet.spawn_n(run_then_dec, job, done)
        done.wait()
    """

    def __init__(self) -> None:
        self.counter: int = 0
        self.event: Event[None] = Event()
        self.event.send()  # zero outstanding: wait() returns at once

    def inc(self, by: int = 1) -> None:
        """Add ``by`` (> 0) to the count; going up from zero makes :meth:`wait` block."""
        if by <= 0:
            raise ValueError(f"inc() takes a positive number, not {by!r}")
        was_zero = self.counter == 0
        self.counter += by
        if was_zero:
            self.event.reset()

    def dec(self, by: int = 1) -> None:
        """Take ``by`` (> 0) off the count (never below zero); reaching zero wakes the waiters."""
        if by <= 0:
            raise ValueError(f"dec() takes a positive number, not {by!r}")
        self.counter = max(self.counter - by, 0)
        if self.counter == 0 and not self.event.ready():
            self.event.send()

    def wait(self) -> None:
        """Block until the count is zero (return at once if it is)."""
        self.event.wait()
