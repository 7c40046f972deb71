"""Socket timeouts that the data beats: one hub timer per socket and direction, shared by its waits.

A green socket with a timeout (``sock.settimeout(30)``) waits on the hub whenever a call would
block, and every such wait has a deadline.  The data nearly always comes first.  Arming a timer for
each wait and cancelling it when the data comes costs, per wait, a timer entry (an allocation the
garbage collector then tracks), an append to the hub's incoming timers and the cancel's bookkeeping
(a cancelled timer that is not the last one scheduled stays stored until the hub drops it), all for
a timer that never fires.

So a socket keeps one :class:`SharedDeadline` per direction (reading, writing), and the waits of
that direction (:func:`eventlet.hubs.wait_fd` with ``shared``) share its one hub timer:

* A wait whose deadline is no earlier than the armed timer's reuses it: it writes its green thread
  and its deadline into the ``SharedDeadline`` (attribute writes) and clears the green thread when
  it ends.  With a fixed timeout each wait's deadline is later than the one before, so this is the
  steady state: no allocation, no queue work.
* When the timer fires, it looks at who waits now: nobody (the socket is idle) and nothing
  happens; a wait whose deadline is still ahead (one that began after the timer was armed) and the
  timer is armed again for that deadline; a wait whose deadline has passed, and that green thread
  gets the timeout exception (``TimeoutError("timed out")`` for a socket).
* A wait with an earlier deadline than the armed timer's (the timeout was lowered) or on another
  hub arms a new timer and gives the old one up.
* A second green thread waiting in the same direction while the first still waits (only allowed
  by ``eventlet.debug.hub_prevent_multiple_readers(False)``) gets a one-off timer of its own, as
  any other wait with a timeout does.

A busy socket's timer therefore fires about once per timeout period, rather than never; an idle
socket leaves its timer armed until the deadline, or until the socket closes
(:meth:`SharedDeadline.release`).  The timer holds the ``SharedDeadline`` (and its hub), never the
socket, and while nobody waits the ``SharedDeadline`` holds no green thread either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from greenlet import greenlet

from eventlet.hubs._choice import _hub_if_exists
from eventlet.hubs.timer import Entry, _cancel_entry

if TYPE_CHECKING:  # pragma: no cover - imported for the type checker only
    from eventlet.hubs.hub import BaseHub

__all__ = ["SharedDeadline"]

_monotonic = time.monotonic  # the green sockets' clock for deadlines


class SharedDeadline:
    """The hub timer that one socket's waits in one direction share (see the module's essay)."""

    __slots__ = ("deadline", "entry", "timeout_exc", "waiter")

    def __init__(self, timeout_exc: Callable[[], BaseException]) -> None:
        #: the armed timer entry (None: none armed, or it fired)
        self.entry: Entry | None = None
        #: the green thread waiting now (None between waits)
        self.waiter: greenlet | None = None
        #: the waiting green thread's deadline, a ``time.monotonic()`` reading
        self.deadline: float = 0.0
        #: makes the exception a wait past its deadline gets
        self.timeout_exc: Callable[[], BaseException] = timeout_exc

    def arm(self, hub: BaseHub, due: float) -> None:
        """Arm a timer on ``hub`` for ``due`` (a reading of the hub's clock) that the waits will
        share, giving up the one armed before (a plain-list entry, as ``timer._arm_entry``
        schedules, but for a deadline rather than a delay)."""
        if self.entry is not None:
            self.release()
        entry = [due, 0, _deadline_reached, (self, hub), hub, None, due - hub.clock()]
        hub._incoming.append(entry)
        if due < hub._next_due:
            hub._next_due = due
        self.entry = entry

    def release(self) -> None:
        """Cancel the armed timer, if any (the socket is closing).

        Only the hub that runs the timer is touched: from another OS thread the timer is given up
        instead, and fires there as a no-op.
        """
        entry = self.entry
        if entry is not None:
            self.entry = None
            if entry[4] is _hub_if_exists():  # _HUB
                _cancel_entry(entry)

    def __repr__(self) -> str:
        armed = self.entry is not None and self.entry[2] is not None
        return f"<SharedDeadline {'armed' if armed else 'idle'} waiter={self.waiter!r}>"


def _deadline_reached(shared: SharedDeadline, hub: BaseHub) -> None:
    """The shared timer's callback on ``hub``: time the current wait out, re-arm for it, or do
    nothing."""
    entry = shared.entry
    if entry is None or entry[2] is not None or entry[4] is not hub:
        # A timer the socket gave up: released, replaced by an earlier one, or left on another
        # thread's hub when the socket moved (that thread's waits are not ours to time out).
        return
    shared.entry = None
    waiter = shared.waiter
    if waiter is None:
        return  # nobody waits: the socket is idle
    remaining = shared.deadline - _monotonic()
    if remaining > 0.0:
        # The wait began after this timer was armed: its own deadline is later.
        shared.arm(hub, hub.clock() + remaining)
        return
    waiter.throw(shared.timeout_exc())
