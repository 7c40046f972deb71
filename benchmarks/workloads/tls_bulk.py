"""TLS bulk transfer over loopback, one connection: server CPU per MiB sent.

The measured process sends ``size`` MiB over one TLS connection (``sendall`` of 64 KiB
blocks) to the load generator (``loadgen/tls_client.py bulk``: a blocking stdlib-ssl client
reading 64 KiB at a time on the other core).  ``impl="reference"`` is the same server written
with blocking standard ``socket`` + ``ssl``: the goal is to stay within 10% of it.
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

from workloads._adapter import load
from workloads._measure import finish_loadgen, start_loadgen
from workloads._spec import WorkloadSpec, beats
from workloads._tls import make_certificate, server_context

BLOCK = b"\x5a" * 65536

SPEC = WorkloadSpec(
    name="tls_bulk",
    title="TLS bulk transfer, one connection (server CPU per MiB)",
    issue="green TLS",
    metric="cpu_us_per_op",
    unit="µs/MiB",
    size=512,
    quick_size=64,
    order=310,
    goals=(beats("reference", 0.9),),
    throughput=True,
    reference=True,
    reference_text=("the same transfer between blocking standard-`ssl` sockets: the OpenSSL limit."),
)


def _send(conn: Any, size: int) -> float:
    start = time.process_time()
    for _ in range(size * 16):
        conn.sendall(BLOCK)
    return time.process_time() - start


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` MiB over one connection."""
    certfile = make_certificate()
    if impl == "reference":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile)
        listener = socket.create_server(("127.0.0.1", 0))
        proc = start_loadgen("tls_client.py", "bulk", listener.getsockname()[1], size)
        sock, _ = listener.accept()
        with ctx.wrap_socket(sock, server_side=True) as conn:
            cpu = _send(conn, size)
        listener.close()
    else:
        green = load(impl)
        ctx = server_context(impl, certfile)
        listener = green.listen(backlog=16)
        proc = start_loadgen("tls_client.py", "bulk", listener.getsockname()[1], size)
        sock, _ = listener.accept()
        conn = ctx.wrap_socket(sock, server_side=True)
        cpu = _send(conn, size)
        conn.close()
        listener.close()
    report = finish_loadgen(proc, timeout=120)
    if report.get("bytes") != size * 1024 * 1024:
        raise RuntimeError(f"client received {report.get('bytes')} bytes")
    return {"ops": size, "cpu_s": cpu}
