"""Structured concurrency: a :class:`TaskGroup` owns the green threads spawned through it.

::

    with eventlet.TaskGroup() as tg:
        a = tg.spawn(fetch, "a")
        b = tg.spawn(fetch, "b")
    # here both have finished: a.wait() and b.wait() return at once

Rules
-----
* Leaving the ``with`` block waits for every child, including children spawned by children.
* When a child raises (anything but ``GreenletExit``, which is how a killed child ends), the group
  kills the other children and, if the body of the ``with`` block is still running, interrupts it
  where it is blocked (as :class:`asyncio.TaskGroup` does).  The ``with`` statement then raises the
  child's exception.
* When the body raises, the children are killed and waited for.  An ordinary exception (an
  ``Exception``) is reported together with any child failures; a control-flow exception
  (``GreenletExit``, ``KeyboardInterrupt``, ``SystemExit``, :class:`eventlet.Timeout`: anything that
  is not an ``Exception``) propagates unchanged, and child failures are logged
  (logger ``eventlet.taskgroup``) rather than lost.
* Several failures are raised together as a ``BaseExceptionGroup`` (an ``ExceptionGroup`` when all
  are ``Exception``).  On Python 3.10, which has no exception groups, the ``exceptiongroup``
  backport is used if it is installed; otherwise the first failure is raised, with the others
  described in its ``__notes__`` and logged.
* :meth:`TaskGroup.cancel` kills every child at the hub's next turn and refuses further spawns; the
  body is not interrupted, and killed children are not failures.
* Kills are issued from the hub, never from the green thread that asks for them, so the asker
  never blocks on a child that takes its time to die.
"""

from __future__ import annotations

import builtins
import importlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from greenlet import GreenletExit, getcurrent, greenlet

from eventlet import greenthread
from eventlet.greenthread import GreenThread
from eventlet.hubs import get_hub

__all__ = ["TaskGroup"]

logger: logging.Logger = logging.getLogger("eventlet.taskgroup")

T = TypeVar("T")
P = ParamSpec("P")


def _find_exception_group() -> Any:
    group = getattr(builtins, "BaseExceptionGroup", None)
    if group is None:  # pragma: no cover - Python 3.10
        try:
            group = importlib.import_module("exceptiongroup").BaseExceptionGroup
        except ImportError:
            group = None
    return group


#: ``BaseExceptionGroup`` (builtin, or the backport on 3.10), or None when there is none.
_BaseExceptionGroup: Any = _find_exception_group()


class _Interrupted(BaseException):
    """Thrown into the body of a group whose child failed; replaced by the failure on exit."""


class _Waiter:
    """The owner blocked in ``__exit__`` until the last child finishes."""

    __slots__ = ("greenlet",)

    def __init__(self, green: greenlet) -> None:
        self.greenlet: greenlet | None = green


def _wake(waiter: _Waiter) -> None:
    green = waiter.greenlet
    if green is not None:
        green.switch()


def _combine(
    errors: list[BaseException], group_class: Callable[[str, list[BaseException]], BaseException] | None
) -> BaseException:
    """One exception standing for ``errors`` (two or more)."""
    if group_class is not None:
        return group_class("unhandled errors in a TaskGroup", errors)
    first = errors[0]
    notes = list(getattr(first, "__notes__", ()))
    for other in errors[1:]:
        notes.append(f"TaskGroup: another child also failed: {other!r}")
        logger.error("Another failure in a TaskGroup", exc_info=(type(other), other, other.__traceback__))
    first.__notes__ = notes  # type: ignore[attr-defined]
    return first


class TaskGroup:
    """A scope that owns green threads: see the module documentation for the rules."""

    def __init__(self) -> None:
        self._children: dict[GreenThread[Any], None] = {}
        self._errors: list[BaseException] = []
        self._owner: greenlet | None = None
        self._state = "new"  # new -> body -> exiting -> closed
        self._stopping = False  # refusing spawns: cancelled, or a child failed, or the body raised
        self._kill_scheduled = False
        self._interrupt: _Interrupted | None = None
        self._exit_waiter: _Waiter | None = None

    def __repr__(self) -> str:
        return f"<TaskGroup {self._state} children={len(self._children)} errors={len(self._errors)}>"

    def __enter__(self) -> TaskGroup:
        if self._state != "new":
            raise RuntimeError("A TaskGroup can be entered only once")
        self._owner = getcurrent()
        self._state = "body"
        return self

    def spawn(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> GreenThread[T]:
        """Start ``func(*args, **kwargs)`` in a child green thread of the group; return it.

        Raises RuntimeError before the ``with`` block, after it, or once the group is stopping.
        """
        if self._state == "new":
            raise RuntimeError("TaskGroup.spawn() called before entering the TaskGroup")
        if self._state == "closed":
            raise RuntimeError("TaskGroup.spawn() called on a finished TaskGroup")
        if self._stopping:
            raise RuntimeError("TaskGroup.spawn() called on a TaskGroup that is shutting down")
        thread = greenthread.spawn(func, *args, **kwargs)
        self._children[thread] = None
        thread.link(self._child_done)
        return thread

    def cancel(self) -> None:
        """Kill every child (at the hub's next turn) and refuse further spawns.

        The body of the ``with`` block goes on; killed children do not count as failures.
        """
        self._stopping = True
        self._schedule_kill()

    @property
    def children(self) -> list[GreenThread[Any]]:
        """The children that have not finished, oldest first."""
        return list(self._children)

    def _child_done(self, thread: GreenThread[Any]) -> None:
        del self._children[thread]
        try:
            thread.wait()  # finished: returns or raises at once
        except GreenletExit:
            pass
        except BaseException as exc:
            self._errors.append(exc)
            self._stopping = True
            self._schedule_kill()
        if not self._children and self._exit_waiter is not None:
            get_hub().call_soon(_wake, self._exit_waiter)

    def _schedule_kill(self) -> None:
        if not self._kill_scheduled:
            self._kill_scheduled = True
            get_hub().call_soon(self._kill_children)

    def _kill_children(self) -> None:
        """Runs in the hub: kill the children, then interrupt a body still running after a failure."""
        self._kill_scheduled = False
        for thread in list(self._children):
            thread.kill()
        owner = self._owner
        if self._errors and self._state == "body" and self._interrupt is None and owner is not None:
            self._interrupt = _Interrupted()
            owner.throw(self._interrupt)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = "exiting"
        if exc is not None and exc is not self._interrupt:
            self._stopping = True
            self._schedule_kill()
        received = self._wait_children()
        self._state = "closed"
        body_error = None if exc is self._interrupt else exc
        if received is not None:  # killed or timed out while waiting for the children
            self._log_errors(body_error)
            raise received
        if body_error is not None and not isinstance(body_error, Exception):
            self._log_errors(None)
            return  # a control-flow exception goes on unchanged
        errors = self._errors if body_error is None else [body_error, *self._errors]
        if not errors:
            return
        if len(errors) == 1:
            if errors[0] is exc:
                return
            raise errors[0] from None
        raise _combine(errors, _BaseExceptionGroup) from None

    def _wait_children(self) -> BaseException | None:
        """Block until no child is left; return an exception thrown in meanwhile, if any."""
        received: BaseException | None = None
        if not self._children:
            return None
        hub = get_hub()
        waiter = self._exit_waiter = _Waiter(getcurrent())
        try:
            while self._children:
                try:
                    hub.switch()
                except BaseException as thrown:
                    if received is None:
                        received = thrown
                    self._stopping = True
                    self._schedule_kill()
        finally:
            waiter.greenlet = None
            self._exit_waiter = None
        return received

    def _log_errors(self, body_error: BaseException | None) -> None:
        """Failures that a control-flow exception supersedes: log them, never drop them silently."""
        failures = self._errors if body_error is None else [body_error, *self._errors]
        for error in failures:
            logger.error(
                "TaskGroup failure superseded by a control-flow exception",
                exc_info=(type(error), error, error.__traceback__),
            )
