"""Small green synchronisation pieces this package needs, and hand-offs from real OS threads.

:class:`Flag` is a resettable event that many green threads can wait on with a timeout.  It is
written so that a waiter can never be resumed by a stale wake-up: ``set`` does not queue one switch
per waiter; it queues a single notification that, when the hub runs it, switches only to the green
threads *still* registered as waiting.  A waiter that leaves early (its timeout fired, it was killed)
unregisters itself in a ``finally`` block, so nobody switches into it later by mistake.

:class:`ThreadCall` runs one blocking function in a real OS thread and hands its outcome back to
the hub of the green thread that started it through ``hub.call_threadsafe``.  It is how this package
waits where the hub cannot poll: pipes on Windows (and on Linux when the thread-based mode is forced
for testing) and a child's exit where there is no pidfd or kqueue.  The call keeps its outcome
until someone collects it, so a waiter that times out loses nothing: the next waiter takes over.
Short calls can run on the long-lived threads of a :class:`ThreadPool` instead of a new thread.
"""

from __future__ import annotations

import os
import sys
import threading
from _queue import SimpleQueue
from collections.abc import Callable
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.hubs import get_hub
from eventlet.patcher import original_attr

__all__ = ["Flag", "ThreadCall", "ThreadPool", "start_real_thread"]

_TIMED_OUT = object()


def start_real_thread(function: Callable[..., Any], *args: Any) -> None:
    """Run ``function(*args)`` in a new OS thread, even when ``_thread`` has been monkey patched.

    Like ``threading.Thread``, the new thread honours ``threading.settrace`` and
    ``threading.setprofile`` (so debuggers and coverage see it).
    """
    start = original_attr("_thread", "start_new_thread")
    start(_thread_main, (function, args, threading.gettrace(), threading.getprofile()))


def _thread_main(  # pragma: no cover - runs in the new thread, before tracing starts
    function: Callable[..., Any], args: tuple[Any, ...], trace: Any, profile: Any
) -> None:
    if trace is not None:
        sys.settrace(trace)
    if profile is not None:
        sys.setprofile(profile)
    function(*args)


class Flag:
    """A resettable event: :meth:`wait` blocks green threads until :meth:`set` is called.

    ``set`` may carry a value, or :meth:`set_exception` an exception that :meth:`result` raises.
    All waiters must live in the OS thread that owns the hub ``set`` runs in (``set`` itself may be
    called from another OS thread only through ``hub.call_threadsafe``).
    """

    __slots__ = ("_exception", "_is_set", "_value", "_waiters")

    def __init__(self) -> None:
        self._is_set = False
        self._value: Any = None
        self._exception: BaseException | None = None
        self._waiters: list[greenlet] = []

    def is_set(self) -> bool:
        """True once :meth:`set` or :meth:`set_exception` has been called (and not cleared)."""
        return self._is_set

    def set(self, value: Any = None) -> None:
        """Record ``value`` and wake every waiter (on the hub's next turn)."""
        self._value = value
        self._exception = None
        self._mark()

    def set_exception(self, exc: BaseException) -> None:
        """Record ``exc`` (raised by :meth:`result`) and wake every waiter."""
        self._value = None
        self._exception = exc
        self._mark()

    def clear(self) -> None:
        """Forget the value: the next :meth:`wait` blocks again."""
        self._is_set = False
        self._value = None
        self._exception = None

    def _mark(self) -> None:
        self._is_set = True
        if self._waiters:
            get_hub().call_soon(self._notify)

    def _notify(self) -> None:
        waiters = self._waiters
        while waiters and self._is_set:
            waiters.pop(0).switch()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until set, or until ``timeout`` seconds pass; return whether it is set."""
        if self._is_set:
            return True
        if timeout is not None and timeout <= 0:
            return False
        hub = get_hub()
        current = getcurrent()
        timer = None
        if timeout is not None:
            timer = hub.schedule_call_global(timeout, current.switch, _TIMED_OUT)
        waiters = self._waiters
        waiters.append(current)
        try:
            while not self._is_set:
                if hub.switch() is _TIMED_OUT:
                    break
                if current not in waiters and not self._is_set:
                    waiters.append(current)  # woken by somebody else's stray switch: wait on
        finally:
            if timer is not None:
                timer.cancel()
            if current in waiters:
                waiters.remove(current)
        return self._is_set

    def result(self) -> Any:
        """The value given to :meth:`set`, or raise the exception given to :meth:`set_exception`."""
        if self._exception is not None:
            raise self._exception
        return self._value


class ThreadPool:
    """A few long-lived OS threads that run short blocking calls (starting child processes).

    Threads are started on first use.  In a forked child the pool starts over empty (the
    parent's threads do not exist there).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = SimpleQueue()
        self._started = 0
        if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
            os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._queue = SimpleQueue()
        self._started = 0

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Have one of the threads call ``function(*args)`` (its exceptions are its own business)."""
        while self._started < self.size:
            self._started += 1
            start_real_thread(self._work, self._queue)
        self._queue.put((function, args))

    @staticmethod
    def _work(queue: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
        while True:
            function, args = queue.get()
            function(*args)


class ThreadCall:
    """``function(*args)`` running in a real OS thread; green threads wait for its outcome.

    The thread is a new one, or one of ``pool``'s.
    """

    __slots__ = ("_abandoned", "_callbacks", "_done", "_hub", "finished")

    def __init__(self, function: Callable[..., Any], *args: Any, pool: ThreadPool | None = None) -> None:
        self._hub = get_hub()
        self._done = Flag()
        self._callbacks: list[Callable[[], Any]] = []
        self._abandoned = False
        #: True once the function has returned or raised (as seen by the hub)
        self.finished = False
        if pool is None:
            start_real_thread(self._run, function, args)
        else:
            pool.submit(self._run, function, args)

    def _run(self, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            value = function(*args)
        except BaseException as exc:
            self._hub.call_threadsafe(self._finish, None, exc)
        else:
            self._hub.call_threadsafe(self._finish, value, None)

    def _finish(self, value: Any, exc: BaseException | None) -> None:
        self.finished = True
        if not self._abandoned:
            if exc is None:
                self._done.set(value)
            else:
                self._done.set_exception(exc)
        for callback in self._callbacks:
            callback()

    def abandon(self, exc: BaseException) -> None:
        """Give up on the outcome: waiters get ``exc`` now; the thread's result will be dropped."""
        if not self._done.is_set():
            self._abandoned = True
            self._done.set_exception(exc)

    def add_done_callback(self, callback: Callable[[], Any]) -> None:
        """Have the hub call ``callback()`` once the function has finished (now, if it has)."""
        if self.finished:
            callback()
        else:
            self._callbacks.append(callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Block the green thread until the call is done or ``timeout`` passes; True if done."""
        return self._done.wait(timeout)

    def result(self) -> Any:
        """The function's return value, or raise its exception.  Only valid once :meth:`wait` is True."""
        return self._done.result()
