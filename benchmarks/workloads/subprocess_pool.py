"""ProcessPool: small tasks through 2 workers, against ``multiprocessing.Pool`` (the reference).

Both submit 20,000 ``operator.add`` calls with ``apply_async`` and then collect every result;
the metric is wall microseconds per task.  Ours runs ``eventlet.processes.ProcessPool(2)`` from
the main green thread; the reference column is ``multiprocessing.Pool(2)`` under the harness's
own interpreter.  Upstream eventlet and gevent have no process pool: their cells are empty.
"""

from __future__ import annotations

import importlib
import operator
import time
from typing import Any

from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="subprocess_pool",
    title="ProcessPool small tasks over 2 workers vs multiprocessing.Pool",
    issue="eventlet-processes",
    metric="wall_us_per_task",
    unit="µs/task",
    size=20_000,
    quick_size=4_000,
    order=82,
    goals=(beats("reference", 1),),
    goal_text="ours >= multiprocessing.Pool (raw CPython column)",
    reference=True,
    reference_text=("`multiprocessing.Pool(2)` running the same tasks."),
    details=("tasks_per_s",),
    notes="apply_async(operator.add, (i, 1)) x size, then get() each; 2 workers.",
)


def _measure(pool: Any, size: int) -> float:
    for result in [pool.apply_async(operator.add, (i, 1)) for i in range(200)]:
        result.get()
    start = time.perf_counter()
    results = [pool.apply_async(operator.add, (i, 1)) for i in range(size)]
    for result in results:
        result.get()
    return time.perf_counter() - start


def main(impl: str, size: int) -> dict[str, Any]:
    """Wall time per task of ``size`` small tasks."""
    if impl == "reference":
        import multiprocessing

        with multiprocessing.Pool(2) as pool:
            wall = _measure(pool, size)
    elif impl == "ours":
        processes = importlib.import_module("eventlet.processes")
        with processes.ProcessPool(2) as pool:
            wall = _measure(pool, size)
    else:
        raise NotImplementedError(f"{impl} has no process pool to compare")
    return {"wall_us_per_task": wall * 1e6 / size, "tasks_per_s": size / wall}
