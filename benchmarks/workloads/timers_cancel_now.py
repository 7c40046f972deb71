"""200,000 hub timers with delays in [0, 0.01] s, each cancelled right after it is scheduled.

The shape of a timeout that data beats at once: armed, then disarmed before the hub
ever looks at it.  eventlet: ``hub.schedule_call_global(delay, fn)`` then
``Timer.cancel()``; gevent: ``hub.loop.timer(delay).start(fn)`` then ``watcher.close()``.
CPU time covers the loop and one pass of the hub afterwards; CPU µs per timer.  The
``timers`` workload cancels after all are scheduled instead.
"""

from __future__ import annotations

import random
import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="timers_cancel_now",
    title="200,000 timers (0-10 ms), each cancelled right after scheduling",
    issue="issue 16",
    metric="cpu_us_per_op",
    unit="µs/timer",
    size=200_000,
    quick_size=20_000,
    order=45,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` timers; one op = one timer scheduled and cancelled."""
    green = load(impl)
    schedule, cancel = green.timers()
    sleep = green.sleep
    fired: list[int] = []

    def tick() -> None:
        fired.append(1)

    def run(delays: list[float]) -> float:
        start = time.process_time()
        for delay in delays:
            cancel(schedule(delay, tick))
        sleep(0)
        return time.process_time() - start

    rng = random.Random(20261125)
    run([rng.random() * 0.01 for _ in range(1000)])  # warm-up
    cpu_s = run([rng.random() * 0.01 for _ in range(size)])
    sleep(0.02)  # anything not cancelled would be due by now
    if fired:
        raise RuntimeError(f"{len(fired)} cancelled timers fired")
    return {"ops": size, "cpu_s": cpu_s}
