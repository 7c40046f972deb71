"""Helpers shared by the load generators (plain blocking CPython, no green library)."""

from __future__ import annotations

import os
import resource
import socket
import struct


def setup_process() -> None:
    """Pin to ``$BENCH_CPU`` when given and raise the open-files limit to the hard one."""
    cpu = os.environ.get("BENCH_CPU", "")
    if cpu and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {int(cpu)})
        except (OSError, ValueError):
            pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (OSError, ValueError):
            pass


def connect(port: int, *, abortive: bool) -> socket.socket:
    """A blocking TCP connection to 127.0.0.1:port with Nagle off.

    ``abortive`` sets SO_LINGER to zero so ``close`` sends a reset and leaves no
    TIME_WAIT entry behind (useful when opening thousands of connections per run).
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if abortive:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return sock
