"""Idle-connection load generator: open N connections, hold them, drop them on request.

Usage: ``idle_client.py PORT CONNECTIONS``.  Connects sequentially (blocking), then
prints one JSON line and waits for a line (or EOF) on stdin; then resets every
connection (SO_LINGER 0, so thousands of closes leave no TIME_WAIT behind) and exits.
"""

from __future__ import annotations

import json
import sys
import time

from _common import connect, setup_process


def main(argv: list[str]) -> int:
    """Open, hold and drop the connections; return the process exit status."""
    setup_process()
    port, conns = int(argv[1]), int(argv[2])
    start = time.perf_counter()
    socks = [connect(port, abortive=True) for _ in range(conns)]
    elapsed = time.perf_counter() - start
    sys.stdin.readline()
    for sock in socks:
        sock.close()
    print(json.dumps({"connections": len(socks), "connect_s": elapsed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
