"""``sleep(t)`` for short ``t`` (0.5 to 2 ms) among 1,000 green threads.

Every thread sleeps in a loop, each with its own delay (0.5 ms plus 0.5 ms times its
index modulo 4), so deadlines interleave and the hub keeps arming timers, waking up in
its poller and firing them.  CPU µs per ``sleep`` call, from the first spawn to the
last join.
"""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

THREADS = 1000

SPEC = WorkloadSpec(
    name="sleep_short",
    title="sleep(0.5-2 ms) in a loop in each of 1,000 green threads",
    issue="issue 16",
    metric="cpu_us_per_op",
    unit="µs/sleep",
    size=200_000,
    quick_size=20_000,
    order=44,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` sleeps in all, spread evenly over the threads."""
    green = load(impl)
    sleep = green.sleep
    per_thread = max(1, size // THREADS)

    def worker(delay: float, count: int) -> None:
        for _ in range(count):
            sleep(delay)

    def run(count: int) -> float:
        start = time.process_time()
        green.join_all([green.spawn(worker, 0.0005 * (1 + i % 4), count) for i in range(THREADS)])
        return time.process_time() - start

    run(2)  # warm-up
    return {"ops": per_thread * THREADS, "cpu_s": run(per_thread)}
