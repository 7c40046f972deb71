"""Green ``threading``: the standard module's code, run on green threads.

Importing this module patches nothing.  It is a private copy of the standard ``threading``
(made by :func:`eventlet.patcher.inject`) whose ``_thread`` is :mod:`eventlet.green.thread`, so
its ``Thread`` starts green threads and its locks, conditions, events and semaphores block only the
calling green thread.  Its non-daemon threads are joined when the interpreter exits, like real ones.

Under ``monkey_patch(thread=True)`` the standard ``threading`` itself is kept (its ``Thread`` class,
its registry of threads) and only what it took from ``_thread`` is swapped; this module then
supplies :func:`current_thread`, which also answers for green threads that ``threading`` did not
start (``eventlet.spawn``): each gets a lightweight ``Thread`` view, named ``GreenThread-N``, that
lives as long as its greenlet instead of a ``_DummyThread`` registered forever.  (Threads
started with ``_thread.start_new_thread`` get a ``_DummyThread``, as in CPython.)
"""

from __future__ import annotations

import atexit
import itertools
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from eventlet import patcher
from eventlet.green import thread as _green_thread

if TYPE_CHECKING:  # pragma: no cover
    from threading import *  # noqa: F403


def _make_current_thread(module: ModuleType) -> Callable[[], Any]:
    """A ``current_thread()`` for threading module ``module`` that knows green threads."""
    base = module.Thread
    counter = itertools.count(1)
    views: weakref.WeakKeyDictionary[greenlet, Any] = weakref.WeakKeyDictionary()

    class _GreenletThread(base):  # type: ignore[misc, valid-type]
        """The ``threading`` view of a green thread that ``threading`` did not start."""

        def __init__(self, glet: greenlet) -> None:
            base.__init__(self, name=f"GreenThread-{next(counter)}", daemon=True)
            self._started.set()
            self._ident = id(glet)
            if hasattr(self, "_set_native_id"):
                self._set_native_id()
            self._greenlet_ref = weakref.ref(glet)

        def is_alive(self) -> bool:
            glet = self._greenlet_ref()
            return glet is not None and not glet.dead

        def join(self, timeout: float | None = None) -> None:
            raise RuntimeError("cannot join a green thread that threading did not start")

    def current_thread() -> Any:
        """The ``Thread`` object of the calling thread, green or not."""
        try:
            return module._active[_green_thread.get_ident()]
        except KeyError:
            pass
        glet = getcurrent()
        if glet.parent is None or _green_thread.started_by_start_new_thread(glet):
            return module._DummyThread()  # as CPython does for threads threading did not start
        view = views.get(glet)
        if view is None:
            view = views[glet] = _GreenletThread(glet)
        return view

    current_thread.__module__ = module.__name__  # it stands for the module's own function
    return current_thread


def __patch_module__(module: ModuleType) -> dict[str, Any]:
    """monkey_patch's hook: what to set in the standard ``threading`` (``_thread`` is done already)."""
    replacements: dict[str, Any] = {"current_thread": _make_current_thread(module)}
    if hasattr(module, "_thread_local_info"):
        # 3.13 forgets a _DummyThread when its thread's local data dies: make that per green thread.
        replacements["_thread_local_info"] = _green_thread.local()
    return replacements


#: The standard module's attributes come from ``__patch_module__`` only.
__patched__: list[str] = []

_copy = patcher.inject("threading", None, ("_thread", _green_thread))
setattr(_copy, "current_thread", _make_current_thread(_copy))  # noqa: B010
globals().update(
    {key: value for key, value in vars(_copy).items() if not key.startswith("__") and key != "_copy"}
)
__all__ = list(_copy.__all__)


def _join_at_exit() -> None:
    """Join this copy's non-daemon threads when the interpreter exits, as for real threads."""
    _copy._shutdown()


atexit.register(_join_at_exit)


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    from threading import *  # noqa: F403
