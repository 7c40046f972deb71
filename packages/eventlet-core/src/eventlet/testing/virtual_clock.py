"""A hub whose clock is virtual: time-heavy tests run instantly and deterministically.

The virtual clock only moves when the hub would otherwise sleep.  When it is about to wait for the
next timer and *no green thread waits on a file descriptor*, nothing but time can wake anybody, so
the hub jumps its clock straight to that timer's deadline instead of sleeping: ``sleep(10)`` returns
at once, timeouts fire at once, and timers fire in deadline order (then in the order they were
scheduled), the same on every run.  When some green thread does wait on an fd, the hub really
polls, with the real timeout, and moves the virtual clock by the real time that passed, so a test
that mixes sockets and timeouts still sees its timeouts fire at the right moment relative to I/O.

``hub.clock()`` (and so every eventlet timer and timeout) reads the virtual clock; it starts at the
real ``time.monotonic()`` (rounded to a whole second) and never runs backwards.  ``time.monotonic``
and ``time.time`` are not patched: code that measures durations with them sees the real time spent.

One limit: a green thread that waits for *another OS thread* (``tpool``, ``call_threadsafe``) while
nothing waits on an fd looks idle to the hub, so pending timers would fire early.  Avoid timeouts
around such waits under the virtual clock, or call :meth:`advance` yourself.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eventlet import hubs
from eventlet.hubs._poller import Poller
from eventlet.hubs.hub import BaseHub
from eventlet.testing.isolation import dispose_hub

__all__ = ["VirtualClockHub", "make_virtual_clock_hub", "virtual_clock"]

_CLASSES: dict[type[BaseHub], type[BaseHub]] = {}


class _VirtualClockMixin:
    """The virtual clock, mixed in front of a poller-based hub class."""

    waits_on_fds: Callable[[], bool]
    _threadsafe: Any
    _next_deadline: Any
    _poll: Callable[[float | None], Iterable[tuple[int, int]]]
    poller: Poller  # the virtual clock needs a poller-based hub

    def __init__(self) -> None:
        self._virtual_now = float(round(time.monotonic()))  # whole seconds: exact sums in tests
        super().__init__(clock=self._virtual_clock)  # type: ignore[call-arg]

    def _virtual_clock(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward by ``seconds`` (timers due fire on the hub's next turn)."""
        if seconds < 0:
            raise ValueError("The virtual clock cannot go backwards")
        self._virtual_now += seconds

    def _init_backend(self) -> None:
        # The loop polls through self._poll: put the virtual clock between it and the poller.
        super()._init_backend()  # type: ignore[misc]
        self._poll = self._virtual_poll

    def _virtual_poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        real_poll = self.poller.poll
        if timeout is None or timeout == 0 or self._threadsafe or self.waits_on_fds():
            if not timeout:
                return real_poll(timeout)
            start = time.monotonic()
            events = real_poll(timeout)
            self._virtual_now += time.monotonic() - start
            return events
        # Only time can wake anybody: jump to the deadline (exactly: no rounding creeps in), and
        # still look at the wake-up fd.
        # The loop computed ``timeout`` from the next deadline: jump there exactly.
        deadline = self._next_deadline()
        self._virtual_now = max(self._virtual_now, deadline if deadline is not None else 0.0)
        return real_poll(0.0)


def make_virtual_clock_hub(base: type[BaseHub]) -> type[BaseHub]:
    """The virtual-clock variant of the hub class ``base`` (a poller-based hub: not asyncio)."""
    cached = _CLASSES.get(base)
    if cached is not None:
        return cached
    if getattr(base, "name", "") == "asyncio":
        raise TypeError("The virtual clock needs a poller-based hub (epolls, kqueue, poll, selects)")
    cls: type[BaseHub] = type(
        f"VirtualClock{base.__name__}",
        (_VirtualClockMixin, base),
        {"__doc__": f"{base.__module__}.{base.__name__} with a virtual clock.", "__module__": __name__},
    )
    _CLASSES[base] = cls
    return cls


def _default_base() -> type[BaseHub]:
    base: type[BaseHub] = hubs.get_default_hub().Hub
    if base.name == "asyncio":
        base = hubs._resolve(None)
    return base


#: The virtual-clock hub on the platform's default backend.
VirtualClockHub: type[BaseHub] = make_virtual_clock_hub(hubs._resolve(None))


@contextlib.contextmanager
def virtual_clock(base: type[BaseHub] | None = None) -> Iterator[Any]:
    """Run the block with a fresh virtual-clock hub as this thread's hub; yield the hub.

    ``base`` is the backend (default: the hub kind in use, or the platform's default when that is
    the asyncio hub).  On exit its leftover green threads are killed, it is closed, and the previous
    hub is put back.  Use it from the main greenlet (a test body), not from inside a green thread.
    """
    hub = make_virtual_clock_hub(base or _default_base())()
    previous = hubs.set_hub(hub)
    try:
        yield hub
    finally:
        dispose_hub(hub)
        hubs.set_hub(previous)
