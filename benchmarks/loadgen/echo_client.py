"""Echo load generator: N connections, each sending 64-byte messages in lock step.

Usage: ``echo_client.py PORT CONNECTIONS ROUND_TRIPS_PER_CONNECTION [MESSAGE_SIZE]``.

All connections are opened first, then every connection keeps exactly one message in
flight: send, wait for the full echo, send again, until its quota is done, then close.
One ``select.epoll`` loop drives them all, which costs the client a few microseconds per
round trip, well under what a green server spends.  Prints one JSON line on exit.
"""

from __future__ import annotations

import json
import select
import sys
import time

from _common import connect, setup_process


def main(argv: list[str]) -> int:
    """Run the load; return the process exit status."""
    setup_process()
    port, conns, per_conn = int(argv[1]), int(argv[2]), int(argv[3])
    size = int(argv[4]) if len(argv) > 4 else 64
    message = b"x" * size
    socks = [connect(port, abortive=False) for _ in range(conns)]
    poller = select.epoll()
    by_fd = {}
    pending = {}
    left = {}
    for sock in socks:
        sock.setblocking(False)
        fd = sock.fileno()
        by_fd[fd] = sock
        pending[fd] = size
        left[fd] = per_conn
        poller.register(fd, select.EPOLLIN)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for sock in socks:
        sock.send(message)
    live = len(socks)
    done = 0
    while live:
        for fd, _ in poller.poll():
            sock = by_fd[fd]
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("server closed a connection early")
            pending[fd] -= len(data)
            if pending[fd] > 0:
                continue
            pending[fd] = size
            done += 1
            left[fd] -= 1
            if left[fd]:
                sock.send(message)
            else:
                poller.unregister(fd)
                sock.close()
                live -= 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"round_trips": done, "client_wall_s": wall, "client_cpu_s": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
