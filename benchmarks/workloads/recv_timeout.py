"""TCP echo with a socket timeout that the data always beats: ``tcp_echo`` plus ``settimeout``.

The same server and load as ``tcp_echo`` (100 lock-step clients, 64-byte messages, server
CPU per round trip), except that every accepted connection has ``settimeout(30.0)``.
Each ``recv`` that has to wait therefore arms a timer and disarms it when the data
arrives, as every green socket with a timeout does; none ever fires.  The difference
from the ``tcp_echo`` row is what a timeout costs per wait.
"""

from __future__ import annotations

from typing import Any

from workloads._echo import echo_result, green_echo_server
from workloads._spec import WorkloadSpec, beats

CLIENTS = 100
MESSAGE = 64
TIMEOUT = 30.0

SPEC = WorkloadSpec(
    name="recv_timeout",
    title="TCP echo with settimeout(30), 100 clients, 64-byte messages (server CPU)",
    issue="issue 16",
    metric="cpu_us_per_op",
    unit="µs/round trip",
    size=100_000,
    quick_size=10_000,
    order=111,
    goals=(beats("eventlet", 2), beats("gevent")),
    throughput=True,
    details=("client_cpu_us_per_op",),
)


def main(impl: str, size: int) -> dict[str, Any]:
    """``size`` round trips in all, spread evenly over the 100 connections."""
    per_client = max(1, size // CLIENTS)
    window, end_cpu, client = green_echo_server(impl, CLIENTS, per_client, MESSAGE, TIMEOUT)
    return echo_result(window, end_cpu, client, MESSAGE)
