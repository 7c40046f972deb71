"""The select hub: ``select.select``, available everywhere (Windows' default).

select scans its fd sets on every call, so it suits a handful of fds; it is the universal fallback.
"""

from __future__ import annotations

import errno
import select
import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from eventlet.hubs._poller import EV_ERROR, EV_READ, EV_WRITE, Poller, refuse_closed
from eventlet.hubs.hub import BaseHub

__all__ = ["Hub", "SelectPoller", "is_available"]

_BAD_FD_ERRNOS = {errno.EBADF, getattr(errno, "WSAENOTSOCK", errno.EBADF)}


def is_available() -> bool:
    """Always True."""
    return True


class SelectPoller:
    """The :class:`~eventlet.hubs._poller.Poller` over ``select.select``.

    It keeps each fd's mask and builds the fd lists at every poll.  ``register`` and ``modify`` set
    a mask whatever the fd; a closed fd is found when ``select()`` refuses the lists: each bad fd is
    then reported once as an error (both directions) and forgotten.
    """

    def __init__(self) -> None:
        self._masks: dict[int, int] = {}
        #: start watching an fd, or replace its mask
        self.register: Callable[[int, int], None] = self._masks.__setitem__
        #: the same as :attr:`register` (select keeps no kernel state to modify)
        self.modify: Callable[[int, int], None] = self._masks.__setitem__

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (nothing if it is not watched)."""
        self._masks.pop(fd, None)

    def poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (None: no limit) for the watched fds.

        With no fd watched there is nothing to wait for but the time: ``poll(None)`` then returns
        at once (the hub always watches its wake-up fd, so it never meets the case).
        """
        masks = self._masks
        readers = [fd for fd, mask in masks.items() if mask & EV_READ]
        writers = [fd for fd, mask in masks.items() if mask & EV_WRITE]
        if not readers and not writers:
            # select() of three empty lists is an error on Windows: just wait.
            if timeout:
                time.sleep(timeout)
            return ()
        try:
            r, w, x = select.select(readers, writers, readers + writers, timeout)
        except (OSError, ValueError) as exc:
            if isinstance(exc, OSError) and exc.errno not in _BAD_FD_ERRNOS:  # pragma: no cover
                raise  # ENOMEM and the like: nothing to do about it here
            return self._find_bad_fds()
        events: dict[int, int] = {}
        for fd in r:
            events[fd] = EV_READ
        for fd in w:
            events[fd] = events.get(fd, 0) | EV_WRITE
        for fd in x:
            events[fd] = events.get(fd, 0) | EV_READ | EV_WRITE
        return events.items()

    def _find_bad_fds(self) -> list[tuple[int, int]]:
        """One of the fds was closed under us: report each bad one as an error and drop it."""
        bad = []
        for fd in list(self._masks):
            try:
                select.select([fd], [], [], 0)
            except (OSError, ValueError):
                bad.append((fd, EV_ERROR | EV_READ | EV_WRITE))
                del self._masks[fd]
        return bad

    def close(self) -> None:
        """Forget every fd; every operation then raises ``ValueError``."""
        self._masks.clear()
        self.register = self.modify = refuse_closed
        self.unregister = self.poll = refuse_closed  # type: ignore[assignment]


class Hub(BaseHub):
    """A hub whose backend is :class:`SelectPoller`."""

    name = "selects"
    poller_class: ClassVar[type[Poller]] = SelectPoller
