"""Worker processes: a supervisor sharing one listening socket with N workers.

The supervisor (the process that ran the command) binds the socket, then starts each worker
as ``python -m eventlet.httpd ... --worker-fd FD`` with the socket inherited; the kernel
spreads new connections over the workers that call ``accept``.  The supervisor never
accepts, never imports the application, and sleeps in ``select`` on a self-pipe that its
signal handlers write to (``signal.set_wakeup_fd``), so it reacts at once to:

* a worker exiting: it is replaced (after a second's pause if it died within a second of
  starting, so a crashing application does not fork-bomb); a worker that exits with
  ``LOAD_FAILED_EXIT`` (the application cannot be imported) ends the whole server, and one
  that exits with ``RELOAD_EXIT`` (``--reload`` saw a change) is replaced at once;
* ``SIGHUP``: a new generation of workers is started, then the old one is sent ``SIGTERM``;
  old workers stop accepting and finish their requests while the new ones accept, and
  connections arriving in between wait in the socket's backlog, which the supervisor
  keeps open: nothing is dropped;
* ``SIGTERM``/``SIGINT``: every worker gets ``SIGTERM`` (a graceful stop), the supervisor
  waits for them up to the graceful timeout (plus a margin), kills stragglers, and exits.

Workers ignore ``SIGINT`` (a terminal's Ctrl-C reaches the whole process group; the
supervisor coordinates) and stop by themselves if the supervisor disappears.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from typing import Any

__all__ = ["Supervisor", "watch_parent", "watch_sources"]

logger = logging.getLogger("eventlet.httpd.workers")

_FAST_DEATH = 1.0  # a worker dying sooner than this after its start is restarted after a pause
_KILL_MARGIN = 5.0
_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)


class Supervisor:
    """Runs and supervises ``count`` workers on ``sock`` (see the module docstring).

    ``argv`` are the command's arguments (the workers get them plus ``--worker-fd``).
    """

    def __init__(self, sock: socket.socket, argv: list[str], count: int, graceful_timeout: float) -> None:
        self.sock = sock
        self.argv = argv
        self.count = count
        self.graceful_timeout = graceful_timeout
        self.workers: dict[subprocess.Popen[bytes], float] = {}  # worker -> start time
        self.retiring: list[subprocess.Popen[bytes]] = []
        self.signals: list[int] = []
        self.restart_at = 0.0  # when paused restarts may go ahead
        self.exit_status = 0

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start one worker."""
        fd = self.sock.fileno()
        cmd = [sys.executable, "-m", "eventlet.httpd", *self.argv, "--worker-fd", str(fd)]
        proc = subprocess.Popen(cmd, pass_fds=(fd,))
        self.workers[proc] = time.monotonic()
        logger.info("started worker %d", proc.pid)
        return proc

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)

    def run(self) -> int:
        """Supervise until told to stop; return the exit status."""
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        previous_fd = signal.set_wakeup_fd(wake_w)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in _HANDLED}
        try:
            for _ in range(self.count):
                self.spawn()
            while self._turn(wake_r):
                pass
            self._stop_all()
            return self.exit_status
        finally:
            signal.set_wakeup_fd(previous_fd)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(wake_r)
            os.close(wake_w)
            self.sock.close()

    def _turn(self, wake_r: int) -> bool:
        """One round of the loop; False when the supervisor should stop."""
        timeout = 1.0
        if len(self.workers) < self.count:
            timeout = max(0.0, min(timeout, self.restart_at - time.monotonic()))
        select.select([wake_r], [], [], timeout)
        try:
            os.read(wake_r, 4096)
        except BlockingIOError:
            pass
        while self.signals:
            signum = self.signals.pop(0)
            if signum in (signal.SIGTERM, signal.SIGINT):
                logger.info("stopping (signal %d)", signum)
                return False
            if signum == signal.SIGHUP:
                self.replace()
        if not self._reap():
            return False
        now = time.monotonic()
        while len(self.workers) < self.count and now >= self.restart_at:
            self.spawn()
        return True

    def _reap(self) -> bool:
        """Collect exited workers; False if one says the application cannot run."""
        for proc in [p for p in self.retiring if p.poll() is not None]:
            self.retiring.remove(proc)
            logger.info("retired worker %d exited", proc.pid)
        for proc, started in list(self.workers.items()):
            status = proc.poll()
            if status is None:
                continue
            del self.workers[proc]
            from eventlet.httpd._cli import LOAD_FAILED_EXIT, RELOAD_EXIT

            if status == LOAD_FAILED_EXIT:
                logger.error("worker %d could not load the application: stopping", proc.pid)
                self.exit_status = LOAD_FAILED_EXIT
                return False
            if status == RELOAD_EXIT:
                logger.info("worker %d exited to reload", proc.pid)
                continue
            logger.warning("worker %d exited with status %s: replacing it", proc.pid, status)
            if time.monotonic() - started < _FAST_DEATH:
                self.restart_at = time.monotonic() + _FAST_DEATH
        return True

    def replace(self) -> None:
        """Start a new generation of workers, then retire the old one gracefully."""
        old = list(self.workers)
        self.workers.clear()
        for _ in range(self.count):
            self.spawn()
        for proc in old:
            _terminate(proc)
            self.retiring.append(proc)
        logger.info("replaced %d workers", len(old))

    def _stop_all(self) -> None:
        procs = list(self.workers) + self.retiring
        for proc in procs:
            _terminate(proc)
        deadline = time.monotonic() + self.graceful_timeout + _KILL_MARGIN
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker %d did not stop in time: killing it", proc.pid)
                proc.kill()
                proc.wait()
        self.workers.clear()
        self.retiring.clear()


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.send_signal(signal.SIGTERM)
    except ProcessLookupError:  # pragma: no cover - it exited in between
        pass


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


def watch_sources(server: Any, changed: list[bool], interval: float = 0.5) -> None:
    """(In a ``--reload`` worker) stop the server when a loaded module's file changes."""
    from eventlet.greenthread import sleep

    before = _source_mtimes()
    while not server.stopping:
        sleep(interval)
        now = _source_mtimes()
        modified = [path for path, mtime in now.items() if before.get(path, mtime) != mtime]
        if modified:
            logger.info("%s changed: reloading", modified[0])
            changed.append(True)
            server.stop()
            return
        before = now
