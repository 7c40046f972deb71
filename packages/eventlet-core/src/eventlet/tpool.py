"""Run blocking calls in a pool of real OS threads, and get their results in green threads.

Some calls cannot be made cooperative: a C library that blocks, a file read on a slow disk, a DNS
lookup through the system resolver.  :func:`execute` hands such a call to one of a pool of OS
threads and suspends only the calling green thread; the other green threads keep running.

How a call travels.  The caller puts a small record on a C ``SimpleQueue`` (the workers block on
it in C, releasing the GIL) and switches to its hub.  The worker runs the function, stores the
result or the exception in the record, and asks the caller's hub to resume the caller with
``hub.call_threadsafe``, which writes to the hub's wake-up fd: no polling anywhere.  A caller that
gives up (a ``Timeout``, a kill) marks the record abandoned; the late result is dropped (an
exception is logged) and nobody is woken by mistake.

The workers are real OS threads even under ``monkey_patch()``: daemon ``threading.Thread`` objects
of the unpatched ``threading`` module (named ``tpool_thread_N``, as upstream's, which is what
``threading.current_thread()`` gives in them), started by :func:`start_real_thread` on the first
call, never at import.  Other code that needs a real thread, or a pool of its own, uses
:func:`start_real_thread` and :class:`ThreadPool` too (eventlet-processes does).  A call made from a
worker thread runs directly (a nested ``execute`` would otherwise wait for itself).  The pool has
``EVENTLET_THREADPOOL_SIZE`` threads (default 20), or what :func:`set_num_threads` says; with 0,
calls run in the calling thread, as upstream (a ``RuntimeWarning`` says so once).
"""

from __future__ import annotations

import _queue
import logging
import os
import sys
import threading
import traceback
import types
import warnings
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from greenlet import getcurrent, greenlet

from eventlet import hubs
from eventlet._patching.state import original

__all__ = [
    "Proxy",
    "ThreadPool",
    "execute",
    "get_num_threads",
    "killall",
    "set_num_threads",
    "setup",
    "start_real_thread",
]

logger: logging.Logger = logging.getLogger("eventlet.tpool")

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_SIZE = 20

#: False prints the exception of a failed call (in the caller, before re-raising it): upstream's
#: switch, set by ``eventlet.debug.tpool_exceptions``.
QUIET = True

_PENDING, _DONE, _ABANDONED = 0, 1, 2


class _Call:
    """One call in flight: what to run, who waits, and how it ended."""

    __slots__ = ("args", "error", "func", "greenlet", "hub", "kwargs", "result", "state")

    def __init__(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], glet: greenlet
    ) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.greenlet = glet
        self.hub = hubs.get_hub()
        self.state = _PENDING
        self.result: Any = None
        self.error: BaseException | None = None


def _deliver(call: _Call) -> None:
    """In the caller's hub: resume the caller, unless it stopped waiting."""
    if call.state == _PENDING:
        call.state = _DONE
        call.greenlet.switch()
    elif call.error is not None:
        logger.warning(
            "tpool call %r raised after its caller stopped waiting",
            call.func,
            exc_info=(type(call.error), call.error, call.error.__traceback__),
        )


def start_real_thread(function: Callable[..., Any], *args: Any, name: str | None = None) -> int:
    """Run ``function(*args)`` in a new OS thread, even under ``monkey_patch()``; return its ident.

    The thread is a daemon ``threading.Thread`` of the unpatched ``threading`` module (the one
    eventlet's own modules get, also after ``monkey_patch()``), called ``name`` if given: what
    ``threading.current_thread()`` returns in it.  It runs under the ``threading.settrace`` and
    ``threading.setprofile`` hooks that programs set, those of the ``threading`` module in
    ``sys.modules`` (the patched one after ``monkey_patch()``), read as the thread starts, as a
    ``threading.Thread`` reads its own module's: debuggers, profilers and coverage see it.
    ``function`` should handle its own exceptions (one that escapes goes to
    ``threading.excepthook``).  The pool's workers are started with it, and so are
    eventlet-processes' helper threads.
    """
    thread = threading.Thread(target=_thread_main, args=(function, args), name=name, daemon=True)
    thread.start()
    ident = thread.ident
    assert ident is not None  # start() returns once the thread runs
    return ident


def _thread_main(  # pragma: no cover - runs before the thread can be traced
    function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    programs = sys.modules.get("threading")  # not imported: no hook can have been set
    trace = getattr(programs, "_trace_hook", None)
    profile = getattr(programs, "_profile_hook", None)
    if trace is not None:
        sys.settrace(trace)
    if profile is not None:
        sys.setprofile(profile)
    function(*args)  # a new frame: traced by the hooks just installed


class PoolSizeError(ValueError, AssertionError):
    """A negative number of threads.  Also an ``AssertionError``: what upstream eventlet raises."""


def _pool_size_from_env() -> int:
    raw = os.environ.get("EVENTLET_THREADPOOL_SIZE", "").strip()
    if not raw:
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(f"EVENTLET_THREADPOOL_SIZE must be an integer, not {raw!r}") from None
    if size < 0:
        raise PoolSizeError(f"EVENTLET_THREADPOOL_SIZE cannot be negative ({raw!r})")
    return size


def _finished() -> None:  # pragma: no cover - never called: it stands in for a finished call's function
    """What a finished call's ``func`` becomes, so that the record keeps nothing of the caller's."""


def _print_failed_call(error: BaseException) -> None:
    """``tpool_exceptions(True)``: show the call's exception and where it was made, on stderr."""
    stream = sys.stderr
    if stream is not None:
        stream.write("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        stream.write("".join(traceback.format_stack()[:-2]))
        stream.flush()


class ThreadPool:
    """A pool of OS threads fed from one queue.  The module functions use a default instance."""

    def __init__(self, size: int | None = None) -> None:
        threads = original("_thread")
        self._get_ident: Callable[[], int] = threads.get_ident
        self._lock = threads.allocate_lock()
        self._size = size
        self._requests: _queue.SimpleQueue[_Call | None] = _queue.SimpleQueue()
        self._exits: _queue.SimpleQueue[int] = _queue.SimpleQueue()
        self._hellos: _queue.SimpleQueue[int] = _queue.SimpleQueue()
        self._workers: set[int] = set()
        self._fork_hook = False
        self._warned_zero = False

    @property
    def size(self) -> int:
        """How many worker threads the pool runs (once started).  0: calls run in the caller."""
        if self._size is None:
            self._size = _pool_size_from_env()
        return self._size

    @property
    def running(self) -> int:
        """How many worker threads are alive."""
        return len(self._workers)

    def setup(self) -> None:
        """Start worker threads until there are :attr:`size` of them."""
        with self._lock:
            if not self._fork_hook:
                os.register_at_fork(after_in_child=self._after_fork)
                self._fork_hook = True
            if self.size == 0 and not self._warned_zero:
                self._warned_zero = True
                warnings.warn(
                    "Zero threads in tpool: every tpool.execute() call runs in the calling thread "
                    "and blocks it.  Check the value of the environment variable "
                    "EVENTLET_THREADPOOL_SIZE (or tpool.set_num_threads()).",
                    RuntimeWarning,
                    stacklevel=4,
                )
            while len(self._workers) < self.size:
                start_real_thread(
                    self._serve,
                    self._requests,
                    self._hellos,
                    self._exits,
                    name=f"tpool_thread_{len(self._workers)}",
                )
                self._workers.add(self._hellos.get())  # the new worker's ident

    def _serve(
        self,
        requests: _queue.SimpleQueue[_Call | None],
        hellos: _queue.SimpleQueue[int],
        exits: _queue.SimpleQueue[int],
    ) -> None:
        me = self._get_ident()
        hellos.put(me)
        while True:
            call = requests.get()
            if call is None:
                break
            if call.state != _PENDING:
                continue  # abandoned before it started
            try:
                call.result = call.func(*call.args, **call.kwargs)
            except BaseException as exc:  # handed to the caller, who re-raises it
                call.error = exc
            # Keep no reference to what the call used once it is done: the caller may expect the
            # objects to go away (this thread keeps its last record until the next request).
            call.func, call.args, call.kwargs = _finished, (), {}
            call.hub.call_threadsafe(_deliver, call)
            call = None
        exits.put(me)

    def execute(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func(*args, **kwargs)`` in a worker thread; return its result or raise its error."""
        if self._get_ident() in self._workers:
            return func(*args, **kwargs)
        current = getcurrent()
        if current is hubs.get_hub().greenlet:
            raise RuntimeError("tpool.execute() cannot be called from the hub")
        size = self.size
        if len(self._workers) < size:
            self.setup()
        elif size == 0:
            self.setup()  # warns, once
            return func(*args, **kwargs)
        call = _Call(func, args, kwargs, current)
        self._requests.put(call)
        try:
            while call.state == _PENDING:
                call.hub.switch()
        except BaseException:
            if call.state == _PENDING:
                call.state = _ABANDONED
            raise
        error = call.error
        if error is not None:
            call.error = None
            if not QUIET:
                _print_failed_call(error)
            raise error
        result: T = call.result
        return result

    def set_size(self, size: int) -> None:
        """Change the number of workers; a running pool grows or shrinks at once.

        0 stops the workers: calls then run in the calling thread (and block it).
        """
        if size < 0:
            raise PoolSizeError(f"the thread pool cannot have a negative number of threads ({size!r})")
        with self._lock:
            self._size = size
            surplus = len(self._workers) - size
        if surplus > 0:
            for _ in range(surplus):
                self._requests.put(None)
            for _ in range(surplus):
                self._workers.discard(self._exits.get())
        elif self._workers:
            self.setup()

    def killall(self) -> None:
        """Stop every worker once the calls queued so far are done; blocks until they exit."""
        with self._lock:
            self._warned_zero = False
            count = len(self._workers)
            for _ in range(count):
                self._requests.put(None)
            for _ in range(count):
                self._workers.discard(self._exits.get())

    def _after_fork(self) -> None:
        # Only the forking thread survives in the child: the workers are gone.
        self._workers.clear()
        self._requests = _queue.SimpleQueue()
        self._exits = _queue.SimpleQueue()
        self._hellos = _queue.SimpleQueue()
        self._lock = original("_thread").allocate_lock()


_pool = ThreadPool()


def execute(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args, **kwargs)`` in an OS thread of the pool; suspend only this green thread.

    Returns the result, or raises the exception, of the call.
    """
    return _pool.execute(func, *args, **kwargs)


def setup() -> None:
    """Start the pool's threads now rather than on the first :func:`execute`."""
    _pool.setup()


def set_num_threads(nthreads: int) -> None:
    """Use ``nthreads`` worker threads (the default is ``EVENTLET_THREADPOOL_SIZE``, else 20).

    0 runs every call in the calling thread (with a ``RuntimeWarning`` at the first one).
    """
    _pool.set_size(nthreads)


def get_num_threads() -> int:
    """The number of worker threads the pool runs (or will run, once used)."""
    return _pool.size


def killall() -> None:
    """Stop the worker threads (after the calls already queued); the next call starts new ones."""
    _pool.killall()


def _proxy_call(autowrap: tuple[type, ...], func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    if kwargs.pop("nonblocking", False):
        result = func(*args, **kwargs)
    else:
        result = execute(func, *args, **kwargs)
    if autowrap and isinstance(result, autowrap):
        return Proxy(result, autowrap)
    return result


class Proxy:
    """Wrap ``obj`` so that its method calls run in the thread pool.

    Calling a method (or the object itself, indexing, iterating, ``with``) goes through
    :func:`execute`; pass ``nonblocking=True`` to a call to run it directly instead.  Results that
    are instances of a type in ``autowrap``, or come from a method named in ``autowrap_names``, are
    wrapped in a Proxy too; so are plain attributes of such a type or name.  Plain attributes,
    comparisons, ``len``, ``str`` and ``repr`` are read directly.
    """

    __slots__ = ("_autowrap", "_autowrap_names", "_obj")

    def __init__(self, obj: Any, autowrap: Iterable[type] = (), autowrap_names: Iterable[str] = ()) -> None:
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_autowrap", tuple(autowrap))
        object.__setattr__(self, "_autowrap_names", frozenset(autowrap_names))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._obj, name)
        autowrap = self._autowrap
        wrap_result = name in self._autowrap_names
        if not callable(attr):
            if wrap_result or (autowrap and isinstance(attr, autowrap)):
                return Proxy(attr, autowrap)
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = _proxy_call(autowrap, attr, *args, **kwargs)
            if wrap_result and not isinstance(result, Proxy):
                return Proxy(result)
            return result

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._obj, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._obj, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = _proxy_call(self._autowrap, self._obj, *args, **kwargs)
        if "__call__" in self._autowrap_names and not isinstance(result, Proxy):
            return Proxy(result)
        return result

    def __getitem__(self, key: Any) -> Any:
        return _proxy_call(self._autowrap, self._obj.__getitem__, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _proxy_call(self._autowrap, self._obj.__setitem__, key, value)

    def __delitem__(self, key: Any) -> None:
        _proxy_call(self._autowrap, self._obj.__delitem__, key)

    def __iter__(self) -> Any:
        iterator = iter(self._obj)
        return self if iterator is self._obj else Proxy(iterator, self._autowrap)

    def __next__(self) -> Any:
        return _proxy_call(self._autowrap, next, self._obj)

    def __copy__(self) -> Any:
        return _proxy_call(self._autowrap, self._obj.__copy__)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        return _proxy_call(self._autowrap, self._obj.__deepcopy__, memo)

    def __enter__(self) -> Any:
        return _proxy_call(self._autowrap, self._obj.__enter__)

    def __exit__(self, *exc: Any) -> Any:
        return _proxy_call(self._autowrap, self._obj.__exit__, *exc)

    def __len__(self) -> int:
        return len(self._obj)

    def __contains__(self, item: Any) -> bool:
        return item in self._obj

    def __bool__(self) -> bool:
        return bool(self._obj)

    def __eq__(self, other: object) -> bool:
        return bool(self._obj == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._obj != other)

    def __lt__(self, other: Any) -> bool:
        return bool(self._obj < other)

    def __le__(self, other: Any) -> bool:
        return bool(self._obj <= other)

    def __gt__(self, other: Any) -> bool:
        return bool(self._obj > other)

    def __ge__(self, other: Any) -> bool:
        return bool(self._obj >= other)

    def __hash__(self) -> int:
        return hash(self._obj)

    def __str__(self) -> str:
        return str(self._obj)

    def __repr__(self) -> str:
        return repr(self._obj)


class _TpoolModule(types.ModuleType):
    """This module's class: upstream's module-level state, as properties over the pool.

    ``tpool._nthreads`` (read and written by programs and test suites written for upstream) is
    the pool's size; ``tpool._threads`` lists the idents of the worker threads running.
    """

    @property
    def _nthreads(self) -> int:
        return _pool.size

    @_nthreads.setter
    def _nthreads(self, value: int) -> None:
        _pool.set_size(value)

    @property
    def _threads(self) -> list[int]:
        return sorted(_pool._workers)


sys.modules[__name__].__class__ = _TpoolModule
