"""Resident memory per idle green thread blocked on an Event (10,000 threads).

RSS (``/proc/self/statm``) is read after a warm-up, then again once every thread has
started and is parked in ``Event.wait()``; the difference divided by the thread count is
the cost of one idle green thread (greenlet, saved stack slice, waiter bookkeeping).
"""

from __future__ import annotations

import gc
from typing import Any

from workloads._adapter import load
from workloads._measure import rss_bytes
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="idle_memory",
    title="RSS per idle green thread blocked on an Event",
    issue="core runtime",
    metric="kib_per_thread",
    unit="KiB/thread",
    size=10_000,
    quick_size=5_000,
    order=50,
    goals=(beats("eventlet"),),
    details=("rss_delta_mib",),
)


def _park(impl: str, count: int) -> float:
    """Park ``count`` threads on one event; return the RSS growth in bytes while parked."""
    green = load(impl)
    sleep = green.sleep
    event = green.event()
    started = [0]

    def waiter() -> None:
        started[0] += 1
        event.wait()

    gc.collect()
    before = rss_bytes()
    handles = [green.spawn(waiter) for _ in range(count)]
    while started[0] < count:
        sleep(0)
    sleep(0)
    gc.collect()
    after = rss_bytes()
    event.set()
    green.join_all(handles)
    return float(after - before)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` parked threads; reports KiB per thread."""
    _park(impl, 200)  # warm-up: first-use allocations, free lists
    delta = _park(impl, size)
    return {"kib_per_thread": delta / size / 1024, "rss_delta_mib": delta / 2**20, "threads": size}
