"""10,000 idle keep-alive HTTP connections held by one server: resident memory per connection.

Each implementation's own HTTP server (``eventlet.httpd.Server`` for ours,
``eventlet.wsgi.server`` for eventlet 0.41.3, ``gevent.pywsgi.WSGIServer`` for gevent; access
logs off, connection limits above ``size``) serves a hello-world application.  The load
generator (``loadgen/http_idle_client.py``, other core) opens ``size`` connections, sends one
``GET /`` on each, reads the answer and then holds the connection open, so every one is idle
in the server between two requests: a handler green thread waiting for the next request line,
with whatever per-connection state (socket, reader buffer, parser) the server keeps meanwhile.

A first pass with 100 connections warms the server up (lazy imports, first-use allocations)
and is closed again.  RSS is read after that and again once the application has answered
every connection of the measured pass; the growth divided by ``size`` is the figure (kernel
socket buffers are not part of RSS).
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

from workloads._measure import check_loadgen, finish_loadgen, rss_bytes, start_loadgen
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="http_idle",
    title="10,000 idle HTTP keep-alive connections, one request each",
    issue="httpd",
    metric="kib_per_conn",
    unit="KiB/connection",
    size=10_000,
    quick_size=2_000,
    order=135,
    goals=(beats("eventlet"), beats("gevent")),
    goal_text="report memory per connection: <= eventlet.wsgi, <= gevent.pywsgi",
    details=("rss_delta_mib", "client_errors"),
)

WARMUP = 100


def _server(impl: str, app: Any, limit: int) -> tuple[int, Any, Any]:
    """Start the implementation's HTTP server; return ``(port, green sleep, stop)``."""
    if impl == "gevent":
        import gevent
        from gevent.pywsgi import WSGIServer

        gserver = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None, backlog=4096)
        gserver.start()
        return gserver.server_port, gevent.sleep, gserver.stop
    import eventlet

    listener = eventlet.listen(("127.0.0.1", 0), backlog=4096)
    port = listener.getsockname()[1]
    if impl == "ours":
        from eventlet.httpd import Server

        server = Server(app, sock=listener, access_log=False, max_connections=limit)
        thread = server.start()

        def stop() -> None:
            server.stop(1)
            thread.wait()
            listener.close()

        return port, eventlet.sleep, stop
    wsgi: Any = importlib.import_module("eventlet.wsgi")  # upstream's, not typed here
    # wsgi.server's default pool holds 1,024 connections; the rest would wait in the backlog.
    thread = eventlet.spawn(wsgi.server, listener, app, log_output=False, max_size=limit)

    def stop_upstream() -> None:
        thread.kill()
        listener.close()

    return port, eventlet.sleep, stop_upstream


def _hold(port: int, conns: int, sleep: Any, answered: Any) -> tuple[Any, int]:
    """Start a client holding ``conns`` used connections; return it once all are answered."""
    target = answered() + conns
    proc = start_loadgen("http_idle_client.py", port, conns)
    while answered() < target:
        sleep(0.01)
        check_loadgen(proc)
    sleep(0.2)  # the last answers leave, their handlers go back to reading
    return proc, target


def main(impl: str, size: int) -> dict[str, Any]:
    """Hold ``size`` used keep-alive connections; report KiB of RSS per connection."""
    from workloads._http import Counter

    counter = Counter()
    port, sleep, stop = _server(impl, counter.app, size + 2 * WARMUP)

    def answered() -> int:
        return counter.requests

    proc, _ = _hold(port, WARMUP, sleep, answered)
    finish_loadgen(proc)
    sleep(0.3)  # the warm-up handlers see the resets and finish
    gc.collect()
    before = rss_bytes()
    proc, _ = _hold(port, size, sleep, answered)
    gc.collect()
    after = rss_bytes()
    client = finish_loadgen(proc, timeout=60)
    sleep(0.3)
    stop()
    if client.get("connections") != size:
        raise RuntimeError(f"the client held {client.get('connections')} connections, not {size}")
    delta = after - before
    return {
        "kib_per_conn": delta / size / 1024,
        "rss_delta_mib": delta / 2**20,
        "connections": size,
        "client_errors": client.get("errors", 0),
        "client_connect_s": client.get("connect_s", 0.0),
    }
