"""Hand-offs from real OS threads, and the flag idiom this package uses core's ``Event`` for.

:class:`ThreadCall` runs one blocking function in a real OS thread and hands its outcome back to
the green threads of the hub that started it.  It is how this package waits where the hub cannot
poll: pipes on Windows (and on Linux when the thread-based mode is forced for testing) and a
child's exit where there is no pidfd or kqueue.  The call keeps its outcome until someone
collects it, so a waiter that times out loses nothing: the next waiter takes over.  A long or
unbounded call (a pipe read) gets a thread of its own from :func:`eventlet.tpool.start_real_thread`;
a short one (starting a child) can run on the long-lived threads of an
:class:`eventlet.tpool.ThreadPool` instead, through a green thread that waits in the pool's
``execute``.  Either way the threads are core's: real even under ``monkey_patch()``, and running
under the ``threading`` trace and profile hooks as a ``threading.Thread`` would.

Waiting is core's :class:`~eventlet.event.Event`: a wake-up never resumes a waiter that gave up
(its timeout fired, it was killed).  Several places here use an event as a *flag* that may be
raised more than once and is lowered again by the one who waits (``wake`` of a worker handle):
:func:`raise_flag` sends it unless it is already up, :func:`wait_flag` waits with a timeout and
says whether it is up; the waiter lowers it with ``Event.reset``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventlet.event import Event
from eventlet.greenthread import spawn_n
from eventlet.hubs import get_hub
from eventlet.tpool import ThreadPool, start_real_thread

__all__ = ["ThreadCall", "raise_flag", "wait_flag"]


def raise_flag(event: Event[None]) -> None:
    """Send ``event`` unless it was sent already (its waiters wake at the hub's next turn)."""
    if not event.ready():
        event.send()


def wait_flag(event: Event[None], timeout: float | None = None) -> bool:
    """Wait until ``event`` is sent or ``timeout`` seconds pass; whether it was sent."""
    event.wait(timeout)
    return event.ready()


class ThreadCall:
    """``function(*args)`` running in a real OS thread; green threads wait for its outcome.

    The thread is a new one, or one of ``pool``'s.
    """

    __slots__ = ("_abandoned", "_callbacks", "_done", "_error", "_hub", "_value", "finished")

    def __init__(self, function: Callable[..., Any], *args: Any, pool: ThreadPool | None = None) -> None:
        self._hub = get_hub()
        self._done: Event[None] = Event()
        self._value: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[], Any]] = []
        self._abandoned = False
        #: True once the function has returned or raised (as seen by the hub)
        self.finished = False
        if pool is None:
            start_real_thread(self._run, function, args)
        else:
            spawn_n(self._run_in, pool, function, args)

    def _run(self, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """In the new OS thread: call, then hand the outcome to the hub."""
        try:
            value = function(*args)
        except BaseException as exc:
            self._hub.call_threadsafe(self._finish, None, exc)
        else:
            self._hub.call_threadsafe(self._finish, value, None)

    def _run_in(self, pool: ThreadPool, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        """In a green thread: have one of ``pool``'s threads call, then take the outcome."""
        try:
            value = pool.execute(function, *args)
        except BaseException as exc:
            self._finish(None, exc)
        else:
            self._finish(value, None)

    def _finish(self, value: Any, exc: BaseException | None) -> None:
        self.finished = True
        if not self._abandoned:
            self._value, self._error = value, exc
            self._done.send()
        for callback in self._callbacks:
            callback()

    def abandon(self, exc: BaseException) -> None:
        """Give up on the outcome: waiters get ``exc`` now; the thread's result will be dropped."""
        if not self._done.ready():
            self._abandoned = True
            self._error = exc
            self._done.send()

    def add_done_callback(self, callback: Callable[[], Any]) -> None:
        """Have ``callback()`` called once the function has finished (now, if it has)."""
        if self.finished:
            callback()
        else:
            self._callbacks.append(callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Block the green thread until the call is done or ``timeout`` passes; True if done."""
        return wait_flag(self._done, timeout)

    def result(self) -> Any:
        """The function's return value, or raise its exception.  Only valid once :meth:`wait` is True."""
        if self._error is not None:
            raise self._error
        return self._value
