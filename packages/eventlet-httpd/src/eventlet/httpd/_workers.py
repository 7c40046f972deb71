"""Worker processes: a supervisor sharing one listening socket with N workers.

The supervisor (the process that ran the command) binds the socket, then starts each worker
as ``python -m eventlet.httpd ... --worker-fd FD --worker-pipe FD`` with the socket and the
write end of a *report pipe* inherited; the kernel spreads new connections over the workers
that call ``accept``.  The supervisor never accepts, never imports the application, and
sleeps in ``select`` on the report pipe and on a self-pipe that its signal handlers write to
(``signal.set_wakeup_fd``).  Workers report on the pipe (:mod:`eventlet.httpd._worker`): *ready*
once they accept, a *beat* from their hub every quarter of ``--timeout``, and *replace me*
(``--max-requests`` reached, or ``--reload`` saw a source file change).  The supervisor reacts:

* a worker that exits is replaced (after a second's pause if it died within a second of
  starting, so a crashing application does not fork-bomb); one that exits with
  ``LOAD_FAILED_EXIT`` (the application cannot be imported) ends the whole server, unless it
  was replacing a worker that still runs (a reload of broken code keeps the old code serving);
* a worker that asks to be replaced, and every worker on ``SIGHUP``: a successor is started,
  and the old worker is sent ``SIGTERM`` only once its successor reports ready, so something
  accepts on the socket throughout.  An old worker stops accepting, finishes its requests and
  exits; connections arriving meanwhile wait in the backlog of the socket the others share;
* a ready worker silent for longer than ``--timeout`` seconds (its hub is blocked: a beat is a
  hub timer) is killed with ``SIGKILL`` and replaced, as gunicorn does;
* ``SIGTERM``/``SIGINT``: the supervisor makes the kernel drop new connection attempts on the
  socket (:func:`~eventlet.httpd._activation.refuse_new_connections`), closes its own
  descriptor of it at once, then sends ``SIGTERM`` to every worker.  Each worker serves the
  connections the kernel already queued and closes its descriptor, so once the last one has,
  the kernel refuses new clients at connect.  The supervisor waits up to the graceful timeout
  (plus a margin), kills stragglers, and exits.

Workers are started with ``SIGTERM`` blocked (the mask is inherited across ``exec``); a worker
unblocks it once its handler is installed, so a stop that arrives while it is still starting
is not lost: it starts, serves what is queued, and stops.  Workers ignore ``SIGINT`` (a
terminal's Ctrl-C reaches the whole process group; the supervisor coordinates) and stop by
themselves if the supervisor disappears.
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

from ._activation import refuse_new_connections
from ._worker import BEAT, LOAD_FAILED_EXIT, READY, REPLACE, STATS

__all__ = ["Supervisor", "WorkerProcess"]

logger = logging.getLogger("eventlet.httpd.workers")

_FAST_DEATH = 1.0  # a worker dying sooner than this after its start is restarted after a pause
_KILL_MARGIN = 5.0
_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)


class WorkerProcess:
    """The supervisor's record of one worker process."""

    __slots__ = ("beat", "predecessor", "proc", "ready", "started", "successor")

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.started = self.beat = time.monotonic()
        self.ready = False
        self.successor: WorkerProcess | None = None  # starting to take over from this one
        self.predecessor: WorkerProcess | None = None  # the worker this one takes over from

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.proc.pid


class Supervisor:
    """Runs and supervises ``count`` workers on ``sock`` (see the module docstring).

    ``argv`` are the command's arguments (the workers get them plus the hidden worker options);
    ``timeout`` (seconds, 0 for none) is how long a ready worker may stay silent.
    """

    def __init__(
        self,
        sock: socket.socket,
        argv: list[str],
        count: int,
        graceful_timeout: float,
        timeout: float = 0.0,
        metrics_address: tuple[str, int] | None = None,
    ) -> None:
        self.sock: socket.socket | None = sock
        self.argv = argv
        self.count = count
        self.graceful_timeout = graceful_timeout
        self.timeout = timeout
        self.workers: dict[int, WorkerProcess] = {}  # pid -> worker (serving or starting)
        self.retiring: dict[int, WorkerProcess] = {}  # pid -> worker told to stop
        self.signals: list[int] = []
        self.restart_at = 0.0  # when paused restarts may go ahead
        self.exit_status = 0
        self.report_r, self.report_w = os.pipe()
        os.set_blocking(self.report_r, False)
        self._partial = b""
        self.metrics_address = metrics_address
        self.stats: Any = None  # a metrics.WorkerStats with metrics_address

    # -- starting workers ------------------------------------------------------------------

    def spawn(self, predecessor: WorkerProcess | None = None) -> WorkerProcess:
        """Start one worker (to take over from ``predecessor`` once ready, if given)."""
        assert self.sock is not None
        fd = self.sock.fileno()
        cmd = [
            sys.executable,
            "-m",
            "eventlet.httpd",
            *self.argv,
            "--worker-fd",
            str(fd),
            "--worker-pipe",
            str(self.report_w),
        ]
        # Blocked here, blocked in the child until its handler is in place (see the docstring).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            proc = subprocess.Popen(cmd, pass_fds=(fd, self.report_w))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        worker = WorkerProcess(proc)
        if predecessor is not None:
            worker.predecessor = predecessor
            predecessor.successor = worker
        self.workers[proc.pid] = worker
        logger.info("started worker %d", proc.pid)
        return worker

    def serving(self) -> int:
        """Workers that count towards ``count``: all but those a successor is taking over from."""
        return sum(1 for w in self.workers.values() if w.successor is None)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        """Supervise until told to stop; return the exit status."""
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        previous_fd = signal.set_wakeup_fd(wake_w)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in _HANDLED}
        exporter = None
        try:
            if self.metrics_address is not None:
                from .metrics import WorkerStats, serve_supervisor_metrics

                self.stats = WorkerStats()
                exporter = serve_supervisor_metrics(self.stats.snapshots, *self.metrics_address)
                logger.info("serving metrics on %s:%d", *exporter.address[:2])
            for _ in range(self.count):
                self.spawn()
            while self._turn(wake_r):
                pass
            self._stop_all()
            return self.exit_status
        finally:
            if exporter is not None:
                exporter.stop()
            signal.set_wakeup_fd(previous_fd)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(wake_r)
            os.close(wake_w)
            os.close(self.report_r)
            os.close(self.report_w)
            self._close_socket()

    def _turn(self, wake_r: int) -> bool:
        """One round of the loop; False when the supervisor should stop."""
        timeout = 1.0
        if self.timeout:
            timeout = min(timeout, self.timeout / 4)
        if self.serving() < self.count:
            timeout = max(0.0, min(timeout, self.restart_at - time.monotonic()))
        ready, _, _ = select.select([wake_r, self.report_r], [], [], timeout)
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except BlockingIOError:  # pragma: no cover - select said readable
                pass
        if self.report_r in ready:
            self._read_reports()
        while self.signals:
            signum = self.signals.pop(0)
            if signum in (signal.SIGTERM, signal.SIGINT):
                logger.info("stopping (signal %d)", signum)
                return False
            if signum == signal.SIGHUP:
                self.replace()
        if not self._reap():
            return False
        self._check_timeouts()
        now = time.monotonic()
        while self.serving() < self.count and now >= self.restart_at:
            self.spawn()
        return True

    def _read_reports(self) -> None:
        try:
            data = os.read(self.report_r, 65536)
        except BlockingIOError:  # pragma: no cover - select said readable
            return
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            kind, _, rest = line.partition(b" ")
            pid_text, _, payload = rest.partition(b" ")
            try:
                pid = int(pid_text)
            except ValueError:
                logger.warning("malformed worker report %r", line[:100])
                continue
            if kind == STATS:
                self._record_stats(pid, payload)
                continue
            worker = self.workers.get(pid)
            if worker is None:
                continue  # a retiring worker, or one already reaped
            worker.beat = time.monotonic()
            if kind == READY:
                self._ready(worker)
            elif kind == REPLACE:
                if worker.successor is None and worker.predecessor is None:
                    logger.info("worker %d asked to be replaced", worker.pid)
                    self.spawn(worker)
            elif kind != BEAT:
                logger.warning("unknown worker report %r", line)

    def _record_stats(self, pid: int, payload: bytes) -> None:
        if self.stats is None or (pid not in self.workers and pid not in self.retiring):
            return
        import json

        try:
            self.stats.update(pid, json.loads(payload))
        except ValueError:
            logger.warning("malformed statistics from worker %d", pid)

    def _forget(self, pid: int) -> None:
        if self.stats is not None:
            self.stats.retire(pid)

    def _ready(self, worker: WorkerProcess) -> None:
        worker.ready = True
        old = worker.predecessor
        if old is None:
            return
        worker.predecessor = None
        if self.workers.pop(old.pid, None) is not None:
            self._retire(old)
            logger.info("worker %d took over from worker %d", worker.pid, old.pid)

    def _retire(self, worker: WorkerProcess) -> None:
        worker.successor = None
        self.retiring[worker.pid] = worker
        _terminate(worker.proc)

    def _reap(self) -> bool:
        """Collect exited workers; False if one says the application cannot run."""
        for pid, worker in list(self.retiring.items()):
            if worker.proc.poll() is not None:
                del self.retiring[pid]
                self._forget(pid)
                logger.info("retired worker %d exited", pid)
        for pid, worker in list(self.workers.items()):
            status = worker.proc.poll()
            if status is None:
                continue
            del self.workers[pid]
            self._forget(pid)
            old = worker.predecessor
            if old is not None:  # it was starting to take over from a worker that still runs
                old.successor = None
                worker.predecessor = None
                logger.error("worker %d, replacing worker %d, exited with status %s", pid, old.pid, status)
                continue
            if worker.successor is not None:  # its successor now simply counts as a worker
                worker.successor.predecessor = None
            if status == LOAD_FAILED_EXIT:
                logger.error("worker %d could not load the application: stopping", pid)
                self.exit_status = LOAD_FAILED_EXIT
                return False
            logger.warning("worker %d exited with status %s: replacing it", pid, status)
            if time.monotonic() - worker.started < _FAST_DEATH:
                self.restart_at = time.monotonic() + _FAST_DEATH
        return True

    def _check_timeouts(self) -> None:
        if not self.timeout:
            return
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.ready and now - worker.beat > self.timeout:
                logger.error(
                    "worker %d timed out (its hub gave no sign of life for %.1f s): killing it",
                    worker.pid,
                    now - worker.beat,
                )
                try:
                    worker.proc.kill()
                except ProcessLookupError:  # pragma: no cover - it exited in between
                    pass
                worker.ready = False  # reaped (and replaced) once it is gone

    def replace(self) -> None:
        """Start a new generation of workers; each old one retires once its successor is ready."""
        old = [w for w in self.workers.values() if w.successor is None and w.predecessor is None]
        for worker in old:
            self.spawn(worker)
        logger.info("replacing %d workers", len(old))

    # -- stopping --------------------------------------------------------------------------

    def _close_socket(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _stop_all(self) -> None:
        if self.sock is not None:
            refuse_new_connections(self.sock)  # the whole service stops: no new connections
        self._close_socket()  # the workers' descriptors are the last: they drain the queue
        procs = [w.proc for w in self.workers.values()] + [w.proc for w in self.retiring.values()]
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
