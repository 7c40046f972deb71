"""Green ``threading``: the standard module's code, run on green threads.

Importing this module patches nothing.  It is a private copy of the standard ``threading``
(made by :func:`eventlet.patcher.inject`) whose ``_thread`` is :mod:`eventlet.green.thread`, so
its ``Thread`` starts green threads and its locks, conditions, events and semaphores block only the
calling green thread.  Its non-daemon threads are joined when the interpreter exits, like real ones.

Under ``monkey_patch(thread=True)`` the standard ``threading`` itself is kept (its ``Thread`` class,
its registry of threads) and only what it took from ``_thread`` is swapped; this module then
supplies :func:`current_thread` (and ``currentThread``, without the deprecation warning, as
upstream eventlet's), makes ``threading._PyRLock`` the green ``RLock`` (the type that the locks
greened at patching time have), and from then on registers the threads it starts in the standard
module's registries, so that both list the same threads.

:func:`current_thread` answers for green threads that ``threading`` did not start too: a green
thread of ``eventlet.spawn`` gets a ``_GreenThread`` view (named ``GreenThread-N``, alive as long as
the green thread, ``join()`` waits for it; upstream eventlet's wrapper, with its ``getName``,
``isAlive``, ``isDaemon``... names), a bare greenlet (``spawn_n``) the ``Thread`` of its OS thread,
and one started with ``_thread.start_new_thread`` a ``_DummyThread``, as in CPython.  An OS thread
that ``threading`` does not know since patching (started with the unpatched module, or the thread
pool's) is answered by the unpatched module.

Green threads survive ``fork()`` (the forking OS thread's green threads go on running in the child),
and they stay registered there (see :mod:`eventlet.green._threading_fork`).
"""

from __future__ import annotations

import atexit
import itertools
import threading as _os_threading
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from eventlet._patching import state as patcher_state
from eventlet.green import thread as _green_thread
from eventlet.green._thread_locks import real_get_ident as _real_get_ident
from eventlet.green._threading_fork import ForkKeeper

if TYPE_CHECKING:  # pragma: no cover
    from threading import *  # noqa: F403


def _make_view_class(base: type) -> type:
    """The ``_GreenThread`` class of a threading module whose ``Thread`` is ``base``."""

    class _GreenThread(base):  # type: ignore[misc]  # the Thread class of the module given
        """The ``threading`` view of a green thread that ``threading`` did not start."""

        def __init__(self, glet: Any, name: str) -> None:
            super().__init__(name=name, daemon=True)
            self._started.set()
            self._ident = id(glet)
            if hasattr(self, "_set_native_id"):
                self._set_native_id()
            self._greenlet_ref = weakref.ref(glet)

        @property
        def _g(self) -> Any:
            """The green thread (upstream eventlet's attribute)."""
            return self._greenlet_ref()

        def is_alive(self) -> bool:
            """True until the green thread has finished."""
            glet = self._greenlet_ref()
            return glet is not None and not glet.dead

        isAlive = is_alive

        def join(self, timeout: float | None = None) -> Any:
            """Wait for the green thread (at most ``timeout`` seconds); its result, as upstream's."""
            glet = self._greenlet_ref()
            if glet is None or glet.dead:
                return None if glet is None else glet.wait()
            if glet is getcurrent():
                raise RuntimeError("cannot join current thread")
            if timeout is None:
                return glet.wait()
            from eventlet.timeout import Timeout

            with Timeout(timeout, False):
                return glet.wait()
            return None

        # Upstream eventlet's wrapper has these without CPython's deprecation warnings.
        def getName(self) -> str:
            """The thread's name."""
            return str(self.name)

        def setName(self, name: str) -> None:
            """Rename the thread."""
            self.name = str(name)

        get_name = getName
        set_name = setName

        def isDaemon(self) -> bool:
            """Always True: nothing waits for these at exit."""
            return bool(self.daemon)

        is_daemon = isDaemon

        def __repr__(self) -> str:
            return f"<_GreenThread({self.name}, {self._greenlet_ref()!r})>"

    return _GreenThread


def _make_current_thread(module: ModuleType) -> Callable[[], Any]:
    """A ``current_thread()`` for threading module ``module`` that knows green threads."""
    view_class = _make_view_class(module.Thread)
    counter = itertools.count(1)
    views: weakref.WeakKeyDictionary[greenlet, Any] = weakref.WeakKeyDictionary()

    def current_thread() -> Any:
        """The ``Thread`` object of the calling thread, green or not."""
        try:
            return module._active[_green_thread.get_ident()]
        except KeyError:
            pass
        glet = getcurrent()
        if glet.parent is None:
            # An OS thread this module did not start: the unpatched module's (it knows its own).
            return _os_threading.current_thread()
        if _green_thread.started_by_start_new_thread(glet):
            return module._DummyThread()  # as CPython does for threads threading did not start
        if hasattr(glet, "link"):  # a GreenThread: it can be waited for
            view = views.get(glet)
            if view is None:
                view = views[glet] = view_class(glet, f"GreenThread-{next(counter)}")
            return view
        # A bare greenlet (spawn_n) runs for its OS thread: that thread's Thread.
        thread = module._active.get(_real_get_ident())
        return thread if thread is not None else _os_threading.current_thread()

    current_thread.__module__ = module.__name__  # it stands for the module's own function
    return current_thread


#: Registries shared between the copy and the patched standard module (those a version has).
_SHARED = (
    "_active",
    "_active_limbo_lock",
    "_counter",
    "_dangling",
    "_limbo",
    "_main_thread",
    "_shutdown_locks",
    "_shutdown_locks_lock",
    "_threading_atexits",
)
_patched_module: list[ModuleType] = []  # the standard module, once patched


def _share_registries() -> None:
    """Point the copy (and this module's names) at the patched standard module's registries."""
    standard = vars(_patched_module[0])
    mine = vars(_copy)
    here = globals()
    for name in _SHARED:
        if name in standard and name in mine:
            mine[name] = here[name] = standard[name]


def _adopt_copy_threads(module: ModuleType) -> None:
    """Register the copy's living threads in ``module`` and make the registries shared."""
    mine = vars(_copy)
    main = mine["_main_thread"]  # the copy's stand-in for the main thread: the module has its own
    threads = [t for t in (*mine["_active"].values(), *mine["_limbo"].values()) if t is not main]
    for ident, thread in list(mine["_active"].items()):
        if thread is not main:
            module._active.setdefault(ident, thread)
    module._limbo.update(mine["_limbo"])
    joined_at_exit = mine.get("_shutdown_locks", ())  # Python 3.10-3.12
    for thread in threads:
        module._dangling.add(thread)
        lock = getattr(thread, "_tstate_lock", None)
        if lock is not None and lock in joined_at_exit:
            module._shutdown_locks.add(lock)
    _patched_module.append(module)
    _copy_keeper.enabled = False
    _share_registries()
    ForkKeeper(vars(module), after=_share_registries)


def __patch_module__(module: ModuleType) -> dict[str, Any]:
    """monkey_patch's hook: what to set in the standard ``threading`` (``_thread`` is done already)."""
    current_thread = _make_current_thread(module)
    replacements: dict[str, Any] = {
        "current_thread": current_thread,
        "currentThread": current_thread,
        "_PyRLock": _green_thread.RLock,
    }
    if hasattr(module, "_thread_local_info"):
        # 3.13 forgets a _DummyThread when its thread's local data dies: make that per green thread.
        replacements["_thread_local_info"] = _green_thread.local()
    _adopt_copy_threads(module)
    return replacements


#: The standard module's attributes come from ``__patch_module__`` only.
__patched__: list[str] = []

_copy = patcher_state.inject("threading", None, ("_thread", _green_thread))
setattr(_copy, "current_thread", _make_current_thread(_copy))  # noqa: B010
setattr(_copy, "currentThread", _copy.current_thread)  # noqa: B010
globals().update(
    {key: value for key, value in vars(_copy).items() if not key.startswith("__") and key != "_copy"}
)
__all__ = list(_copy.__all__)
_copy_keeper = ForkKeeper(vars(_copy))


def _join_at_exit() -> None:
    """Join this copy's non-daemon threads when the interpreter exits, as for real threads.

    Those that can never run again (parked on a hub that is gone) are not waited for.
    """
    # _shutdown releases the main thread's own lock, when the module was imported in this thread;
    # imported in another one (a server's OS thread, say), that lock is stranded like the rest.
    main = _copy._main_thread
    main_lock = getattr(main, "_tstate_lock", None) if main.ident == _copy.get_ident() else None
    locks = [lock for lock in getattr(_copy, "_shutdown_locks", ()) if lock is not main_lock]
    _green_thread.release_stranded(locks)
    _copy._shutdown()


atexit.register(_join_at_exit)
