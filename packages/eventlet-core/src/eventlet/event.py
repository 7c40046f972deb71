"""Events: a value (or an exception) that green threads can wait for, sent once.

Waiting and waking
------------------
A green thread that waits on an unsent :class:`Event` registers a small ``_Waiter`` (its greenlet
and, later, the outcome) and switches to the hub.  :meth:`Event.send` stores the outcome in every
registered waiter and queues one wake-up per waiter on the hub's ready queue
(``hub.call_soon``), never a timer: waking costs a deque append, not a heap push.

The outcome travels in the waiter, not in the event, so a waiter woken after somebody has already
called :meth:`Event.reset` still gets the value that was sent to it.  A wake-up that arrives after its
waiter gave up (a timeout, or an exception thrown in by ``kill``) finds ``waiter.greenlet`` cleared
and does nothing, so it can never resume the green thread in some later, unrelated wait.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from greenlet import getcurrent, greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.timer import _CALLBACK, _arm_entry, _cancel_entry

__all__ = ["NOT_USED", "Event"]

T = TypeVar("T")

D = TypeVar("D")

#: What :meth:`Event.send` accepts as ``exc``: an exception instance or class, or a tuple of the
#: arguments of ``raise`` (``greenlet.throw``), such as :func:`sys.exc_info`'s.
_ExceptionArgs = BaseException | type[BaseException] | tuple[Any, ...]


class _NotUsed:
    """The type of :data:`NOT_USED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_USED"


#: The "no value yet" marker of an unsent :class:`Event`.
NOT_USED: Any = _NotUsed()

_Outcome = tuple[Any, "tuple[Any, ...] | None"]


class _Waiter:
    """One green thread blocked in :meth:`Event.wait`."""

    __slots__ = ("greenlet", "outcome")

    def __init__(self, green: greenlet) -> None:
        self.greenlet: greenlet | None = green
        self.outcome: _Outcome | None = None


def _wake(waiter: _Waiter) -> None:
    """Resume ``waiter`` if it is still waiting (runs in the hub)."""
    green = waiter.greenlet
    if green is not None:
        green.switch()


class Event(Generic[T]):
    """A result (or an exception) that one party sends once and any number of green threads await.

    ::

        evt = Event()
        eventlet.spawn(lambda: evt.send("done"))
        assert evt.wait() == "done"

    Sending twice raises ``AssertionError`` (as upstream eventlet); :meth:`reset` makes a sent event
    reusable, though a new event is usually clearer.
    """

    def __init__(self) -> None:
        self._result: T = NOT_USED
        self._exc: tuple[Any, ...] | None = None
        # An insertion-ordered set: waiters are woken in the order they began to wait.
        self._waiters: dict[_Waiter, None] = {}

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} at {id(self):#x} result={self._result!r} "
            f"_exc={self._exc!r} _waiters[{len(self._waiters)}]>"
        )

    def reset(self) -> None:
        """Make a sent event unsent again.  Raises ``AssertionError`` on an event never sent."""
        if self._result is NOT_USED:
            raise AssertionError("Trying to re-reset() a fresh event.")
        self._result = NOT_USED
        self._exc = None

    def ready(self) -> bool:
        """True if :meth:`wait` would return (or raise) at once."""
        return self._result is not NOT_USED

    def has_exception(self) -> bool:
        """True if the event was sent an exception."""
        return self._exc is not None

    def has_result(self) -> bool:
        """True if the event was sent a value (not an exception)."""
        return self._result is not NOT_USED and self._exc is None

    @overload
    def poll(self) -> T | None: ...
    @overload
    def poll(self, notready: D) -> T | D: ...
    def poll(self, notready: object = None) -> object:
        """Return the value (or raise the exception) if sent; otherwise return ``notready``."""
        if self._result is not NOT_USED:
            return self.wait()
        return notready

    @overload
    def poll_exception(self) -> None: ...
    @overload
    def poll_exception(self, notready: D) -> D: ...
    def poll_exception(self, notready: object = None) -> object:
        """Raise the sent exception if there is one; otherwise return ``notready``."""
        if self._exc is not None:
            return self.wait()
        return notready

    @overload
    def poll_result(self) -> T | None: ...
    @overload
    def poll_result(self, notready: D) -> T | D: ...
    def poll_result(self, notready: object = None) -> object:
        """Return the sent value if there is one (not an exception); otherwise ``notready``."""
        if self.has_result():
            return self._result
        return notready

    @overload
    def wait(self, timeout: None = None) -> T: ...
    @overload
    def wait(self, timeout: float) -> T | None: ...
    def wait(self, timeout: float | None = None) -> T | None:
        """Block until the event is sent; return the value or raise the exception sent.

        With ``timeout`` (seconds), give up after that long and return ``None``, like upstream
        eventlet.  Must be called from a green thread (or the main greenlet), not from the hub.
        """
        current = getcurrent()
        if self._result is not NOT_USED:
            if self._exc is not None:
                current.throw(*self._exc)
            return self._result
        hub = get_hub()
        waiter = _Waiter(current)
        self._waiters[waiter] = None
        timer = None if timeout is None else _arm_entry(hub, timeout, _wake, (waiter,), None)
        try:
            while waiter.outcome is None:
                if timer is not None and timer[_CALLBACK] is None:
                    return None
                hub.switch()
        finally:
            waiter.greenlet = None
            if timer is not None:
                _cancel_entry(timer)
            if waiter.outcome is None:
                self._waiters.pop(waiter, None)
        result: T
        result, exc = waiter.outcome
        if exc is not None:
            current.throw(*exc)
        return result

    @overload
    def send(self: Event[None], result: None = None, exc: None = None) -> None: ...
    @overload
    def send(self, result: T, exc: None = None) -> None: ...
    @overload
    def send(self, result: object, exc: _ExceptionArgs) -> None: ...
    @overload
    def send(self, *, exc: _ExceptionArgs) -> None: ...
    def send(self, result: Any = None, exc: _ExceptionArgs | None = None) -> None:
        """Send ``result`` (or the exception ``exc``) to every waiter, now and in the future.

        ``exc`` is an exception instance or class, or a tuple of ``raise``-style arguments such as
        :func:`sys.exc_info`.  Waiters are resumed at the hub's next turn, in the order they started
        waiting.  Safe to call from the hub (a timer or a callback).  Raises ``AssertionError`` if
        the event was already sent.
        """
        if self._result is not NOT_USED:
            raise AssertionError("Trying to re-send() an already-triggered event.")
        if exc is not None and not isinstance(exc, tuple):
            exc = (exc,)
        self._result = result
        self._exc = exc
        waiters = self._waiters
        if waiters:
            self._waiters = {}
            call_soon = get_hub().call_soon
            outcome = (result, exc)
            for waiter in waiters:
                waiter.outcome = outcome
                call_soon(_wake, waiter)

    def send_exception(self, *args: Any) -> None:
        """Like :meth:`send`, with an exception: the arguments are those of ``raise``.

        Pass an exception instance, a class, or the whole :func:`sys.exc_info` tuple to keep the
        original traceback.
        """
        self.send(None, args)
