"""``sleep(0)`` yields among 100 green threads: the cost of one cooperative switch."""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

THREADS = 100

SPEC = WorkloadSpec(
    name="sleep_yield",
    title="sleep(0) yields among 100 green threads",
    issue="core runtime",
    metric="cpu_us_per_op",
    unit="µs/yield",
    size=500_000,
    quick_size=50_000,
    order=10,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
)


def main(impl: str, size: int) -> dict[str, Any]:
    """Each of 100 threads yields ``size / 100`` times; CPU time from first spawn to last join."""
    green = load(impl)
    sleep = green.sleep
    per_thread = max(1, size // THREADS)

    def worker(count: int) -> None:
        for _ in range(count):
            sleep(0)

    green.join_all([green.spawn(worker, 10) for _ in range(THREADS)])  # warm-up
    start = time.process_time()
    green.join_all([green.spawn(worker, per_thread) for _ in range(THREADS)])
    return {"ops": per_thread * THREADS, "cpu_s": time.process_time() - start}
