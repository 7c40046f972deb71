"""The hello-world HTTP servers the ``http_*`` workloads measure, one per implementation.

* ``ours``: ``eventlet.httpd.Server`` (access log off), or with ``api="wsgi"`` (the ``wsgi_*``
  workloads) our ``eventlet.wsgi.server`` (``log_output=False``), the upstream-compatible server;
* ``eventlet``: upstream ``eventlet.wsgi.server`` (``log_output=False``);
* ``gevent``: ``gevent.pywsgi.WSGIServer`` (``log=None``);
* ``reference``: a bare ``select.epoll`` loop answering a canned response to every
  complete request head (no parsing, no WSGI): the ceiling a CPython server can reach.

The server runs in the measured child; the load generator (``loadgen/http_load.py``: wrk
when installed) runs on the other core.  The CPU window is the measured process's CPU time
from just before the load starts to just after it ends, divided by the requests the
application answered meanwhile.  A one-second untimed run warms the server up first.
The load generator's client-side latency percentiles of the measured run (``p50_ms``,
``p99_ms``: request sent to answer complete, wall milliseconds) go into the details.
"""

from __future__ import annotations

import select
import socket
import time
from typing import Any

from workloads._measure import check_loadgen, finish_loadgen, start_loadgen

CONNECTIONS = 50
LATENCY_KEYS = ("p50_ms", "p99_ms")
BODY = b"Hello, World!"
CANNED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    b"Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: reference\r\n\r\n" + BODY
)
CANNED_CLOSE = CANNED.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)


class Counter:
    """Requests answered by the application."""

    def __init__(self) -> None:
        self.requests = 0

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """Hello world."""
        self.requests += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [BODY]


def _green_server(impl: str, counter: Counter, api: str) -> tuple[int, Any, Any]:
    """Start the implementation's server in a green thread; return (port, sleep, stop)."""
    if impl == "gevent":
        import gevent
        from gevent.pywsgi import WSGIServer

        gserver = WSGIServer(("127.0.0.1", 0), counter.app, log=None, error_log=None, backlog=1024)
        gserver.start()
        return gserver.server_port, gevent.sleep, gserver.stop
    import eventlet

    listener = eventlet.listen(("127.0.0.1", 0), backlog=1024)
    port = listener.getsockname()[1]
    if impl == "ours" and api == "httpd":
        from eventlet.httpd import Server

        server = Server(counter.app, sock=listener, access_log=False)
        thread = server.start()

        def stop() -> None:
            server.stop(1)
            thread.wait()
            listener.close()

        return port, eventlet.sleep, stop
    from eventlet import wsgi

    thread = eventlet.spawn(wsgi.server, listener, counter.app, log_output=False)

    def stop_upstream() -> None:
        thread.kill()
        listener.close()

    return port, eventlet.sleep, stop_upstream


def _drive(
    mode: str, seconds: float, port: int, sleep: Any, counter: Counter
) -> tuple[float, int, dict[str, Any]]:
    proc = start_loadgen("http_load.py", port, CONNECTIONS, seconds, mode)
    start_cpu, start_requests = time.process_time(), counter.requests
    while proc.poll() is None:
        sleep(0.02)
        check_loadgen(proc)
    cpu = time.process_time() - start_cpu
    return cpu, counter.requests - start_requests, finish_loadgen(proc)


def _reference(mode: str, seconds: float) -> tuple[float, int, dict[str, Any]]:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.setblocking(False)
    poller = select.epoll()
    lfd = listener.fileno()
    poller.register(lfd, select.EPOLLIN)
    conns: dict[int, socket.socket] = {}
    answer = CANNED_CLOSE if mode == "close" else CANNED
    counter = Counter()

    def serve(seconds: float) -> tuple[float, int, dict[str, Any]]:
        proc = start_loadgen("http_load.py", listener.getsockname()[1], CONNECTIONS, seconds, mode)
        start_cpu, start_requests = time.process_time(), counter.requests
        while proc.poll() is None:
            for fd, _ in poller.poll(0.05):
                if fd == lfd:
                    try:
                        while True:
                            conn, _ = listener.accept()
                            conn.setblocking(False)
                            conns[conn.fileno()] = conn
                            poller.register(conn.fileno(), select.EPOLLIN)
                    except BlockingIOError:
                        pass
                    continue
                conn = conns[fd]
                try:
                    data = conn.recv(65536)
                except ConnectionError:
                    data = b""
                if data and data.endswith(b"\r\n\r\n"):
                    counter.requests += 1
                    conn.send(answer)
                if not data or mode == "close":
                    poller.unregister(fd)
                    del conns[fd]
                    conn.close()
        cpu = time.process_time() - start_cpu
        return cpu, counter.requests - start_requests, finish_loadgen(proc)

    serve(1.0)
    result = serve(seconds)
    poller.close()
    listener.close()
    return result


def run(impl: str, mode: str, seconds: float, api: str = "httpd") -> dict[str, Any]:
    """Measure ``impl`` under the ``mode`` load for ``seconds``; return the result dict.

    ``api`` picks our server: ``"httpd"`` (``eventlet.httpd.Server``) or ``"wsgi"``
    (``eventlet.wsgi.server``); the peers run the same server either way.
    """
    if impl == "reference":
        cpu, requests, client = _reference(mode, seconds)
    else:
        counter = Counter()
        port, sleep, stop = _green_server(impl, counter, api)
        _drive(mode, 1.0, port, sleep, counter)  # warm-up, untimed
        cpu, requests, client = _drive(mode, seconds, port, sleep, counter)
        stop()
    if requests <= 0:
        raise RuntimeError("no request answered inside the measured window")
    result: dict[str, Any] = {
        "ops": requests,
        "cpu_s": cpu,
        "client_errors": client.get("errors", 0),
        "load_tool": client.get("tool", "?"),
    }
    for key in LATENCY_KEYS:
        if key in client:
            result[key] = client[key]
    if client.get("client_cpu_s"):
        result["client_cpu_us_per_op"] = client["client_cpu_s"] * 1e6 / max(1, client["requests"])
    return result
