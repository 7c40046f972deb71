"""HTTP hello world, a new connection per request (Connection: close), 50 at a time.

See ``workloads/_http.py`` for the servers compared and the measurement window.
"""

from __future__ import annotations

from typing import Any

from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="http_close",
    title="HTTP hello world, Connection: close, 50 concurrent clients (server CPU)",
    issue="httpd",
    metric="cpu_us_per_op",
    unit="µs/request",
    size=5,
    quick_size=2,
    order=131,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
    reference=True,
    reference_text=(
        "the same HTTP/1.1 exchange on a bare `select.epoll` loop in CPython (no green threads): the ceiling."
    ),
    details=("client_errors", "p50_ms", "p99_ms"),
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` seconds of load after a one-second warm-up."""
    from workloads._http import run

    return run(impl, "close", float(size))
