"""The worker's side of supervision: reports to the supervisor, watchdogs, recycling.

A worker (see :mod:`eventlet.httpd._workers`) writes one-line reports on the pipe the
supervisor gave it (:class:`WorkerLink`): ``R`` once it accepts, ``B`` (a beat) from its hub
every quarter of ``--timeout``, ``Q`` to ask for a successor.  Each line is far shorter than
``PIPE_BUF``, so lines of several workers sharing the pipe never interleave.

:class:`HubWatchdog` sends the beats from a hub timer, so they stop when the hub is blocked;
its thread then logs the stack of the code blocking the hub (when the hub's thread runs Python
code: a thread cannot see into a C call holding the GIL) before the supervisor's ``--timeout``
kills the worker.  :class:`RequestLimit` counts requests for ``--max-requests``; the helpers
:func:`watch_parent` and :func:`watch_sources` stop a worker whose supervisor disappeared and
ask for a successor when a source file changes (``--reload``).
"""

from __future__ import annotations

import logging
import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

__all__ = [
    "BEAT",
    "LOAD_FAILED_EXIT",
    "READY",
    "REPLACE",
    "STATS",
    "HubWatchdog",
    "RequestLimit",
    "WorkerLink",
    "report_stats",
    "watch_parent",
    "watch_sources",
]

logger = logging.getLogger("eventlet.httpd.workers")

READY = b"R"
"""Report: the worker accepts connections."""
BEAT = b"B"
"""Report: the worker's hub is alive."""
REPLACE = b"Q"
"""Report: start a successor, then stop this worker."""
STATS = b"S"
"""Report: the worker's statistics (JSON after the pid)."""
LOAD_FAILED_EXIT = 2
"""Exit status when the application or the socket cannot be set up (not worth a restart): the
supervisor stops instead of replacing a worker that exits with it."""
_STATS_INTERVAL = 1.0


class WorkerLink:
    """The write end of the supervisor's report pipe (``fd``), for this worker."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pid = os.getpid()
        os.set_blocking(fd, False)  # a full pipe (a stuck supervisor) must not block the hub

    def report(self, kind: bytes, payload: bytes = b"") -> None:
        """Write one report; a supervisor that is gone is noticed by :func:`watch_parent`."""
        line = kind + b" %d" % self.pid + (b" " + payload if payload else b"") + b"\n"
        try:
            os.write(self.fd, line)
        except OSError as exc:
            logger.debug("cannot report to the supervisor: %s", exc)

    def close(self) -> None:
        """Close the pipe."""
        os.close(self.fd)


class HubWatchdog:
    """Beats from the current hub every ``timeout / 4`` s; reports a hub blocked ``timeout / 2``.

    ``link`` (may be None: then only the report) receives the beats.  Call :meth:`start` from
    the hub's thread and :meth:`stop` when done.
    """

    def __init__(self, timeout: float, link: WorkerLink | None) -> None:
        from eventlet.hubs import get_hub

        self.hub = get_hub()
        self.timeout = timeout
        self.interval = max(timeout / 4, 0.01)
        self.link = link
        self.last = time.monotonic()
        self.reports = 0
        self._timer: Any = None
        self._reported = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="eventlet-httpd-watchdog", daemon=True)

    def start(self) -> None:
        """Start beating and watching."""
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and watching."""
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._thread.join()

    def _beat(self) -> None:
        self.last = time.monotonic()
        self._reported = False
        if self.link is not None:
            self.link.report(BEAT)
        self._timer = self.hub.schedule_call_global(self.interval, self._beat)

    def _watch(self) -> None:
        while not self._stopped.wait(self.interval):
            self.check()

    def check(self) -> bool:
        """Log the hub thread's stack if the hub has not beaten for ``timeout / 2`` s."""
        blocked = time.monotonic() - self.last
        if self._reported or blocked < self.timeout / 2:
            return False
        frame = sys._current_frames().get(self.hub.thread_ident)
        if frame is None or self.hub.is_idle_frame(frame):
            return False
        self._reported = True
        self.reports += 1
        stack = "".join(traceback.format_stack(frame))
        logger.error(
            "the hub of worker %d has been blocked for %.1f s (the timeout is %g s) by:\n%s",
            os.getpid(),
            blocked,
            self.timeout,
            stack,
        )
        return True


class RequestLimit:
    """A WSGI wrapper calling ``on_limit`` once after ``limit`` (+ up to ``jitter``) requests."""

    def __init__(
        self, app: Callable[..., Any], limit: int, jitter: int, on_limit: Callable[[], None]
    ) -> None:
        self.app = app
        self.limit = limit + (random.randint(0, jitter) if jitter > 0 else 0)
        self.count = 0
        self.on_limit = on_limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Count the request, then run the application."""
        self.count += 1
        if self.count == self.limit:
            logger.info("worker %d served %d requests: asking for a successor", os.getpid(), self.count)
            self.on_limit()
        return self.app(environ, start_response)


def report_stats(server: Any, link: WorkerLink, interval: float = _STATS_INTERVAL) -> None:
    """(In a worker with metrics) send the server's statistics every ``interval`` seconds.

    Returns after one report once the server is stopping (so it also makes a last report).
    """
    import json

    from eventlet.greenthread import sleep

    while True:
        line = json.dumps(server.stats(), separators=(",", ":")).encode()
        if len(line) < 4000:  # under PIPE_BUF: written whole, never interleaved
            link.report(STATS, line)
        else:  # pragma: no cover - the statistics are a fixed set of numbers
            logger.warning("statistics too long to report (%d bytes)", len(line))
        if server.stopping:
            return
        sleep(interval)


def watch_parent(server: Any, interval: float = 1.0) -> None:
    """(In a worker) stop the server if the supervisor goes away."""
    from eventlet.greenthread import sleep

    parent = os.getppid()
    while not server.stopping:
        sleep(interval)
        if os.getppid() != parent:
            logger.warning("the supervisor %d is gone: stopping", parent)
            server.stop()
            return


def _source_mtimes() -> dict[str, float]:
    mtimes = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            try:
                mtimes[path] = os.stat(path).st_mtime
            except OSError:
                continue
    return mtimes


def watch_sources(server: Any, on_change: Callable[[str], None], interval: float = 0.5) -> None:
    """(In a ``--reload`` worker) call ``on_change(path)`` each time a loaded module's file changes."""
    from eventlet.greenthread import sleep

    before = _source_mtimes()
    logger.info("watching %d source files for changes", len(before))
    while not server.stopping:
        sleep(interval)
        now = _source_mtimes()
        modified = [path for path, mtime in now.items() if before.get(path, mtime) != mtime]
        if modified:
            logger.info("%s changed: reloading", modified[0])
            on_change(modified[0])
        before = now
