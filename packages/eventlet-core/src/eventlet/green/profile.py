"""Green ``profile``: the standard deterministic profiler, following green threads.

The standard :class:`profile.Profile` keeps one stack of the calls in progress.  Green threads
break that: a switch leaves one green thread's calls half-done and resumes another's, so the
profiler sees returns from frames it never saw called and fails ("Bad return").  This
:class:`Profile` keeps one call stack per green thread: a greenlet trace function
(``greenlet.settrace``, installed only while it profiles) swaps the stack at every switch, so
the time between two events goes to the function that was running in the green thread that ran.
Frames a green thread entered before profiling started are ignored when they return.

Use it like the standard module: ``Profile().runctx(...)``, ``runcall``, or the module functions
:func:`run` and :func:`runctx`; or, as upstream eventlet's, ``start()`` and ``stop()`` around
code.  It profiles the OS thread it runs in, as the standard one does.
"""

from __future__ import annotations

import profile as _std_profile
import sys
import weakref
from collections.abc import Callable
from typing import Any

import greenlet

__all__ = ["Profile", "run", "runctx"]

_UNSEEN: Any = object()


class Profile(_std_profile.Profile):
    """``profile.Profile`` with one call stack per green thread (see the module docstring)."""

    #: The running green thread's stack of calls in progress (the standard profiler's tuples).
    cur: Any

    def __init__(self, timer: Callable[[], float] | None = None, bias: float | None = None) -> None:
        super().__init__(timer, bias)  # type: ignore[arg-type]
        self._stacks: weakref.WeakKeyDictionary[greenlet.greenlet, Any] = weakref.WeakKeyDictionary()
        self._previous_trace: Any = None
        self._following = False

    # ---------------------------------------------------------------- following green threads
    def _follow(self) -> None:
        if not self._following:
            self._following = True
            self._previous_trace = greenlet.settrace(self._switched)

    def _unfollow(self) -> None:
        if self._following:
            self._following = False
            greenlet.settrace(self._previous_trace)
            self._previous_trace = None

    def _switched(self, event: str, args: tuple[greenlet.greenlet, greenlet.greenlet]) -> None:
        """Greenlet trace function: put away the stack of the green thread left, take the other's."""
        origin, target = args
        self._stacks[origin] = self.cur
        cur = self._stacks.pop(target, _UNSEEN)
        if cur is _UNSEEN:  # a green thread seen for the first time: a stack with a root of its own
            self.cur = None
            self.simulate_call("<green thread>")
        else:
            self.cur = cur
        previous = self._previous_trace
        if previous is not None:
            previous(event, args)

    # ---------------------------------------------------------------- the standard entry points
    def start(self, name: str = "start") -> None:
        """Profile this thread (and its green threads) from here until :meth:`stop`.

        ``name`` labels the outermost entry of the statistics (upstream eventlet's method).
        """
        if self._following:
            return
        self._follow()
        self.simulate_call(name)
        sys.setprofile(self.dispatcher)  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop profiling (the statistics are then ready: ``print_stats``, ``dump_stats``)."""
        sys.setprofile(None)
        self._unfollow()

    def runctx(self, cmd: str, globals: dict[str, Any], locals: Any) -> Profile:
        """Profile ``exec(cmd, globals, locals)``; return this profiler."""
        self._follow()
        try:
            super().runctx(cmd, globals, locals)
        finally:
            self._unfollow()
        return self

    def runcall(self, func: Callable[..., Any], /, *args: Any, **kw: Any) -> Any:
        """Profile ``func(*args, **kw)`` and return its result."""
        self._follow()
        try:
            return super().runcall(func, *args, **kw)
        finally:
            self._unfollow()

    # ---------------------------------------------------------------- tolerant event handlers
    def _on_call(self, frame: Any, t: float) -> int:
        """A call: push it onto the running green thread's stack.

        The standard handler insists that the caller is the frame on top of the stack; in a green
        thread that was suspended when profiling started it is a frame never seen, so push anyway.
        """
        code = frame.f_code
        fn = (code.co_filename, code.co_firstlineno, code.co_name)
        self.cur = (t, 0, 0, fn, frame, self.cur)
        timings = self.timings  # type: ignore[attr-defined]
        if fn in timings:
            calls, recursive, total, cumulative, callers = timings[fn]
            timings[fn] = calls, recursive + 1, total, cumulative, callers
        else:
            timings[fn] = 0, 0, 0, 0, {}
        return 1

    def _on_return(self, frame: Any, t: float) -> int:
        """A return (or C return/exception): pop the call on top, unless it is not that frame.

        A frame that is not on top was entered before profiling started (in a green thread then
        suspended); its return is ignored, as is anything that would pop a green thread's root.
        """
        cur = self.cur
        if cur is None or cur[-1] is None or frame is not cur[-2]:
            return 0
        return int(_std_profile.Profile.trace_dispatch_return(self, frame, t))  # type: ignore[attr-defined]

    dispatch: dict[Any, Any] = {
        **_std_profile.Profile.dispatch,  # type: ignore[attr-defined]
        "call": _on_call,
        "return": _on_return,
        "c_return": _on_return,
        "c_exception": _on_return,
    }


def run(statement: str, filename: str | None = None, sort: Any = -1) -> None:
    """Profile ``exec(statement)`` in ``__main__``'s namespace; print (or save) the statistics."""
    _std_profile._Utils(Profile).run(statement, filename, sort)  # type: ignore[attr-defined]


def runctx(
    statement: str, globals: dict[str, Any], locals: Any, filename: str | None = None, sort: Any = -1
) -> None:
    """Profile ``exec(statement, globals, locals)``; print (or save) the statistics."""
    _std_profile._Utils(Profile).runctx(statement, globals, locals, filename, sort)  # type: ignore[attr-defined]
