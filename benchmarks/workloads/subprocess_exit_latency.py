"""Latency from a child's exit to ``wait()`` returning, in milliseconds (median, p90, p99).

The child is ``date +%s%N``: it prints the wall clock in nanoseconds and exits, a small program
whose exit costs little.  The parent reads that line through the green pipe, calls ``wait()``
and takes ``time.time_ns()`` when it returns.  The difference covers the end of the child (its
write, its exit) plus the implementation's way of noticing the exit.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from workloads._spec import WorkloadSpec, below
from workloads._subprocess import green_subprocess

SPEC = WorkloadSpec(
    name="subprocess_exit_latency",
    title="child exit -> wait() returning, median latency",
    issue="eventlet-processes",
    metric="p50_ms",
    unit="ms",
    size=100,
    quick_size=20,
    order=81,
    goals=(below(1.0),),
    details=("p90_ms", "p99_ms"),
    notes="child: date +%s%N; parent: readline, wait(), time.time_ns() - stamp.",
)


def _one(subprocess: Any) -> float:
    proc = subprocess.Popen(["date", "+%s%N"], stdout=subprocess.PIPE)
    stamp = int(proc.stdout.readline())
    proc.wait()
    latency = time.time_ns() - stamp
    proc.stdout.close()
    return latency / 1e6


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` children, one at a time."""
    subprocess = green_subprocess(impl)
    for _ in range(3):
        _one(subprocess)
    samples = sorted(_one(subprocess) for _ in range(size))
    cuts = statistics.quantiles(samples, n=100)
    return {"p50_ms": statistics.median(samples), "p90_ms": cuts[89], "p99_ms": cuts[98]}
