"""Idle keep-alive HTTP load generator: N connections, one request each, then held.

Usage: ``http_idle_client.py PORT CONNECTIONS``.  Opens the connections one after the
other (blocking), sends ``GET /`` on each and reads the complete keep-alive answer, so
every connection ends up idle on the server between two requests.  Then prints one JSON
line (``connections``, ``errors``, ``connect_s``) and waits for a line (or EOF) on
stdin; then resets every connection (SO_LINGER 0: no TIME_WAIT left behind) and exits.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time

from _common import connect, setup_process

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def one_request(sock: socket.socket) -> bool:
    """Send one request, read its whole answer; False when it is not a 200 or is cut short."""
    sock.sendall(REQUEST)
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            return False
        buf += data
    head, _, body = buf.partition(b"\r\n\r\n")
    match = LENGTH.search(head)
    length = int(match.group(1)) if match else 0
    while len(body) < length:
        data = sock.recv(65536)
        if not data:
            return False
        body += data
    return head.startswith(b"HTTP/1.1 200")


def main(argv: list[str]) -> int:
    """Open, use once, hold and drop the connections; return the process exit status."""
    setup_process()
    port, conns = int(argv[1]), int(argv[2])
    start = time.perf_counter()
    socks = []
    errors = 0
    for _ in range(conns):
        sock = connect(port, abortive=True)
        if not one_request(sock):
            errors += 1
        socks.append(sock)
    elapsed = time.perf_counter() - start
    print(json.dumps({"connections": len(socks), "errors": errors, "connect_s": elapsed}), flush=True)
    sys.stdin.readline()
    for sock in socks:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
