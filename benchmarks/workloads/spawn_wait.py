"""Spawn 100,000 no-op green threads, then wait for all of them."""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="spawn_wait",
    title="spawn + wait of 100,000 green threads",
    issue="core runtime",
    metric="cpu_us_per_op",
    unit="µs/thread",
    size=100_000,
    quick_size=10_000,
    order=30,
    goals=(beats("eventlet", 2),),
    throughput=True,
    notes="eventlet: spawn() then GreenThread.wait() each; gevent: spawn() then joinall().",
)


def _noop() -> None:
    """The thread body: nothing."""


def main(impl: str, size: int) -> dict[str, Any]:
    """CPU time to spawn ``size`` threads and wait for every one."""
    green = load(impl)
    spawn = green.spawn
    green.join_all([spawn(_noop) for _ in range(100)])  # warm-up
    start = time.process_time()
    green.join_all([spawn(_noop) for _ in range(size)])
    return {"ops": size, "cpu_s": time.process_time() - start}
