"""eventlet.backdoor, driven by real TCP clients."""

from __future__ import annotations

import errno
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import eventlet
from eventlet import backdoor
from eventlet.green import socket
from eventlet.testing import hub_turns


class Client:
    """A TCP client of the backdoor that reads up to each prompt."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buffer = b""

    def read_until(self, marker: bytes = b">>> ") -> str:
        while marker not in self.buffer:
            data = self.sock.recv(4096)
            if not data:
                break
            self.buffer += data
        text, sep, self.buffer = self.buffer.partition(marker)
        return (text + sep).decode()

    def run(self, line: str, prompt: bytes = b">>> ") -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.read_until(prompt).replace("\r\n", "\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[tuple[int, dict[str, Any]]]:
    listener = eventlet.listen(("127.0.0.1", 0))
    namespace: dict[str, Any] = {"answer": 41}
    thread = eventlet.spawn(backdoor.backdoor_server, listener, namespace)
    yield listener.getsockname()[1], namespace
    thread.kill()
    for _ in range(500):  # let sessions end and the streams be restored
        if not backdoor._routing.sessions:
            break
        hub_turns(1)


def test_console_session(server: tuple[int, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    port, namespace = server
    client = Client(port)
    banner = client.read_until()
    assert "Python" in banner
    assert "backdoor" in banner
    assert banner.endswith(">>> ")
    lines = banner.splitlines()  # the interpreter's three banner lines, then the prompt
    assert len(lines) == 4
    assert "InteractiveConsole" in lines[2]
    assert lines[1].startswith("Type ")
    assert client.run("print(answer + 1)") == "42\n>>> "
    assert client.run("answer * 2") == "82\n>>> "
    assert "ZeroDivisionError" in client.run("1/0")
    assert client.run("import sys; sys.stderr.write('to client\\n')").startswith("to client")
    assert client.run("for i in range(2):", b"... ") == "... "
    assert client.run("    print(i)", b"... ") == "... "
    assert client.run("") == "0\n1\n>>> "
    assert client.run("x = 5") == ">>> "
    assert namespace["x"] == 5
    print("server side")  # other green threads still print to the real stdout
    client.sock.sendall(b"exit()\r\n")
    assert client.read_until(b"never") == ""  # the server closed the connection
    client.close()
    assert capsys.readouterr().out == "server side\n"
    for _ in range(100):  # the session ends, and the last one restores the streams
        if not isinstance(sys.stdout, backdoor._Router):
            break
        hub_turns(1)
    assert not isinstance(sys.stdout, backdoor._Router)


def test_clients_do_not_see_each_others_output(server: tuple[int, dict[str, Any]]) -> None:
    port, _ = server
    first, second = Client(port), Client(port)
    first.read_until()
    second.read_until()
    first.sock.sendall(b"import eventlet; eventlet.sleep(0.01); print('one')\r\n")
    assert second.run("print('two')") == "two\n>>> "
    assert first.read_until().replace("\r\n", "\n") == "one\n>>> "
    assert second.run("input('name? ')", b"? ") == "name? "  # input() reads from the session too
    assert second.run("bob") == "'bob'\n>>> "
    first.close()
    second.close()


def test_client_disconnects_midway(server: tuple[int, dict[str, Any]]) -> None:
    port, _ = server
    client = Client(port)
    client.read_until()
    client.sock.sendall(b"for i in range(3):\r\n")
    client.close()
    for _ in range(100):
        if not backdoor._routing.sessions:
            break
        hub_turns(1)
    assert not backdoor._routing.sessions
    again = Client(port)  # the server keeps serving
    again.read_until()
    assert again.run("1 + 1") == "2\n>>> "
    again.close()


def test_backdoor_on_one_connection() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    conn, addr = listener.accept()
    session = backdoor.backdoor((conn, addr), {"v": "local"})
    reader = Client.__new__(Client)
    reader.sock, reader.buffer = client, b""
    reader.read_until()
    assert reader.run("v") == "'local'\n>>> "
    client.sendall(b"\x04")  # a bare Ctrl-D is not a line; closing the socket ends the session
    client.close()
    session.wait()
    listener.close()


def test_backdoor_with_an_address_listens() -> None:
    probe = eventlet.listen(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    thread = eventlet.spawn(backdoor.backdoor, ("127.0.0.1", port))
    hub_turns(1)  # it listens
    client = Client(port)
    client.read_until()
    assert client.run("6 * 7") == "42\n>>> "
    client.close()
    thread.kill()


class FlakyListener:
    """A listening socket whose first accept fails with EMFILE, the second with EBADF."""

    def __init__(self) -> None:
        self.calls = 0
        self.closed = False

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 0)

    def accept(self) -> tuple[Any, Any]:
        self.calls += 1
        raise OSError(errno.EMFILE if self.calls == 1 else errno.EBADF, "accept failed")

    def close(self) -> None:
        self.closed = True


def test_server_retries_resource_errors_and_closes_on_others() -> None:
    listener = FlakyListener()
    with pytest.raises(OSError, match="accept failed") as info:
        backdoor.backdoor_server(listener)
    assert info.value.errno == errno.EBADF
    assert listener.calls == 2
    assert listener.closed


def test_router_falls_back_to_the_real_stream(capsys: pytest.CaptureFixture[str]) -> None:
    routing = backdoor._Routing()
    console = backdoor.BackdoorConsole(None)
    routing.enter(console)
    try:
        router = sys.stdout
        assert isinstance(router, backdoor._Router)

        def write_from_another_thread() -> None:
            router.write("real\n")
            router.flush()

        other = eventlet.spawn(write_from_another_thread)
        other.wait()
        assert router.encoding == router.real.encoding
    finally:
        sys.stdout = routing.installed["stdout"]  # simulate a replacement: leave() warns
        replacement = backdoor._Router(sys.__stdout__, "stdout", routing)  # type: ignore[arg-type]
        sys.stderr, saved = replacement, sys.stderr
        routing.leave()
        sys.stderr = saved.real if isinstance(saved, backdoor._Router) else saved
    assert "real" in capsys.readouterr().out


class DeadConnection:
    """A connection whose peer has gone: every call fails."""

    def sendall(self, data: bytes) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def recv(self, size: int) -> bytes:
        raise ConnectionResetError(104, "Connection reset by peer")


def test_console_on_a_dead_connection() -> None:
    console = backdoor.BackdoorConsole(DeadConnection())
    console.write("lost")
    assert console.closed
    console.closed = False
    assert console.readline() == ""
    with pytest.raises(EOFError):
        console.raw_input(">>> ")


def test_router_close_and_readline_reach_the_real_stream() -> None:
    import io

    real = io.StringIO("typed\n")
    router = backdoor._Router(real, "stdin", backdoor._Routing())
    assert router.readline() == "typed\n"
    router.close()
    assert real.closed


PROGRAM_ENDING_WITH_A_SESSION_OPEN = """
import atexit, sys
import eventlet
from eventlet import backdoor
from eventlet.green import socket

atexit.register(lambda: print("at exit, stdout restored:", sys.stdout is sys.__stdout__, flush=True))
{early}
server = eventlet.listen(("127.0.0.1", 0))
eventlet.spawn(backdoor.backdoor_server, server)
client = socket.create_connection(server.getsockname())
while b">>> " not in client.recv(4096):
    pass
print("during the session, stdout routed:", sys.stdout is not sys.__stdout__, flush=True)
{during}
print("main done")
"""


def run_program(early: str = "", during: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM_ENDING_WITH_A_SESSION_OPEN.format(early=early, during=during)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_program_ends_normally_with_a_session_still_open() -> None:
    result = run_program()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "during the session, stdout routed: True",
        "main done",
        "at exit, stdout restored: True",
    ]
    assert result.stderr == ""


def test_a_router_left_in_place_at_shutdown_writes_to_the_real_stream() -> None:
    # A reference kept to a router and put back as sys.stdout after the restore: the interpreter's
    # final flush runs when greenlets can no longer be asked which one is current.
    early = "kept = []\natexit.register(lambda: setattr(sys, 'stdout', kept[0]))"
    result = run_program(early, during="kept.append(sys.stdout)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "at exit, stdout restored: False"
    assert result.stderr == ""
