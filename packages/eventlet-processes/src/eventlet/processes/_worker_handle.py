"""The parent's side of one ProcessPool worker process: its pipes, its tasks in flight, its end.

(The child's side is :mod:`eventlet.processes._worker`.)  A worker is a plain child process
(``python -m eventlet.processes._worker``) whose stdin and stdout carry length-prefixed pickles
(:mod:`eventlet.processes._protocol`).  Its :class:`WorkerHandle` runs two green threads: a
*writer* that sends the tasks assigned to it and a *reader* that receives the replies, in order.
They are separate so that a large task never waits for a large reply (and the other way round):
a single green thread doing both could deadlock with a worker blocked writing its reply.

The pool assigns tasks to a handle's *outbox*; the writer moves them to *sent* as it writes them,
batching whatever accumulated into one write.  The first reply is the initializer's outcome; each
later one resolves the oldest task sent.  When nothing is left to send and the worker should
retire (its ``max_tasks_per_child`` quota is used up, or the pool is closing with an empty
queue), the writer closes stdin and the worker exits.

How many tasks a worker may have in flight is a trade-off.  More means fewer, larger pipe writes
and reads (each one costs a process wake-up, tens of microseconds on a VM) and a worker that never
waits for the parent between tasks; but tasks sent to a busy worker cannot move to an idle one.  So
by default the limit adapts: each handle keeps a moving average of its tasks' service time and may
have about :data:`TARGET_BACKLOG` seconds of work in flight, between 2 and :data:`MAX_PREFETCH`
tasks.  Tiny tasks get batched deeply; long ones go two at a time.  The pool's ``prefetch=N`` fixes
the limit.

At end of file on stdout (the worker exited or closed its end) the reader reaps the process, killing
it after the pool's ``exit_grace``, waits for the writer, and reports to the pool, which decides the
fate of the tasks still held here.
"""

from __future__ import annotations

import logging
import subprocess
from collections import deque
from time import monotonic
from typing import TYPE_CHECKING, Any

from eventlet.event import Event
from eventlet.greenthread import spawn_n
from eventlet.processes._popen import GreenPopen
from eventlet.processes._protocol import HEADER, decode_header
from eventlet.processes._results import AsyncResult
from eventlet.processes._sync import raise_flag

if TYPE_CHECKING:
    from eventlet.processes._pool import ProcessPool

__all__ = ["CLOSE", "MAX_PREFETCH", "RUN", "TARGET_BACKLOG", "TERMINATE", "Task", "WorkerHandle"]

logger = logging.getLogger("eventlet.processes")

#: The states of a ProcessPool.
RUN, CLOSE, TERMINATE = "running", "closed", "terminated"

#: seconds of estimated work an adaptive worker may have in flight
TARGET_BACKLOG = 0.002
#: the most tasks an adaptive worker may have in flight
MAX_PREFETCH = 64


class Task:
    """One submitted call: its pickled frame, and the result it resolves."""

    __slots__ = ("data", "result")

    def __init__(self, data: bytes, result: AsyncResult[Any]) -> None:
        self.data = data
        self.result = result


class WorkerHandle:
    """The parent's side of one worker process."""

    def __init__(self, pool: ProcessPool, init: bytes) -> None:
        self.pool = pool
        self.popen = GreenPopen(
            [pool.python, "-m", "eventlet.processes._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            io_mode=pool.io_mode,
        )
        self.pid: int = self.popen.pid
        self.outbox: deque[Task] = deque()
        self.sent: deque[Task] = deque()
        self.assigned = 0
        self.wake: Event[None] = Event()
        self.alive = True
        self.started = False
        #: True once the initializer succeeded: from then on the worker runs tasks
        self.ready = False
        self.retiring = False
        self.writer_done: Event[None] = Event()
        #: how many tasks may be in flight (adapted to the service time unless fixed)
        self.limit = pool.prefetch or 2
        self._service_time = TARGET_BACKLOG / 2
        self._last_event = 0.0
        spawn_n(self._write_loop, init)
        spawn_n(self._read_loop)

    @property
    def load(self) -> int:
        """How many tasks are assigned and not answered yet."""
        return len(self.outbox) + len(self.sent)

    def has_room(self) -> bool:
        """True if the pool may assign one more task to this worker now."""
        pool = self.pool
        if not self.alive or self.retiring or self.load >= self.limit:
            return False
        return pool.max_tasks_per_child is None or self.assigned < pool.max_tasks_per_child

    def assign(self, task: Task) -> None:
        """Queue ``task`` for the writer."""
        self.outbox.append(task)
        self.assigned += 1
        raise_flag(self.wake)

    def _should_retire(self) -> bool:
        pool = self.pool
        limit = pool.max_tasks_per_child
        if limit is not None and self.assigned >= limit:
            return True
        return pool._state != RUN and not pool._queue

    def _write_loop(self, init: bytes) -> None:
        try:
            self._write_tasks(init)
        except OSError:
            pass  # the worker is gone; the reader sees its end of file and cleans up
        finally:
            self.writer_done.send()

    def _write_tasks(self, init: bytes) -> None:
        stdin = self.popen.stdin
        outbox = self.outbox
        stdin.write(init)
        while True:
            while not outbox:
                if not self.alive:
                    return
                if self._should_retire():
                    self.retiring = True
                    stdin.close()
                    return
                self.wake.wait()
                self.wake.reset()
            batch = list(outbox)
            outbox.clear()
            if not self.sent:
                self._last_event = monotonic()
            self.sent.extend(batch)
            stdin.write(b"".join(task.data for task in batch) if len(batch) > 1 else batch[0].data)

    def _read_loop(self) -> None:
        stdout = self.popen.stdout
        try:
            while True:
                header = stdout.read(HEADER)
                size = decode_header(header)
                payload = stdout.read(size) if len(header) == HEADER else b""
                if len(header) < HEADER or len(payload) < size:
                    break  # end of file: the worker exited (or closed its end)
                if not self.started:
                    self.started = True
                    self.pool._started(self, payload)
                    continue
                self.sent.popleft().result._deliver(payload)
                if not self.pool.prefetch:
                    self._adapt()
                self.pool._dispatch()
        except OSError as exc:
            logger.debug("Reading from worker %d failed: %r", self.pid, exc)
        self._finish()

    def _adapt(self) -> None:
        """Update the service time estimate with the reply just received, and the limit from it."""
        now = monotonic()
        self._service_time += (now - self._last_event - self._service_time) * 0.2
        self._last_event = now
        if self._service_time <= 0:  # pragma: no cover - a clock that did not move
            self.limit = MAX_PREFETCH
        else:
            self.limit = max(2, min(MAX_PREFETCH, int(TARGET_BACKLOG / self._service_time)))

    def _finish(self) -> None:
        self.alive = False
        raise_flag(self.wake)
        popen = self.popen
        popen.stdin.close()  # a worker still alive sees end of file and exits
        try:
            popen.wait(timeout=self.pool.exit_grace)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
        popen.stdout.close()
        self.writer_done.wait()
        self.pool._exited(self, popen.returncode)
