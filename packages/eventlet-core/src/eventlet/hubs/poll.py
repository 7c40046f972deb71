"""The poll hub: ``select.poll``, on every POSIX system."""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import ClassVar

from eventlet.hubs._poller import Poller, refuse_closed
from eventlet.hubs.hub import BaseHub

__all__ = ["Hub", "PollPoller", "is_available"]


def is_available() -> bool:
    """True where ``select.poll`` exists (not on Windows, nor on some macOS builds)."""
    return hasattr(select, "poll")


class PollPoller:
    """The :class:`~eventlet.hubs._poller.Poller` over ``select.poll``.

    ``register``, ``modify`` and ``unregister`` are the poll object's own methods (it keeps the fd
    set in user space: none of them makes a system call).
    """

    def __init__(self) -> None:
        poller = select.poll()
        #: start watching an fd, or replace its mask (no check that the fd is open)
        self.register: Callable[[int, int], None] = poller.register
        #: change an fd's mask (``FileNotFoundError`` if it is not watched)
        self.modify: Callable[[int, int], None] = poller.modify
        #: stop watching an fd (``KeyError`` if it is not watched)
        self.unregister: Callable[[int], None] = poller.unregister
        self._poll_ms: Callable[..., list[tuple[int, int]]] = poller.poll

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (None: no limit) for the watched fds."""
        if timeout is None:
            return self._poll_ms()
        # Milliseconds, as a float: CPython rounds them up, so the wait is never shorter.
        return self._poll_ms(timeout * 1000.0)

    def close(self) -> None:
        """Nothing to release (poll has no fd of its own); every operation then raises ``ValueError``."""
        self.register = self.modify = self.unregister = self._poll_ms = refuse_closed


class Hub(BaseHub):
    """A hub whose backend is :class:`PollPoller`."""

    name = "poll"
    poller_class: ClassVar[type[Poller]] = PollPoller
