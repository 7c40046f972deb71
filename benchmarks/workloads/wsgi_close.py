"""``eventlet.wsgi.server`` itself: hello world, a connection per request (Connection: close), 50 at once.

The ``http_*`` workloads measure ``eventlet.httpd``; programs written for upstream eventlet
(OpenStack services, python-engineio) call ``eventlet.wsgi.server`` instead, which here is the
upstream-compatible server of :mod:`eventlet.wsgi`.  This runs that, against upstream's
``eventlet.wsgi.server`` and gevent's ``pywsgi``.  See ``workloads/_http.py``.
"""

from __future__ import annotations

from typing import Any

from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="wsgi_close",
    title="eventlet.wsgi.server hello world, Connection: close, 50 concurrent clients (server CPU)",
    issue="wsgi",
    metric="cpu_us_per_op",
    unit="µs/request",
    size=5,
    quick_size=2,
    order=136,
    # A new connection per request: the BaseHTTPRequestHandler set-up upstream's API implies
    # (two socket files, the handler object) weighs here; eventlet.httpd is the fast path.
    goals=(beats("eventlet"),),
    goal_text="cheaper than eventlet's own eventlet.wsgi.server",
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

    return run(impl, "close", float(size), api="wsgi")
