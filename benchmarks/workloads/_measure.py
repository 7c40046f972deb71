"""Measurement helpers for workloads: RSS, CPU pinning, file limits, load generators.

Only the standard library is used here; these helpers run inside the measured child
(any of the virtualenvs) and, for :func:`pin_from_env`, inside the load generators.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent
LOADGEN_DIR = BENCH_DIR / "loadgen"
CPU_ENV = "BENCH_CPU"
LOADGEN_CPU_ENV = "BENCH_LOADGEN_CPU"


def pin_from_env(var: str = CPU_ENV) -> bool:
    """Pin this process to the core named in ``$var``; False when unset or unsupported."""
    value = os.environ.get(var, "")
    if not value or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(0, {int(value)})
    except (OSError, ValueError):
        return False
    return True


def raise_nofile_limit() -> int:
    """Raise the soft open-files limit to the hard one; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (OSError, ValueError):
            pass
    return soft


def rss_bytes() -> int:
    """Current resident set size of this process (``/proc/self/statm``; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def start_loadgen(script: str, *args: object) -> subprocess.Popen[str]:
    """Start ``loadgen/<script>`` with this interpreter, pinned to the load-generator core.

    Its stdin and stdout are pipes (the generators print one JSON line when done), stderr
    is captured for error messages.
    """
    env = dict(os.environ)
    env[CPU_ENV] = env.get(LOADGEN_CPU_ENV, "")
    cmd = [sys.executable, str(LOADGEN_DIR / script), *(str(a) for a in args)]
    return subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish_loadgen(proc: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, Any]:
    """Wait for a load generator, close its pipes; return its JSON report or raise."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"load generator timed out: {err.strip()[-500:]}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed ({proc.returncode}): {err.strip()[-500:]}")
    lines = out.strip().splitlines()
    if not lines:
        return {}
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def check_loadgen(proc: subprocess.Popen[str]) -> None:
    """Raise if the load generator already died with an error (call while waiting)."""
    if proc.poll() not in (None, 0):
        finish_loadgen(proc)
