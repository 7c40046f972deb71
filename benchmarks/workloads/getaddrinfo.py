"""``getaddrinfo('localhost')`` from 100 green threads at once, with a ticker running.

Reports the total wall time of the 100 concurrent lookups and how many times a ticker
green thread (``sleep(0.001)`` in a loop) got to run meanwhile: a resolver that blocks
the hub shows few or no ticks however long the lookups take, and a longest gap between
ticks (``max_gap_ms``) close to the whole wall time.  Resolution goes through
each library's green ``getaddrinfo`` (upstream eventlet: its dnspython-based resolver
reading ``/etc/hosts``; gevent: its default resolver, a thread pool).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec

SPEC = WorkloadSpec(
    name="getaddrinfo",
    title="getaddrinfo('localhost') from 100 green threads",
    issue="green I/O",
    metric="wall_ms",
    unit="ms total",
    size=100,
    quick_size=100,
    order=130,
    details=("ticks", "max_gap_ms", "cpu_us_per_op"),
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` concurrent lookups; wall ms, ticks seen, CPU per lookup."""
    green = load(impl)
    sleep = green.sleep
    if not green.getaddrinfo("localhost", 80):
        raise RuntimeError("getaddrinfo('localhost') returned nothing")
    ticks = [0]
    running = [True]
    answers = [0]

    stamps: list[float] = []
    clock = time.perf_counter

    def ticker() -> None:
        while running[0]:
            sleep(0.001)
            ticks[0] += 1
            stamps.append(clock())

    def lookup() -> None:
        if green.getaddrinfo("localhost", 80):
            answers[0] += 1

    tick_thread = green.spawn(ticker)
    sleep(0)
    ticks[0] = 0
    stamps.clear()
    start, cpu = clock(), time.process_time()
    green.join_all([green.spawn(lookup) for _ in range(size)])
    end, cpu = clock(), time.process_time() - cpu
    seen = ticks[0]
    marks = [start, *(t for t in stamps if t < end), end]
    max_gap = max(b - a for a, b in itertools.pairwise(marks))
    running[0] = False
    green.join_all([tick_thread])
    if answers[0] != size:
        raise RuntimeError(f"only {answers[0]} of {size} lookups answered")
    return {
        "wall_ms": (end - start) * 1000,
        "ticks": seen,
        "max_gap_ms": max_gap * 1000,
        "ops": size,
        "cpu_s": cpu,
    }
