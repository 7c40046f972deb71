"""Admission: who gets a connection slot at the cap, and the last connections taken on stop.

:class:`Admission` is a base class of :class:`~eventlet.httpd.Server` holding the two places where
the server decides about connections the kernel completed but it has not accepted yet (see the
module docstring of :mod:`eventlet.httpd._server` for the policies):

* at the ``max_connections`` cap, :meth:`Admission._wait_capacity` waits until a client is in
  the listening socket's backlog, then closes the connections idle longest between requests
  (:meth:`Admission._evict_idle`) to make room, or, if none is idle, waits for one to close or to
  become idle (the sweep wakes it);
* on stop, :meth:`Admission._stop_listening` takes every connection the kernel completed off the
  listening queue (twice, a moment apart, for handshakes that were completing) and closes the
  socket, after stopping new connection attempts when the server is alone on it.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable
from typing import Any

from eventlet._accept import TRANSIENT_ERRNOS
from eventlet.greenthread import sleep
from eventlet.hubs import wait_fd
from eventlet.hubs.hub import EV_READ

from ._activation import refuse_new_connections
from ._connection import HttpProtocol, evictable
from ._expiry import Expired

__all__ = ["Admission"]

logger = logging.getLogger("eventlet.httpd")

_EVICT_BATCH = 32  # the most idle connections closed at once when the cap is reached
_SETTLE = 0.01  # between the two passes over the listening queue when stopping


class Admission:
    """The connection-admission methods of :class:`~eventlet.httpd.Server` (no state of its own)."""

    _connections: set[HttpProtocol]
    _created_socket: bool
    _hub: Any
    _waiting_capacity: bool
    max_connections: int
    socket: Any

    _admit: Callable[[Any, Any], None]

    def _wait_capacity(self) -> None:
        """At the cap: wait for a free slot, making one from an idle connection for a newcomer."""
        hub = self._hub
        conns = self._connections
        fileno = self.socket.fileno()
        serial = getattr(self.socket, "_serial", 0)
        self._waiting_capacity = True
        try:
            blocked = False  # a client waits and no connection was idle
            while len(conns) >= self.max_connections:
                if blocked:
                    blocked = False
                    hub.switch()  # woken by _forget, or by the sweep once a connection is idle
                    continue
                if wait_fd(fileno, EV_READ, serial=serial) != fileno:
                    continue  # woken by _forget or the sweep (perhaps a stale wake-up): look again
                if len(conns) >= self.max_connections and not self._evict_idle():
                    blocked = True  # a client waits in the backlog and no connection is idle
        finally:
            self._waiting_capacity = False

    def _evict_idle(self) -> int:
        """At the cap: close the connections idle longest between requests; return how many."""
        idle = [c for c in self._connections if evictable(c)]
        if not idle:
            return 0
        batch = max(1, min(_EVICT_BATCH, self.max_connections // 64))
        if len(idle) > batch:
            idle = heapq.nsmallest(batch, idle, key=_deadline)
        for conn in idle:
            conn.expire(Expired())
        logger.debug("at the connection cap: closed %d idle keep-alive connections", len(idle))
        return len(idle)

    def _stop_listening(self) -> None:
        """Serve what the kernel already accepted for us, then close the listening socket.

        The queue is emptied twice, a moment apart, for handshakes that were completing.
        """
        lsock = self.socket
        if self._created_socket:
            refuse_new_connections(lsock)  # nobody else accepts on it: no new connections
        taken = 0
        try:
            lsock.settimeout(0.0)
            taken = self._take_queued(lsock)
            sleep(_SETTLE)
            taken += self._take_queued(lsock)
        finally:
            lsock.close()
        logger.info("stopped listening (%d queued connections taken); %d open", taken, len(self._connections))

    def _take_queued(self, lsock: Any) -> int:
        """Admit every connection waiting in the queue of ``lsock``; return how many."""
        taken = 0
        while True:
            try:
                sock, addr = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return taken
            except OSError as exc:
                if exc.errno in TRANSIENT_ERRNOS:
                    continue
                logger.debug("taking the last connections off the listening socket: %s", exc)
                return taken
            self._admit(sock, addr)
            taken += 1


def _deadline(conn: HttpProtocol) -> float:
    return conn.deadline
