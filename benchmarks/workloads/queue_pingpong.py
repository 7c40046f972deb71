"""Queue ping-pong between two green threads: a put/get hand-off costs one switch."""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._spec import WorkloadSpec, beats

SPEC = WorkloadSpec(
    name="queue_pingpong",
    title="Queue ping-pong between two green threads",
    issue="core runtime",
    metric="cpu_us_per_op",
    unit="µs/message",
    size=200_000,
    quick_size=20_000,
    order=20,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
    notes="eventlet.queue.Queue() / gevent.queue.Queue(), unbounded; one op = one message.",
)


def _exchange(impl: str, rounds: int) -> float:
    """Bounce ``rounds`` messages each way; return the CPU seconds spent."""
    green = load(impl)
    ping, pong = green.queue(), green.queue()

    def server() -> None:
        get, put = ping.get, pong.put
        for _ in range(rounds):
            put(get())

    def client() -> None:
        get, put = pong.get, ping.put
        for i in range(rounds):
            put(i)
            get()

    start = time.process_time()
    green.join_all([green.spawn(server), green.spawn(client)])
    return time.process_time() - start


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` messages in all (half each way)."""
    rounds = max(1, size // 2)
    _exchange(impl, 100)  # warm-up
    return {"ops": rounds * 2, "cpu_s": _exchange(impl, rounds)}
