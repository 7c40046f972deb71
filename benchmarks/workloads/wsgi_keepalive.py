"""``eventlet.wsgi.server`` itself: hello world over 50 keep-alive connections, server CPU per request.

The ``http_*`` workloads measure ``eventlet.httpd``; programs written for upstream eventlet
(OpenStack services, python-engineio) call ``eventlet.wsgi.server`` instead, which here is the
upstream-compatible server of :mod:`eventlet.wsgi`.  This runs that, against upstream's
``eventlet.wsgi.server`` and gevent's ``pywsgi``.  See ``workloads/_http.py``.
"""

from __future__ import annotations

from typing import Any

from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="wsgi_keepalive",
    title="eventlet.wsgi.server hello world, 50 keep-alive connections (server CPU)",
    issue="wsgi",
    metric="cpu_us_per_op",
    unit="µs/request",
    size=5,
    quick_size=2,
    order=135,
    goals=(beats("eventlet", 2),),
    goal_text=">= 2x eventlet: upstream's API, at least twice as cheap as upstream",
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

    return run(impl, "keepalive", float(size), api="wsgi")
