"""The ``ssl.SSLSocket`` behaviour of green TLS sockets, on both backends."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable
from typing import Any

import pytest

import eventlet
import eventlet.ssl
from eventlet.green import socket as green_socket
from tests.ssl.conftest import BACKENDS, Certs, client_context, connect, echo_handler, server_context

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def _silent(conn: Any) -> None:
    """Complete the handshake, then wait for the client to go without sending anything."""
    conn.do_handshake()
    conn.recv(1)


def test_recv_timeout_raises_timeout_error(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend), _silent)
    conn = connect(server.port, client_context(certs, backend))
    conn.settimeout(0.05)
    assert conn.gettimeout() == 0.05
    assert conn.timeout == 0.05
    with conn, pytest.raises(TimeoutError):
        conn.recv(10)


def test_non_blocking_mode_raises_want_read(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend), _silent)
    conn = connect(server.port, client_context(certs, backend))
    conn.setblocking(False)
    assert not conn.getblocking()
    with conn:
        with pytest.raises(ssl.SSLWantReadError):
            conn.recv(10)
        with pytest.raises(ssl.SSLWantReadError):
            conn.read(10)
        conn.setblocking(True)
        assert conn.gettimeout() is None


def test_buffered_data_is_returned_without_waiting(certs: Certs, tls_server: Any, backend: str) -> None:
    def burst(conn: Any) -> None:
        conn.sendall(b"abcdefghij")
        conn.recv(1)

    server = tls_server(server_context(certs, backend), burst)
    conn = connect(server.port, client_context(certs, backend))
    with conn:
        assert conn.recv(1) == b"a"
        assert conn.pending() == 9  # decrypted, inside the TLS object; the socket is empty
        conn.setblocking(False)  # so a wait on the socket would raise instead of hanging
        assert conn.recv(100) == b"bcdefghij"
        assert conn.pending() == 0


def test_read_after_write_returns_buffered_data_and_waits_for_the_rest(
    certs: Certs, tls_server: Any, backend: str
) -> None:
    def answers(conn: Any) -> None:
        conn.sendall(b"abcdefghij")  # one record
        while (request := conn.recv(100)) != b"bye":
            conn.sendall(request.upper())

    server = tls_server(server_context(certs, backend), answers)
    conn = connect(server.port, client_context(certs, backend))
    with conn, eventlet.Timeout(5):
        assert conn.recv(1) == b"a"
        conn.sendall(b"x")  # a write, while decrypted bytes are still inside the TLS object
        assert conn.recv(9) == b"bcdefghij"  # returned from the buffer: no wait on the socket
        assert conn.recv(100) == b"X"  # the answer to the write, waited for on the socket
        conn.write(b"y")
        assert conn.read(100) == b"Y"
        conn.sendall(b"bye")


def test_accept_on_tls_listener_defers_handshake(certs: Certs, green_hub: Any, backend: str) -> None:
    listener = eventlet.ssl.wrap_socket(
        eventlet.listen(("127.0.0.1", 0)), server_context(certs, backend), server_side=True
    )
    port = listener.getsockname()[1]
    stalled = green_socket.create_connection(("127.0.0.1", port))  # never says hello
    good = eventlet.spawn(connect, port, client_context(certs, backend))
    first, _ = listener.accept()  # the stalled one: accept did not wait for its hello
    second, _ = listener.accept()
    try:
        assert second.version() in ("TLSv1.2", "TLSv1.3")  # runs the deferred handshake
        client = good.wait()
        client.sendall(b"hi")
        assert second.recv(2) == b"hi"
        assert second.getpeercert() in ({}, None)  # server side, client sent no certificate
        assert second.selected_alpn_protocol() is None
        assert second.cipher() is not None
        client.close()
    finally:
        for sock in (first, second, stalled, listener):
            sock.close()


def test_connect_after_wrapping(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    ctx = client_context(certs, backend)
    conn = eventlet.ssl.wrap_socket(green_socket.socket(), ctx, server_hostname="localhost")
    assert conn.version() is None
    assert conn.cipher() is None
    conn.connect(("localhost", server.port))  # the name resolves without blocking the hub
    with conn:
        conn.sendall(b"x")
        assert conn.recv(1) == b"x"
        with pytest.raises(ValueError, match="already-connected"):
            conn.connect(("127.0.0.1", server.port))
    other = eventlet.ssl.wrap_socket(socket.socket(), ctx, server_hostname="localhost")
    assert other.connect_ex(("127.0.0.1", server.port)) == 0
    with other:
        other.sendall(b"y")
        assert other.recv(1) == b"y"


def test_connect_refused(certs: Certs, green_hub: Any, backend: str) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    ctx = client_context(certs, backend)
    with eventlet.ssl.wrap_socket(socket.socket(), ctx, server_hostname="localhost") as conn:
        assert conn.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
    with eventlet.ssl.wrap_socket(socket.socket(), ctx, server_hostname="localhost") as conn:
        with pytest.raises(ConnectionRefusedError):
            conn.connect(("127.0.0.1", port))


def test_plain_socket_input(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    plain = socket.create_connection(("127.0.0.1", server.port))
    plain.settimeout(5.0)
    conn = eventlet.ssl.wrap_socket(plain, client_context(certs, backend), server_hostname="localhost")
    with conn:
        assert conn.gettimeout() == 5.0
        conn.sendall(b"plain in")
        assert conn.recv(100) == b"plain in"


def test_manual_handshake(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    sock = green_socket.create_connection(("127.0.0.1", server.port))
    conn = eventlet.ssl.wrap_socket(
        sock, client_context(certs, backend), server_hostname="localhost", do_handshake_on_connect=False
    )
    with conn:
        conn.setblocking(False)
        with pytest.raises(ssl.SSLWantReadError):
            conn.do_handshake()
        conn.do_handshake(block=True)
        conn.setblocking(True)
        conn.sendall(b"m")
        assert conn.recv(1) == b"m"


def test_check_hostname_requires_server_hostname(certs: Certs, green_hub: Any, backend: str) -> None:
    with pytest.raises(ValueError, match="server_hostname"):
        eventlet.ssl.wrap_socket(socket.socket(), client_context(certs, backend))
    with pytest.raises(ValueError, match="client mode"):
        eventlet.ssl.wrap_socket(socket.socket(), server_context(certs, backend), True, "localhost")


def test_close_wakes_a_blocked_reader(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend), _silent)
    conn = connect(server.port, client_context(certs, backend))
    reader = eventlet.spawn(conn.recv, 10)
    eventlet.sleep(0)
    conn.close()
    with pytest.raises(OSError, match="closed while a green thread waited") as info:
        reader.wait()
    assert info.value.errno == errno.EBADF


def test_shutdown_and_sendfile(certs: Certs, tls_server: Any, backend: str, tmp_path: Any) -> None:
    received: list[bytes] = []

    def collect(conn: Any) -> None:
        chunks = []
        while data := conn.recv(4096):
            chunks.append(data)
        received.append(b"".join(chunks))

    server = tls_server(server_context(certs, backend), collect)
    path = tmp_path / "payload"
    path.write_bytes(b"0123456789" * 5000)
    conn = connect(server.port, client_context(certs, backend))
    with conn, open(path, "rb") as f:
        assert conn.sendfile(f) == 50000
        conn.shutdown(socket.SHUT_WR)  # no close alert: the server sees a ragged EOF
        assert conn.pending() == 0
    server.close()
    assert received == [b"0123456789" * 5000]


def test_flags_are_refused(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    with connect(server.port, client_context(certs, backend)) as conn:
        calls: tuple[Callable[[], object], ...] = (
            lambda: conn.recv(1, socket.MSG_PEEK),
            lambda: conn.recv_into(bytearray(1), 1, socket.MSG_PEEK),
            lambda: conn.send(b"x", socket.MSG_OOB),
            lambda: conn.sendall(b"x", socket.MSG_OOB),
        )
        for call in calls:
            with pytest.raises(ValueError, match="non-zero flags not allowed"):
                call()


def test_many_concurrent_handshakes(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    ctx = client_context(certs, backend)

    def one(i: int) -> bytes:
        with connect(server.port, ctx) as conn:
            conn.sendall(b"%d" % i)
            return conn.recv(10)  # type: ignore[no-any-return]

    threads = [eventlet.spawn(one, i) for i in range(100)]
    assert [gt.wait() for gt in threads] == [b"%d" % i for i in range(100)]
    assert server.errors == []


def test_sni_callback_switches_certificate(certs: Certs, tls_server: Any, backend: str) -> None:
    other = server_context(certs, backend, certfile=certs.server_b)
    ctx = server_context(certs, backend)
    names: list[Any] = []
    if backend == "stdlib":

        def pick(sslobj: Any, name: str | None, _ctx: Any) -> None:
            names.append(name)
            sslobj.context = other

        ctx.sni_callback = pick
    else:

        def pick_openssl(conn: Any) -> None:
            name = conn.get_servername()
            names.append(name and name.decode())
            if name:
                conn.set_context(other)

        ctx.set_tlsext_servername_callback(pick_openssl)
    server = tls_server(ctx)
    with connect(server.port, client_context(certs, backend)) as conn:
        assert (("commonName", "server-b"),) in conn.getpeercert()["subject"]
    assert names == ["localhost"]
    with connect(server.port, client_context(certs, backend), hostname="127.0.0.1") as conn:
        assert conn.getpeercert()  # no SNI for an IP address
    assert names[1:] in ([None], [])


def test_echo_handler_helper_closes_on_eof(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend), echo_handler)
    with connect(server.port, client_context(certs, backend)) as conn:
        conn.sendall(b"bye")
        assert conn.recv(3) == b"bye"
    server.close()
    assert server.served == 1


def test_datagram_and_ancillary_calls_are_refused_while_tls_is_on(
    certs: Certs, tls_server: Any, backend: str
) -> None:
    """They would bypass the encryption: refused on a TLS socket, plain calls before it is on."""
    ctx = client_context(certs, backend)
    unconnected = eventlet.ssl.wrap_socket(green_socket.socket(), ctx, server_hostname="localhost")
    with unconnected:  # no TLS yet: the plain calls reach the kernel (not connected)
        for plain in (
            lambda: unconnected.recvfrom(1),
            lambda: unconnected.recvfrom_into(bytearray(1)),
            lambda: unconnected.sendto(b"x", ("127.0.0.1", 9)),
            lambda: unconnected.sendto(b"x", 0, ("127.0.0.1", 9)),
        ):
            with pytest.raises(OSError, match=r"not connected|Broken pipe"):
                plain()
    server = tls_server(server_context(certs, backend))
    with connect(server.port, ctx) as conn:
        refused: list[tuple[str, Any]] = [
            ("recvfrom", lambda: conn.recvfrom(1)),
            ("recvfrom_into", lambda: conn.recvfrom_into(bytearray(1))),
            ("sendto", lambda: conn.sendto(b"x", ("127.0.0.1", server.port))),
            ("sendto", lambda: conn.sendto(b"x", 0, ("127.0.0.1", server.port))),
        ]
        for name, call in refused:
            with pytest.raises(ValueError, match=f"^{name} not allowed on instances of"):
                call()
        for name in ("recvmsg", "recvmsg_into", "sendmsg"):
            with pytest.raises(NotImplementedError, match=f"^{name} not allowed on instances of"):
                getattr(conn, name)([b"x"])
        conn.sendall(b"intact")  # nothing went around the TLS stream
        assert conn.recv(6) == b"intact"


def test_sendall_waits_for_a_slow_reader(certs: Certs, tls_server: Any, backend: str) -> None:
    """More than the kernel buffers hold: the engine wants to write, and the writer waits."""
    total = 32 * 1024 * 1024

    def count(conn: Any) -> None:
        received = 0
        buf = bytearray(65536)
        while received < total:
            received += conn.recv_into(buf, 65536)
        conn.sendall(b"%d" % received)

    server = tls_server(server_context(certs, backend), count)
    with connect(server.port, client_context(certs, backend)) as conn:
        conn.sendall(bytes(total))
        answer = bytearray(16)
        got = conn.recv_into(answer, 8)
        assert answer[:got] == b"%d" % total
