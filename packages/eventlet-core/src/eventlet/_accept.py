"""Accepting connections through the failures that pass: the one accept-with-backoff.

Every accept loop of the project (:func:`eventlet.convenience.serve`, the backdoor server,
:class:`eventlet.httpd.Server` and :func:`eventlet.wsgi.server`) takes its connections through an
:class:`AcceptBackoff`, so they all ride out the same failures the same way:

* an error about one connection attempt that went away before it was accepted
  (:data:`TRANSIENT_ERRNOS`: ``ECONNABORTED``, ``EPROTO``, ``EINTR``): accept the next at once;
* the process or the system out of descriptors or buffers for now (:data:`RESOURCE_ERRNOS`:
  ``EMFILE``, ``ENFILE``, ``ENOBUFS``, ``ENOMEM``): sleep, 10 ms the first time, twice as long
  each time after up to half a second, then try again.  A listening socket stays readable while
  a connection waits, so retrying at once would spin the CPU without end; sleeping lets the
  other green threads finish and free descriptors.  The first failure of an episode is logged
  at ``WARNING``, each retry at ``DEBUG``, on the loop's own logger; the next successful
  ``accept`` ends the episode;
* anything else (the socket was closed, it does not listen) is raised to the loop.

The cost when nothing fails is one method call around ``sock.accept()``.
"""

from __future__ import annotations

import errno
import logging
from typing import Any, TypeVar

from eventlet._typing import Closable, Listener
from eventlet.greenthread import sleep

__all__ = ["RESOURCE_ERRNOS", "TRANSIENT_ERRNOS", "AcceptBackoff"]

TRANSIENT_ERRNOS = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EINTR})
"""Errors of ``accept`` that only concern one connection attempt: take the next one."""
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""Errors of ``accept`` meaning "out of resources for now": back off, then try again."""
FIRST_DELAY = 0.01
"""Seconds slept after the first resource failure of an episode."""
MAX_DELAY = 0.5
"""The longest sleep between two attempts."""

S = TypeVar("S", bound=Closable)


class AcceptBackoff:
    """The failure handling of one accept loop (see the module docstring).

    ``logger`` and ``name`` say where and as whom the loop reports that it backs off.
    """

    __slots__ = ("_delay", "_logger", "_name")

    def __init__(self, logger: logging.Logger, name: str) -> None:
        self._logger = logger
        self._name = name
        self._delay = 0.0  # the last sleep of the current episode; 0: no episode

    def accept(self, sock: Listener[S]) -> tuple[S, Any]:
        """``sock.accept()``, retried through the failures that pass; others are raised."""
        while True:
            try:
                pair = sock.accept()
            except OSError as exc:
                if not self.retry(exc):
                    raise
                continue
            if self._delay:
                self._delay = 0.0
            return pair

    def retry(self, exc: OSError) -> bool:
        """Whether an accept that failed with ``exc`` should be tried again (after a sleep, if due).

        For loops that call ``accept`` themselves (non-blocking ones, say).
        """
        number = exc.errno
        if number in TRANSIENT_ERRNOS:
            return True
        if number not in RESOURCE_ERRNOS:
            return False
        if self._delay:
            self._delay = min(self._delay * 2, MAX_DELAY)
        else:
            self._logger.warning("%s cannot accept (%s): backing off until it clears", self._name, exc)
            self._delay = FIRST_DELAY
        self._logger.debug("%s: accept failed (%s), retrying in %.3fs", self._name, exc, self._delay)
        sleep(self._delay)
        return True
