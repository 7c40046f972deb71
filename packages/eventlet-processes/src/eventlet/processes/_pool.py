"""ProcessPool: long-lived worker processes running Python callables for many green threads.

How it works
------------
Each worker is a plain child process (``python -m eventlet.processes._worker``) whose stdin and
stdout carry length-prefixed pickles (:mod:`eventlet.processes._protocol`).  The parent side of a
worker has two green threads: a *writer* that sends the tasks assigned to it and a *reader* that
receives the replies, in order.  They are separate so that a large task never waits for a large
reply (and the other way round): a single green thread doing both could deadlock with a worker
blocked writing its reply.

Submitting a task pickles it in the caller's green thread (so an unpicklable argument fails at
once, where the mistake is), appends it to the pool's queue and runs :meth:`ProcessPool._dispatch`,
which hands queued tasks to the least loaded worker that has room.  "Room" is a number of tasks
sent but not answered, and, with ``max_tasks_per_child``, the worker's remaining quota.  Nothing in
dispatch blocks; the writers do the blocking writes.

How many tasks a worker may have in flight is a trade-off.  More means fewer, larger pipe writes
and reads (each one costs a process wake-up, tens of microseconds on a VM) and a worker that never
waits for the parent between tasks; but tasks sent to a busy worker cannot move to an idle one.  So
by default the limit adapts: each worker keeps a moving average of its tasks' service time and may
have about ``TARGET_BACKLOG`` seconds of work in flight, between 2 and ``MAX_PREFETCH`` tasks.
Tiny tasks get batched deeply; long ones go two at a time.  ``prefetch=N`` fixes the limit.

Replies resolve the oldest task sent to that worker.  When a worker's reply pipe reaches end of file
the worker is reaped, and unless it was retiring (its quota was used up, or the pool was closing
with nothing left to do) the task it was running fails with :class:`WorkerDied`; the tasks it had
not started go back to the front of the queue, and a new worker takes its place.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from time import monotonic
from typing import Any

from eventlet.greenthread import spawn_n
from eventlet.processes._popen import GreenPopen
from eventlet.processes._protocol import HEADER, PROTOCOL, decode_header, frame
from eventlet.processes._results import (
    AsyncResult,
    PoolTerminated,
    ProcessPoolError,
    RemoteTraceback,
    WorkerDied,
    describe_exit,
)
from eventlet.processes._streams import resolve_io_mode
from eventlet.processes._sync import Flag
from eventlet.processes._worker import noop, run_chunk, run_star_chunk

__all__ = [
    "AsyncResult",
    "PoolTerminated",
    "ProcessPool",
    "ProcessPoolError",
    "RemoteTraceback",
    "WorkerDied",
]

logger = logging.getLogger("eventlet.processes")

_RUN, _CLOSE, _TERMINATE = "running", "closed", "terminated"

#: seconds of estimated work an adaptive worker may have in flight
TARGET_BACKLOG = 0.002
#: the most tasks an adaptive worker may have in flight
MAX_PREFETCH = 64


class _Task:
    __slots__ = ("data", "result")

    def __init__(self, data: bytes, result: AsyncResult) -> None:
        self.data = data
        self.result = result


class _Worker:
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
        self.outbox: deque[_Task] = deque()
        self.sent: deque[_Task] = deque()
        self.assigned = 0
        self.wake = Flag()
        self.alive = True
        self.started = False
        #: True once the initializer succeeded: from then on the worker runs tasks
        self.ready = False
        self.retiring = False
        self.writer_done = Flag()
        #: how many tasks may be in flight (adapted to the service time unless fixed)
        self.limit = pool.prefetch or 2
        self._service_time = TARGET_BACKLOG / 2
        self._last_event = 0.0
        spawn_n(self._write_loop, init)
        spawn_n(self._read_loop)

    @property
    def load(self) -> int:
        return len(self.outbox) + len(self.sent)

    def has_room(self) -> bool:
        pool = self.pool
        if not self.alive or self.retiring or self.load >= self.limit:
            return False
        return pool.max_tasks_per_child is None or self.assigned < pool.max_tasks_per_child

    def assign(self, task: _Task) -> None:
        self.outbox.append(task)
        self.assigned += 1
        self.wake.set()

    def _should_retire(self) -> bool:
        pool = self.pool
        limit = pool.max_tasks_per_child
        if limit is not None and self.assigned >= limit:
            return True
        return pool._state != _RUN and not pool._queue

    def _write_loop(self, init: bytes) -> None:
        try:
            self._write_tasks(init)
        except OSError:
            pass  # the worker is gone; the reader sees its end of file and cleans up
        finally:
            self.writer_done.set()

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
                self.wake.clear()
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
        self.wake.set()
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


class ProcessPool:
    """``size`` worker processes (default: the CPU count) running callables for green threads.

    Functions, arguments and results travel as pickles, so functions must be importable by name
    (module-level).  ``initializer(*initargs)`` runs once in each worker.  With
    ``max_tasks_per_child`` a worker is replaced after that many tasks.  ``prefetch`` fixes how many
    tasks a worker may have in flight (default: adaptive, see the module notes).  ``io_mode`` selects how
    pipes are waited for (see :mod:`eventlet.processes._streams`).  Use as a context manager: a
    normal exit closes the pool and waits for the queued work, an exception terminates it.
    """

    def __init__(
        self,
        size: int | None = None,
        *,
        max_tasks_per_child: int | None = None,
        initializer: Callable[..., Any] | None = None,
        initargs: Iterable[Any] = (),
        prefetch: int | None = None,
        io_mode: str | None = None,
        python: str = sys.executable,
        exit_grace: float = 5.0,
    ) -> None:
        size = os.cpu_count() or 1 if size is None else size
        if size < 1:
            raise ValueError("size must be at least 1")
        if max_tasks_per_child is not None and max_tasks_per_child < 1:
            raise ValueError("max_tasks_per_child must be at least 1 (or None)")
        if prefetch is not None and prefetch < 1:
            raise ValueError("prefetch must be at least 1 (or None: adaptive)")
        self.size = size
        self.max_tasks_per_child = max_tasks_per_child
        self.prefetch = prefetch
        self.io_mode = resolve_io_mode(io_mode)
        self.python = python
        #: seconds a worker that closed its pipe gets to exit before it is killed
        self.exit_grace = exit_grace
        self._init = frame(pickle.dumps(sys.path, PROTOCOL)) + frame(
            pickle.dumps((initializer or noop, tuple(initargs), {}), PROTOCOL)
        )
        self._state = _RUN
        self._broken: BaseException | None = None
        self._queue: deque[_Task] = deque()
        self._workers: list[_Worker] = []
        self._starting = 0  # replacements being started (not in _workers yet)
        self._all_exited = Flag()
        try:
            for _ in range(size):
                self._workers.append(_Worker(self, self._init))
        except BaseException:
            self.terminate()
            self.join()
            raise

    # ------------------------------------------------------------------ submitting
    def apply_async(
        self,
        func: Callable[..., Any],
        args: Iterable[Any] = (),
        kwds: dict[str, Any] | None = None,
        callback: Callable[[Any], Any] | None = None,
        error_callback: Callable[[BaseException], Any] | None = None,
    ) -> AsyncResult:
        """Queue ``func(*args, **kwds)``; return its :class:`AsyncResult` at once.

        ``callback(result)`` or ``error_callback(exception)`` runs in the pool's green thread when
        the task finishes.  Raises ValueError if the pool is closed, and whatever pickling raises.
        """
        if self._state != _RUN:
            raise ValueError(f"the pool is {self._state}")
        if self._broken is not None:
            raise ProcessPoolError("the pool's workers cannot start") from self._broken
        data = frame(pickle.dumps((func, tuple(args), dict(kwds or {})), PROTOCOL))
        result = AsyncResult(callback, error_callback)
        self._queue.append(_Task(data, result))
        self._dispatch()
        return result

    def apply(
        self, func: Callable[..., Any], args: Iterable[Any] = (), kwds: dict[str, Any] | None = None
    ) -> Any:
        """Run ``func(*args, **kwds)`` in a worker and return its result (or raise its exception)."""
        return self.apply_async(func, args, kwds).get()

    def _chunks(
        self,
        helper: Callable[..., Any],
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None,
    ) -> list[AsyncResult]:
        items = list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), self.size * 4)
            chunksize += 1 if extra else 0
        chunksize = max(chunksize, 1)
        return [
            self.apply_async(helper, (func, items[start : start + chunksize]))
            for start in range(0, len(items), chunksize)
        ]

    def map(
        self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int | None = None
    ) -> list[Any]:
        """``[func(item) for item in iterable]``, computed by the workers in chunks, in order."""
        results = self._chunks(run_chunk, func, iterable, chunksize)
        return [value for result in results for value in result.get()]

    def starmap(
        self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]], chunksize: int | None = None
    ) -> list[Any]:
        """``[func(*args) for args in iterable]``, computed by the workers, in order."""
        results = self._chunks(run_star_chunk, func, iterable, chunksize)
        return [value for result in results for value in result.get()]

    def imap(self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:
        """Like :meth:`map`, but yield each result as soon as it and those before it are done.

        Every task is submitted when ``imap`` is called.
        """
        results = self._chunks(run_chunk, func, iterable, chunksize)
        return (value for result in results for value in result.get())

    def imap_unordered(
        self, func: Callable[[Any], Any], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[Any]:
        """Like :meth:`imap`, but yield results in the order they finish."""
        finished: deque[AsyncResult] = deque()
        arrived = Flag()

        def on_done(result: AsyncResult) -> None:
            finished.append(result)
            arrived.set()

        results = self._chunks(run_chunk, func, iterable, chunksize)
        for result in results:
            result._listeners.append(on_done)
        return _drain_unordered(len(results), finished, arrived)

    # ------------------------------------------------------------------ scheduling
    def _dispatch(self) -> None:
        queue = self._queue
        workers = self._workers
        while queue:
            best = None
            for worker in workers:
                if worker.has_room() and (best is None or worker.load < best.load):
                    best = worker
            if best is None:
                break
            best.assign(queue.popleft())
        if not queue and self._state != _RUN:
            for worker in workers:
                worker.wake.set()

    def _started(self, worker: _Worker, payload: bytes) -> None:
        """The first reply of a worker: its initializer's outcome."""
        reply = AsyncResult()
        reply._deliver(payload)
        worker.ready = reply.successful()
        if not worker.ready:
            self._broken = reply._value
            logger.error("The initializer of a ProcessPool worker failed", exc_info=reply._value)

    def _exited(self, worker: _Worker, returncode: int | None) -> None:
        self._workers.remove(worker)
        if self._state == _TERMINATE:
            for task in list(worker.sent) + list(worker.outbox):
                task.result._resolve(False, PoolTerminated("the pool was terminated"))
        else:
            if worker.sent and worker.ready:
                # the oldest task sent is the one the worker was running
                task = worker.sent.popleft()
                task.result._resolve(False, WorkerDied(worker.pid, returncode))
            self._queue.extendleft(reversed(list(worker.sent) + list(worker.outbox)))
            if not worker.started and self._broken is None:
                self._broken = ProcessPoolError(
                    f"worker process {worker.pid} {describe_exit(returncode)} before it started"
                )
            if self._broken is not None:
                self._fail_queue(ProcessPoolError("the pool's workers cannot start"), self._broken)
            elif self._state == _RUN or self._queue:
                self._replace()
            self._dispatch()
        if not self._workers and not self._starting:
            self._all_exited.set()

    def _replace(self) -> None:
        """Start a worker in place of one that exited (this yields while the child starts)."""
        self._starting += 1
        try:
            worker = _Worker(self, self._init)
        except OSError as exc:
            self._broken = ProcessPoolError(f"a new worker could not be started: {exc!r}")
            self._fail_queue(ProcessPoolError("the pool's workers cannot start"), self._broken)
            return
        finally:
            self._starting -= 1
        self._workers.append(worker)
        if self._state == _TERMINATE:  # terminated while the worker was starting
            worker.popen.kill()

    def _fail_queue(self, exc: BaseException, cause: BaseException | None = None) -> None:
        queue = self._queue
        while queue:
            error = type(exc)(*exc.args)
            error.__cause__ = cause
            queue.popleft().result._resolve(False, error)

    # ------------------------------------------------------------------ shutting down
    def close(self) -> None:
        """Accept no more tasks; the workers exit once the queued ones are done."""
        if self._state == _RUN:
            self._state = _CLOSE
            self._dispatch()

    def terminate(self) -> None:
        """Kill the workers now; unfinished tasks fail with :class:`PoolTerminated`."""
        if self._state == _TERMINATE:
            return
        self._state = _TERMINATE
        self._fail_queue(PoolTerminated("the pool was terminated"))
        for worker in self._workers:
            worker.popen.kill()
        if not self._workers and not self._starting:
            self._all_exited.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every worker to exit (after :meth:`close` or :meth:`terminate`)."""
        if self._state == _RUN:
            raise ValueError("join() needs close() or terminate() first")
        return self._all_exited.wait(timeout)

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.terminate()
        self.join()

    @property
    def pids(self) -> list[int]:
        """The process ids of the current workers."""
        return [worker.pid for worker in self._workers]

    def __repr__(self) -> str:
        workers, queued = len(self._workers), len(self._queue)
        return f"<ProcessPool {self._state} size={self.size} workers={workers} queued={queued}>"


def _drain_unordered(count: int, finished: deque[AsyncResult], arrived: Flag) -> Iterator[Any]:
    for _ in range(count):
        while not finished:
            arrived.wait()
            arrived.clear()
        yield from finished.popleft().get()
