"""The kqueue hub: the default on macOS and the BSDs.

kqueue watches reading and writing as two separate filters, so a change of interest adds or deletes
the filter that changed.  This module cannot run on Linux, where the test suite runs; its code paths
are exercised by the macOS jobs of the CI workflow.
"""

from __future__ import annotations

import select as _select_module
from collections.abc import Iterable
from typing import Any

from eventlet.hubs.hub import EV_ERROR, EV_READ, EV_WRITE, BaseHub

# kqueue names exist only on macOS/BSD: typed loosely so the module type-checks on Linux too.
select: Any = _select_module

__all__ = ["Hub", "is_available"]


def is_available() -> bool:
    """True where ``select.kqueue`` exists (macOS, the BSDs)."""
    return hasattr(select, "kqueue")


class Hub(BaseHub):  # pragma: no cover - kqueue exists only on macOS/BSD; run by the macOS CI job
    """A hub whose backend is ``select.kqueue``."""

    name = "kqueue"

    def _init_backend(self) -> None:
        self._kqueue = select.kqueue()
        self._masks: dict[int, int] = {}

    def _change(self, fd: int, old: int, new: int) -> None:
        changes = []
        for bit, kfilter in ((EV_READ, select.KQ_FILTER_READ), (EV_WRITE, select.KQ_FILTER_WRITE)):
            if new & bit and not old & bit:
                changes.append(select.kevent(fd, kfilter, select.KQ_EV_ADD))
            elif old & bit and not new & bit:
                changes.append(select.kevent(fd, kfilter, select.KQ_EV_DELETE))
        if new:
            self._masks[fd] = new
        else:
            self._masks.pop(fd, None)
        if changes:
            self._kqueue.control(changes, 0, 0)

    def _register(self, fd: int, mask: int) -> None:
        self._change(fd, 0, mask)

    def _modify(self, fd: int, mask: int) -> None:
        if fd not in self._masks:
            raise FileNotFoundError(2, "fd not registered")
        self._change(fd, self._masks[fd], mask)

    def _unregister(self, fd: int) -> None:
        self._change(fd, self._masks.get(fd, 0), 0)

    def _poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        events: dict[int, int] = {}
        for kev in self._kqueue.control(None, 1024, timeout):
            fd = kev.ident
            bits = EV_READ if kev.filter == select.KQ_FILTER_READ else EV_WRITE
            if kev.flags & (select.KQ_EV_ERROR | select.KQ_EV_EOF):
                bits |= EV_ERROR
            events[fd] = events.get(fd, 0) | bits
        return events.items()

    def _close_backend(self) -> None:
        self._kqueue.close()
