"""DAGPool: green threads ordered by their data dependencies rather than by a concurrency limit.

Each green thread of a :class:`DAGPool` has a *key* (any hashable value) and names the keys whose
values it needs.  It is started at once and receives an iterable of ``(key, value)`` pairs that
yields each value it depends on as soon as that value exists (in the order they appear, not the
order they were named), blocking while none is ready.  What the function returns becomes the value
of its own key, which in turn unblocks the threads that depend on it.  Values can also come from
the ``preload`` given to the constructor or from :meth:`DAGPool.post`, so code outside the pool can
feed it and wait on it (:meth:`DAGPool.wait`, :meth:`DAGPool.wait_each`, ``pool[key]``).

A function that raises instead of returning posts a :class:`PropagateError` (naming its key and
carrying the exception) as its value: whoever retrieves that value gets the PropagateError raised,
and a green thread of the pool that does not catch it posts its own PropagateError, wrapping the
first.  Following ``.exc`` down the chain tells which keys the failure went through.

This is upstream eventlet's ``eventlet.dagpool`` API, implemented here afresh.  How waiting works:
the pool keeps one :class:`eventlet.Event` for "some value was posted"; a waiter that finds none of
its keys ready waits on the event current at that moment, and every :meth:`~DAGPool.post` sends it
and puts a fresh one in its place, so each waiter wakes once per post and re-checks its keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from eventlet import greenthread
from eventlet.event import Event

__all__ = ["Collision", "DAGPool", "PropagateError"]

_MISSING: Any = object()  # "no argument", "no value": distinct from None, a valid key and value


class Collision(Exception):
    """A key was given twice: spawned twice, or posted while it has a green thread or a value.

    As with ``KeyError``, ``str()`` of it names the key.
    """


class PropagateError(Exception):
    """The value of a key whose green thread raised: retrieving it raises this.

    ``key`` is the key of the green thread that raised, ``exc`` the exception it raised (itself a
    PropagateError when the failure came from a key it depended on).
    """

    def __init__(self, key: Any, exc: BaseException) -> None:
        message = f"PropagateError({key}): {type(exc).__name__}: {exc}"
        super().__init__(message)
        self.msg = message
        self.key = key
        self.exc = exc
        self.args: tuple[Any, ...] = (key, exc)  # so that it pickles and unpickles back to the same

    def __str__(self) -> str:
        return self.msg


def _value_or_raise(value: Any) -> Any:
    if isinstance(value, PropagateError):
        raise value
    return value


class _Coro(NamedTuple):
    """A running green thread of the pool, and the keys it still waits for (shared, shrinking)."""

    greenthread: greenthread.GreenThread[Any]
    pending: set[Any]


class DAGPool:
    """A pool whose green threads wait on each other's results: see the module documentation.

    ``preload`` is a mapping, or an iterable of ``(key, value)`` pairs, of values available from
    the start.  ``values`` holds every value posted so far (preloaded, posted, returned); ``coros``
    the green threads still running, by key.
    """

    _Coro = _Coro

    def __init__(self, preload: Mapping[Any, Any] | Iterable[tuple[Any, Any]] = ()) -> None:
        items = preload.items() if isinstance(preload, Mapping) else preload
        self.values: dict[Any, Any] = dict(items)  # a copy: later changes to preload do not leak in
        self.coros: dict[Any, _Coro] = {}
        self.event: Event[None] = Event()

    # ------------------------------------------------------------------ waiting
    def waitall(self) -> dict[Any, Any]:
        """Wait for a value for every key the pool knows of; return them all (:meth:`wait`)."""
        return self.wait()

    def wait(self, keys: Iterable[Any] = _MISSING) -> dict[Any, Any]:
        """Block until each of ``keys`` (default: every key known) has a value; return them.

        Raises the :class:`PropagateError` of a key whose green thread failed (of one of them, if
        several did).
        """
        return dict(self.wait_each(keys))

    def wait_each(self, keys: Iterable[Any] = _MISSING) -> Iterator[tuple[Any, Any]]:
        """Yield ``(key, value)`` for each of ``keys`` (default: every key known) once it has a value.

        Values already there come first; then each as it is posted, blocking in between.  A
        :class:`PropagateError` value is raised instead of yielded.  An empty ``keys`` yields
        nothing.
        """
        return self._wait_each(self._keyset(keys))

    def wait_each_success(self, keys: Iterable[Any] = _MISSING) -> Iterator[tuple[Any, Any]]:
        """Like :meth:`wait_each`, but skip the keys whose value is a :class:`PropagateError`."""
        for key, value in self._wait_each_raw(self._keyset(keys)):
            if not isinstance(value, PropagateError):
                yield key, value

    def wait_each_exception(self, keys: Iterable[Any] = _MISSING) -> Iterator[tuple[Any, Any]]:
        """Like :meth:`wait_each`, but yield only the :class:`PropagateError` values (not raised)."""
        for key, value in self._wait_each_raw(self._keyset(keys)):
            if isinstance(value, PropagateError):
                yield key, value

    def _keyset(self, keys: Iterable[Any]) -> set[Any]:
        if keys is _MISSING:
            return set(self.coros) | set(self.values)
        return set(keys)

    def _wait_each(self, pending: set[Any]) -> Iterator[tuple[Any, Any]]:
        for key, value in self._wait_each_raw(pending):
            yield key, _value_or_raise(value)

    def _wait_each_raw(self, pending: set[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(key, value)`` pairs as the keys of ``pending`` get values, removing each key.

        ``pending`` is the caller's set, emptied as it goes: a green thread's set is also its
        entry in :attr:`coros`, which is how :meth:`waiting_for` knows what it still waits for.
        """
        values = self.values
        while pending:
            ready = [key for key in pending if key in values]
            if not ready:
                self.event.wait()  # the event of this moment: the next post() sends it
                continue
            for key in ready:
                pending.discard(key)
                yield key, values[key]  # (the value of now: a replace may have come meanwhile)

    def __getitem__(self, key: Any) -> Any:
        """``pool[key]``: block until ``key`` has a value; return it (or raise its PropagateError)."""
        for _key, value in self.wait_each((key,)):
            return value
        raise AssertionError("unreachable: wait_each of one key yields it")  # pragma: no cover

    # ------------------------------------------------------------------ green threads
    def spawn(
        self, key: Any, depends: Iterable[Any], function: Callable[..., Any], *args: Any, **kwds: Any
    ) -> None:
        """Start ``function(key, results, *args, **kwds)`` in a green thread, for ``key``.

        ``results`` yields the ``(key, value)`` pairs of ``depends`` as they get values (like
        :meth:`wait_each`, raising a PropagateError it meets).  What the function returns is posted
        for ``key``; an ``Exception`` it raises is posted as ``PropagateError(key, exc)``.  Raises
        :class:`Collision` if ``key`` already has a green thread or a value.
        """
        if key in self.coros or key in self.values:
            raise Collision(key)
        pending = set(depends)
        thread = greenthread.spawn(self._run, function, key, self._wait_each(pending), *args, **kwds)
        self.coros[key] = _Coro(thread, pending)

    def spawn_many(
        self, depends: Mapping[Any, Iterable[Any]], function: Callable[..., Any], *args: Any, **kwds: Any
    ) -> None:
        """:meth:`spawn` ``function`` once per key of ``depends``, each with the keys it maps to.

        Raises :class:`Collision` at the first key already known (the keys before it are spawned).
        """
        for key, needs in depends.items():
            self.spawn(key, needs, function, *args, **kwds)

    def _run(
        self, function: Callable[..., Any], key: Any, results: Iterator[Any], *args: Any, **kwds: Any
    ) -> Any:
        """A green thread's body: run ``function``, then post what it returned (or raised)."""
        try:
            result = function(key, results, *args, **kwds)
        except Exception as exc:
            result = PropagateError(key, exc)
        finally:
            self.coros.pop(key, None)  # no longer running: post() below must not see a collision
        try:
            self.post(key, result)
        except Collision:
            pass  # the function posted its own value already: that one stands
        return result

    def kill(self, key: Any) -> None:
        """Kill the green thread of ``key`` and forget it (so a value may be posted for it).

        Raises ``KeyError`` if ``key`` has no running green thread.
        """
        thread = self.coros[key].greenthread
        thread.kill()
        self.coros.pop(key, None)

    # ------------------------------------------------------------------ values
    def post(self, key: Any, value: Any, replace: bool = False) -> None:
        """Store ``value`` for ``key`` and wake everybody waiting for values.

        Raises :class:`Collision` if another green thread than the key's own is running for it,
        or if the key has a value already and ``replace`` is false.  With ``replace``, which value
        a waiter already woken sees is unspecified; later waiters see the new one.  Posting a
        :class:`PropagateError` makes retrieving the key raise it.
        """
        coro = self.coros.get(key)
        if coro is not None and coro.greenthread is not greenthread.getcurrent():
            raise Collision(key)
        if key in self.values and not replace:
            raise Collision(key)
        self.values[key] = value
        event, self.event = self.event, Event()
        event.send()

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of ``key`` now, or ``default``; raises the key's PropagateError if it has one."""
        return _value_or_raise(self.values.get(key, default))

    def keys(self) -> tuple[Any, ...]:
        """The keys that have a value now (a snapshot)."""
        return tuple(self.values)

    def items(self) -> tuple[tuple[Any, Any], ...]:
        """The ``(key, value)`` pairs now (a snapshot); raises if one value is a PropagateError."""
        return tuple((key, _value_or_raise(value)) for key, value in self.values.items())

    # ------------------------------------------------------------------ introspection
    def running(self) -> int:
        """How many green threads of the pool are running (waiting on their inputs included)."""
        return len(self.coros)

    def running_keys(self) -> tuple[Any, ...]:
        """The keys of the green threads running (a snapshot)."""
        return tuple(self.coros)

    def waiting(self) -> int:
        """How many green threads of the pool still wait for a value (not counting outside waiters)."""
        return len(self.waiting_for())

    def waiting_for(self, key: Any = _MISSING) -> Any:
        """What is still awaited: a diagnosis of a pool that makes no progress.

        With ``key``: the set of keys its green thread still waits for (empty once it has all, or
        if it finished or a value was posted for it; ``KeyError`` if the pool never heard of it).
        Without: a dict from each green thread still waiting to that set.  Keys that got a value
        since the thread last ran count as received.
        """
        available = self.values.keys()
        if key is not _MISSING:
            coro = self.coros.get(key)
            if coro is None:
                self.values[key]  # KeyError for a key the pool never heard of
                return set()
            return coro.pending - available
        waiting = {}
        for coro_key, coro in self.coros.items():
            missing = coro.pending - available
            if missing:
                waiting[coro_key] = missing
        return waiting
