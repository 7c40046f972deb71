"""The I/O backend's interface: a poller object the hub composes.

A hub does not know epoll from select.  It holds one *poller* (``hub.poller``), made by its
class's ``poller_class`` (:class:`eventlet.hubs.epolls.EpollPoller`,
:class:`~eventlet.hubs.kqueue.KqueuePoller`, :class:`~eventlet.hubs.poll.PollPoller`,
:class:`~eventlet.hubs.selects.SelectPoller`), and talks to it through five operations, the
:class:`Poller` protocol.  The fd table (:mod:`eventlet.hubs._fds`) registers, modifies and
unregisters; the loop (:meth:`eventlet.hubs.hub.BaseHub.run`) polls; :meth:`close` ends it.  A
poller knows nothing of green threads, listeners or serials, so each one can be tested alone
(``tests/core/test_pollers.py`` runs one contract over all of them).

Masks.  ``mask`` is a set of the bits below, shared by all backends (their values are poll's and
epoll's own, so those two take them unchanged): :data:`EV_READ` (readable, or the peer closed: a
read returns EOF), :data:`EV_WRITE` (writable).  :meth:`Poller.poll` reports the same bits, plus
any of :data:`EV_ERROR` (an error, a hang-up, an invalid fd), which the hub treats as "wake both
directions": the waiters' next system call then tells them what happened.  Which error bits a
backend reports differs; a peer's close is reported as ``EV_READ`` (EOF), possibly with error bits.

Level-triggered.  An fd stays reported as long as it is ready, at every poll, until it is
unregistered or modified to a mask that no longer covers what it is ready for.  The fd table relies
on this: it wakes a waiter once and lets the waiter's own ``recv`` consume the readiness.

Timeouts.  ``poll(None)`` waits until an fd is ready; ``poll(0)`` (or ``0.0``) returns at once;
``poll(seconds)`` (a float, never negative) returns after at least ``seconds`` if nothing is ready
first.  *Never early*: a timer woken a hair before its deadline would find nothing due and cost a
turn, so a backend whose kernel call takes coarser units rounds up.  epoll and poll take
milliseconds: CPython rounds a timeout up to the next millisecond (``_PyTime_ROUND_CEILING``,
3.10 to 3.13), so the poll poller passes ``seconds * 1000.0`` as it is.  select and kqueue take
microseconds and nanoseconds.  A poll may return fewer fds than are ready (epoll and kqueue report
at most 1024 per call): the rest come at the next poll, as it is level-triggered.  A signal that
interrupts the wait does not end it early with an error: CPython retries it (PEP 475) with the time
left, after running the handler, unless the handler raises.

Registering.  ``register(fd, mask)`` starts watching a file descriptor (an ``int``);
``modify(fd, mask)`` changes what is watched; ``unregister(fd)`` stops.  The fd table never
registers an fd twice nor modifies one it has not registered, but it does meet fds that were closed
behind its back, so what each backend does then is part of the contract:

* **epoll** refuses a closed fd at ``register`` and ``modify`` (``OSError(EBADF)``), a
  registered one at ``register`` (``FileExistsError``), an unknown one at ``modify`` and
  ``unregister`` (``FileNotFoundError``); ``unregister`` of a closed fd raises ``OSError(EBADF)``.
  A registered fd that is closed (its last reference) is forgotten by the kernel: no event.
* **poll** keeps numbers only and asks the kernel nothing until it polls: ``register`` accepts any
  fd (and replaces the mask of a registered one), ``modify`` of an unregistered fd raises
  ``FileNotFoundError``, ``unregister`` of one raises ``KeyError``.  A registered fd that is
  closed is reported with ``EV_ERROR`` (POLLNVAL) at every poll until it is unregistered.
* **select** keeps numbers only: ``register`` and ``modify`` set the mask whatever the fd, and
  ``unregister`` of an unknown fd does nothing.  When ``select()`` refuses the set (a closed fd),
  the poller finds the bad fds one by one, reports each as ``EV_ERROR | EV_READ | EV_WRITE`` and
  forgets it, so the hub wakes its waiters once instead of failing at every poll.
* **kqueue** adds and deletes one filter per direction: ``register`` and ``modify`` of a closed fd
  raise ``OSError(EBADF)`` (when the mask changes), ``modify`` of an unregistered fd raises
  ``FileNotFoundError``, ``unregister`` of an unknown fd does nothing and of a closed one raises
  ``OSError(EBADF)``.  A closed fd's filters are dropped by the kernel: no event.

``FileNotFoundError`` is an ``OSError`` with ``errno.ENOENT``.  epoll watches a *file description*,
not a number: an fd closed and reopened under the same number is unknown to it, so ``modify``
fails with ``ENOENT`` and the fd table's "re-register" path registers it afresh; poll and select
only know numbers.

Closing.  ``close()`` releases the backend (epoll's and kqueue's fd); any operation afterwards
raises ``ValueError``, as on a closed file.  Closing twice is harmless.

Backends without ``poll``.  The asyncio hub's loop waits for fds itself (``loop.add_reader``) and
calls back when one is ready: its backend, :class:`eventlet.hubs.asyncio.LoopWatcher`, is an
:class:`FdWatcher`, the first four operations without ``poll``, and that hub replaces the loop
body that polls (:meth:`~eventlet.hubs.hub.BaseHub._loop`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn, Protocol, runtime_checkable

__all__ = ["EV_ERROR", "EV_READ", "EV_WRITE", "FdWatcher", "Poller", "refuse_closed"]

#: Readable, or the peer closed (a read returns EOF).  ``select.POLLIN`` and ``EPOLLIN``.
EV_READ = 0x001
#: Writable.  ``select.POLLOUT`` and ``EPOLLOUT``.
EV_WRITE = 0x004
#: Error, hang-up or invalid fd (POLLERR | POLLHUP | POLLNVAL): wake the waiters of both directions.
EV_ERROR = 0x008 | 0x010 | 0x020


@runtime_checkable
class FdWatcher(Protocol):
    """What the fd table needs of a backend: watch fds with a mask, stop, and close.

    How readiness is delivered is not part of it: a :class:`Poller` returns it from ``poll``; the
    asyncio hub's watcher calls back from its event loop.  Runtime-checkable (``isinstance``
    checks that the names exist, not their signatures).
    """

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd`` for the events of ``mask`` (``EV_READ`` and/or ``EV_WRITE``)."""

    def modify(self, fd: int, mask: int) -> None:
        """Watch the registered ``fd`` for ``mask`` instead of what it was registered with."""

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd``."""

    def close(self) -> None:
        """Release the backend; every operation afterwards raises ``ValueError``."""


@runtime_checkable
class Poller(FdWatcher, Protocol):
    """A backend that is asked which fds are ready: what :meth:`BaseHub.run` sleeps in."""

    def poll(self, timeout: float | None) -> Iterable[tuple[int, int]]:
        """Wait until a registered fd is ready or ``timeout`` seconds pass (None: no limit).

        Return ``(fd, events)`` pairs, each fd once, ``events`` a set of ``EV_*`` bits; empty
        when the time ran out.  Never returns before ``timeout`` with nothing ready.
        """


def refuse_closed(*_args: object) -> NoReturn:
    """Every operation of a closed poller: raise ``ValueError``."""
    raise ValueError("I/O operation on a closed poller")
