"""Green thread-local data: ``_thread._local`` (``threading.local``) with one namespace per green thread.

Part of :mod:`eventlet.green.thread`, which exports :class:`local` (and shows it under its name).

A :class:`local` object keeps a dict per green thread (weakly keyed by the greenlet, so a finished
green thread's data goes with it).  Every attribute access first makes the object's ``__dict__``
the calling green thread's dict, then does the ordinary access: swapping and access happen under a
real (OS-level) reentrant lock, because green threads of other OS threads may share the object.
The first time a green thread touches the object, a subclass's ``__init__`` runs again with the
constructor's arguments, as with ``threading.local``; it may block, letting another green thread
swap in its own dict, so the caller's dict is put back after it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet._patching.state import original_attr

__all__ = ["local"]

_real_rlock: Callable[[], Any] = original_attr("_thread", "RLock")


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
