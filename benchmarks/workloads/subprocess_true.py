"""Run ``true`` 500 times, 50 at a time, from green threads; wall milliseconds for the batch.

Each green thread runs ``subprocess.call(["true"])`` (Popen + wait) of the implementation's green
``subprocess`` in a loop.  What differs between implementations is how ``wait()`` learns that
the child exited: ours wakes on a pidfd, upstream eventlet polls every few milliseconds, gevent
uses a SIGCHLD watcher.  Starting a child (fork and exec) costs more than all the rest, so the
workload lifts the harness's pinning to one core: the children run on every core, for every
implementation, and an implementation that starts children in parallel (ours does, from helper
threads) can show it.

``impl="reference"`` is the same program without green threads: 50 OS threads, each calling the
standard ``subprocess.call`` in a loop.  Each run of ``true`` costs about a millisecond of CPU on
this kind of machine (the dynamic loader, the kernel's exec and exit), so the batch cannot take
less than the children's CPU time divided by the cores, whatever the library.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats
from workloads._subprocess import green_subprocess

SPEC = WorkloadSpec(
    name="subprocess_true",
    title="500 runs of `true`, 50 at a time, from green threads",
    issue="eventlet-processes",
    metric="wall_ms",
    unit="ms/batch",
    size=500,
    quick_size=100,
    order=80,
    goals=(beats("eventlet", 2), beats("gevent", 1)),
    details=("runs_per_s", "children_cpu_ms"),
    reference=True,
    reference_text=(
        "50 OS threads each running the standard `subprocess.call(['true'])` in a loop; "
        "`children_cpu_ms` is the CPU time the children used (divided by the cores: the floor)."
    ),
    notes="subprocess.call(['true']) in 50 green threads; wall time of the batch; not pinned.",
)

CONCURRENCY = 50


def _batch(impl: str, total: int) -> float:
    call = subprocess.call if impl == "reference" else green_subprocess(impl).call
    per_thread, extra = divmod(total, CONCURRENCY)
    counts = [per_thread + (1 if i < extra else 0) for i in range(CONCURRENCY)]

    def runner(count: int) -> None:
        for _ in range(count):
            if call(["true"]) != 0:
                raise RuntimeError("true failed")

    if impl == "reference":
        os_threads = [threading.Thread(target=runner, args=(count,)) for count in counts]
        start = time.perf_counter()
        for thread in os_threads:
            thread.start()
        for thread in os_threads:
            thread.join()
        return time.perf_counter() - start
    green = load(impl)
    start = time.perf_counter()
    green.join_all([green.spawn(runner, count) for count in counts])
    return time.perf_counter() - start


def main(impl: str, size: int) -> dict[str, Any]:
    """Wall time of ``size`` runs (after a warm-up of 50)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    _batch(impl, CONCURRENCY)
    before = os.times()
    wall = _batch(impl, size)
    after = os.times()
    children = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {
        "wall_ms": wall * 1e3,
        "runs_per_s": size / wall,
        "ops": size,
        "children_cpu_ms": children * 1e3,
    }
