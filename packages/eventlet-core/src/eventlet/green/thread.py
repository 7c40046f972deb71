"""Green ``_thread``: the low-level thread API, where every "thread" is a green thread.

This is what ``monkey_patch(thread=True)`` puts into the standard library's ``_thread`` module, and
what ``threading`` then builds on.  It has to be exact, because ``threading``, ``queue``, ``logging``,
the import system and ``concurrent.futures`` all rely on ``_thread``'s contracts:

* **Identity.**  :func:`get_ident` of a green thread is ``id()`` of its greenlet; the root greenlet
  of an OS thread keeps the OS thread's real ident, so the main thread stays the main thread and
  ``threading``'s bookkeeping made before patching stays valid.
* **Locks** (:class:`LockType`, :class:`RLock`) block only the calling green thread.  A lock keeps its
  state in a real (OS) lock, so it is also safe between OS threads: a waiter in another OS thread is
  woken through its own hub's ``call_threadsafe``.  Waiters never receive stale wake-ups: a waiter
  is switched to only while it still waits, and a wake-up handed to a waiter that has gone (timeout,
  kill) is passed on to the next one.
* **Thread lifetime.**  ``start_new_thread`` spawns a green thread; the "sentinel" locks of
  Python 3.10-3.12 (``_set_sentinel``) and the ``_ThreadHandle`` objects of 3.13 are released or
  marked done when the green thread's function returns, which is what ``Thread.join`` waits for.
  ``threading.Thread.start()`` waits until the new thread runs, which the hub greenlet (a hub
  callback, a coroutine under the asyncio hub) cannot do: it is refused there with RuntimeError
  *before* anything starts, so no thread is left that ``start()`` reported as failed but that
  interpreter exit would wait for.
* **Thread-local data** (:class:`local`) is per green thread.

The real ``_thread`` functions this module needs are taken from :func:`eventlet.patcher.original_attr`,
so importing it after monkey patching still gets the OS-level ones.
"""

from __future__ import annotations

import _thread as _os_thread
import sys
import types
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import GreenletExit, getcurrent, greenlet

from eventlet import greenthread, hubs
from eventlet._patching.state import original_attr
from eventlet.green._thread_local import local
from eventlet.green._thread_locks import TIMEOUT_MAX as TIMEOUT_MAX
from eventlet.green._thread_locks import LockType, RLock, allocate_lock, get_ident
from eventlet.green._thread_locks import real_get_ident as _real_get_ident

# The locks (and get_ident) live in eventlet.green._thread_locks, thread-local data in
# eventlet.green._thread_local; this module adds the thread lifetime and is what users import.

__all__ = [
    "Lock",
    "LockType",
    "RLock",
    "allocate_lock",
    "error",
    "get_ident",
    "local",
    "start_new_thread",
]

_real_count: Callable[[], int] = original_attr("_thread", "_count")
_real_shutdown: Callable[[], None] | None = original_attr("_thread", "_shutdown", None)
_real_main_ident: Callable[[], int] = original_attr("_thread", "_get_main_thread_ident", _real_get_ident)

error: Any = original_attr("_thread", "error")
stack_size: Any = original_attr("_thread", "stack_size")
get_native_id: Any = original_attr("_thread", "get_native_id")
interrupt_main: Any = original_attr("_thread", "interrupt_main")


# ------------------------------------------------------------------------------------ thread lifetime
class _ThreadHandle:
    """The handle of a green thread (``_thread._ThreadHandle`` of Python 3.13): join it, ask if done."""

    __slots__ = ("__weakref__", "_done", "_ident", "_started")

    def __init__(self) -> None:
        self._ident = 0
        self._started = False
        self._done = LockType()
        self._done.acquire()

    @property
    def ident(self) -> int:
        """The thread's ident (0 until it starts)."""
        return self._ident

    def is_done(self) -> bool:
        """True once the thread has finished."""
        return not self._done.locked()

    def _set_done(self) -> None:
        if not self._started:
            raise RuntimeError("thread not started")
        if self._done.locked():
            self._done.release()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the thread has finished, for at most ``timeout`` seconds if given."""
        if not self._started:
            raise RuntimeError("thread not started")
        if self._ident == get_ident() and not self.is_done():
            raise RuntimeError("Cannot join current thread")
        if timeout is None or timeout < 0:
            timeout = -1
        if self._done.acquire(True, timeout):
            self._done.release()

    def __repr__(self) -> str:
        state = "done" if self.is_done() else ("running" if self._started else "not started")
        return f"<eventlet.green.thread._ThreadHandle {state} ident={self._ident}>"


class _Registry:
    """The green threads this module started: how many run, which ones the interpreter must join."""

    def __init__(self) -> None:
        self.running = 0
        self.non_daemon: set[_ThreadHandle] = set()
        self.sentinels: weakref.WeakKeyDictionary[greenlet, list[LockType]] = weakref.WeakKeyDictionary()
        #: green threads started by start_new_thread: threading gives them a _DummyThread.
        self.raw: weakref.WeakSet[greenlet] = weakref.WeakSet()
        #: ident -> the greenlet of every green thread started here and not yet gone.
        self.greenlets: weakref.WeakValueDictionary[int, greenlet] = weakref.WeakValueDictionary()
        #: the object whose method a green thread runs (a ``threading.Thread``) -> its greenlet.
        self.owners: weakref.WeakKeyDictionary[Any, greenlet] = weakref.WeakKeyDictionary()

    def started(self, glet: greenlet, function: Any) -> None:
        """Remember a new green thread: by ident, and by the ``Thread`` whose method it runs."""
        self.greenlets[id(glet)] = glet
        if type(function) is types.MethodType:
            try:
                self.owners[function.__self__] = glet
            except TypeError:  # not weakly referable, or not hashable: nobody needs to find it
                pass


_registry = _Registry()


def _report_unhandled(function: Callable[..., Any]) -> None:
    exc_type, exc_value, exc_tb = sys.exc_info()
    if sys.version_info >= (3, 13):  # the wording of the running CPython
        message, obj = f"Exception ignored in thread started by {function!r}", None
    else:
        message, obj = "Exception ignored in thread started by", function
    sys.unraisablehook(
        types.SimpleNamespace(
            exc_type=exc_type, exc_value=exc_value, exc_traceback=exc_tb, err_msg=message, object=obj
        )
    )


def _bootstrap(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    handle: _ThreadHandle | None,
) -> None:
    registry = _registry
    # Held here, not only in the weak registry: a green thread collected as garbage is killed
    # after the registry has forgotten it, and its sentinels must be released all the same.
    sentinels: list[LockType] = registry.sentinels.setdefault(getcurrent(), [])
    try:
        function(*args, **kwargs)
    except (SystemExit, GreenletExit):
        pass
    except BaseException:
        _report_unhandled(function)
    finally:
        registry.running -= 1
        registry.sentinels.pop(getcurrent(), None)
        for lock in sentinels:
            if lock.locked():
                lock.release()
        if handle is not None:
            handle._set_done()
            registry.non_daemon.discard(handle)


def _check_start_args(function: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    if not callable(function):
        raise TypeError("first arg must be callable")
    if not isinstance(args, tuple):
        raise TypeError("2nd arg must be a tuple")
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise TypeError("optional 3rd arg must be a dictionary")
    return kwargs


def _refuse_thread_start_in_hub() -> None:
    hub = hubs._hub_if_exists()
    if hub is not None and getcurrent() is hub.greenlet:
        raise RuntimeError(
            "threading.Thread.start() cannot be called from the hub: it waits until the thread runs"
        )


def start_new_thread(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None
) -> int:
    """Start ``function(*args, **kwargs)`` in a new green thread and return its ident."""
    kw = _check_start_args(function, args, kwargs)
    if type(function) is types.MethodType and function.__name__ == "_bootstrap":
        _refuse_thread_start_in_hub()  # threading.Thread.start(), which then waits
    _registry.running += 1
    glet = greenthread.spawn_n(_bootstrap, function, args, kw, None)
    _registry.raw.add(glet)
    _registry.started(glet, function)
    return id(glet)


def start_joinable_thread(
    function: Callable[..., Any], handle: _ThreadHandle | None = None, daemon: bool = True
) -> _ThreadHandle:
    """Start ``function()`` in a new green thread; return the handle that joins it (Python 3.13)."""
    _check_start_args(function, (), None)
    _refuse_thread_start_in_hub()  # only threading.Thread.start() calls this, and then waits
    if handle is None:
        handle = _ThreadHandle()
    elif handle._started:
        raise RuntimeError("thread already started")
    _registry.running += 1
    glet = greenthread.spawn_n(_bootstrap, function, (), {}, handle)
    _registry.started(glet, function)
    handle._ident = id(glet)
    handle._started = True
    if not daemon:
        _registry.non_daemon.add(handle)
    return handle


def _make_thread_handle(ident: int) -> _ThreadHandle:
    handle = _ThreadHandle()
    handle._ident = ident
    handle._started = True
    return handle


def _get_main_thread_ident() -> int:
    """The main thread's ident; in the main OS thread, the asking green thread's (Python 3.13).

    ``threading`` asks at import and in a child after ``fork``, where the forking green thread
    becomes the main thread, as the forking OS thread does.
    """
    ident = _real_main_ident()
    return get_ident() if ident == _real_get_ident() else ident


def _set_sentinel() -> LockType:
    """A lock released when the calling green thread finishes (Python 3.10-3.12's join mechanism)."""
    lock = LockType()
    current = getcurrent()
    if current.parent is not None:  # a root greenlet (an OS thread) never finishes here
        _registry.sentinels.setdefault(current, []).append(lock)
    return lock


def _count() -> int:
    """How many threads are running: the green ones started here, plus the program's OS threads.

    The name-resolver's worker OS threads (:mod:`eventlet._resolver`, started lazily by the first
    green ``getaddrinfo``/``connect("localhost", ...)``) are eventlet's own, like the hub: they are
    not counted, or code that compares ``_count()`` before and after some work (``test.support``'s
    ``wait_threads_exit``) would wait forever for daemon threads that never end.
    """
    from eventlet._resolver import resolver_pool  # late: no import cycle through threading

    return _registry.running + _real_count() - resolver_pool.workers


def _can_run(glet: greenlet | None) -> bool:
    """True if green thread ``glet`` may still run: alive, and on this OS thread's current hub."""
    if glet is None or glet.dead:
        return False
    hub = hubs._hub_if_exists()
    return hub is not None and glet.parent is hub.greenlet


def release_stranded(shutdown_locks: Any = ()) -> None:
    """Mark finished the green threads that can never run again, so that exit does not wait.

    A green thread parked on a hub that is gone (replaced, closed, or the one of a test) would
    otherwise hold interpreter exit forever.  ``shutdown_locks`` are the sentinel locks a
    ``threading`` module waits on at exit (3.10-3.12); 3.13's handles are in the registry.
    """
    live = {id(lock) for glet, locks in _registry.sentinels.items() if _can_run(glet) for lock in locks}
    for lock in list(shutdown_locks):
        if id(lock) not in live and lock.locked():
            lock.release()
    for handle in list(_registry.non_daemon):
        if not _can_run(_registry.greenlets.get(handle._ident)):
            handle._set_done()
            _registry.non_daemon.discard(handle)


def _shutdown() -> None:
    """Wait for every non-daemon thread (green ones first) before the interpreter exits (3.13)."""
    release_stranded()
    while _registry.non_daemon:
        _registry.non_daemon.pop().join()
    if _real_shutdown is not None:
        _real_shutdown()


def exit() -> None:
    """Raise SystemExit, which ends the calling thread silently."""
    raise SystemExit


def started_by_start_new_thread(glet: greenlet) -> bool:
    """True if ``glet`` is a green thread that :func:`start_new_thread` started."""
    return glet in _registry.raw


def greenlet_of(ident: int | None, thread: Any = None) -> greenlet | None:
    """The live greenlet of a green thread started here: by ``thread`` object (a ``Thread``
    whose method it runs, found even before it runs) or else by ``ident``; None if there is none.
    """
    glet = None
    if thread is not None:
        try:
            glet = _registry.owners.get(thread)
        except TypeError:  # not weakly referable, or not hashable
            pass
    if glet is None and ident is not None:
        glet = _registry.greenlets.get(ident)
    return None if glet is None or glet.dead else glet


# They stand for the ``_thread`` functions (``threading``'s ``__all__`` check, pickling by name).
for _function in (get_ident, allocate_lock, start_new_thread, start_joinable_thread, exit):
    _function.__module__ = "_thread"
del _function

# Shown as this module's: it is the one users import (and what monkey_patch puts into _thread).
for _cls in (LockType, RLock, local):
    _cls.__module__ = __name__
del _cls

# Built-in functions do not bind as methods (``locktype = _thread.allocate_lock`` in a class body
# stays a plain callable); staticmethod objects, callable since Python 3.10, behave the same.
if not TYPE_CHECKING:  # the functions above, as type checkers see them
    get_ident = staticmethod(get_ident)
    allocate_lock = staticmethod(allocate_lock)
    start_new_thread = staticmethod(start_new_thread)
start_joinable_thread = staticmethod(start_joinable_thread)
_make_thread_handle = staticmethod(_make_thread_handle)
_get_main_thread_ident = staticmethod(_get_main_thread_ident)
_set_sentinel = staticmethod(_set_sentinel)
_count = staticmethod(_count)
_shutdown = staticmethod(_shutdown)
exit = staticmethod(exit)

allocate = allocate_lock
start_new = start_new_thread
exit_thread = exit
lock = LockType
#: Upstream eventlet's name for the lock class (``thread.Lock()`` makes a new lock).
Lock = LockType

_local = local


def __getattr__(name: str) -> Any:
    """Everything else (``daemon_threads_allowed``, ``_excepthook``...) is the real ``_thread``'s."""
    if not name.startswith("__") and name not in __patched__ and hasattr(_os_thread, name):
        return getattr(_os_thread, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: What monkey_patch(thread=True) puts into the standard library's ``_thread`` (those it has).
__patched__: list[str] = [
    name
    for name in (
        "LockType",
        "RLock",
        "_ThreadHandle",
        "_count",
        "_get_main_thread_ident",
        "_local",
        "_make_thread_handle",
        "_set_sentinel",
        "_shutdown",
        "allocate",
        "allocate_lock",
        "get_ident",
        "lock",
        "start_joinable_thread",
        "start_new",
        "start_new_thread",
    )
    if original_attr("_thread", name, None) is not None
]
