"""The :class:`~eventlet.timeout.Timeout` exception: a timer that throws into a green thread.

A kernel operation (a timer whose callback raises in the waiting green thread), so it lives with the
hub: :func:`eventlet.hubs.trampoline` raises it by default, and :mod:`eventlet.timeout` publishes
it (its ``__module__`` says so) with the helpers around it.  Arming and disarming are inlined here
(the hot path of every ``with Timeout(...)``): they write the hub's timer entries directly, which
only code under ``eventlet.hubs`` may do.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs._choice import _registry, get_hub
from eventlet.hubs.hub import Timer
from eventlet.hubs.timer import _CHECK_MASK, _HALF_THRESHOLD, _as_timer, _cancel_entry

__all__ = ["Timeout"]

#: where get_hub() keeps each OS thread's hub (read directly on the hot path)
_thread_hubs = _registry.local


class Timeout(BaseException):
    """Raise ``exception`` (default: this Timeout itself) in the current green thread after ``seconds``.

    Use it as a context manager::

        with Timeout(5):
            data = sock.recv(1024)

    or start it by creating it and stop it with :meth:`cancel`.  ``seconds=None`` never fires.  With
    ``exception=False`` the ``with`` block is left silently when the time is up.  It derives from
    ``BaseException`` so that a bare ``except Exception`` does not swallow it.

    Creating one schedules its timer (see :mod:`eventlet.hubs._timers`): a timeout that is cancelled
    before its green thread next switches to the hub, the usual fate of a ``with Timeout(...)``
    around code that did not have to wait, is taken back off the hub's list of new timers and
    never costs the hub anything.
    """

    # Slots: faster to set and read than the instance dict (BaseException instances keep a dict
    # for any other attribute).  ``args`` is what the constructor was given, as upstream's.
    # ``_timer`` is the hub's plain-list timer entry (see eventlet.hubs._timers), or None.
    __slots__ = ("_timer", "exception", "seconds")
    seconds: float | None
    exception: BaseException | type[BaseException] | bool | None
    _timer: list[Any] | None

    is_timeout = True

    def __init__(
        self,
        seconds: float | None = None,
        exception: BaseException | type[BaseException] | bool | None = None,
    ) -> None:
        self.seconds = seconds
        self.exception = exception
        if seconds is None:
            self._timer = None
            return
        # Arming the timer, inlined (start() comes back here): the hot path of every ``with``.
        try:
            hub = _thread_hubs.hub
        except AttributeError:
            hub = get_hub()
        to_raise = self if exception is None or exception is True or exception is False else exception
        now = hub.clock()
        deadline = now + seconds if seconds > 0 else now
        timer = [deadline, 0, _throw_if_alive, (getcurrent(), to_raise), hub, None, seconds]
        hub._incoming.append(timer)
        if deadline < hub._next_due:
            hub._next_due = deadline
        self._timer = timer

    def start(self) -> Timeout:
        """Schedule the timeout (again, if it was already pending), from now."""
        self.cancel()
        Timeout.__init__(self, self.seconds, self.exception)
        return self

    @property
    def timer(self) -> Timer | None:
        """The timer that will raise the timeout (None when not started or cancelled)."""
        timer = self._timer
        return None if timer is None else _as_timer(timer)

    @property
    def pending(self) -> bool:
        """True while the timeout is scheduled and has not fired."""
        timer = self._timer
        return timer is not None and timer[2] is not None

    def cancel(self) -> None:
        """Stop the timeout from firing; the object may be started again with :meth:`start`."""
        timer = self._timer
        if timer is not None:
            self._timer = None
            _cancel_entry(timer)

    def __repr__(self) -> str:
        pending = " pending" if self.pending else ""
        exception = "" if self.exception is None else f" exception={self.exception!r}"
        return f"<Timeout at {id(self):#x} seconds={self.seconds!r}{exception}{pending}>"

    def __str__(self) -> str:
        if self.seconds is None:
            return ""
        suffix = "" if self.seconds == 1 else "s"
        if self.exception is None or self.exception is True:
            return f"{self.seconds} second{suffix}"
        if self.exception is False:
            return f"{self.seconds} second{suffix} (silent)"
        return f"{self.seconds} second{suffix} ({self.exception})"

    def __enter__(self) -> Timeout:
        if self._timer is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        timer = self._timer
        if timer is not None:
            # cancel(), inlined (see eventlet.hubs.timer._cancel_entry).
            self._timer = None
            if timer[2] is not None:
                timer[2] = None
                timer[3] = ()
                hub = timer[4]
                incoming = hub._incoming
                if incoming and incoming[-1] is timer:
                    incoming.pop()
                else:
                    cancelled = hub.timers_canceled = hub.timers_canceled + 1
                    if cancelled > _HALF_THRESHOLD and not cancelled & _CHECK_MASK:
                        hub._compact_if_mostly_cancelled()
        return exc is self and self.exception is False

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _throw_if_alive(target: greenlet, exc: Any) -> None:
    """The timer callback: raise ``exc`` in ``target``, unless it finished (then nobody cares)."""
    if not target.dead:
        target.throw(exc)


Timeout.__module__ = "eventlet.timeout"  # its public home (repr, pickling, the docs)
