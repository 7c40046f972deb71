"""The kqueue hub: the default on macOS and the BSDs.

kqueue watches reading and writing as two separate filters, so a change of interest adds or deletes
the filter that changed.  This module cannot run on Linux, where the test suite runs; its code paths
are exercised by the macOS jobs of the CI workflow (``tests/core/test_pollers.py`` runs the poller
contract on it there).
"""

from __future__ import annotations

import select as _select_module
from typing import Any, ClassVar

from eventlet.hubs._poller import EV_ERROR, EV_READ, EV_WRITE, Poller, refuse_closed
from eventlet.hubs.hub import BaseHub

# kqueue names exist only on macOS/BSD: typed loosely so the module type-checks on Linux too.
select: Any = _select_module

__all__ = ["Hub", "KqueuePoller", "is_available"]


def is_available() -> bool:
    """True where ``select.kqueue`` exists (macOS, the BSDs)."""
    return hasattr(select, "kqueue")


class KqueuePoller:  # pragma: no cover - kqueue exists only on macOS/BSD; run by the macOS CI job
    """The :class:`~eventlet.hubs._poller.Poller` over ``select.kqueue``: one filter per direction."""

    def __init__(self) -> None:
        self._kqueue = select.kqueue()
        self._masks: dict[int, int] = {}

    def _change(self, fd: int, old: int, new: int) -> None:
        """Tell the kernel: add the filters of ``new`` not in ``old``, delete those gone."""
        if self._kqueue.closed:
            refuse_closed()
        changes = []
        for bit, kfilter in ((EV_READ, select.KQ_FILTER_READ), (EV_WRITE, select.KQ_FILTER_WRITE)):
            if new & bit and not old & bit:
                changes.append(select.kevent(fd, kfilter, select.KQ_EV_ADD))
            elif old & bit and not new & bit:
                changes.append(select.kevent(fd, kfilter, select.KQ_EV_DELETE))
        if changes:
            self._kqueue.control(changes, 0, 0)

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd`` for ``mask`` (or replace its mask)."""
        self._change(fd, self._masks.get(fd, 0), mask)
        self._masks[fd] = mask

    def modify(self, fd: int, mask: int) -> None:
        """Change the mask of the watched ``fd`` (``FileNotFoundError`` if it is not watched)."""
        if self._kqueue.closed:
            refuse_closed()
        old = self._masks.get(fd)
        if old is None:
            raise FileNotFoundError(2, "fd not registered")
        self._change(fd, old, mask)
        self._masks[fd] = mask

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (nothing if it is not watched; ``OSError(EBADF)`` if it was closed)."""
        old = self._masks.pop(fd, 0)  # forgotten first: a closed fd's filters are gone anyway
        self._change(fd, old, 0)  # (no change for an unknown fd; ValueError once closed)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (None: no limit); one ``(fd, events)`` pair per fd."""
        events: dict[int, int] = {}
        for kev in self._kqueue.control(None, 1024, timeout):
            fd = kev.ident
            bits = EV_READ if kev.filter == select.KQ_FILTER_READ else EV_WRITE
            if kev.flags & (select.KQ_EV_ERROR | select.KQ_EV_EOF):
                bits |= EV_ERROR
            events[fd] = events.get(fd, 0) | bits
        return list(events.items())

    def close(self) -> None:
        """Close the kqueue fd (idempotent); every operation then raises ``ValueError`` (``poll``:
        the closed kqueue's own)."""
        self._kqueue.close()
        self._masks.clear()

    def fileno(self) -> int:
        """The kqueue fd."""
        return int(self._kqueue.fileno())


class Hub(BaseHub):
    """A hub whose backend is :class:`KqueuePoller`."""

    name = "kqueue"
    poller_class: ClassVar[type[Poller]] = KqueuePoller
