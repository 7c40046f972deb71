"""TLS load generator (plain blocking CPython + the stdlib ``ssl`` module, no green library).

Usage: ``tls_client.py MODE PORT COUNT [ARG]``; prints one JSON line when done.

* ``handshake PORT COUNT THREADS``: THREADS threads each open connections in a loop (TCP
  connect, TLS handshake, one byte each way, close) until COUNT handshakes are done in all.
* ``echo PORT PER_CLIENT CLIENTS``: CLIENTS TLS connections (handshakes first), then one
  ``select.epoll`` loop keeping one 64-byte message in flight on each, PER_CLIENT round
  trips per connection.
* ``bulk PORT MEGABYTES``: one connection that reads MEGABYTES MiB (64 KiB reads) and
  closes.
Certificates are not verified (the server's is a throwaway one); TLS 1.3 is negotiated.
"""

from __future__ import annotations

import json
import select
import ssl
import sys
import threading
import time

from _common import connect, setup_process

MESSAGE = b"m" * 64


def _context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def handshakes(port: int, count: int, threads: int) -> dict[str, float]:
    ctx = _context()
    remaining = [count]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            with ctx.wrap_socket(connect(port, abortive=True), server_hostname="localhost") as conn:
                conn.sendall(b"h")
                conn.recv(1)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"handshakes": count}


def echo(port: int, per_client: int, clients: int) -> dict[str, float]:
    ctx = _context()
    conns = [
        ctx.wrap_socket(connect(port, abortive=False), server_hostname="localhost") for _ in range(clients)
    ]
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    poller = select.epoll()
    left = {}
    by_fd = {}
    for conn in conns:
        conn.setblocking(False)
        conn.sendall(MESSAGE)
        by_fd[conn.fileno()] = conn
        left[conn.fileno()] = [per_client, 0]
        poller.register(conn.fileno(), select.EPOLLIN)
    active = len(conns)
    while active:
        for fd, _ in poller.poll():
            conn = by_fd[fd]
            state = left[fd]
            while True:
                try:
                    state[1] += len(conn.recv(65536))
                except ssl.SSLWantReadError:
                    break
                if not conn.pending():
                    break
            while state[1] >= len(MESSAGE):
                state[1] -= len(MESSAGE)
                state[0] -= 1
                if state[0] > 0:
                    conn.setblocking(True)
                    conn.sendall(MESSAGE)
                    conn.setblocking(False)
            if state[0] <= 0 and fd in by_fd:
                poller.unregister(fd)
                del by_fd[fd]
                conn.close()
                active -= 1
    rts = per_client * clients
    return {
        "round_trips": rts,
        "client_cpu_s": time.process_time() - start_cpu,
        "client_wall_s": time.perf_counter() - start_wall,
    }


def bulk(port: int, megabytes: int) -> dict[str, float]:
    conn = _context().wrap_socket(connect(port, abortive=False), server_hostname="localhost")
    total = megabytes * 1024 * 1024
    got = 0
    start = time.process_time()
    while got < total:
        data = conn.recv(65536)
        if not data:
            break
        got += len(data)
    conn.close()
    return {"bytes": got, "client_cpu_s": time.process_time() - start}


def main() -> None:
    setup_process()
    mode, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    extra = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    if mode == "handshake":
        report = handshakes(port, count, extra or 4)
    elif mode == "echo":
        report = echo(port, count, extra or 100)
    elif mode == "bulk":
        report = bulk(port, count)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
