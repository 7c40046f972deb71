"""examples/backdoor_server.py: the server greets and counts clients; the backdoor inspects it live."""

from __future__ import annotations

import socket

from tests.examples._run import connect, ctrl_c, read_line, recv_until, start


def ask(console: socket.socket, line: bytes) -> bytes:
    """Send one line to the console; what it printed before the next prompt (newlines as \\n)."""
    console.sendall(line + b"\n")
    return recv_until(console, b">>> ").replace(b"\r\n", b"\n")


def test_backdoor_sees_the_running_server() -> None:
    with start("backdoor_server", "--port", "0", "--backdoor-port", "0") as proc:
        match = proc.wait_for(r"serving on (\d+), backdoor on (\d+)")
        port, backdoor_port = int(match.group(1)), int(match.group(2))
        for n in (1, 2):
            with connect(port) as client:
                assert read_line(client) == b"hello, you are client #%d\n" % n
        with connect(backdoor_port) as console:
            assert recv_until(console, b">>> ").endswith(b">>> ")
            assert ask(console, b"counter['connections']") == b"2\n>>> "
            assert ask(console, b"counter['connections'] = 41") == b">>> "
            assert ask(console, b"print('changed', counter)") == b"changed {'connections': 41}\n>>> "
            assert b"ZeroDivisionError" in ask(console, b"1 / 0")
        with connect(port) as client:
            assert read_line(client) == b"hello, you are client #42\n"
        ctrl_c(proc)
