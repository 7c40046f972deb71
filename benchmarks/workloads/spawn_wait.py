"""Spawn 100,000 no-op green threads, then wait for all of them.

``impl="reference"`` does the least any greenlet library can: a bare ``greenlet`` per thread,
started from a ``deque`` by a loop greenlet, no result kept.  On CPython 3.11 and later most of
that floor is greenlet's, not Python's: each new greenlet gets a fresh frame stack from the
interpreter (an ``mmap``), returned when it dies (a ``munmap``).
"""

from __future__ import annotations

import time
from collections import deque
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
    reference=True,
    reference_text=(
        "bare greenlets started from a deque by a loop greenlet, no result kept: the cost of "
        "greenlet itself, the floor of every implementation."
    ),
    notes="eventlet: spawn() then GreenThread.wait() each; gevent: spawn() then joinall().",
)


def _noop() -> None:
    """The thread body: nothing."""


def _bare_greenlets(size: int) -> float:
    """CPU seconds to create ``size`` greenlets and run each to its end from a loop greenlet."""
    from greenlet import greenlet

    ready: deque[greenlet] = deque()

    def loop() -> None:
        while ready:
            ready.popleft().switch()

    start = time.process_time()
    runner = greenlet(loop)
    threads = []
    for _ in range(size):
        thread = greenlet(_noop, runner)
        ready.append(thread)
        threads.append(thread)
    runner.switch()
    if not all(thread.dead for thread in threads):
        raise RuntimeError("a bare greenlet did not finish")
    return time.process_time() - start


def main(impl: str, size: int) -> dict[str, Any]:
    """CPU time to spawn ``size`` threads and wait for every one."""
    if impl == "reference":
        _bare_greenlets(100)  # warm-up
        return {"ops": size, "cpu_s": _bare_greenlets(size)}
    green = load(impl)
    spawn = green.spawn
    green.join_all([spawn(_noop) for _ in range(100)])  # warm-up
    start = time.process_time()
    green.join_all([spawn(_noop) for _ in range(size)])
    return {"ops": size, "cpu_s": time.process_time() - start}
