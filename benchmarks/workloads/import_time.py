"""``import eventlet`` (``import gevent`` for gevent) in a fresh interpreter, wall ms.

Each sample is a new interpreter that times only the import statement with
``time.perf_counter``; the first run (which may write bytecode caches) is discarded and
the median of the rest is the result.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

from workloads._spec import WorkloadSpec, beats, below

SPEC = WorkloadSpec(
    name="import_time",
    title="import eventlet in a fresh interpreter",
    issue="core runtime",
    metric="import_ms",
    unit="ms/import",
    size=9,
    quick_size=3,
    order=60,
    goals=(below(30), beats("eventlet", strict=True)),
    goal_text="< 30 ms and faster than eventlet",
    details=("min_ms",),
)

_PROBE = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def _once(module: str) -> float:
    """Milliseconds to import ``module`` in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(mod=module)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip().splitlines()[-1]) * 1000


def main(impl: str, size: int) -> dict[str, Any]:
    """Median of ``size`` timed imports."""
    module = "gevent" if impl == "gevent" else "eventlet"
    _once(module)
    samples = [_once(module) for _ in range(max(1, size))]
    return {"import_ms": statistics.median(samples), "min_ms": min(samples), "runs": len(samples)}
