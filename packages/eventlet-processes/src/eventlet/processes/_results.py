"""What a ProcessPool hands back: :class:`AsyncResult`, and the errors a task can end with."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from eventlet.event import Event
from eventlet.processes._mainmodule import loads_in_parent
from eventlet.processes._sync import raise_flag, wait_flag

__all__ = [
    "AsyncResult",
    "PoolTerminated",
    "ProcessPoolError",
    "RemoteTraceback",
    "WorkerDied",
    "describe_exit",
]

logger = logging.getLogger("eventlet.processes")

T = TypeVar("T")


class ProcessPoolError(Exception):
    """Something went wrong in the pool rather than in a task."""


class WorkerDied(ProcessPoolError):
    """The worker running a task exited before answering (killed, crashed, ``os._exit``)."""

    def __init__(self, pid: int, returncode: int | None) -> None:
        self.pid = pid
        self.returncode = returncode
        super().__init__(f"worker process {pid} {describe_exit(returncode)} while running the task")


class PoolTerminated(ProcessPoolError):
    """The pool was terminated before the task finished."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (set as the exception's ``__cause__``)."""

    def __str__(self) -> str:
        return str(self.args[0])


def describe_exit(returncode: int | None) -> str:
    """``"was killed by SIGKILL"``, ``"exited with status 3"``..."""
    if returncode is None:
        return "closed its pipe"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


class AsyncResult(Generic[T]):
    """The future result of one task: wait for it from any green thread."""

    __slots__ = ("_callback", "_done", "_error_callback", "_listeners", "_ok", "_value")

    def __init__(
        self,
        callback: Callable[[T], object] | None = None,
        error_callback: Callable[[BaseException], object] | None = None,
    ) -> None:
        self._done: Event[None] = Event()
        self._ok = False
        self._value: Any = None
        self._callback = callback
        self._error_callback = error_callback
        self._listeners: list[Callable[[AsyncResult[T]], object]] = []

    def ready(self) -> bool:
        """True once the task has finished (successfully or not)."""
        return self._done.ready()

    def successful(self) -> bool:
        """Whether the task returned rather than raised; ValueError if it has not finished."""
        if not self._done.ready():
            raise ValueError(f"{self!r} is not ready")
        return self._ok

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the task has finished or ``timeout`` passes; return :meth:`ready`."""
        return wait_flag(self._done, timeout)

    def get(self, timeout: float | None = None) -> T:
        """The task's return value; re-raises its exception; TimeoutError after ``timeout``."""
        if not wait_flag(self._done, timeout):
            raise TimeoutError(f"the task did not finish within {timeout} seconds")
        if self._ok:
            value: T = self._value
            return value
        raise self._value

    def _resolve(self, ok: bool, value: Any) -> None:
        self._ok = ok
        self._value = value
        raise_flag(self._done)
        callback = self._callback if ok else self._error_callback
        if callback is not None:
            try:
                callback(value)
            except Exception:
                logger.exception("Exception in the callback of a ProcessPool task")
        for listener in self._listeners:
            listener(self)

    def _deliver(self, payload: bytes) -> None:
        try:
            ok, value = loads_in_parent(payload)
        except Exception as exc:
            self._resolve(False, ProcessPoolError(f"the task's reply could not be unpickled: {exc!r}"))
            return
        if ok:
            self._resolve(True, value)
            return
        error, text = value
        error.__cause__ = RemoteTraceback(text)
        self._resolve(False, error)

    def __repr__(self) -> str:
        state = ("ok" if self._ok else "failed") if self._done.ready() else "pending"
        return f"<AsyncResult {state}>"
