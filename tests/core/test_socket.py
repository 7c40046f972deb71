"""The green socket: stdlib behaviour, cooperation with the hub, every address family."""

from __future__ import annotations

import array
import builtins
import errno
import io
import os
import socket as stdsocket
import struct
import tempfile
from collections.abc import Callable, Iterator

import pytest

import eventlet
from eventlet import greenio
from eventlet.green import socket
from eventlet.greenio._waiting import parse_timeout
from eventlet.greenio.socket import GreenSocket
from eventlet.hubs import trampoline
from eventlet.testing import hub_turns

pytestmark = pytest.mark.usefixtures("any_hub")


def until_blocked(call: Callable[[], int]) -> int:
    """Call ``call()`` until it raises BlockingIOError (buffers full); return the calls that went."""
    calls = 0
    while True:
        try:
            call()
        except BlockingIOError:
            return calls
        calls += 1


def green(sock: stdsocket.socket) -> GreenSocket:
    """``sock``, typed as the green socket it is (to type checkers the green class is the standard one)."""
    assert isinstance(sock, GreenSocket)
    return sock


def tcp_pair(family: int = socket.AF_INET, host: str = "127.0.0.1") -> tuple[GreenSocket, GreenSocket]:
    """A connected (client, server) pair of green TCP sockets."""
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((host, 0))
        listener.listen()
        client = socket.socket(family, socket.SOCK_STREAM)
        client.connect(listener.getsockname()[:2])
        server, _ = listener.accept()
    return green(client), green(server)


@pytest.fixture
def pair() -> Iterator[tuple[GreenSocket, GreenSocket]]:
    client, server = tcp_pair()
    yield client, server
    client.close()
    server.close()


def test_is_a_real_stdlib_socket() -> None:
    with socket.socket() as sock:
        assert isinstance(sock, stdsocket.socket)
        assert socket.socket is GreenSocket is greenio.GreenSocket
        assert sock.family == socket.AF_INET
        assert sock.type == socket.SOCK_STREAM
        assert sock.gettimeout() is None
        assert sock.getblocking()
        assert sock.timeout is None
        assert green(sock).fd is sock
        assert not os.get_blocking(sock.fileno())  # the OS socket is always non-blocking


def test_module_reexports_the_stdlib() -> None:
    assert socket.AF_INET == stdsocket.AF_INET
    assert socket.timeout is TimeoutError
    assert socket.error is OSError
    # private in the standard module, absent from its stubs
    assert socket._GLOBAL_DEFAULT_TIMEOUT is stdsocket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
    assert socket.CMSG_LEN is stdsocket.CMSG_LEN  # found through the module __getattr__
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        socket.nonexistent  # noqa: B018


def test_echo_between_green_threads(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair

    def echo() -> None:
        while data := server.recv(1024):
            server.sendall(data)
        server.close()

    thread = eventlet.spawn(echo)
    for n in range(5):
        client.sendall(b"ping %d" % n)
        assert client.recv(1024) == b"ping %d" % n
    client.shutdown(socket.SHUT_WR)
    thread.wait()
    assert client.recv(10) == b""


def test_sendall_large_data_while_peer_reads_slowly(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    payload = os.urandom(3 * 1024 * 1024)
    received = bytearray()

    def reader() -> None:
        while len(received) < len(payload):
            received.extend(server.recv(65536))
            eventlet.sleep(0)

    thread = eventlet.spawn(reader)
    client.sendall(memoryview(payload))  # bigger than the socket buffers: waits for writability
    thread.wait()
    assert received == payload
    client.sendall(bytearray(b"tail"))
    assert server.recv(4) == b"tail"


def test_recv_into_and_recvfrom_variants(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    buf = bytearray(8)

    eventlet.spawn(client.send, b"abcdef")  # runs once recv_into below waits
    assert server.recv_into(buf) == 6
    assert buf[:6] == b"abcdef"
    client.send(b"xyz")
    data, _addr = server.recvfrom(10)
    assert data == b"xyz"
    client.send(b"123")
    count, _addr = server.recvfrom_into(buf, 3)
    assert (count, bytes(buf[:3])) == (3, b"123")


def test_receive_after_send_waits_then_returns_data(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    # After a send the next receive waits for readability first: data already there still comes.
    client.send(b"q")
    server.send(b"answer")
    assert client.recv(100) == b"answer"
    client.sendall(b"q")
    server.sendall(b"into")
    buf = bytearray(10)
    assert client.recv_into(buf) == 4
    client.send(b"q")
    server.send(b"from")
    assert client.recvfrom(10)[0] == b"from"
    client.send(b"q")
    server.send(b"frominto")
    assert client.recvfrom_into(buf)[0] == 8


def test_receive_after_send_non_blocking_does_not_wait(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, _server = pair
    client.setblocking(False)
    client.send(b"q")
    with pytest.raises(BlockingIOError):
        client.recv(10)
    client.setblocking(True)
    client.send(b"q")
    with pytest.raises(BlockingIOError):
        client.recv(10, socket.MSG_DONTWAIT)
    with pytest.raises(BlockingIOError):
        client.recv(10, socket.MSG_DONTWAIT)


def test_makefile_in_every_mode(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    writer = client.makefile("w", encoding="utf-8")
    reader = server.makefile("r", encoding="utf-8")
    writer.write("line one\nline two\n")
    writer.flush()
    assert reader.readline() == "line one\n"
    assert reader.readline() == "line two\n"
    wb = server.makefile("wb")
    rb = client.makefile("rb")
    wb.write(b"bytes\n")
    wb.flush()
    assert rb.readline() == b"bytes\n"
    rw = client.makefile("rwb", buffering=0)
    server.sendall(b"raw")
    assert rw.read(3) == b"raw"
    for f in (writer, reader, wb, rb, rw):
        f.close()


def test_settimeout_matches_stdlib() -> None:
    with socket.socket() as green, stdsocket.socket() as plain:
        for value in (None, 0, 0.0, 1, 2.5, True):
            green.settimeout(value)
            plain.settimeout(value)
            assert green.gettimeout() == plain.gettimeout()
            assert green.getblocking() == plain.getblocking()
            assert green.timeout == plain.timeout
        for bad in ("1", -1, float("nan"), 1j):
            with pytest.raises((TypeError, ValueError)) as green_error:
                green.settimeout(bad)  # type: ignore[arg-type]  # deliberately wrong values
            with pytest.raises((TypeError, ValueError)) as plain_error:
                plain.settimeout(bad)  # type: ignore[arg-type]
            assert type(green_error.value) is type(plain_error.value)
            assert str(green_error.value) == str(plain_error.value)
        green.setblocking(False)
        assert green.gettimeout() == 0.0
        green.setblocking(True)
        assert green.gettimeout() is None
        with pytest.raises(TypeError):
            green.setblocking(1.5)  # type: ignore[arg-type]  # deliberately not a bool
    assert parse_timeout(3) == 3.0


def test_default_timeout_applies_to_new_and_accepted_sockets() -> None:
    socket.setdefaulttimeout(2.0)
    try:
        client, server = tcp_pair()
    finally:
        socket.setdefaulttimeout(None)
    with client, server:
        assert client.gettimeout() == 2.0
        assert server.gettimeout() == 2.0
    # A listener with a timeout, no default: the accepted socket is blocking, as in the stdlib.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(5)
        with socket.create_connection(listener.getsockname()) as conn:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.gettimeout() is None
                assert conn.gettimeout() is None


def test_recv_timeout_raises_timeout_error(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, _server = pair
    client.settimeout(0.01)
    with pytest.raises(TimeoutError, match="timed out"):
        client.recv(10)
    client.send(b"x")
    with pytest.raises(TimeoutError, match="timed out"):
        client.recv(10)  # the wait-first path times out too


def test_non_blocking_raises_blocking_io_error(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    server.setblocking(False)
    with pytest.raises(BlockingIOError):
        server.recv(10)
    with pytest.raises(BlockingIOError):
        server.recv_into(bytearray(4))
    with pytest.raises(BlockingIOError):
        server.recvfrom(4)
    with pytest.raises(BlockingIOError):
        server.recvfrom_into(bytearray(4))
    until_blocked(lambda: server.send(b"x" * 65536))  # fill the buffers
    with pytest.raises(BlockingIOError):
        server.sendall(b"x" * 65536)
    client.close()


def test_sendall_timeout_bounds_the_whole_call(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, _server = pair
    client.settimeout(0.05)
    with pytest.raises(TimeoutError):
        client.sendall(b"x" * (16 * 1024 * 1024))

    def send_until_full() -> None:  # the first send may still find room; the second cannot
        client.send(b"x" * (16 * 1024 * 1024))
        client.send(b"x" * (16 * 1024 * 1024))

    with pytest.raises(TimeoutError):
        send_until_full()


def test_accept_waits_and_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.01)
        with pytest.raises(TimeoutError, match="timed out"):
            listener.accept()
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
        listener.settimeout(None)

        thread = eventlet.spawn(socket.create_connection, listener.getsockname())  # once we wait
        conn, addr = listener.accept()
        client = thread.wait()
        assert isinstance(conn, GreenSocket)
        assert addr == client.getsockname()
        conn.close()
        client.close()


def full_listener() -> tuple[GreenSocket, list[GreenSocket]]:
    """A listener whose backlog is full: further connects hang (the SYN is dropped)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        sock = green(socket.socket())
        sock.setblocking(False)
        sock.connect_ex(listener.getsockname())
        fillers.append(sock)
    trampoline(fillers[0], write=True)  # connected: the backlog is full
    return green(listener), fillers


def test_connect_timeouts() -> None:
    listener, fillers = full_listener()
    try:
        sock = socket.socket()
        sock.settimeout(0.05)
        with pytest.raises(TimeoutError, match="timed out"):
            sock.connect(listener.getsockname())
        sock.close()
        sock = socket.socket()
        sock.settimeout(0.05)
        assert sock.connect_ex(listener.getsockname()) == errno.EWOULDBLOCK
        sock.close()
    finally:
        for sock in [listener, *fillers]:
            sock.close()


def test_connect_errors() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", closed_port))
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", closed_port)) == errno.ECONNREFUSED
    with socket.socket() as sock:
        sock.setblocking(False)
        with pytest.raises(BlockingIOError):
            sock.connect(("127.0.0.1", closed_port))
    with socket.socket() as sock:
        sock.setblocking(False)
        assert sock.connect_ex(("127.0.0.1", closed_port)) == errno.EINPROGRESS
    with socket.socket(socket.AF_UNIX) as sock:
        assert sock.connect_ex("/nonexistent/socket/path") == errno.ENOENT
    with socket.socket() as sock, pytest.raises(socket.gaierror):
        sock.connect_ex(("no-such-host.invalid", 80))
    with socket.socket(socket.AF_UNIX) as sock, pytest.raises(OSError, match="path too long"):
        sock.connect_ex("x" * 200)


def test_ipv6() -> None:
    if not socket.has_ipv6:  # pragma: no cover - every CI machine has IPv6 loopback
        pytest.skip("no IPv6")
    try:
        client, server = tcp_pair(socket.AF_INET6, "::1")
    except OSError:  # pragma: no cover - IPv6 disabled in this container
        pytest.skip("IPv6 loopback unavailable")
    with client, server:
        client.sendall(b"six")
        assert server.recv(3) == b"six"
        assert client.family == socket.AF_INET6


def test_unix_stream_sockets() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
            listener.listen()
            client = socket.socket(socket.AF_UNIX)
            client.connect(path)
            server, _ = listener.accept()
            with client, server:
                client.sendall(b"unix")
                assert server.recv(4) == b"unix"


def test_unix_connect_to_full_backlog_retries_until_accepted() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sock")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
            listener.listen(0)
            fillers = []
            for _ in range(2):  # the backlog takes one more than asked
                sock = socket.socket(socket.AF_UNIX)
                sock.setblocking(False)
                try:
                    sock.connect(path)
                except BlockingIOError:
                    pass
                fillers.append(sock)
            late = socket.socket(socket.AF_UNIX)
            late.settimeout(0.02)
            with pytest.raises(TimeoutError):
                late.connect(path)  # EAGAIN: retried with short sleeps until the deadline
            late.close()

            def drain() -> None:  # runs once the patient client waits for room
                for _ in range(2):  # the one queued filler, then the patient client
                    listener.accept()[0].close()

            thread = eventlet.spawn(drain)
            with socket.socket(socket.AF_UNIX) as patient:
                patient.connect(path)
                thread.wait()
            for sock in fillers:
                sock.close()


def test_udp_sendto_recvfrom() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
    ):
        a.bind(("127.0.0.1", 0))
        b.bind(("localhost", 0))  # a host name: resolved in the resolver threads

        def reply() -> None:
            data, addr = b.recvfrom(100)
            b.sendto(data.upper(), 0, addr)

        thread = eventlet.spawn(reply)
        a.sendto(b"hello", ("localhost", b.getsockname()[1]))
        assert a.recvfrom(100) == (b"HELLO", b.getsockname())
        thread.wait()


def test_sendmsg_recvmsg_pass_file_descriptors() -> None:
    a, b = socket.socketpair()
    with a, b:
        r, w = os.pipe()
        # Each send runs in a green thread once the receive below it waits.
        eventlet.spawn(a.sendmsg, [b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])
        msg, ancdata, _flags, _addr = b.recvmsg(10, socket.CMSG_LEN(4))
        assert msg == b"fd"
        assert ancdata
        received = array.array("i", ancdata[0][2][:4])[0]
        os.write(w, b"!")
        assert os.read(received, 1) == b"!"
        for fd in (r, w, received):
            os.close(fd)
        buf = bytearray(4)
        r, w = os.pipe()
        eventlet.spawn(a.sendmsg, [b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])
        nbytes, ancdata, _flags, _addr = b.recvmsg_into([buf], socket.CMSG_LEN(4))
        assert nbytes == 2
        assert buf[:2] == b"fd"
        for fd in (r, w, array.array("i", ancdata[0][2][:4])[0]):
            os.close(fd)
        b.send(b"q")
        a.sendmsg([b"x"])
        assert b.recvmsg(10)[0] == b"x"  # after a send: waits for readability first
        b.send(b"q")
        a.sendmsg([b"y"])
        assert b.recvmsg_into([buf])[0] == 1
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            b.recvmsg(10)
        with pytest.raises(BlockingIOError):
            b.recvmsg_into([buf])


def test_sendmsg_waits_when_full_and_respects_non_blocking() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        until_blocked(lambda: a.sendmsg([b"x" * 65536]))
        a.setblocking(True)
        a.settimeout(0.02)
        with pytest.raises(TimeoutError):
            a.sendmsg([b"x" * 65536])
        a.settimeout(None)

        def drain() -> None:
            b.setblocking(False)
            try:
                while b.recv(1 << 20):
                    pass
            except BlockingIOError:
                pass

        eventlet.spawn(drain)
        assert a.sendmsg([b"more"]) == 4


def test_socketpair_fromfd_dup_detach() -> None:
    a, b = socket.socketpair()
    assert isinstance(a, GreenSocket)
    assert a.family == socket.AF_UNIX
    with a, b:
        c = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
        d = a.dup()
        e = socket.fromfd(a, socket.AF_UNIX, socket.SOCK_STREAM)
        for sock in (c, d, e):
            assert isinstance(sock, GreenSocket)
            sock.sendall(b"via dup")
            assert b.recv(7) == b"via dup"
            sock.close()
        a.settimeout(3)
        with a.dup() as duplicate:
            assert duplicate.gettimeout() == 3
    x, y = tcp_pair()
    with y:
        fd = x.detach()
        assert x.fileno() == -1
        assert os.get_blocking(fd)  # blocking again, as a stdlib socket with no timeout leaves it
        plain = stdsocket.socket(fileno=fd)
        plain.close()
    x, y = socket.socketpair()
    with y:
        x.setblocking(False)
        fd = x.detach()
        assert not os.get_blocking(fd)
        os.close(fd)


def test_wrapping_an_existing_socket_and_fileno_argument() -> None:
    plain_a, plain_b = stdsocket.socketpair()
    plain_a.settimeout(7)
    green = GreenSocket(plain_a)
    assert plain_a.fileno() not in (-1, green.fileno())  # a duplicate: the original stays usable
    assert green.gettimeout() == 7
    assert green.family == stdsocket.AF_UNIX
    other = socket.socket(fileno=plain_b.detach())
    with green, other:
        other.sendall(b"over fileno")
        assert green.recv(100) == b"over fileno"
        plain_a.sendall(b"original")
        assert other.recv(100) == b"original"
    plain_a.close()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK) as sock:
        assert sock.gettimeout() == 0.0


def test_create_connection_and_create_server() -> None:
    with socket.create_server(("127.0.0.1", 0), backlog=5, reuse_port=True) as server:
        port = server.getsockname()[1]
        with socket.create_connection(
            ("localhost", port), timeout=2, source_address=("127.0.0.1", 0)
        ) as conn:
            accepted, _ = server.accept()
            with accepted:
                assert conn.gettimeout() == 2
                conn.sendall(b"cc")
                assert accepted.recv(2) == b"cc"
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port))
    group = getattr(builtins, "ExceptionGroup", None)
    with pytest.raises(TypeError if group is None else group):  # all_errors: Python 3.11+
        socket.create_connection(("127.0.0.1", port), all_errors=True)
    with (
        socket.create_server(("127.0.0.1", 0)) as busy,
        pytest.raises(OSError, match="while attempting to bind"),
    ):
        socket.create_server(busy.getsockname())
    with pytest.raises(ValueError, match="requires AF_INET6"):
        socket.create_server(("127.0.0.1", 0), dualstack_ipv6=True)


def test_create_server_ipv6_dualstack() -> None:
    try:
        server = socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    except OSError:  # pragma: no cover - IPv6 disabled in this container
        pytest.skip("IPv6 unavailable")
    with server:
        assert server.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:
        assert server.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1


def test_create_connection_with_no_addresses() -> None:
    from eventlet.green import socket as green_socket

    original = green_socket.getaddrinfo
    green_socket.getaddrinfo = lambda *args: []
    try:
        with pytest.raises(OSError, match="empty list"):
            socket.create_connection(("127.0.0.1", 1))
    finally:
        green_socket.getaddrinfo = original


def test_close_wakes_a_waiting_green_thread_with_ebadf(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, _server = pair
    outcome: list[BaseException] = []

    def reader() -> None:
        try:
            client.recv(10)
        except OSError as exc:
            outcome.append(exc)

    thread = eventlet.spawn(reader)
    hub_turns(1)  # the reader waits
    client.close()
    thread.wait()
    assert isinstance(outcome[0], OSError)
    assert outcome[0].errno == errno.EBADF
    with pytest.raises(OSError, match="Bad file descriptor") as info:
        client.recv(1)
    assert info.value.errno == errno.EBADF


def test_waiting_on_a_closed_socket_raises_ebadf(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, _server = pair
    client.send(b"q")
    client.close()
    with pytest.raises(OSError, match="Bad file descriptor") as info:
        client.recv(1)  # the wait-first path checks the fd before waiting
    assert info.value.errno == errno.EBADF


def test_sendfile(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    payload = os.urandom(300_000)
    with tempfile.TemporaryFile() as f:
        f.write(payload)
        f.flush()
        f.seek(0)
        received = bytearray()

        def reader() -> None:
            while len(received) < len(payload) + 18:
                received.extend(server.recv(65536))

        thread = eventlet.spawn(reader)
        assert client.sendfile(f) == len(payload)
        assert f.tell() == len(payload)
        assert client.sendfile(f, 5, 10) == 10
        assert client.sendfile(io.BytesIO(b"via send")) == 8  # not a real file: send() is used
        thread.wait()
        assert received == payload + payload[5:15] + b"via send"
        with tempfile.TemporaryFile() as empty:
            assert client.sendfile(empty) == 0
        client.settimeout(0.0)
        with pytest.raises(ValueError, match="non-blocking"):
            client.sendfile(f)


@pytest.fixture
def big_file() -> Iterator[io.BufferedRandom]:
    with tempfile.TemporaryFile() as f:
        f.truncate(64 * 1024 * 1024)
        yield f


def test_sendfile_timeout(pair: tuple[GreenSocket, GreenSocket], big_file: io.BufferedRandom) -> None:
    client, _server = pair
    client.settimeout(0.05)
    with pytest.raises(TimeoutError):
        client.sendfile(big_file)


def test_sendfile_peer_gone_midway(
    pair: tuple[GreenSocket, GreenSocket], big_file: io.BufferedRandom
) -> None:
    client, server = pair

    def read_a_little_then_close() -> None:
        server.recv(1000)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        server.close()

    eventlet.spawn(read_a_little_then_close)
    with pytest.raises((BrokenPipeError, ConnectionResetError)):
        client.sendfile(big_file)


class _DirectoryBackedFile(io.RawIOBase):
    """A file whose fd is a directory: sendfile(2) refuses it, so the stdlib falls back to send()."""

    mode = "rb"

    def __init__(self, fd: int, data: bytes) -> None:
        self._fd = fd
        self._data = io.BytesIO(data)

    def fileno(self) -> int:
        return self._fd

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._data.seek(pos, whence)


def test_sendfile_falls_back_when_the_kernel_refuses(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    fd = os.open(tempfile.gettempdir(), os.O_RDONLY)
    try:
        assert client.sendfile(_DirectoryBackedFile(fd, b"fallback")) == 8
    finally:
        os.close(fd)
    assert server.recv(8) == b"fallback"


def test_shutdown_safe_and_set_nonblocking() -> None:
    with socket.socket() as sock:
        assert greenio.shutdown_safe(sock) is None  # not connected: ENOTCONN ignored
    client, server = tcp_pair()
    with client, server:
        greenio.shutdown_safe(client)
        assert server.recv(1) == b""
    r, w = os.pipe()
    greenio.set_nonblocking(r)
    assert not os.get_blocking(r)
    with open(w, "wb") as wfile:
        greenio.set_nonblocking(wfile)
        assert not os.get_blocking(w)
    os.close(r)
    closed = socket.socket()
    closed.close()
    assert greenio.shutdown_safe(closed) is None  # EBADF ignored, as upstream


class _NoArgumentShutdown:
    """A connection whose ``shutdown()`` takes no argument, like pyOpenSSL's ``Connection``."""

    def __init__(self, error: OSError | None = None) -> None:
        self.error = error
        self.calls = 0

    def shutdown(self) -> bool:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return True


def test_shutdown_safe_of_a_connection_without_how_argument_and_real_errors() -> None:
    conn = _NoArgumentShutdown()
    assert greenio.shutdown_safe(conn) is True
    assert conn.calls == 1
    assert greenio.shutdown_safe(_NoArgumentShutdown(OSError(errno.ENOTCONN, "gone"))) is None
    with pytest.raises(PermissionError):
        greenio.shutdown_safe(_NoArgumentShutdown(PermissionError(errno.EPERM, "no")))


@pytest.mark.usefixtures("allow_multiple_readers")
def test_two_readers_one_datagram_the_loser_waits_again(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    got: list[bytes] = []
    readers = [eventlet.spawn(lambda: got.append(server.recv(1))) for _ in range(2)]
    hub_turns(1)  # both wait
    client.send(b"a")  # both readers wake; one finds nothing and waits again
    hub_turns(1)
    client.send(b"b")
    for reader in readers:
        reader.wait()
    assert sorted(got) == [b"a", b"b"]


def test_wait_until_a_deadline_already_past() -> None:
    import time

    from eventlet.hubs.hub import EV_READ

    with green(socket.socket()) as sock, pytest.raises(TimeoutError, match="timed out"):
        sock._wait_until(EV_READ, time.monotonic() - 1)


def test_recvfrom_into_waits(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    eventlet.spawn(client.send, b"late")  # runs once recvfrom_into below waits
    buf = bytearray(8)
    assert server.recvfrom_into(buf)[0] == 4


def test_sendall_when_the_buffer_is_already_full(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, server = pair
    client.setblocking(False)
    queued = 0

    def queue() -> int:
        nonlocal queued
        queued += client.send(b"x" * 65536)
        return queued

    until_blocked(queue)
    with pytest.raises(BlockingIOError):
        client.sendall(b"y" * 10)  # non-blocking, nothing fits: the first send raises
    client.setblocking(True)
    received = bytearray()

    def drain() -> None:
        while len(received) < queued + 10:
            received.extend(server.recv(1 << 20))

    thread = eventlet.spawn(drain)
    client.sendall(b"z" * 10)
    thread.wait()
    assert received.endswith(b"z" * 10)


def test_non_blocking_sendall_partial_then_would_block(pair: tuple[GreenSocket, GreenSocket]) -> None:
    client, _server = pair
    client.setblocking(False)
    with pytest.raises(BlockingIOError):
        client.sendall(b"x" * (32 * 1024 * 1024))


def test_unix_datagram_sendto_waits_when_the_queue_is_full() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dgram")
        with (
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver,
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender,
        ):
            receiver.bind(path)
            sender.setblocking(False)
            # fill the queue, sending to an address that is not a tuple
            sent = until_blocked(lambda: sender.sendto(b"d" * 1024, path))
            sender.settimeout(0.02)
            with pytest.raises(TimeoutError):
                sender.sendto(b"late", path)
            sender.settimeout(None)

            def drain() -> None:
                for _ in range(sent):
                    receiver.recv(2048)

            thread = eventlet.spawn(drain)
            assert sender.sendto(b"last", path) == 4
            thread.wait()
            assert receiver.recv(10) == b"last"


def test_detach_of_a_closed_socket() -> None:
    sock = socket.socket()
    sock.close()
    assert sock.detach() == -1


def test_socketpair_with_explicit_family() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        a.send(b"dg")
        assert b.recv(2) == b"dg"


def test_create_connection_when_the_socket_cannot_be_made(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventlet.green import socket as green_socket

    bogus = [(socket.AF_INET, socket.SOCK_STREAM, 9999, "", ("127.0.0.1", 1))]
    monkeypatch.setattr(green_socket, "getaddrinfo", lambda *args: bogus)
    with pytest.raises(OSError, match="Invalid argument"):
        socket.create_connection(("127.0.0.1", 1))


@pytest.mark.usefixtures("allow_multiple_readers")
def test_a_reader_waiting_after_a_send_can_lose_the_data_and_wait_again(
    pair: tuple[GreenSocket, GreenSocket],
) -> None:
    client, server = pair
    got: list[bytes] = []
    first = eventlet.spawn(lambda: got.append(server.recv(1)))  # waits (nothing to read)
    hub_turns(1)
    server.send(b"q")  # the next receive on `server` waits for readability first
    second = eventlet.spawn(lambda: got.append(server.recv(1)))
    hub_turns(1)
    client.send(b"a")  # both wake; the first takes the byte, the second finds nothing
    hub_turns(1)
    client.send(b"b")
    first.wait()
    second.wait()
    assert got == [b"a", b"b"]
    assert client.recv(1) == b"q"


class _Wrapper:
    """A server's own socket wrapper (gunicorn's kind): it delegates to a socket, is not one."""

    def __init__(self, sock: stdsocket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()


def test_wrapping_any_object_with_a_fileno_leaves_it_usable() -> None:
    with stdsocket.socket() as plain:
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        wrapper = _Wrapper(plain)
        green = GreenSocket(wrapper)
        with green:
            assert green.family == socket.AF_INET
            assert green.type == socket.SOCK_STREAM
            assert green.gettimeout() is None
            assert not os.get_blocking(green.fileno())
            client = eventlet.connect(plain.getsockname())
            conn, _ = green.accept()
            with client, conn:
                client.sendall(b"via the wrapper")
                assert conn.recv(100) == b"via the wrapper"
        assert plain.fileno() >= 0  # still open after the green socket closed
    with pytest.raises(OSError, match="Bad file descriptor"):
        GreenSocket(_Wrapper(plain))  # closed: fileno() is -1
    r, w = os.pipe()
    try:
        with pytest.raises(OSError, match="non-socket"):  # not a socket
            GreenSocket(type("Pipe", (), {"fileno": lambda self: r})())
    finally:
        os.close(r)
        os.close(w)


def test_wrapping_an_object_with_gettimeout_takes_its_timeout() -> None:
    class Timed(_Wrapper):
        def gettimeout(self) -> float:
            return 3.0

    with stdsocket.socket() as plain, GreenSocket(Timed(plain)) as green:
        assert green.gettimeout() == 3.0


def test_set_nonblocking_false_keeps_the_blocking_flag_of_the_fd() -> None:
    with stdsocket.socket() as plain:
        assert os.get_blocking(plain.fileno())
        with GreenSocket(plain, set_nonblocking=False) as green:
            assert os.get_blocking(green.fileno())  # as the caller asked
            assert green.gettimeout() is None
        with GreenSocket(plain) as green:
            assert not os.get_blocking(green.fileno())  # shared file: both are non-blocking now
        assert not os.get_blocking(plain.fileno())
    with GreenSocket(socket.AF_INET, socket.SOCK_DGRAM, set_nonblocking=False) as green:
        assert os.get_blocking(green.fileno())
        green.setblocking(False)  # an explicit call still makes it non-blocking
        assert not os.get_blocking(green.fileno())


def test_attributes_can_be_replaced_on_an_instance() -> None:
    client, server = tcp_pair()
    sent: list[bytes] = []
    original_send = server.send

    def short_send(data: bytes, flags: int = 0) -> int:
        sent.append(bytes(data[:3]))
        return original_send(data[:3], flags)

    server.send = short_send  # type: ignore[method-assign]
    with client, server:
        with server.makefile("wb") as writer:  # the file object goes through the instance's send
            writer.write(b"abcdefgh")
        assert sent == [b"abc", b"def", b"gh"]
        assert client.recv(100) == b"abcdefgh"
        del server.send
        assert server.send(b"!") == 1


def test_zero_size_receives_wait_for_readability() -> None:
    client, server = tcp_pair()
    with client, server:
        client.settimeout(0.01)
        with pytest.raises(TimeoutError, match="timed out"):
            client.recv(0)
        with pytest.raises(TimeoutError, match="timed out"):
            client.recv_into(bytearray())
        client.settimeout(0.0)
        assert client.recv(0) == b""  # non-blocking: no wait
        assert client.recv_into(bytearray()) == 0
        client.settimeout(None)
        eventlet.spawn(server.sendall, b"x")  # runs once recv(0) below waits
        assert client.recv(0) == b""  # returned once readable
        assert client.recv_into(bytearray()) == 0
        assert client.recv(1) == b"x"
        server.close()
        assert client.recv_into(bytearray(4)) == 0  # end of stream


def test_every_new_socket_is_announced_to_the_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventlet.hubs import get_hub

    announced: list[int] = []
    hub = get_hub()
    original = hub.mark_as_reopened

    def mark_as_reopened(fd: int) -> None:
        announced.append(fd)
        original(fd)

    monkeypatch.setattr(hub, "mark_as_reopened", mark_as_reopened)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with eventlet.connect(listener.getsockname()) as client:
            conn, _ = listener.accept()
            with conn:
                assert announced == [listener.fileno(), client.fileno(), conn.fileno()]


def test_a_reset_connection_reads_as_its_end() -> None:
    reads: tuple[Callable[[GreenSocket], bytes | int], ...] = (
        lambda s: s.recv(10),
        lambda s: s.recv_into(bytearray(10)),
    )
    for read in reads:
        client, server = tcp_pair()
        with client, server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.send(b"?")  # the next read waits for readability first
            server.close()  # with SO_LINGER 0: a reset, not an orderly end
            assert read(client) in (b"", 0)
            assert read(client) in (b"", 0)


def test_upstream_file_object_names_wrap_a_green_socket() -> None:
    # Upstream programs subclass eventlet.greenio._fileobject and build it on ``conn._sock``.
    a, b = socket.socketpair()
    with a, b:
        assert a._sock is a
        raw = greenio._fileobject(a._sock, "rwb")
        b.sendall(b"ping")
        assert raw.read(4) == b"ping"
        raw.write(b"pong")
        assert b.recv(4) == b"pong"
        raw.close()
