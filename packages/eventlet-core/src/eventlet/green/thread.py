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
* **Thread-local data** (:class:`local`) is per green thread.

The real ``_thread`` functions this module needs are taken from :func:`eventlet.patcher.original_attr`,
so importing it after monkey patching still gets the OS-level ones.
"""

from __future__ import annotations

import _thread as _os_thread
import sys
import types
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from greenlet import GreenletExit, getcurrent, greenlet

from eventlet import greenthread, hubs
from eventlet.patcher import original_attr

__all__ = [
    "LockType",
    "RLock",
    "allocate_lock",
    "error",
    "get_ident",
    "local",
    "start_new_thread",
]

_real_allocate_lock: Callable[[], Any] = original_attr("_thread", "allocate_lock")
_real_get_ident: Callable[[], int] = original_attr("_thread", "get_ident")
_real_count: Callable[[], int] = original_attr("_thread", "_count")
_real_rlock: Callable[[], Any] = original_attr("_thread", "RLock")
_real_shutdown: Callable[[], None] | None = original_attr("_thread", "_shutdown", None)
_real_main_ident: Callable[[], int] = original_attr("_thread", "_get_main_thread_ident", _real_get_ident)

error = original_attr("_thread", "error")
TIMEOUT_MAX: float = original_attr("_thread", "TIMEOUT_MAX")
stack_size = original_attr("_thread", "stack_size")
get_native_id = original_attr("_thread", "get_native_id")
interrupt_main = original_attr("_thread", "interrupt_main")


def get_ident(gr: greenlet | None = None) -> int:
    """The current green thread's identity (``gr``'s, if given): an int never shared by two live ones.

    The root greenlet of an OS thread keeps the OS thread's ident.  So does any caller once
    greenlet is shutting down with the interpreter (``getcurrent()`` then raises RuntimeError, e.g.
    in logging's weakref callbacks at exit): no greenlet can switch any more, so the OS thread is
    the only identity left, and a lock taken there must still work.
    """
    if gr is None:
        try:
            current = getcurrent()
        except RuntimeError:  # "greenlet is being finalized": interpreter shutdown
            return _real_get_ident()
    else:
        current = gr
    if current.parent is None:
        return _real_get_ident()
    return id(current)


# ---------------------------------------------------------------------------------------------- locks
class _Waiter:
    __slots__ = ("active", "greenlet", "hub", "queued", "timed_out")

    def __init__(self, glet: greenlet, hub: hubs.BaseHub) -> None:
        self.greenlet = glet
        self.hub = hub
        self.active = True
        self.queued = False
        self.timed_out = False


def _expire(waiter: _Waiter) -> None:
    if waiter.active:  # pragma: no branch - the waiter cancels its timer when it stops waiting
        waiter.timed_out = True
        waiter.greenlet.switch()


class LockType:
    """A non-reentrant lock that blocks only the calling green thread (``_thread.LockType``)."""

    __slots__ = ("__weakref__", "_inner", "_waiters")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("type 'lock' is not an acceptable base type")  # as with _thread.lock

    def __init__(self) -> None:
        self._inner = _real_allocate_lock()
        self._waiters: deque[_Waiter] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock; wait for it unless ``blocking`` is false, for at most ``timeout`` seconds.

        Returns True if the lock was taken.
        """
        if not blocking:
            if timeout != -1:
                raise ValueError("can't specify a timeout for a non-blocking call")
            return bool(self._inner.acquire(False))
        if timeout != -1:
            if timeout < 0:
                raise ValueError("timeout value must be a non-negative number")
            if timeout > TIMEOUT_MAX:
                raise OverflowError("timeout value is too large")
        if self._inner.acquire(False):
            return True
        if timeout == 0:
            return False
        return self._wait(timeout)

    def _wait(self, timeout: float) -> bool:
        hub = hubs.get_hub()
        current = getcurrent()
        if current is hub.greenlet:
            raise RuntimeError("A lock held by a green thread cannot be waited for in the hub")
        waiter = _Waiter(current, hub)
        timer = hub.schedule_call_global(timeout, _expire, waiter) if timeout > 0 else None
        try:
            while True:
                if not waiter.queued:
                    waiter.queued = True
                    self._waiters.append(waiter)
                if self._inner.acquire(False):
                    return True
                hub.switch()
                if waiter.timed_out:
                    return self._inner.acquire(False)
        finally:
            waiter.active = False
            if timer is not None:
                timer.cancel()
            if waiter.queued:
                try:
                    self._waiters.remove(waiter)
                except ValueError:  # pragma: no cover - popped by another OS thread meanwhile
                    pass

    def _notify(self) -> None:
        """Hand a wake-up to the first waiter still waiting."""
        waiters = self._waiters
        while waiters:  # pragma: no branch - returns once a waiter is woken
            try:
                waiter = waiters.popleft()
            except IndexError:  # pragma: no cover - emptied by another OS thread meanwhile
                return
            waiter.queued = False
            if not waiter.active:  # pragma: no cover - it removes itself when it stops waiting
                continue
            if waiter.hub is hubs._hub_if_exists():
                waiter.hub.call_soon(self._resume, waiter)
            else:
                waiter.hub.call_threadsafe(self._resume, waiter)
            return

    def _resume(self, waiter: _Waiter) -> None:
        if waiter.active:
            waiter.greenlet.switch()
        elif not self._inner.locked():
            self._notify()  # it stopped waiting before it could use the wake-up: pass it on

    def release(self) -> None:
        """Release the lock (from any green thread); RuntimeError if it is not locked."""
        try:
            self._inner.release()
        except RuntimeError:
            raise RuntimeError("release unlocked lock") from None
        if self._waiters:
            self._notify()

    def locked(self) -> bool:
        """True if the lock is held."""
        return bool(self._inner.locked())

    def _at_fork_reinit(self) -> None:
        self._inner = _real_allocate_lock()
        self._waiters.clear()

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._inner.locked() else "unlocked"
        return f"<{state} {type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"


def allocate_lock() -> LockType:
    """A new green :class:`LockType` (``_thread.allocate_lock``)."""
    return LockType()


class RLock:
    """A reentrant lock owned by a green thread (``_thread.RLock``)."""

    __slots__ = ("__weakref__", "_block", "_count", "_owner")

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:  # the C RLock ignores arguments too
        self._block = LockType()
        self._owner: int | None = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock, or count one more level if the calling green thread holds it."""
        me = get_ident()
        if self._owner == me:
            self._count += 1
            return True
        if not self._block.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self) -> None:
        """Undo one :meth:`acquire`; RuntimeError if the calling green thread does not hold it."""
        if self._owner != get_ident() or not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._block.release()

    def locked(self) -> bool:
        """True if some green thread holds the lock."""
        return self._block.locked()

    def _is_owned(self) -> bool:
        return self._owner == get_ident()

    def _recursion_count(self) -> int:
        return self._count if self._owner == get_ident() else 0

    def _release_save(self) -> tuple[int, int | None]:
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._count = 0
        self._owner = None
        self._block.release()
        return state

    def _acquire_restore(self, state: tuple[int, int | None]) -> None:
        self._block.acquire()
        self._count, self._owner = state

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        self._owner = None
        self._count = 0

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "locked" if self._block.locked() else "unlocked"
        name = f"{type(self).__module__}.{type(self).__qualname__}"
        return f"<{state} {name} object owner={self._owner or 0} count={self._count} at {id(self):#x}>"


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
    try:
        function(*args, **kwargs)
    except (SystemExit, GreenletExit):
        pass
    except BaseException:
        _report_unhandled(function)
    finally:
        registry.running -= 1
        for lock in registry.sentinels.pop(getcurrent(), ()):
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


def start_new_thread(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None
) -> int:
    """Start ``function(*args, **kwargs)`` in a new green thread and return its ident."""
    kw = _check_start_args(function, args, kwargs)
    _registry.running += 1
    glet = greenthread.spawn_n(_bootstrap, function, args, kw, None)
    _registry.raw.add(glet)
    return id(glet)


def start_joinable_thread(
    function: Callable[..., Any], handle: _ThreadHandle | None = None, daemon: bool = True
) -> _ThreadHandle:
    """Start ``function()`` in a new green thread; return the handle that joins it (Python 3.13)."""
    _check_start_args(function, (), None)
    if handle is None:
        handle = _ThreadHandle()
    elif handle._started:
        raise RuntimeError("thread already started")
    _registry.running += 1
    glet = greenthread.spawn_n(_bootstrap, function, (), {}, handle)
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


def _shutdown() -> None:
    """Wait for every non-daemon thread (green ones first) before the interpreter exits (3.13)."""
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


# They stand for the ``_thread`` functions (``threading``'s ``__all__`` check, pickling by name).
for _function in (get_ident, allocate_lock, start_new_thread, start_joinable_thread, exit):
    _function.__module__ = "_thread"
del _function

# Built-in functions do not bind as methods (``locktype = _thread.allocate_lock`` in a class body
# stays a plain callable); staticmethod objects, callable since Python 3.10, behave the same.
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


# ---------------------------------------------------------------------------------- thread-local data
class _LocalState:
    __slots__ = ("args", "dicts", "guard", "kwargs")

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs
        self.dicts: weakref.WeakKeyDictionary[greenlet, dict[str, Any]] = weakref.WeakKeyDictionary()
        self.guard = _real_rlock()  # swapping __dict__ must be atomic between OS threads too


def _enter(self: local) -> _LocalState:
    """Make ``self.__dict__`` the calling green thread's; the caller holds ``state.guard``."""
    state: _LocalState = object.__getattribute__(self, "_local__state")
    state.guard.acquire()
    current = getcurrent()
    try:
        mine = state.dicts.get(current)
        if mine is None:
            mine = state.dicts[current] = {}
            object.__setattr__(self, "__dict__", mine)
            cls = type(self)
            if cls.__init__ is not object.__init__:
                cls.__init__(self, *state.args, **state.kwargs)
                # __init__ may have blocked, and another green thread swapped in its own dict.
                object.__setattr__(self, "__dict__", mine)
        else:
            object.__setattr__(self, "__dict__", mine)
    except BaseException:
        state.guard.release()
        raise
    return state


class local:
    """Attributes that each green thread sees separately (``threading.local`` under patching).

    A subclass's ``__init__`` runs again, with the constructor's arguments, the first time each
    green thread touches the object.
    """

    __slots__ = ("__dict__", "__weakref__", "_local__state")

    def __new__(cls, *args: Any, **kwargs: Any) -> local:
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        state = _LocalState(args, kwargs)
        object.__setattr__(self, "_local__state", state)
        state.dicts[getcurrent()] = object.__getattribute__(self, "__dict__")
        return self

    def __getattribute__(self, name: str) -> Any:
        state = _enter(self)
        try:
            return object.__getattribute__(self, name)
        finally:
            state.guard.release()

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        state = _enter(self)
        try:
            object.__setattr__(self, name, value)
        finally:
            state.guard.release()

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        state = _enter(self)
        try:
            object.__delattr__(self, name)
        finally:
            state.guard.release()


_local = local


def __getattr__(name: str) -> Any:
    """Everything else (``daemon_threads_allowed``, ``_excepthook``...) is the real ``_thread``'s."""
    if not name.startswith("__") and name not in __patched__ and hasattr(_os_thread, name):
        return getattr(_os_thread, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: What monkey_patch(thread=True) puts into the standard library's ``_thread`` (those it has).
__patched__ = [
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
