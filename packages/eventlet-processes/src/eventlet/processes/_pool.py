"""ProcessPool: long-lived worker processes running Python callables for many green threads.

How it works
------------
Each worker is a plain child process (``python -m eventlet.processes._worker``) fed through its
stdin and stdout; the parent's side of one, with the two green threads that write its tasks and
read its replies, is a :class:`~eventlet.processes._worker_handle.WorkerHandle`.  This module
holds the pool: the queue, the scheduling, the replacement of workers and the shutdown.

Submitting a task pickles it in the caller's green thread (so an unpicklable argument fails at
once, where the mistake is), appends it to the pool's queue and runs :meth:`ProcessPool._dispatch`,
which hands queued tasks to the least loaded worker that has room.  "Room" is a number of tasks
sent but not answered (adaptive by default, or ``prefetch=N``: see
:mod:`eventlet.processes._worker_handle`), and, with ``max_tasks_per_child``, the worker's
remaining quota.  Nothing in dispatch blocks; the writers do the blocking writes.

Replies resolve the oldest task sent to that worker.  When a worker's reply pipe reaches end of file
the worker is reaped, and unless it was retiring (its quota was used up, or the pool was closing
with nothing left to do) the task it was running fails with :class:`WorkerDied`; the tasks it had
not started go back to the front of the queue, and a new worker takes its place.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from eventlet.event import Event
from eventlet.processes._mainmodule import check_not_importing_main, describe_main
from eventlet.processes._protocol import PROTOCOL, frame
from eventlet.processes._results import (
    AsyncResult,
    PoolTerminated,
    ProcessPoolError,
    RemoteTraceback,
    WorkerDied,
    describe_exit,
)
from eventlet.processes._streams import resolve_io_mode
from eventlet.processes._sync import raise_flag, wait_flag
from eventlet.processes._worker import noop, run_chunk, run_star_chunk
from eventlet.processes._worker_handle import CLOSE, RUN, TERMINATE, Task, WorkerHandle
from eventlet.processes._worker_handle import MAX_PREFETCH as MAX_PREFETCH
from eventlet.processes._worker_handle import TARGET_BACKLOG as TARGET_BACKLOG

__all__ = [
    "AsyncResult",
    "PoolTerminated",
    "ProcessPool",
    "ProcessPoolError",
    "RemoteTraceback",
    "WorkerDied",
]

logger = logging.getLogger("eventlet.processes")

T = TypeVar("T")
S = TypeVar("S")


class ProcessPool:
    """``size`` worker processes (default: the CPU count) running callables for green threads.

    Functions, arguments and results travel as pickles, so functions must be defined at module
    level, in a module or in the main script (which workers run under ``__mp_main__`` when a task
    needs it: see :mod:`eventlet.processes._mainmodule`).  ``initializer(*initargs)`` runs once in
    each worker.  With
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
        self.io_mode: str = resolve_io_mode(io_mode)
        self.python = python
        #: seconds a worker that closed its pipe gets to exit before it is killed
        self.exit_grace = exit_grace
        check_not_importing_main()
        settings = {"sys_path": sys.path, "main": describe_main()}
        self._init = frame(pickle.dumps(settings, PROTOCOL)) + frame(
            pickle.dumps((initializer or noop, tuple(initargs), {}), PROTOCOL)
        )
        self._state = RUN
        self._broken: BaseException | None = None
        self._queue: deque[Task] = deque()
        self._workers: list[WorkerHandle] = []
        self._starting = 0  # replacements being started (not in _workers yet)
        self._all_exited: Event[None] = Event()
        try:
            for _ in range(size):
                self._workers.append(WorkerHandle(self, self._init))
        except BaseException:
            self.terminate()
            self.join()
            raise

    # ------------------------------------------------------------------ submitting
    def apply_async(
        self,
        func: Callable[..., T],
        args: Iterable[Any] = (),
        kwds: Mapping[str, Any] | None = None,
        callback: Callable[[T], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> AsyncResult[T]:
        """Queue ``func(*args, **kwds)``; return its :class:`AsyncResult` at once.

        ``callback(result)`` or ``error_callback(exception)`` runs in the pool's green thread when
        the task finishes.  Raises ValueError if the pool is closed, and whatever pickling raises.
        """
        if self._state != RUN:
            raise ValueError(f"the pool is {self._state}")
        if self._broken is not None:
            raise ProcessPoolError("the pool's workers cannot start") from self._broken
        data = frame(pickle.dumps((func, tuple(args), dict(kwds or {})), PROTOCOL))
        result: AsyncResult[T] = AsyncResult(callback, error_callback)
        self._queue.append(Task(data, result))
        self._dispatch()
        return result

    def apply(
        self, func: Callable[..., T], args: Iterable[Any] = (), kwds: Mapping[str, Any] | None = None
    ) -> T:
        """Run ``func(*args, **kwds)`` in a worker and return its result (or raise its exception)."""
        return self.apply_async(func, args, kwds).get()

    def _chunks(
        self,
        helper: Callable[..., list[Any]],
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None,
    ) -> list[AsyncResult[list[Any]]]:
        items = list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), self.size * 4)
            chunksize += 1 if extra else 0
        chunksize = max(chunksize, 1)
        return [
            self.apply_async(helper, (func, items[start : start + chunksize]))
            for start in range(0, len(items), chunksize)
        ]

    def map(self, func: Callable[[S], T], iterable: Iterable[S], chunksize: int | None = None) -> list[T]:
        """``[func(item) for item in iterable]``, computed by the workers in chunks, in order."""
        results = self._chunks(run_chunk, func, iterable, chunksize)
        return [value for result in results for value in result.get()]

    def starmap(
        self, func: Callable[..., T], iterable: Iterable[Iterable[Any]], chunksize: int | None = None
    ) -> list[T]:
        """``[func(*args) for args in iterable]``, computed by the workers, in order."""
        results = self._chunks(run_star_chunk, func, iterable, chunksize)
        return [value for result in results for value in result.get()]

    def imap(self, func: Callable[[S], T], iterable: Iterable[S], chunksize: int = 1) -> Iterator[T]:
        """Like :meth:`map`, but yield each result as soon as it and those before it are done.

        Every task is submitted when ``imap`` is called.
        """
        results = self._chunks(run_chunk, func, iterable, chunksize)
        return (value for result in results for value in result.get())

    def imap_unordered(
        self, func: Callable[[S], T], iterable: Iterable[S], chunksize: int = 1
    ) -> Iterator[T]:
        """Like :meth:`imap`, but yield results in the order they finish."""
        finished: deque[AsyncResult[list[Any]]] = deque()
        arrived: Event[None] = Event()

        def on_done(result: AsyncResult[list[Any]]) -> None:
            finished.append(result)
            raise_flag(arrived)

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
        if not queue and self._state != RUN:
            for worker in workers:
                raise_flag(worker.wake)

    def _started(self, worker: WorkerHandle, payload: bytes) -> None:
        """The first reply of a worker: its initializer's outcome."""
        reply: AsyncResult[None] = AsyncResult()
        reply._deliver(payload)
        worker.ready = reply.successful()
        if not worker.ready:
            self._broken = reply._value
            logger.error("The initializer of a ProcessPool worker failed", exc_info=reply._value)

    def _exited(self, worker: WorkerHandle, returncode: int | None) -> None:
        self._workers.remove(worker)
        if self._state == TERMINATE:
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
            elif self._state == RUN or self._queue:
                self._replace()
            self._dispatch()
        if not self._workers and not self._starting:
            raise_flag(self._all_exited)

    def _replace(self) -> None:
        """Start a worker in place of one that exited (this yields while the child starts)."""
        self._starting += 1
        try:
            worker = WorkerHandle(self, self._init)
        except OSError as exc:
            self._broken = ProcessPoolError(f"a new worker could not be started: {exc!r}")
            self._fail_queue(ProcessPoolError("the pool's workers cannot start"), self._broken)
            return
        finally:
            self._starting -= 1
        self._workers.append(worker)
        if self._state == TERMINATE:  # terminated while the worker was starting
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
        if self._state == RUN:
            self._state = CLOSE
            self._dispatch()

    def terminate(self) -> None:
        """Kill the workers now; unfinished tasks fail with :class:`PoolTerminated`."""
        if self._state == TERMINATE:
            return
        self._state = TERMINATE
        self._fail_queue(PoolTerminated("the pool was terminated"))
        for worker in self._workers:
            worker.popen.kill()
        if not self._workers and not self._starting:
            raise_flag(self._all_exited)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every worker to exit (after :meth:`close` or :meth:`terminate`)."""
        if self._state == RUN:
            raise ValueError("join() needs close() or terminate() first")
        return wait_flag(self._all_exited, timeout)

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


def _drain_unordered(
    count: int, finished: deque[AsyncResult[list[Any]]], arrived: Event[None]
) -> Iterator[Any]:
    for _ in range(count):
        while not finished:
            arrived.wait()
            arrived.reset()
        yield from finished.popleft().get()
