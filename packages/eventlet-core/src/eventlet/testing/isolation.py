"""Giving a test a hub of its own, and checking that the test leaves it empty.

A test that leaves a green thread behind (a server it forgot to stop, a sleeper it forgot to kill)
or a timer or an fd listener makes later tests flaky: the leftover wakes up during someone else's
test, on a descriptor number that now belongs to someone else.  :func:`leftovers` lists what is
left on a hub; :func:`dispose_hub` kills the leftover green threads while their hub is still the
current one (so their ``finally`` blocks run against the right hub) and closes it.

Finding the green threads takes a :class:`SwitchTracker` (a greenlet trace function that notes
every greenlet switched to; the pytest plugin runs one) or, without one, a ``gc.get_referrers``
scan of the live objects (several milliseconds), done only when the hub's loop has run at all.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

from greenlet import getcurrent, greenlet
from greenlet import settrace as greenlet_settrace

from eventlet import hubs
from eventlet.hubs.hub import BaseHub

__all__ = ["HubNotEmpty", "SwitchTracker", "dispose_hub", "fresh_hub", "green_threads_of", "leftovers"]


class HubNotEmpty(AssertionError):
    """A test left green threads, timers or fd listeners on its hub."""


class SwitchTracker:
    """Remembers every greenlet switched to in this thread (a ``greenlet.settrace`` function).

    With one running, finding a hub's green threads costs nothing like a GC scan: every started
    green thread was switched to at least once, and the unstarted ones are in the hub's queues.
    """

    def __init__(self) -> None:
        # weak: a finished green thread must stay collectable (its green-locals freed) mid-test
        self.seen: weakref.WeakSet[greenlet] = weakref.WeakSet()
        self._previous: Any = None
        self.active: bool = False

    def start(self) -> None:
        """Install the trace function in the calling thread (chained to any previous one)."""
        if not self.active:
            self._previous = greenlet_settrace(self._trace)
            self.active = True

    def stop(self) -> None:
        """Put the previous trace function back."""
        if self.active:
            greenlet_settrace(self._previous)
            self._previous = None
            self.active = False

    def _trace(self, event: str, args: Any) -> None:
        if event == "switch" or event == "throw":
            self.seen.add(args[1])
        if self._previous is not None:
            self._previous(event, args)

    def take(self) -> list[greenlet]:
        """The greenlets seen since the last call (and still alive)."""
        seen = list(self.seen)
        self.seen.clear()
        return seen


def _hub_has_run(hub: BaseHub) -> bool:
    hub_greenlet = hub.greenlet
    return bool(hub_greenlet) or hub_greenlet.dead or hub.switches > 0


def _scheduled_greenlets(hub: BaseHub) -> list[greenlet]:
    # a bare greenlet is one to switch to; a callback's greenlet is the one it is bound to
    owners = [getattr(pending, "__self__", pending) for pending in hub.pending_callbacks()]
    return [owner for owner in owners if isinstance(owner, greenlet)]


def green_threads_of(hub: BaseHub, tracker: SwitchTracker | None = None) -> list[greenlet]:
    """The green threads of ``hub`` that are alive (started, or due to start).

    With a running ``tracker`` (see :class:`SwitchTracker`), the candidates are the greenlets it
    saw; otherwise a ``gc.get_referrers`` scan finds them.
    """
    if not _hub_has_run(hub) and not hub.pending_callbacks():
        return []
    if tracker is not None and tracker.active:
        candidates: list[Any] = [*tracker.take(), *_scheduled_greenlets(hub)]
    else:
        candidates = gc.get_referrers(hub.greenlet)
    current = getcurrent()
    found: dict[int, greenlet] = {}
    for obj in candidates:
        if (
            isinstance(obj, greenlet)
            and obj is not current
            and obj.parent is hub.greenlet
            and not obj.dead
            and (bool(obj) or _is_scheduled(hub, obj))
        ):
            found[id(obj)] = obj
    return list(found.values())


def _is_scheduled(hub: BaseHub, thread: greenlet) -> bool:
    """True for a thread that has not started but will (its start is queued or timed)."""
    return any(owner is thread for owner in _scheduled_greenlets(hub))


def leftovers(hub: BaseHub, threads: list[greenlet] | None = None) -> list[str]:
    """What a finished test left on ``hub``: one description per thread, timer and listener.

    ``threads`` is the result of :func:`green_threads_of`, if the caller has it already.
    """
    if threads is None:
        threads = green_threads_of(hub)
    found = [f"green thread {thread!r}" for thread in threads]
    found += [f"timer {timer!r}" for timer in hub.get_timers()]
    found += [f"reader {listener!r}" for listener in hub.get_readers()]
    found += [f"writer {listener!r}" for listener in hub.get_writers()]
    return found


def dispose_hub(hub: BaseHub, threads: list[greenlet] | None = None) -> None:
    """Kill ``hub``'s leftover green threads (from the calling greenlet) and close it.

    ``hub`` must be the calling thread's current hub, and the caller must not be one of its green
    threads (call it from the main greenlet).  ``threads``: the leftovers, if already known.
    """
    if hubs._hub_if_exists() is not hub:
        raise RuntimeError("dispose_hub() needs the hub to be the current thread's hub")
    from eventlet.greenthread import kill

    if hub.closed:
        threads = []
    elif threads is None:
        threads = green_threads_of(hub)
    for thread in threads:
        kill(thread)  # its own errors are logged by the hub; kill itself does not raise
    hubs.set_hub(None)
    hub.close()


def fresh_hub(tracker: SwitchTracker | None = None) -> BaseHub:
    """Dispose of the calling thread's hub, if any, and make a new one of the configured kind."""
    old = hubs._hub_if_exists()
    if old is not None:
        dispose_hub(old, None if tracker is None else green_threads_of(old, tracker))
    elif tracker is not None:
        tracker.take()
    return hubs.get_hub()


def describe(found: list[str]) -> str:
    """A readable message for :class:`HubNotEmpty`."""
    lines = "\n  ".join(found)
    return f"the test left {len(found)} thing(s) on its hub:\n  {lines}"
