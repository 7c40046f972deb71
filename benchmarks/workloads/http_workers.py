"""4 worker processes against 1: does ``eventlet.httpd`` spread HTTP load over the cores?

Ours runs the command line server, ``python -m eventlet.httpd workloads.http_workers:app
--workers N`` (a supervisor and N worker processes sharing one listening socket), once with
``--workers 1`` and once with ``--workers 4``, and drives each with the keep-alive hello-world
load of ``loadgen/http_load.py`` (wrk when installed: 100 connections, one second of warm-up,
then ``size`` seconds measured).  The figure is *wall-clock* requests per second as counted
by the load generator.

Unlike the other server workloads nothing is pinned here: the point is to use every core the
machine allows, so the server processes and the load generator (wrk, or the CPython
fallback) all share those cores.  On a 2-core machine wrk takes part of the second core, so
the ideal ratio is below 2.  The metric is a cost like every other one: the 1-worker
requests/s divided by the 4-worker requests/s (below 1 when the workers scale; 0.5 would
be perfect doubling); ``scaling`` in the details is its inverse.

Upstream eventlet and gevent ship no multi-process server of their own, so their cells
report that they do not apply (the same way ``subprocess_pool`` does).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workloads._measure import LOADGEN_CPU_ENV, finish_loadgen, start_loadgen
from workloads._spec import WorkloadSpec, below

SPEC = WorkloadSpec(
    name="http_workers",
    title="HTTP hello world, 4 worker processes vs 1 (all cores, unpinned)",
    issue="httpd",
    metric="rps_1_per_rps_4",
    unit="1-worker÷4-worker req-rate",
    size=5,
    quick_size=2,
    order=137,
    goals=(below(0.8),),
    goal_text="requests/s scale with the cores available: 4 workers >= 1.25x the requests/s of 1",
    details=("rps_1", "rps_4", "scaling", "cores"),
    timeout_s=120.0,
    notes="No pinning: server processes and wrk share every allowed core.",
)

CONNECTIONS = 100
BODY = b"Hello, World!"
LISTENING = re.compile(r"listening on http://[^:\s]+:(\d+)")


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Hello world (the application the workers serve)."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [BODY]


def _unpin() -> int:
    """Undo the harness's pinning of this process (inherited by children); return the cores."""
    if not hasattr(os, "sched_setaffinity"):
        return os.cpu_count() or 1
    try:
        cores = os.sched_getaffinity(os.getppid())  # the unpinned harness
    except OSError:
        cores = set(range(os.cpu_count() or 1))
    try:
        os.sched_setaffinity(0, cores)
    except OSError:
        pass
    os.environ[LOADGEN_CPU_ENV] = ""  # start_loadgen: no pinning of the load generator
    return len(os.sched_getaffinity(0))


def _start_server(workers: int, log: Any) -> tuple[subprocess.Popen[bytes], int]:
    """Start the command-line server on an ephemeral port; return it and the port."""
    cmd = [sys.executable, "-m", "eventlet.httpd", "workloads.http_workers:app"]
    cmd += ["--bind", "127.0.0.1:0", "--workers", str(workers), "--graceful-timeout", "2"]
    bench_dir = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(cmd, cwd=bench_dir, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with open(log.name, encoding="utf-8", errors="replace") as text:
            match = LISTENING.search(text.read())
        if match:
            return proc, int(match.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    with open(log.name, encoding="utf-8", errors="replace") as text:
        raise RuntimeError(f"eventlet.httpd did not start: {text.read()[-500:]}")


def _load(port: int, seconds: float) -> dict[str, Any]:
    proc = start_loadgen("http_load.py", port, CONNECTIONS, seconds, "keepalive")
    return finish_loadgen(proc, timeout=seconds + 30)


def _requests_per_s(workers: int, seconds: float) -> tuple[float, int, str]:
    """Requests/s of ``--workers workers``; also the client's error count and tool."""
    with tempfile.NamedTemporaryFile("w+b", prefix="http_workers-", suffix=".log") as log:
        server, port = _start_server(workers, log)
        try:
            _load(port, 1.0)  # warm-up: every worker up and through its first requests
            client = _load(port, seconds)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    # wrk runs whole seconds (at least one); the CPython fallback runs ``seconds``.
    elapsed = float(max(1, round(seconds))) if client.get("tool") == "wrk" else seconds
    requests = int(client.get("requests", 0))
    if requests <= 0:
        raise RuntimeError(f"no request answered with {workers} worker(s)")
    return requests / elapsed, int(client.get("errors", 0)), str(client.get("tool", "?"))


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` seconds of keep-alive load on 1 worker, then on 4."""
    if impl != "ours":
        raise NotImplementedError(f"{impl} has no multi-process server of its own to compare")
    cores = _unpin()
    rps_1, errors_1, tool = _requests_per_s(1, float(size))
    rps_4, errors_4, _ = _requests_per_s(4, float(size))
    return {
        "rps_1_per_rps_4": rps_1 / rps_4,
        "rps_1": rps_1,
        "rps_4": rps_4,
        "scaling": rps_4 / rps_1,
        "cores": cores,
        "client_errors": errors_1 + errors_4,
        "load_tool": tool,
    }
