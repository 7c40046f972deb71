"""TLS handshakes: server CPU per handshake, one server process.

The measured process is a green TLS server (the implementation's green ``ssl`` module,
``SSLContext.wrap_socket(server_side=True)`` in one green thread per connection, one byte
each way, close).  The load generator (``loadgen/tls_client.py handshake``, 4 threads of
blocking stdlib-ssl clients on the other core) opens connections back to back.  TLS 1.3,
ECDSA P-256 certificate; the CPU window runs from the first accept to the last close.

``impl="reference"`` serves the same load with one blocking thread and the standard ``ssl``
module (one connection at a time): the cost of the TLS library itself, the floor every green
implementation sits on.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from workloads._adapter import load
from workloads._measure import check_loadgen, finish_loadgen, start_loadgen
from workloads._spec import WorkloadSpec, beats
from workloads._tls import make_certificate, server_context

SPEC = WorkloadSpec(
    name="tls_handshake",
    title="TLS handshakes, one server process (server CPU)",
    issue="green TLS",
    metric="cpu_us_per_op",
    unit="µs/handshake",
    size=4000,
    quick_size=400,
    order=300,
    goals=(beats("eventlet", 1.5),),
    throughput=True,
    reference=True,
    reference_text=(
        "a blocking server with the standard `ssl` module, one connection at a time: the cost of "
        "OpenSSL and the kernel alone, the floor of every green server."
    ),
)


def _blocking_server(size: int) -> dict[str, Any]:
    ctx = server_context("reference", make_certificate())
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    proc = start_loadgen("tls_client.py", "handshake", listener.getsockname()[1], size, 4)
    start = 0.0
    for _ in range(size):
        sock, _ = listener.accept()
        start = start or time.process_time()
        with ctx.wrap_socket(sock, server_side=True) as conn:
            conn.recv(1)
            conn.sendall(b"h")
    end = time.process_time()
    listener.close()
    finish_loadgen(proc)
    return {"ops": size, "cpu_s": end - start}


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` handshakes."""
    if impl == "reference":
        return _blocking_server(size)
    green = load(impl)
    ctx = server_context(impl, make_certificate())
    listener = green.listen(backlog=1024)
    port = listener.getsockname()[1]
    state = {"done": 0, "errors": 0, "start": 0.0}

    def handle(sock: Any) -> None:
        try:
            conn = ctx.wrap_socket(sock, server_side=True)
            try:
                conn.recv(1)
                conn.sendall(b"h")
            finally:
                conn.close()
        except OSError:
            state["errors"] += 1
            sock.close()
        state["done"] += 1

    def accept_loop() -> None:
        for _ in range(size):
            sock, _ = listener.accept()
            if not state["start"]:
                state["start"] = time.process_time()
            green.spawn(handle, sock)

    acceptor = green.spawn(accept_loop)
    proc = start_loadgen("tls_client.py", "handshake", port, size, 4)
    while state["done"] < size:
        green.sleep(0.02)
        check_loadgen(proc)
    end = time.process_time()
    green.join_all([acceptor])
    listener.close()
    finish_loadgen(proc)
    return {"ops": size - state["errors"], "cpu_s": end - state["start"], "errors": state["errors"]}
