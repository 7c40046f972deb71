"""TCP echo server: server CPU per round trip under 100 concurrent lock-step clients.

The measured process is the server (pinned to the measured core): ``listen`` plus one
green thread per connection doing ``recv`` / ``sendall`` (``workloads/_echo.py``).  The
load generator (``loadgen/echo_client.py``, plain CPython over ``select.epoll``, pinned
to the other core) opens 100 connections and keeps one 64-byte message in flight on
each.  The server takes a CPU snapshot when it accepts the last connection and another
when the last one closes; round trips in that window are counted from the bytes it
echoed.

``impl="reference"`` runs the same protocol on a raw ``select.epoll`` loop (each
connection registered once, ``recv`` then ``send``): the ceiling a CPython server can
reach, run with ours' virtualenv interpreter (the harness's CPython).
"""

from __future__ import annotations

import select
import socket
import time
from typing import Any

from workloads._echo import Window, echo_result, green_echo_server
from workloads._measure import check_loadgen, finish_loadgen, start_loadgen
from workloads._spec import WorkloadSpec, beats

CLIENTS = 100
MESSAGE = 64

SPEC = WorkloadSpec(
    name="tcp_echo",
    title="TCP echo, 100 clients, 64-byte messages (server CPU)",
    issue="green I/O",
    metric="cpu_us_per_op",
    unit="µs/round trip",
    size=100_000,
    quick_size=10_000,
    order=110,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
    reference=True,
    reference_text=(
        "the same echo protocol on a bare `select.epoll` loop in CPython (no green threads): the ceiling."
    ),
    details=("client_cpu_us_per_op",),
)


def _epoll_server(per_client: int) -> tuple[Window, float, dict[str, Any]]:
    """The same service on a bare ``select.epoll`` loop (the CPython ceiling)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.setblocking(False)
    poller = select.epoll()
    poller.register(listener.fileno(), select.EPOLLIN)
    conns: dict[int, socket.socket] = {}
    window = Window()
    proc = start_loadgen("echo_client.py", listener.getsockname()[1], CLIENTS, per_client, MESSAGE)
    lfd = listener.fileno()
    while window.closed < CLIENTS:
        for fd, _ in poller.poll(0.05):
            if fd == lfd:
                conn, _ = listener.accept()
                conn.setblocking(False)
                conns[conn.fileno()] = conn
                poller.register(conn.fileno(), select.EPOLLIN)
                window.accepted += 1
                if window.accepted == CLIENTS:
                    window.start_cpu, window.start_echoed = time.process_time(), window.echoed
                continue
            conn = conns[fd]
            data = conn.recv(65536)
            if data:
                window.echoed += len(data)
                conn.send(data)
            else:
                poller.unregister(fd)
                del conns[fd]
                conn.close()
                window.closed += 1
        check_loadgen(proc)
    end_cpu = time.process_time()
    poller.close()
    listener.close()
    return window, end_cpu, finish_loadgen(proc)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` round trips in all, spread evenly over the 100 connections."""
    per_client = max(1, size // CLIENTS)
    if impl == "reference":
        window, end_cpu, client = _epoll_server(per_client)
    else:
        window, end_cpu, client = green_echo_server(impl, CLIENTS, per_client, MESSAGE)
    return echo_result(window, end_cpu, client, MESSAGE)
