"""``with Timeout(1.0): sleep(0)``: a timeout that is live in the hub while its thread yields.

The block switches to the hub once, so the timer has to be really armed (the hub may
fire it while the thread is away) and then cancelled.  One green thread runs the block
``size`` times; CPU µs per block, the ``sleep(0)`` included (``sleep_yield`` measures
that part alone, among 100 threads).
"""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="timeout_switch",
    title="`with Timeout(1.0): sleep(0)`, one switch inside",
    issue="issue 16",
    metric="cpu_us_per_op",
    unit="µs/block",
    size=200_000,
    quick_size=20_000,
    order=42,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` blocks in one green thread; CPU time of the loop."""
    green = load(impl)
    timeout = green.timeout_class()
    sleep = green.sleep
    result: dict[str, float] = {}

    def body(count: int) -> float:
        start = time.process_time()
        for _ in range(count):
            with timeout(1.0):
                sleep(0)
        return time.process_time() - start

    def measure() -> None:
        body(1000)  # warm-up
        result["cpu_s"] = body(size)

    green.join_all([green.spawn(measure)])
    return {"ops": size, "cpu_s": result["cpu_s"]}
