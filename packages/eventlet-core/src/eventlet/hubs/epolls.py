"""The epoll hub: the default on Linux.

epoll keeps the interest set in the kernel, so the cost of a wait does not grow with the number of
fds, and (see :mod:`eventlet.hubs.hub`) a socket waited on again and again stays registered.
"""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import ClassVar

from eventlet.hubs._poller import Poller
from eventlet.hubs.hub import BaseHub

__all__ = ["EpollPoller", "Hub", "is_available"]


def is_available() -> bool:
    """True where ``select.epoll`` exists (Linux)."""
    return hasattr(select, "epoll")


class EpollPoller:
    """The :class:`~eventlet.hubs._poller.Poller` over ``select.epoll`` (level-triggered).

    ``register``, ``modify`` and ``unregister`` are the epoll object's own methods, so the fd
    table's calls go straight to the kernel; closed-fd behaviour is epoll's (see
    :mod:`eventlet.hubs._poller`).
    """

    __slots__ = ("_epoll", "modify", "register", "unregister")

    def __init__(self) -> None:
        epoll = self._epoll = select.epoll()
        #: start watching an fd (``FileExistsError`` if it is watched, ``OSError(EBADF)`` if closed)
        self.register: Callable[[int, int], None] = epoll.register
        #: change an fd's mask (``FileNotFoundError`` if it is not watched)
        self.modify: Callable[[int, int], None] = epoll.modify
        #: stop watching an fd (``FileNotFoundError`` if it is not watched)
        self.unregister: Callable[[int], None] = epoll.unregister

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (None: no limit); at most 1024 ``(fd, events)`` pairs."""
        return self._epoll.poll(-1 if timeout is None else timeout, 1024)

    def close(self) -> None:
        """Close the epoll fd (idempotent); epoll then raises ``ValueError`` on any operation."""
        self._epoll.close()

    def fileno(self) -> int:
        """The epoll fd (readable when one of the watched fds is ready)."""
        return self._epoll.fileno()


class Hub(BaseHub):
    """A hub whose backend is :class:`EpollPoller`."""

    name = "epolls"
    poller_class: ClassVar[type[Poller]] = EpollPoller
