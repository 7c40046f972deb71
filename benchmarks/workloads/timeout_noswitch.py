"""``with Timeout(1.0): pass``: a timeout entered and left without a switch in between.

The common shape of a guard around code that usually finishes at once (a lock that is
free, a queue that has an item, a socket with data waiting).  One green thread runs the
block ``size`` times; CPU µs per block.  eventlet: ``eventlet.Timeout``; gevent:
``gevent.Timeout``.
"""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="timeout_noswitch",
    title="`with Timeout(1.0): pass`, no switch inside",
    issue="issue 16",
    metric="cpu_us_per_op",
    unit="µs/block",
    size=200_000,
    quick_size=20_000,
    order=41,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` blocks in one green thread; CPU time of the loop."""
    green = load(impl)
    timeout = green.timeout_class()
    result: dict[str, float] = {}

    def body(count: int) -> float:
        start = time.process_time()
        for _ in range(count):
            with timeout(1.0):
                pass
        return time.process_time() - start

    def measure() -> None:
        body(1000)  # warm-up
        result["cpu_s"] = body(size)

    green.join_all([green.spawn(measure)])
    return {"ops": size, "cpu_s": result["cpu_s"]}
