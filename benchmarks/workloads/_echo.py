"""The green echo server shared by ``tcp_echo`` and ``recv_timeout``.

``listen`` plus one green thread per connection doing ``recv`` / ``sendall``, under the
lock-step load of ``loadgen/echo_client.py`` (pinned to the other core).  The server
takes a CPU snapshot when it accepts the last connection and another when the last one
closes; round trips in that window are counted from the bytes it echoed.
"""

from __future__ import annotations

import time
from typing import Any

from workloads._adapter import load
from workloads._measure import check_loadgen, finish_loadgen, start_loadgen


class Window:
    """Counters shared by the server's green threads."""

    def __init__(self) -> None:
        self.accepted = 0
        self.closed = 0
        self.echoed = 0
        self.start_cpu = 0.0
        self.start_echoed = 0


def green_echo_server(
    impl: str, clients: int, per_client: int, message: int, timeout: float | None = None
) -> tuple[Window, float, dict[str, Any]]:
    """Serve the load with green threads; return the window, end CPU and client report.

    With ``timeout``, every accepted connection gets ``settimeout(timeout)``, so each
    ``recv`` that has to wait arms a timer and disarms it when the data arrives.
    """
    green = load(impl)
    listener = green.listen(backlog=1024)
    port = listener.getsockname()[1]
    window = Window()

    def handle(conn: Any) -> None:
        if timeout is not None:
            conn.settimeout(timeout)
        recv, sendall = conn.recv, conn.sendall
        try:
            while True:
                data = recv(65536)
                if not data:
                    break
                window.echoed += len(data)
                sendall(data)
        except OSError:
            pass
        finally:
            conn.close()
            window.closed += 1

    def accept_loop() -> None:
        spawn = green.spawn
        while window.accepted < clients:
            conn, _ = listener.accept()
            window.accepted += 1
            if window.accepted == clients:
                window.start_cpu, window.start_echoed = time.process_time(), window.echoed
            spawn(handle, conn)

    acceptor = green.spawn(accept_loop)
    proc = start_loadgen("echo_client.py", port, clients, per_client, message)
    while window.closed < clients:
        green.sleep(0.02)
        check_loadgen(proc)
    end_cpu = time.process_time()
    green.join_all([acceptor])
    listener.close()
    return window, end_cpu, finish_loadgen(proc)


def echo_result(window: Window, end_cpu: float, client: dict[str, Any], message: int) -> dict[str, Any]:
    """The workload result: round trips and server CPU in the window, plus the client's cost."""
    round_trips = (window.echoed - window.start_echoed) // message
    if round_trips <= 0:
        raise RuntimeError("no round trips inside the measured window")
    result: dict[str, Any] = {"ops": round_trips, "cpu_s": end_cpu - window.start_cpu}
    if client.get("client_cpu_s"):
        result["client_cpu_us_per_op"] = client["client_cpu_s"] * 1e6 / client["round_trips"]
        result["client_wall_s"] = client["client_wall_s"]
    return result
