"""The epoll hub: the default on Linux.

epoll keeps the interest set in the kernel, so the cost of a wait does not grow with the number of
fds, and (see :mod:`eventlet.hubs.hub`) a socket waited on again and again stays registered.
"""

from __future__ import annotations

import select
from collections.abc import Iterable

from eventlet.hubs.hub import BaseHub

__all__ = ["Hub", "is_available"]


def is_available() -> bool:
    """True where ``select.epoll`` exists (Linux)."""
    return hasattr(select, "epoll")


class Hub(BaseHub):
    """A hub whose backend is ``select.epoll`` (level-triggered)."""

    name = "epolls"

    def _init_backend(self) -> None:
        self._epoll = select.epoll()

    def _register(self, fd: int, mask: int) -> None:
        self._epoll.register(fd, mask)

    def _modify(self, fd: int, mask: int) -> None:
        self._epoll.modify(fd, mask)

    def _unregister(self, fd: int) -> None:
        self._epoll.unregister(fd)

    def _poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        return self._epoll.poll(-1 if timeout is None else timeout, 1024)

    def _close_backend(self) -> None:
        self._epoll.close()
