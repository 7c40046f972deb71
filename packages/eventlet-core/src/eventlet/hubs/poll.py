"""The poll hub: ``select.poll``, on every POSIX system."""

from __future__ import annotations

import select
from collections.abc import Iterable

from eventlet.hubs.hub import BaseHub

__all__ = ["Hub", "is_available"]


def is_available() -> bool:
    """True where ``select.poll`` exists (not on Windows, nor on some macOS builds)."""
    return hasattr(select, "poll")


class Hub(BaseHub):
    """A hub whose backend is ``select.poll``."""

    name = "poll"

    def _init_backend(self) -> None:
        self._poller = select.poll()

    def _register(self, fd: int, mask: int) -> None:
        self._poller.register(fd, mask)

    def _modify(self, fd: int, mask: int) -> None:
        self._poller.modify(fd, mask)

    def _unregister(self, fd: int) -> None:
        self._poller.unregister(fd)

    def _poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        if timeout is None:
            return self._poller.poll()
        # poll() takes milliseconds; round up so a timer is never woken for a hair too early.
        return self._poller.poll(timeout * 1000.0 + 0.999 if timeout > 0 else 0)
