"""Green threads survive ``fork()``: keep them registered in a ``threading`` module's bookkeeping.

Part of :mod:`eventlet.green.threading`.  In a child process only the thread that called ``fork()``
exists, so ``threading._after_fork`` (which ``os.register_at_fork`` runs in the child) marks every
other ``Thread`` stopped and forgets it.  Green threads are different: the green threads of the
forking OS thread are copied with it and go on running in the child, where its hub is renewed.
:class:`ForkKeeper` hides them from ``_after_fork``: it takes them out of the module's registries
(``_active``, ``_limbo``, ``_dangling``) just before the fork and puts them back just after, in
the parent and in the child, so that they stay registered, alive and joinable.

Which threads survive: the green threads started through :mod:`eventlet.green.thread` that live in
the forking OS thread (also those being started, in ``_limbo``), and that OS thread's own
``Thread`` (when a green thread forks).  Threads of other OS threads, and green threads living in
them, are left to ``_after_fork``: they are gone in the child.

When the forking green thread is no ``threading`` thread (``eventlet.spawn``), ``_after_fork``
would register a new ``_MainThread`` for it; a stand-in takes its place in ``_active`` for the
time of the fork hooks and is removed afterwards.  The main thread stays the one it was when it
survives.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from greenlet import getcurrent, greenlet

from eventlet.green import thread as _green_thread
from eventlet.green._thread_locks import real_get_ident

__all__ = ["ForkKeeper"]


class _StandIn:
    """Holds the forking green thread's place in ``_active`` while ``_after_fork`` runs."""

    daemon = True

    def __init__(self, ident: int) -> None:
        self._ident = ident

    def _reset_internal_locks(self, is_alive: bool) -> None:  # Python 3.10-3.12
        """Nothing to reset: this is no thread."""

    def _after_fork(self, new_ident: int | None = None) -> None:  # Python 3.13
        """Nothing to reset: this is no thread."""

    def _stop(self) -> None:
        """Nothing to stop: this is no thread."""


def _root(glet: greenlet) -> greenlet:
    while glet.parent is not None:
        glet = glet.parent
    return glet


@dataclass
class _Hidden:
    """What one fork took out of the registries (kept per forking OS thread)."""

    active: dict[int, Any] = field(default_factory=dict)
    limbo: dict[Any, Any] = field(default_factory=dict)
    main: Any = None
    stand_in: _StandIn | None = None


class ForkKeeper:
    """Keeps the green threads of the forking OS thread registered in ``namespace`` across fork.

    ``namespace`` is a ``threading`` module's globals; ``after`` is called last in the parent and
    in the child (the green ``threading`` re-shares its registries there).
    """

    def __init__(self, namespace: dict[str, Any], after: Callable[[], None] | None = None) -> None:
        self.namespace = namespace
        self.after = after
        self.enabled = True
        self._pending: dict[int, _Hidden] = {}  # by forking OS thread: forks may overlap
        if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
            os.register_at_fork(
                before=self.before, after_in_parent=self.in_parent, after_in_child=self.in_child
            )

    @staticmethod
    def _survives(ident: int | None, thread: Any, here: greenlet, os_ident: int) -> bool:
        if ident == os_ident:
            return True  # this OS thread's own Thread, when a green thread forks
        glet = _green_thread.greenlet_of(ident, thread)  # found by thread even before it runs
        return glet is not None and _root(glet) is here

    def before(self) -> None:
        """In the parent, just before the fork: take the survivors out of the registries."""
        if not self.enabled:
            return
        ns = self.namespace
        active, limbo, dangling = ns["_active"], ns["_limbo"], ns["_dangling"]
        current = getcurrent()
        current_ident = _green_thread.get_ident()
        here, os_ident = _root(current), real_get_ident()
        hidden = _Hidden(main=ns["_main_thread"])
        for ident, thread in list(active.items()):
            if ident != current_ident and self._survives(ident, thread, here, os_ident):
                hidden.active[ident] = active.pop(ident)
                dangling.discard(thread)
        for key, thread in list(limbo.items()):
            if self._survives(None, thread, here, os_ident):
                hidden.limbo[key] = limbo.pop(key)
                dangling.discard(thread)
        if current_ident not in active and current.parent is not None:
            hidden.stand_in = active[current_ident] = _StandIn(current_ident)
        self._pending[os_ident] = hidden

    def _put_back(self) -> _Hidden | None:
        hidden = self._pending.pop(real_get_ident(), None)
        if hidden is None:
            return None
        ns = self.namespace
        active, dangling = ns["_active"], ns["_dangling"]
        if hidden.stand_in is not None:  # _after_fork kept it under the same ident
            active.pop(hidden.stand_in._ident, None)
        active.update(hidden.active)
        ns["_limbo"].update(hidden.limbo)
        for thread in (*hidden.active.values(), *hidden.limbo.values()):
            dangling.add(thread)
        return hidden

    def in_parent(self) -> None:
        """In the parent, just after the fork: everything goes back as it was."""
        self._put_back()
        if self.after is not None:
            self.after()

    def in_child(self) -> None:
        """In the child, after ``threading._after_fork``: the survivors go back, still alive."""
        hidden = self._put_back()
        if hidden is not None:
            ns = self.namespace
            main = ns["_main_thread"]
            kept = set(map(id, hidden.active.values()))
            if id(hidden.main) in kept or main is hidden.stand_in:
                ns["_main_thread"] = hidden.main  # the main thread goes on running here
            shutdown_locks = ns.get("_shutdown_locks")  # Python 3.10-3.12: what exit joins
            if shutdown_locks is not None:
                for thread in hidden.active.values():
                    lock = getattr(thread, "_tstate_lock", None)
                    if lock is not None and not thread.daemon and thread is not ns["_main_thread"]:
                        shutdown_locks.add(lock)
        if self.after is not None:
            self.after()
