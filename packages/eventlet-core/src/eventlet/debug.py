"""Debugging aids: who is blocking the hub, what the hub waits for, a line tracer.

Blocking detection.  Green threads share one OS thread, so a green thread that computes for a long
time or calls a blocking function stops every other one.  :func:`hub_blocking_detection` finds
these: a greenlet trace function (``greenlet.settrace``) notes the time of every switch in the
hub's thread, and a watchdog thread checks, every fraction of ``resolution``, whether the thread
has stayed in one greenlet longer than ``resolution`` seconds without that greenlet being the hub
asleep in its poller.  If so, it reports the stack of the hub's thread as it is at that moment,
taken with ``sys._current_frames``: the code that blocks.  The report is printed to ``stderr`` and
logged (logger ``eventlet.debug``, level WARNING).  Unlike upstream eventlet it uses no ``SIGALRM``
and raises nothing in the blocked code (an exception raised at an arbitrary point, inside a lock or
a ``finally`` block or the hub itself, leaves the program in a state nobody can reason about); and
it costs nothing while it is off.

The switches of upstream eventlet are all here and do what they did there:
:func:`hub_exceptions` (print unhandled exceptions), :func:`tpool_exceptions`,
:func:`hub_listener_stacks` and :func:`hub_timer_stacks` (record where each fd listener or timer
was made, for :func:`format_hub_listeners` and :func:`format_hub_timers`),
:func:`hub_prevent_multiple_readers`; and :func:`spew` traces every line executed, to stdout.
"""

from __future__ import annotations

import linecache
import logging
import os
import re
import sys
import threading
import time
import traceback
import weakref
from types import FrameType
from typing import Any

import greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.hub import BaseHub, Timer
from eventlet.hubs.timer import _entry_of

__all__ = [
    "Spew",
    "format_asyncio_info",
    "format_hub_listeners",
    "format_hub_timers",
    "format_threads_info",
    "hub_blocking_detection",
    "hub_exceptions",
    "hub_listener_stacks",
    "hub_prevent_multiple_readers",
    "hub_timer_stacks",
    "spew",
    "tpool_exceptions",
    "unspew",
]

logger: logging.Logger = logging.getLogger("eventlet.debug")


def _print(stream_name: str, text: str) -> None:
    """Write ``text`` to ``sys.stdout`` or ``sys.stderr`` as it is now (tests and tools swap them)."""
    stream = getattr(sys, stream_name)
    if stream is not None:
        stream.write(text)
        stream.flush()


# ---------------------------------------------------------------------- blocking detection
class BlockingDetector:
    """Watch one hub's thread and report the stack of code that holds it too long."""

    def __init__(self, hub: BaseHub, resolution: float) -> None:
        self.hub = hub
        self.resolution = resolution
        self.last_switch: float = time.monotonic()
        self.switches: int = 0
        self.reported: int = -1  # the switch count already reported (one report per blocking spell)
        self.reports: int = 0
        self._stop = threading.Event()
        self._previous_trace: Any = None
        self._thread = threading.Thread(target=self._watch, name="eventlet-blocking-detector", daemon=True)

    def start(self) -> None:
        """Install the switch tracer in this (the hub's) thread and start the watchdog."""
        self._previous_trace = greenlet.settrace(self._trace)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; restores the previous greenlet trace function."""
        self._stop.set()
        greenlet.settrace(self._previous_trace)
        self._thread.join()

    def _trace(self, event: str, args: Any) -> None:
        self.last_switch = time.monotonic()
        self.switches += 1
        if self._previous_trace is not None:
            self._previous_trace(event, args)

    def _watch(self) -> None:
        interval = max(self.resolution / 4, 0.005)
        while not self._stop.wait(interval):
            self.check()

    def check(self) -> bool:
        """Report the hub thread's stack if it has been blocked longer than the resolution."""
        switches = self.switches
        if switches == self.reported or time.monotonic() - self.last_switch < self.resolution:
            return False
        frame = sys._current_frames().get(self.hub.thread_ident)
        if frame is None or self.hub.is_idle_frame(frame):
            return False
        self.reported = switches
        self.reports += 1
        stack = "".join(traceback.format_stack(frame))
        message = f"The hub was blocked for more than {self.resolution:.3g}s by this code:\n{stack}"
        logger.warning("%s", message)
        _print("stderr", message)
        return True


def hub_blocking_detection(state: bool = False, resolution: float = 1) -> BlockingDetector | None:
    """Turn on (or off) the report of code that blocks the current thread's hub > ``resolution`` s.

    Call it from the hub's thread.  Returns the detector while it is on.  The report (the stack of
    the blocking code, taken while it blocks) is printed to stderr and logged on ``eventlet.debug``;
    the blocked code itself is not interrupted (upstream raises ``RuntimeError`` in it).
    """
    hub = get_hub()
    detector: BlockingDetector | None = hub.blocking_detector
    if detector is not None:
        detector.stop()
        hub.blocking_detector = None
    if not state:
        return None
    if resolution <= 0:
        raise ValueError("resolution must be positive")
    detector = BlockingDetector(hub, resolution)
    hub.blocking_detector = detector
    detector.start()
    return detector


# ---------------------------------------------------------------------- switches
def hub_exceptions(state: bool = True) -> None:
    """Print (``True``, the default) or not the exceptions nobody else sees, in the current hub.

    Those escaping hub callbacks and timers, and those ending a green thread that nobody waits for.
    Printed to stderr, as upstream does; they are logged on ``eventlet.hub`` whatever the state
    (logging shows nothing until the application configures it): a program that routes logging
    turns the printing off to get each report once.
    """
    get_hub().debug_exceptions = bool(state)


def hub_prevent_multiple_readers(state: bool = True) -> None:
    """Refuse (``True``, the default) or allow several green threads waiting on one fd at once.

    While on, a second green thread that waits to read (or write) a socket or pipe another one
    already waits on gets ``RuntimeError``, as upstream.  Turned off, the waiters take turns: each
    time the fd is ready the longest-waiting one is woken.  The setting is process-wide.  (Raw fds
    waited on with ``trampoline``, such as a child's pidfd, may always have several waiters.)
    """
    from eventlet.hubs import _fds

    _fds.prevent_multiple_readers = bool(state)


def tpool_exceptions(state: bool = False) -> None:
    """Print (``True``) an exception raised by a :mod:`eventlet.tpool` call before re-raising it.

    Off by default: the calling green thread gets the exception either way.
    """
    from eventlet import tpool

    tpool.QUIET = not state


def hub_listener_stacks(state: bool = False) -> None:
    """Record, from now on, where each fd listener of the current hub was made.

    :func:`format_hub_listeners` prints the stacks.  Costs a stack capture per wait while on.
    """
    get_hub().set_debug_listeners(state)


class _TimerStacks:
    """Where each timer of one hub was scheduled, while :func:`hub_timer_stacks` is on.

    The hub reports every timer scheduled (``schedule_call_global``, and the inlined ones of
    ``sleep``, ``Timeout``, socket waits, ``spawn_after``) through
    :meth:`~eventlet.hubs._timers.TimerQueue.set_timer_recorder`; fired and cancelled timers are
    forgotten as the record grows.
    """

    def __init__(self, hub: BaseHub) -> None:
        self.hub = hub
        self.stacks: dict[int, tuple[list[Any], str]] = {}  # id(timer entry) -> (entry, stack)
        self._limit = 1024

    def install(self) -> None:
        self.hub.set_timer_recorder(self.record)

    def uninstall(self) -> None:
        self.hub.set_timer_recorder(None)

    def record(self, entry: list[Any]) -> None:
        # the stack without this frame and the hub's append that called it
        stack = "".join(traceback.format_stack()[:-2])
        stacks = self.stacks
        stacks[id(entry)] = (entry, stack)
        if len(stacks) > self._limit:
            for key in [key for key, (done, _stack) in stacks.items() if done[2] is None]:
                del stacks[key]
            self._limit = max(1024, 2 * len(stacks))

    def stack_of(self, timer: Timer) -> str | None:
        """The stack that scheduled ``timer`` (as ``hub.get_timers()`` gives it), if recorded."""
        found = self.stacks.get(id(_entry_of(timer)))  # (the record holds the entry: ids are unique)
        return None if found is None else found[1]


_timer_stacks: weakref.WeakKeyDictionary[BaseHub, _TimerStacks] = weakref.WeakKeyDictionary()


def hub_timer_stacks(state: bool = False) -> None:
    """Record, from now on, where each timer of the current hub was scheduled.

    :func:`format_hub_timers` prints the stacks.  Costs a stack capture per timer while on.
    """
    hub = get_hub()
    recorder = _timer_stacks.pop(hub, None)
    if recorder is not None:
        recorder.uninstall()
    if state:
        recorder = _timer_stacks[hub] = _TimerStacks(hub)
        recorder.install()


# ---------------------------------------------------------------------- descriptions
def format_hub_listeners() -> str:
    """A description of every fd listener of the current hub, one per line.

    With :func:`hub_listener_stacks` on, each is followed by the stack that made it.
    """
    hub = get_hub()
    lines = ["READERS:"]
    lines += _describe_listeners(hub.get_readers())
    lines.append("WRITERS:")
    lines += _describe_listeners(hub.get_writers())
    return os.linesep.join(lines)


def _describe_listeners(listeners: list[Any]) -> list[str]:
    lines = []
    for listener in listeners:
        lines.append(repr(listener))
        where = getattr(listener, "where_called", None)
        if where:
            lines.append(where.rstrip("\n"))
    return lines


def format_hub_timers() -> str:
    """A description of every pending timer of the current hub, soonest first.

    With :func:`hub_timer_stacks` on, each is followed by the stack that scheduled it.
    """
    hub = get_hub()
    now = hub.clock()
    recorder = _timer_stacks.get(hub)
    lines = ["TIMERS:"]
    for timer in hub.get_timers():
        lines.append(f"  in {timer.deadline - now:.3f}s: {timer!r}")
        where = recorder.stack_of(timer) if recorder is not None else None
        if where:
            lines.append(where.rstrip("\n"))
    return os.linesep.join(lines)


def format_asyncio_info() -> str:
    """The tasks and the event loop of asyncio in this thread (useful with the asyncio hub)."""
    import asyncio

    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = getattr(get_hub(), "loop", None)
    tasks = asyncio.all_tasks(loop) if loop is not None else set()
    return os.linesep.join(["TASKS:", repr(tasks), f"EVENTLOOP: {loop!r}"])


def format_threads_info() -> str:
    """The Python threads alive, by ident (with ``threading.enumerate``'s objects)."""
    threads = {thread.ident: thread for thread in threading.enumerate()}
    return os.linesep.join(["THREADS:", repr(threads)])


# ---------------------------------------------------------------------- spew
_TOKENS = re.compile(r"\W+")


class Spew:
    """A ``sys.settrace`` function that prints each line executed, to ``sys.stdout``.

    Each line is printed as ``module:lineno: source``; with ``show_values``, a second line (starting
    with a tab) gives ``name=repr(value)`` for the names on it that are globals or locals of the
    frame.  ``trace_names`` limits it to the named modules (and their submodules).  Code whose
    module has no ``__file__`` is shown as ``[unknown]``.
    """

    def __init__(
        self, trace_names: list[str] | tuple[str, ...] | None = None, show_values: bool = True
    ) -> None:
        self.trace_names = trace_names
        self.show_values = show_values

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Spew:
        if event == "line":
            self._line(frame)
        return self

    def _wanted(self, name: str) -> bool:
        names = self.trace_names
        return names is None or any(name == want or name.startswith(f"{want}.") for want in names)

    def _line(self, frame: FrameType) -> None:
        f_globals = frame.f_globals
        name = str(f_globals.get("__name__", "[unknown]")) if "__file__" in f_globals else "[unknown]"
        if not self._wanted(name):
            return
        lineno = frame.f_lineno
        code = frame.f_code
        line = linecache.getline(code.co_filename, lineno).rstrip()
        if not line:
            line = f"Unknown code named [{code.co_name}].  VM instruction #{frame.f_lasti}"
        text = f"{name}:{lineno}: {line}\n"
        if self.show_values:
            details = self._values(frame, line)
            if details:
                text += "\t" + " ".join(details) + "\n"
        _print("stdout", text)

    @staticmethod
    def _values(frame: FrameType, line: str) -> list[str]:
        scopes = [frame.f_globals]
        f_locals = frame.f_locals
        if f_locals is not frame.f_globals:
            scopes.append(f_locals)
        details = []
        for token in _TOKENS.split(line):
            for scope in scopes:
                if token and token in scope:
                    try:
                        shown = repr(scope[token])
                    except Exception as exc:  # a broken __repr__ must not break the tracing
                        shown = f"<repr failed: {exc!r}>"
                    details.append(f"{token}={shown}")
        return details


def spew(trace_names: list[str] | tuple[str, ...] | None = None, show_values: bool = False) -> None:
    """Print every line executed in this thread (only in modules named by ``trace_names``).

    A debugging tool: the output goes to ``sys.stdout`` (see :class:`Spew`).  :func:`unspew` stops it.
    """
    sys.settrace(Spew(trace_names, show_values))


def unspew() -> None:
    """Stop :func:`spew`."""
    sys.settrace(None)  # pragma: no cover - this line also ends a coverage tracer, so it is unseen
