"""Pools of green threads: :class:`GreenPool` bounds concurrency, :class:`GreenPile` collects results.

A :class:`GreenPool` is a :class:`~eventlet.semaphore.Semaphore` of ``size`` slots in front of
``spawn``: a spawn that finds no free slot blocks its caller (FIFO) until a thread of the pool
finishes.  A thread of the pool that spawns into its own full pool would wait for itself, so in that
case the function runs inline in the caller instead (as upstream eventlet does).

``imap``/``starmap`` feed the arguments to the pool from a helper green thread and hand the
consumer a :class:`GreenPile` bounded by the pool size, so results come back in order and at most
``size`` of them are pending at once.  An exception raised by the function (or by the argument
iterator) is raised to the consumer at the position where it occurred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, ParamSpec, TypeVar, overload

from greenlet import GreenletExit, getcurrent, greenlet

from eventlet import greenthread
from eventlet.event import Event
from eventlet.greenthread import GreenThread
from eventlet.hubs import get_hub
from eventlet.hubs.hub import report_exception
from eventlet.queue import LightQueue
from eventlet.semaphore import Semaphore

__all__ = ["GreenPile", "GreenPool"]

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
P = ParamSpec("P")


class GreenPool:
    """A pool of at most ``size`` concurrently running green threads."""

    def __init__(self, size: int = 1000) -> None:
        try:
            size = int(size)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"GreenPool() expects an int size, got {size!r}: {exc}") from None
        if size < 0:
            raise ValueError(f"GreenPool() expects a size >= 0, got {size!r}")
        self.size: int = size
        #: The green threads (and ``spawn_n`` greenlets) of the pool that have not finished.
        self.coroutines_running: set[greenlet] = set()
        self.sem: Semaphore = Semaphore(size)
        self.no_coros_running: Event[None] = Event()
        self.no_coros_running.send(None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} size={self.size} running={self.running()} waiting={self.waiting()}>"

    def resize(self, new_size: int) -> None:
        """Change the number of slots.

        Shrinking below the number of running threads lets them finish; new spawns wait until the
        count drops below ``new_size`` (:meth:`free` is negative meanwhile).  Growing lets waiting
        spawners proceed at once.
        """
        delta = new_size - self.size
        self.size = new_size
        self.sem._adjust(delta)
        self._check_idle()

    def running(self) -> int:
        """The number of green threads of the pool that have not finished."""
        return len(self.coroutines_running)

    def free(self) -> int:
        """Slots free now: if 0 or less, the next :meth:`spawn` blocks."""
        return self.sem.counter

    def waiting(self) -> int:
        """The number of green threads blocked in :meth:`spawn`/:meth:`spawn_n` for a slot."""
        return len(self.sem._waiters)

    def _reentrant(self, current: greenlet) -> bool:
        return self.sem.counter <= 0 and current in self.coroutines_running

    def _idle(self) -> bool:
        # Every running thread (and every spawner handed a slot) holds a token of the semaphore.
        return self.sem.counter >= self.size and not self.sem._waiters

    def _check_idle(self) -> None:
        if self._idle() and not self.no_coros_running.ready():
            self.no_coros_running.send(None)

    def _acquire_slot(self) -> None:
        try:
            self.sem.acquire()
        except BaseException:
            self._check_idle()  # the semaphore passed on any slot it had been handed
            raise

    def _started(self, thread: greenlet) -> None:
        if self.no_coros_running.ready():
            self.no_coros_running = Event()
        self.coroutines_running.add(thread)

    def spawn(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> GreenThread[T]:
        """Run ``function(*args, **kwargs)`` in a green thread of the pool; return its GreenThread.

        Blocks while the pool is full.  Called from a thread of this (full) pool, runs the function
        right there and returns a finished GreenThread.
        """
        current = getcurrent()
        if self._reentrant(current):
            thread: GreenThread[T] = GreenThread(current)
            thread.main(function, args, kwargs)
            return thread
        self._acquire_slot()
        thread = greenthread.spawn(function, *args, **kwargs)
        self._started(thread)
        thread.link(self._spawn_done)
        return thread

    def spawn_n(self, function: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
        """Like :meth:`spawn`, cheaper, without a result: an exception is logged, not kept."""
        current = getcurrent()
        if self._reentrant(current):
            self._run_n(function, args, kwargs, False)
            return
        self._acquire_slot()
        thread = greenthread.spawn_n(self._run_n, function, args, kwargs, True)
        self._started(thread)

    def _run_n(
        self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], owned: bool
    ) -> None:
        try:
            function(*args, **kwargs)
        except GreenletExit:
            pass
        except Exception:
            report_exception(get_hub(), "Unhandled exception in green thread of %r", self)
        finally:
            if owned:
                self._spawn_done(getcurrent())

    def _spawn_done(self, thread: greenlet) -> None:
        self.sem.release()
        self.coroutines_running.discard(thread)
        self._check_idle()

    def waitall(self) -> None:
        """Wait until the pool is idle: no thread running and no spawner waiting for a slot.

        Raises AssertionError (as upstream eventlet) when called from a thread of the pool: it
        would wait for itself.
        """
        if getcurrent() in self.coroutines_running:
            raise AssertionError(
                "Calling waitall() from within one of the GreenPool's greenthreads will never terminate."
            )
        while not self._idle():
            if self.no_coros_running.ready():
                self.no_coros_running = Event()
            self.no_coros_running.wait()

    @overload
    def starmap(self, function: Callable[..., T], iterable: Iterable[Iterable[Any]]) -> Iterator[T]: ...
    @overload
    def starmap(self, function: None, iterable: Iterable[Iterable[A]]) -> Iterator[tuple[A, ...]]: ...
    def starmap(
        self, function: Callable[..., Any] | None, iterable: Iterable[Iterable[Any]]
    ) -> Iterator[Any]:
        """Like :func:`itertools.starmap`, running ``function(*args)`` concurrently in the pool.

        Results are yielded in the order of ``iterable``; an exception is raised where it occurred.
        ``function=None`` yields the argument tuples.  At most ``size`` results wait to be consumed:
        a consumer that stops iterating early leaves the feeding green thread blocked (as upstream
        eventlet does), so iterate to the end, or use a :class:`GreenPile` to control spawning.
        """
        func: Callable[..., Any] = _identity if function is None else function
        pile: _GreenMap[Any] = _GreenMap(self)
        greenthread.spawn_n(pile._feed, func, iter(iterable))
        return pile

    @overload
    def imap(self, function: Callable[[A], T], iterable: Iterable[A], /) -> Iterator[T]: ...
    @overload
    def imap(
        self, function: Callable[[A, B], T], iterable1: Iterable[A], iterable2: Iterable[B], /
    ) -> Iterator[T]: ...
    @overload
    def imap(
        self,
        function: Callable[[A, B, C], T],
        iterable1: Iterable[A],
        iterable2: Iterable[B],
        iterable3: Iterable[C],
        /,
    ) -> Iterator[T]: ...
    @overload
    def imap(
        self,
        function: Callable[..., T],
        iterable1: Iterable[Any],
        iterable2: Iterable[Any],
        iterable3: Iterable[Any],
        iterable4: Iterable[Any],
        /,
        *iterables: Iterable[Any],
    ) -> Iterator[T]: ...
    @overload
    def imap(self, function: None, /, *iterables: Iterable[Any]) -> Iterator[tuple[Any, ...]]: ...
    def imap(self, function: Callable[..., Any] | None, *iterables: Iterable[Any]) -> Iterator[Any]:
        """Like :func:`map`, running ``function`` concurrently in the pool; results in order."""
        return self.starmap(function, zip(*iterables))  # noqa: B905 - stops at the shortest, as map()


def _identity(*args: Any) -> tuple[Any, ...]:
    return args


class GreenPile(Generic[T]):
    """Spawn functions into a pool and iterate over their results in the order they were spawned.

    ``size_or_pool`` is a :class:`GreenPool` to share, or the size of a new one.  Iterating blocks
    on each result in turn; an exception raised by a function is raised by the iteration.
    """

    def __init__(self, size_or_pool: GreenPool | int = 1000) -> None:
        if isinstance(size_or_pool, GreenPool):
            self.pool: GreenPool = size_or_pool
        else:
            self.pool = GreenPool(size_or_pool)
        #: The pile's green threads, in spawn order (and, for ``imap``, the end marker).
        self.waiters: LightQueue[Any] = LightQueue()
        #: Results spawned and not yet iterated over.
        self.counter: int = 0

    def spawn(self, func: Callable[P, T], *args: P.args, **kw: P.kwargs) -> None:
        """Run ``func(*args, **kw)`` in the pool; its result comes out of the iteration in turn."""
        self.counter += 1
        try:
            thread = self.pool.spawn(func, *args, **kw)
        except BaseException:
            self.counter -= 1
            raise
        self.waiters.put(thread)

    def __iter__(self) -> GreenPile[T]:
        return self

    def next(self) -> T:
        """The next result in spawn order (blocking for it); StopIteration when none is pending."""
        if self.counter == 0:
            raise StopIteration
        thread: GreenThread[T] = self.waiters.get()
        self.counter -= 1
        return thread.wait()

    __next__ = next


class _MapEnd:
    """Marks the end of a map's arguments, or the exception their iterator raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _GreenMap(GreenPile[T]):
    """The iterator that :meth:`GreenPool.imap` returns: a pile fed by a helper green thread."""

    def __init__(self, pool: GreenPool) -> None:
        super().__init__(pool)
        self.waiters = LightQueue(max(pool.size, 1))
        self._end: _MapEnd | None = None

    def _feed(self, func: Callable[..., Any], arguments: Iterator[Any]) -> None:
        error: BaseException | None = None
        try:
            for args in arguments:
                self.spawn(func, *args)
        except Exception as exc:
            error = exc
        self.counter += 1
        self.waiters.put(_MapEnd(error))

    def next(self) -> T:
        """The next result in argument order; StopIteration at the end."""
        if self._end is not None:
            raise StopIteration
        item: GreenThread[T] | _MapEnd = self.waiters.get()
        self.counter -= 1
        if isinstance(item, _MapEnd):
            self._end = item
            if item.error is not None:
                raise item.error
            raise StopIteration
        return item.wait()

    __next__ = next
