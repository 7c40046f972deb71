"""Debugging aids: who is blocking the hub, what the hub waits for, a line tracer.

Blocking detection.  Green threads share one OS thread, so a green thread that computes for a long
time or calls a blocking function stops every other one.  :func:`hub_blocking_detection` finds
these: a greenlet trace function (``greenlet.settrace``) notes the time of every switch in the
hub's thread, and a watchdog thread checks, every fraction of ``resolution``, whether the thread
has stayed in one greenlet longer than ``resolution`` seconds without that greenlet being the hub
asleep in its poller.  If so, it logs (logger ``eventlet.debug``, level WARNING) the stack of the
hub's thread as it is at that moment, taken with ``sys._current_frames``: the code that blocks.
Unlike upstream eventlet it uses no ``SIGALRM`` (which would interrupt the blocking call) and it
costs nothing while it is off.

The other helpers are small: :func:`hub_exceptions` turns the hub's logging of callback errors on
and off, :func:`spew` traces every line executed (through logging), :func:`format_hub_listeners`
and :func:`format_hub_timers` describe what the hub waits for.
"""

from __future__ import annotations

import linecache
import logging
import sys
import threading
import time
import traceback
from types import FrameType
from typing import Any

import greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.hub import BaseHub

__all__ = [
    "format_hub_listeners",
    "format_hub_timers",
    "hub_blocking_detection",
    "hub_exceptions",
    "hub_listener_stacks",
    "hub_prevent_multiple_readers",
    "hub_timer_stacks",
    "spew",
    "tpool_exceptions",
    "unspew",
]

logger = logging.getLogger("eventlet.debug")


class BlockingDetector:
    """Watch one hub's thread and log the stack of code that holds it too long."""

    def __init__(self, hub: BaseHub, resolution: float) -> None:
        self.hub = hub
        self.resolution = resolution
        self.last_switch = time.monotonic()
        self.switches = 0
        self.reported = -1  # the switch count already reported (one report per blocking spell)
        self.reports = 0
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
        """Log the hub thread's stack if it has been blocked longer than the resolution."""
        switches = self.switches
        if switches == self.reported or time.monotonic() - self.last_switch < self.resolution:
            return False
        frame = sys._current_frames().get(self.hub.thread_ident)
        if frame is None or self.hub.is_idle_frame(frame):
            return False
        self.reported = switches
        self.reports += 1
        stack = "".join(traceback.format_stack(frame))
        logger.warning("The hub was blocked for more than %.3gs by this code:\n%s", self.resolution, stack)
        return True


def hub_blocking_detection(state: bool = False, resolution: float = 1) -> BlockingDetector | None:
    """Turn on (or off) the logging of code that blocks the current thread's hub > ``resolution`` s.

    Call it from the hub's thread.  Returns the detector while it is on.
    """
    hub = get_hub()
    detector: BlockingDetector | None = getattr(hub, "_blocking_detector", None)
    if detector is not None:
        detector.stop()
        hub._blocking_detector = None  # type: ignore[attr-defined]
    if not state:
        return None
    if resolution <= 0:
        raise ValueError("resolution must be positive")
    detector = BlockingDetector(hub, resolution)
    hub._blocking_detector = detector  # type: ignore[attr-defined]
    detector.start()
    return detector


def hub_exceptions(state: bool = True) -> None:
    """Log (``True``, the default) or silence exceptions escaping callbacks of the current hub.

    Exceptions of green threads themselves are always logged when nobody waits for them.
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
    """Accepted for compatibility with upstream eventlet; does nothing.

    Upstream can print exceptions raised in its worker threads.  ``eventlet.tpool`` here always
    hands the exception to the calling green thread, which re-raises it, so printing it in the
    worker too would only report it twice.
    """


def hub_listener_stacks(state: bool = False) -> None:
    """Accepted for compatibility; listeners do not record where they were made here."""


def hub_timer_stacks(state: bool = False) -> None:
    """Accepted for compatibility; timers do not record where they were made here."""


def format_hub_listeners() -> str:
    """A description of every fd listener of the current hub, one per line."""
    hub = get_hub()
    lines = ["READERS:"]
    lines += [f"  {listener!r}" for listener in hub.get_readers()]
    lines.append("WRITERS:")
    lines += [f"  {listener!r}" for listener in hub.get_writers()]
    return "\n".join(lines)


def format_hub_timers() -> str:
    """A description of every pending timer of the current hub, soonest first."""
    hub = get_hub()
    now = hub.clock()
    lines = ["TIMERS:"]
    lines += [f"  in {timer.deadline - now:.3f}s: {timer!r}" for timer in hub.get_timers()]
    return "\n".join(lines)


class _Spewer:
    """A ``sys.settrace`` function that logs each line executed (logger ``eventlet.debug``)."""

    def __init__(self, trace_names: list[str] | None = None, show_values: bool = False) -> None:
        self.trace_names = trace_names
        self.show_values = show_values

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            module = frame.f_globals.get("__name__", "?")
            if self.trace_names is None or any(module.startswith(name) for name in self.trace_names):
                filename = frame.f_code.co_filename
                lineno = frame.f_lineno
                line = linecache.getline(filename, lineno).rstrip()
                logger.info("%s:%d: %s", module, lineno, line)
                if self.show_values:
                    for name, value in frame.f_locals.items():
                        if name in line:
                            logger.info("\t%s = %r", name, value)
        return self


def spew(trace_names: list[str] | None = None, show_values: bool = False) -> None:
    """Log every line executed in this thread (only in modules named by ``trace_names``)."""
    sys.settrace(_Spewer(trace_names, show_values))


def unspew() -> None:
    """Stop :func:`spew`."""
    sys.settrace(None)  # pragma: no cover - this line also ends a coverage tracer, so it is unseen
