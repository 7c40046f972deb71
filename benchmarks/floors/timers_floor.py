"""The pure-Python floor under ``timers_cancel_now``: what one timer scheduled and cancelled costs
at the least, with no hub at all.

``timers_cancel_now`` asks ours (Python) to be level with gevent (libev's timers, C).  This
script measures, in the interpreter that runs it and in the shape of that workload (200,000
timers, the cancel called through ``operator.methodcaller`` as the workload's adapter does):

* ``clock``: one ``time.monotonic()`` per timer (the reading that keeps a timer from firing early);
* ``floor``: the least a Python timer can do: a list subclass holding ``[deadline, 0, callback,
  args, owner, None, seconds]`` appended to a deque, and a ``cancel`` method that clears the
  callback and pops it back; two Python calls, one allocation, one clock reading;
* ``eventlet X``: ``hub.schedule_call_global(delay, fn)`` then ``timer.cancel()``, where an
  ``eventlet`` is importable (ours is 1.x, upstream 0.41.x);
* ``gevent X``: ``hub.loop.timer(delay).start(fn)`` then ``watcher.close()``, where ``gevent`` is
  importable (libev's timers, C), as the workload's gevent adapter does.

Usage (pinned, 5 rounds, medians of CPU µs per timer)::

    taskset -c 0 benchmarks/.venvs/ours/bin/python benchmarks/floors/timers_floor.py
    taskset -c 0 benchmarks/.venvs/eventlet/bin/python benchmarks/floors/timers_floor.py
    taskset -c 0 benchmarks/.venvs/gevent/bin/python benchmarks/floors/timers_floor.py
"""

from __future__ import annotations

import operator
import random
import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

SIZE = 200_000
ROUNDS = 5


def _tick() -> None:
    pass


def _floor_pair() -> tuple[Callable[..., Any], Callable[[Any], Any]]:
    incoming: deque[Any] = deque()
    append = incoming.append
    pop = incoming.pop
    clock = time.monotonic

    def cancel(timer: Any) -> None:
        timer[2] = None
        pop()

    class FloorTimer(list[Any]):
        __slots__ = ()

    FloorTimer.cancel = cancel  # type: ignore[attr-defined]

    def schedule(seconds: float, callback: Callable[[], None]) -> Any:
        timer = FloorTimer((clock() + seconds, 0, callback, (), None, None, seconds))
        append(timer)
        return timer

    return schedule, operator.methodcaller("cancel")


def _clock_pair() -> tuple[Callable[..., Any], Callable[[Any], Any]]:
    clock = time.monotonic

    def schedule(seconds: float, callback: Callable[[], None]) -> float:
        return clock()

    return schedule, bool


def _hub_pair() -> tuple[str, tuple[Callable[..., Any], Callable[[Any], Any]]] | None:
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # upstream's deprecation notice
            import eventlet
            from eventlet.hubs import get_hub
    except ImportError:
        return None
    pair = (get_hub().schedule_call_global, operator.methodcaller("cancel"))
    return f"eventlet {eventlet.__version__}", pair


def _gevent_pair() -> tuple[str, tuple[Callable[..., Any], Callable[[Any], Any]]] | None:
    try:
        import gevent  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    loop = gevent.get_hub().loop

    def schedule(seconds: float, callback: Callable[[], None]) -> Any:
        watcher = loop.timer(seconds)
        watcher.start(callback)
        return watcher

    return f"gevent {gevent.__version__}", (schedule, operator.methodcaller("close"))


def _measure(pair: tuple[Callable[..., Any], Callable[[Any], Any]], delays: list[float]) -> float:
    schedule, cancel = pair
    start = time.process_time()
    for delay in delays:
        cancel(schedule(delay, _tick))
    return (time.process_time() - start) / len(delays) * 1e6


def main() -> None:
    """Print the median CPU µs per timer of each row."""
    rng = random.Random(20261125)
    delays = [rng.random() * 0.01 for _ in range(SIZE)]
    rows: dict[str, tuple[Callable[..., Any], Callable[[Any], Any]]] = {
        "clock": _clock_pair(),
        "floor": _floor_pair(),
    }
    for found in (_hub_pair(), _gevent_pair()):
        if found is not None:
            rows[found[0]] = found[1]
    samples: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(ROUNDS):
        for name, pair in rows.items():
            samples[name].append(_measure(pair, delays))
    for name, values in samples.items():
        print(f"{name:16s} {statistics.median(values):.3f} µs/timer (median of {ROUNDS})")


if __name__ == "__main__":
    main()
