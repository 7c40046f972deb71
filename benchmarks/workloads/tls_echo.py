"""TLS echo server: server CPU per round trip under 100 concurrent lock-step TLS clients.

Like ``tcp_echo`` over TLS: the measured process serves with one green thread per
connection (``SSLContext.wrap_socket(server_side=True)``, then ``recv``/``sendall``); the load
generator (``loadgen/tls_client.py echo``, stdlib ssl over one ``select.epoll`` loop on the
other core) completes 100 handshakes, then keeps one 64-byte message in flight on each.  The
CPU window starts when the 100th handshake is done and ends when the last connection closes.
"""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._measure import check_loadgen, finish_loadgen, start_loadgen
from workloads._spec import WorkloadSpec, beats
from workloads._tls import make_certificate, server_context

CLIENTS = 100
MESSAGE = 64

SPEC = WorkloadSpec(
    name="tls_echo",
    title="TLS echo, 100 clients, 64-byte messages (server CPU)",
    issue="green TLS",
    metric="cpu_us_per_op",
    unit="µs/round trip",
    size=100_000,
    quick_size=10_000,
    order=320,
    goals=(beats("gevent"),),
    throughput=True,
    details=("client_cpu_us_per_op",),
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` round trips in all, spread over the 100 connections."""
    per_client = max(1, size // CLIENTS)
    green = load(impl)
    ctx = server_context(impl, make_certificate())
    listener = green.listen(backlog=1024)
    port = listener.getsockname()[1]
    state = {"ready": 0, "closed": 0, "echoed": 0, "start_cpu": 0.0, "start_echoed": 0}

    def handle(sock: Any) -> None:
        conn = ctx.wrap_socket(sock, server_side=True)
        state["ready"] += 1
        if state["ready"] == CLIENTS:
            state["start_cpu"], state["start_echoed"] = time.process_time(), state["echoed"]
        recv, sendall = conn.recv, conn.sendall
        try:
            while True:
                data = recv(65536)
                if not data:
                    break
                state["echoed"] += len(data)
                sendall(data)
        except OSError:
            pass
        finally:
            conn.close()
            state["closed"] += 1

    def accept_loop() -> None:
        for _ in range(CLIENTS):
            sock, _ = listener.accept()
            green.spawn(handle, sock)

    acceptor = green.spawn(accept_loop)
    proc = start_loadgen("tls_client.py", "echo", port, per_client, CLIENTS)
    while state["closed"] < CLIENTS:
        green.sleep(0.02)
        check_loadgen(proc)
    end_cpu = time.process_time()
    green.join_all([acceptor])
    listener.close()
    client = finish_loadgen(proc)
    round_trips = (state["echoed"] - state["start_echoed"]) // MESSAGE
    if round_trips <= 0:
        raise RuntimeError("no round trips inside the measured window")
    result: dict[str, Any] = {"ops": round_trips, "cpu_s": end_cpu - state["start_cpu"]}
    if client.get("client_cpu_s"):
        result["client_cpu_us_per_op"] = client["client_cpu_s"] * 1e6 / client["round_trips"]
    return result
