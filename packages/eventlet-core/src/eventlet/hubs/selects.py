"""The select hub: ``select.select``, available everywhere (Windows' default).

select scans its fd sets on every call, so it suits a handful of fds; it is the universal fallback.
"""

from __future__ import annotations

import errno
import select
import time
from collections.abc import Iterable

from eventlet.hubs.hub import EV_ERROR, EV_READ, EV_WRITE, BaseHub

__all__ = ["Hub", "is_available"]

_BAD_FD_ERRNOS = {errno.EBADF, getattr(errno, "WSAENOTSOCK", errno.EBADF)}


def is_available() -> bool:
    """Always True."""
    return True


class Hub(BaseHub):
    """A hub whose backend is ``select.select``."""

    name = "selects"

    def _init_backend(self) -> None:
        self._masks: dict[int, int] = {}

    def _register(self, fd: int, mask: int) -> None:
        self._masks[fd] = mask

    def _modify(self, fd: int, mask: int) -> None:
        self._masks[fd] = mask

    def _unregister(self, fd: int) -> None:
        self._masks.pop(fd, None)

    def _poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        masks = self._masks
        readers = [fd for fd, mask in masks.items() if mask & EV_READ]
        writers = [fd for fd, mask in masks.items() if mask & EV_WRITE]
        if not readers and not writers:  # pragma: no cover - the wake-up fd is always watched
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
