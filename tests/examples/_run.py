"""Start an example program the way a user would: ``python examples/NAME.py ARGS...``."""

from __future__ import annotations

import signal
import socket
import sys

from tests.clients._support import ROOT, LineProcess

EXAMPLES = ROOT / "examples"


def start(name: str, *args: str) -> LineProcess:
    """Run ``examples/<name>.py`` with ``args``; its merged output is read line by line."""
    return LineProcess([sys.executable, str(EXAMPLES / f"{name}.py"), *args])


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    """A plain blocking TCP client (like nc) connected to 127.0.0.1:``port``."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_line(sock: socket.socket) -> bytes:
    """One ``\\n``-terminated line from ``sock`` (byte by byte: nothing past it is consumed)."""
    data = bytearray()
    while not data.endswith(b"\n"):
        byte = sock.recv(1)
        if not byte:
            break
        data += byte
    return bytes(data)


def recv_until(sock: socket.socket, marker: bytes) -> bytes:
    """Everything from ``sock`` up to and including ``marker`` (or up to end of file)."""
    data = bytearray()
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return bytes(data)


def ctrl_c(proc: LineProcess) -> None:
    """Press Ctrl-C (SIGINT): the example must say bye and exit with status 0."""
    assert proc.stop(signal.SIGINT) == 0, proc.output()
    proc.wait_for(r"^bye$")
