"""HTTP load generator: N connections sending ``GET /`` as fast as answers come back.

Usage: ``http_load.py PORT CONNECTIONS SECONDS MODE`` with MODE ``keepalive`` (each
connection sends its next request as soon as the previous answer is complete) or ``close``
(every request on a new connection, ``Connection: close``).

Runs ``wrk --latency`` (pinned to this process's core) when it is installed, else a plain
CPython ``select.epoll`` loop doing the same.  Prints one JSON line: ``requests`` completed,
``errors``, ``tool``, the client-side latency percentiles ``p50_ms`` and ``p99_ms`` (wrk's
"Latency Distribution"; for the CPython loop, from the time each request was sent, or its
connection opened in ``close`` mode, to its complete answer), and for the CPython loop its
own CPU time.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import time

from _common import setup_process

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
CLOSE_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
WRK_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def wrk_percentile_ms(out: str, percent: int) -> float:
    """One line of wrk's "Latency Distribution" (``    99%    1.20ms``) in milliseconds."""
    match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {percent}% line in wrk's latency distribution: {out!r}")
    return float(match.group(1)) * WRK_TIME_UNITS_MS[match.group(2)]


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    """``p50_ms`` and ``p99_ms`` of per-request latencies given in seconds (none: no keys)."""
    if not latencies:
        return {}
    if len(latencies) == 1:
        return {"p50_ms": latencies[0] * 1e3, "p99_ms": latencies[0] * 1e3}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1e3, "p99_ms": cuts[98] * 1e3}


def run_wrk(wrk: str, port: int, conns: int, seconds: float, mode: str) -> dict[str, object]:
    """Drive the load with wrk; parse its summary."""
    duration = f"-d{max(1, round(seconds))}s"
    cmd = [wrk, "-t1", f"-c{conns}", duration, "--latency", f"http://127.0.0.1:{port}/"]
    if mode == "close":
        cmd[1:1] = ["-H", "Connection: close"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+) requests in", out)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output: {out!r}")
    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    return {
        "requests": int(match.group(1)),
        "errors": errors,
        "tool": "wrk",
        "p50_ms": wrk_percentile_ms(out, 50),
        "p99_ms": wrk_percentile_ms(out, 99),
    }


def run_python(port: int, conns: int, seconds: float, mode: str) -> dict[str, object]:
    """The same load from one epoll loop (when wrk is not installed)."""
    poller = select.epoll()
    state: dict[int, tuple[socket.socket, bytearray]] = {}
    sent_at: dict[int, float] = {}  # fd -> when its outstanding request started
    latencies: list[float] = []
    request = CLOSE_REQUEST if mode == "close" else REQUEST

    def open_one() -> None:
        started = time.perf_counter()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        state[sock.fileno()] = (sock, bytearray())
        sent_at[sock.fileno()] = started
        poller.register(sock.fileno(), select.EPOLLIN)
        sock.send(request)

    cpu0, end = time.process_time(), time.monotonic() + seconds
    done = errors = 0
    for _ in range(conns):
        open_one()
    while time.monotonic() < end:
        for fd, _ in poller.poll(0.1):
            sock, buf = state[fd]
            try:
                data = sock.recv(65536)
            except ConnectionError:
                data, errors = b"", errors + 1
            buf += data
            head_end = buf.find(b"\r\n\r\n")
            complete = head_end >= 0 and (
                (mode == "close" and not data)
                or (mode != "close" and len(buf) >= head_end + 4 + _length(buf[:head_end]))
            )
            if complete:
                done += 1
                latencies.append(time.perf_counter() - sent_at[fd])
                buf.clear()
            if mode == "close" and not data:
                poller.unregister(fd)
                del state[fd]
                sock.close()
                open_one()
            elif complete:
                sent_at[fd] = time.perf_counter()
                sock.send(request)
            elif not data:
                raise ConnectionError("the server closed a keep-alive connection")
    return {
        "requests": done,
        "errors": errors,
        "tool": "python",
        "client_cpu_s": time.process_time() - cpu0,
        **percentiles_ms(latencies),
    }


def _length(head: bytearray) -> int:
    match = re.search(rb"\r\ncontent-length: *(\d+)", bytes(head), re.IGNORECASE)
    return int(match.group(1)) if match else 0


def main(argv: list[str]) -> int:
    """Run the load; print the JSON report."""
    setup_process()
    port, conns, seconds, mode = int(argv[1]), int(argv[2]), float(argv[3]), argv[4]
    wrk = shutil.which("wrk")
    report = run_wrk(wrk, port, conns, seconds, mode) if wrk else run_python(port, conns, seconds, mode)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
