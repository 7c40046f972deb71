"""200,000 hub timers with random delays in [0, 0.1] s: half cancelled, the rest fired.

eventlet: ``hub.schedule_call_global(delay, fn)`` and ``Timer.cancel()``; gevent:
``hub.loop.timer(delay).start(fn)`` and ``watcher.close()``.  CPU time covers scheduling
all of them, one pass of the hub (so every timer is live in the hub's queue, as a
timeout is by the time it gets cancelled), cancelling every other one and running the
survivors; the main thread waits for the last one with short sleeps, which cost a few
dozen extra timers.
"""

from __future__ import annotations

import random
import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="timers",
    title="200,000 timers, half cancelled, the rest fired",
    issue="core runtime",
    metric="cpu_us_per_op",
    unit="µs/timer",
    size=200_000,
    quick_size=20_000,
    order=40,
    goals=(beats("eventlet", 2),),
    throughput=True,
)


def _run(impl: str, delays: list[float]) -> float:
    """Schedule a timer per delay, cancel the odd ones, wait for the rest; CPU seconds."""
    green = load(impl)
    schedule, cancel = green.timers()
    sleep = green.sleep
    fired = [0]
    target = len(delays) - len(delays) // 2

    def tick() -> None:
        fired[0] += 1

    start = time.process_time()
    handles = [schedule(delay, tick) for delay in delays]
    sleep(0)  # let the hub take them in (eventlet keeps new timers aside until it runs)
    for handle in handles[1::2]:
        cancel(handle)
    while fired[0] < target:
        sleep(0.005)
    return time.process_time() - start


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` timers; one op = one scheduled timer."""
    rng = random.Random(20261125)
    _run(impl, [rng.random() * 0.01 for _ in range(200)])  # warm-up
    delays = [rng.random() * 0.1 for _ in range(size)]
    return {"ops": size, "cpu_s": _run(impl, delays)}
