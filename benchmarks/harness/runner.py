"""Running workloads in fresh child processes, round after round.

Each (workload, implementation) cell gets one new process per round, started with that
implementation's virtualenv interpreter.  ``reference`` cells (the job without a green library) use
ours' virtualenv interpreter: the same CPython as the harness (the virtualenvs are built from it),
plus greenlet, which the bare-greenlet reference needs; the harness's own when ours is not measured.
Within a round the implementations take turns on each workload, and the order rotates
from round to round, so slow drift of the machine (thermal, noisy neighbours) spreads
over all columns instead of landing on one.  The measured child pins itself to the
measured core and any load generator it starts to the other one.

A cell that fails (non-zero exit, timeout, no result line) records the error and is not
retried in later rounds: the same code would fail the same way, and the report shows
``ERR`` for it instead of aborting the whole run.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.child import MARKER
from workloads._measure import CPU_ENV, LOADGEN_CPU_ENV
from workloads._spec import WorkloadSpec

log = logging.getLogger("eventlet.benchmarks")

CHILD = Path(__file__).resolve().parent / "child.py"
REFERENCE = "reference"


@dataclass(frozen=True)
class Cores:
    """Which core the measured process and the load generator get ("" = unpinned)."""

    measured: str
    loadgen: str

    @classmethod
    def detect(cls) -> Cores:
        """Core 0 and core 1 when this process may use both; degrade otherwise."""
        if not hasattr(os, "sched_getaffinity"):
            return cls("", "")
        allowed = sorted(os.sched_getaffinity(0))
        if not allowed:
            return cls("", "")
        measured = 0 if 0 in allowed else allowed[0]
        others = [c for c in allowed if c != measured]
        return cls(str(measured), str(1 if 1 in others else (others[0] if others else measured)))

    def describe(self) -> str:
        """One line for the report."""
        if not self.measured:
            return "unpinned (sched_setaffinity unavailable)"
        if self.measured == self.loadgen:
            return f"measured and load generator share core {self.measured} (one core allowed)"
        return f"measured process on core {self.measured}, load generator on core {self.loadgen}"


@dataclass
class Cell:
    """All samples of one workload on one implementation."""

    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    def median(self, key: str) -> float | None:
        """Median of ``key`` over the samples that have it as a number."""
        values = [s[key] for s in self.samples if isinstance(s.get(key), (int, float))]
        values = [v for v in values if not isinstance(v, bool)]
        return float(statistics.median(values)) if values else None

    def first(self, key: str) -> Any:
        """``key`` of the first sample, or None."""
        return self.samples[0].get(key) if self.samples else None


def _error_text(stdout: str, stderr: str, code: int | None) -> str:
    """The most telling line of a failed child's output."""
    lines = [ln for ln in (stderr or stdout).strip().splitlines() if ln.strip()]
    last = lines[-1].strip() if lines else "no output"
    return f"exit {code}: {last}"[:300]


def run_child(python: Path, spec: WorkloadSpec, impl: str, size: int, cores: Cores) -> dict[str, Any]:
    """Run ``spec`` once on ``impl``; return its result or raise ``RuntimeError``."""
    env = dict(os.environ)
    env[CPU_ENV] = cores.measured
    env[LOADGEN_CPU_ENV] = cores.loadgen
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [str(python), str(CHILD), spec.name, impl, str(size)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=spec.timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"timed out after {spec.timeout_s:.0f} s") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.returncode != 0:
        log.debug("%s/%s stderr:\n%s", spec.name, impl, err)
        raise RuntimeError(_error_text(out, err, proc.returncode))
    for line in reversed(out.splitlines()):
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    raise RuntimeError(_error_text(out, err, proc.returncode) + " (no result line)")


Results = dict[str, dict[str, Cell]]


def run_all(
    specs: list[WorkloadSpec],
    pythons: dict[str, Path],
    *,
    rounds: int,
    quick: bool,
    cores: Cores,
) -> Results:
    """Run every spec on every available implementation for ``rounds`` rounds."""
    impls = list(pythons)
    results: Results = {s.name: {} for s in specs}
    for rnd in range(rounds):
        shift = rnd % len(impls) if impls else 0
        order = impls[shift:] + impls[:shift]
        for spec in specs:
            size = spec.quick_size if quick else spec.size
            cell_order = order + ([REFERENCE] if spec.reference else [])
            for impl in cell_order:
                cell = results[spec.name].setdefault(impl, Cell())
                if cell.error:
                    continue
                if impl == REFERENCE:
                    python = pythons.get("ours", Path(sys.executable))
                else:
                    python = pythons[impl]
                started = time.perf_counter()
                try:
                    sample = run_child(python, spec, impl, size, cores)
                except (RuntimeError, OSError, ValueError) as exc:
                    cell.error = str(exc)
                    log.warning("round %d %-17s %-9s ERROR %s", rnd + 1, spec.name, impl, exc)
                    continue
                cell.samples.append(sample)
                value = sample.get(spec.metric)
                shown = f"{value:.3f} {spec.unit}" if isinstance(value, float) else str(value)
                log.info(
                    "round %d %-17s %-9s %s (%.1f s)",
                    rnd + 1,
                    spec.name,
                    impl,
                    shown,
                    time.perf_counter() - started,
                )
    return results
