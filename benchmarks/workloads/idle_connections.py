"""10,000 concurrent idle connections held by one server: resident memory per connection.

The server accepts and gives each connection a green thread blocked in ``recv``; the load
generator (``loadgen/idle_client.py``, other core) opens them all and then holds them.
RSS is read before the load starts and again once every handler is parked; the growth
per connection covers the green socket object, the handler's green thread and the hub's
bookkeeping (kernel socket buffers are not part of RSS).
"""

from __future__ import annotations

import gc
from typing import Any

from workloads._adapter import load
from workloads._measure import check_loadgen, finish_loadgen, rss_bytes, start_loadgen
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="idle_connections",
    title="10,000 idle connections held by one server",
    issue="green I/O",
    metric="kib_per_conn",
    unit="KiB/connection",
    size=10_000,
    quick_size=2_000,
    order=120,
    goals=(beats("eventlet"),),
    details=("rss_delta_mib",),
)


def main(impl: str, size: int) -> dict[str, Any]:
    """Hold ``size`` connections; report KiB of RSS per connection."""
    green = load(impl)
    listener = green.listen(backlog=4096)
    port = listener.getsockname()[1]
    parked = [0]
    closed = [0]

    def handle(conn: Any) -> None:
        parked[0] += 1
        try:
            conn.recv(1)
        except OSError:
            pass
        finally:
            conn.close()
            closed[0] += 1

    def accept_loop() -> None:
        spawn = green.spawn
        for _ in range(size):
            conn, _ = listener.accept()
            spawn(handle, conn)

    gc.collect()
    before = rss_bytes()
    acceptor = green.spawn(accept_loop)
    proc = start_loadgen("idle_client.py", port, size)
    while parked[0] < size:
        green.sleep(0.01)
        check_loadgen(proc)
    green.sleep(0.05)
    gc.collect()
    after = rss_bytes()
    green.join_all([acceptor])
    client = finish_loadgen(proc, timeout=60)
    for _ in range(500):
        if closed[0] >= size:
            break
        green.sleep(0.01)
    listener.close()
    delta = after - before
    return {
        "kib_per_conn": delta / size / 1024,
        "rss_delta_mib": delta / 2**20,
        "connections": size,
        "client_connect_s": client.get("connect_s", 0.0),
    }
